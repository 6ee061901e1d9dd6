"""/operator/: the operator's landing page and console (系統管理: cycles, 最新消息)."""

from flask import Blueprint

bp = Blueprint("operator", __name__)

from app.operator import cycles, routes  # noqa: E402,F401
