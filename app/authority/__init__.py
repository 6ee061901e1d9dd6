"""/authority/: the landing page of an authority (縣市教育局處 or 國教署)."""

from flask import Blueprint

bp = Blueprint("authority", __name__)

from app.authority import routes  # noqa: E402,F401
