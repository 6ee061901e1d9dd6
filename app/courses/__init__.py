"""/school/courses: 研習課程 — a school's courses, as far as the account guards need them."""

from flask import Blueprint

bp = Blueprint("courses", __name__)

from app.courses import routes  # noqa: E402,F401
