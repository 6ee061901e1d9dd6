"""Nightly roster feeds (全國教保資訊網, 臺北市教師研習網): the `flask sync` commands, the
operator's sync-runs page (/operator/sync-runs/) and `last_sync(source)` for roster pages."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from app.feeds import routes  # noqa: E402,F401
from app.feeds.cli import register_feed_commands  # noqa: E402
from app.feeds.services import last_sync  # noqa: E402

__all__ = ["bp", "last_sync", "register_feed_commands"]
