"""/oversight/: aggregate reports of the schools under an authority, or of the whole country."""

from flask import Blueprint

bp = Blueprint("oversight", __name__)

from app.oversight import routes  # noqa: E402,F401
