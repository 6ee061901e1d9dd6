"""Business accounts: applying (/school/apply), the chief's management (/school/accounts),
the regional centre's chief accounts (/region/schools) and the holder's contact data."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import routes  # noqa: E402,F401
