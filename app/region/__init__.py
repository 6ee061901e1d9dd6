"""/region/: the landing page of a regional centre (區管中心)."""

from flask import Blueprint

bp = Blueprint("region", __name__)

from app.region import routes  # noqa: E402,F401
