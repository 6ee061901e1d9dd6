"""教師資料 (/school/roster…): a school's teacher list, registering teachers by national
ID (new, or transferred in), their titles and subjects, leaving / transfer / retirement,
and the read-only view of rosters that another system maintains (全國教保資訊網填報系統,
臺北市教師研習網: addresses in ROSTER_ECE_URL and ROSTER_TAIPEI_URL)."""

import os

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("roster_admin", __name__)

DEFAULT_URLS = {
    "ROSTER_ECE_URL": "https://www.ece.moe.edu.tw/",
    "ROSTER_TAIPEI_URL": "https://insc.tp.edu.tw/",
}


@bp.record_once
def _settings(state: BlueprintSetupState) -> None:
    for key, default in DEFAULT_URLS.items():
        state.app.config.setdefault(key, os.environ.get(key, default))


from app.roster_admin import routes  # noqa: E402,F401
