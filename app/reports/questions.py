"""The questionnaire questions the reports read, declared so a cycle file without them
is refused when it is loaded (app.questionnaires.requirements)."""

from __future__ import annotations

from app.questionnaires.requirements import require

NEEDS = "needs"
ACTIVITIES = "activities"

# The county and national summaries count the teachers' ranked needs …
require("teacher", NEEDS, "ranking", by="教師專業成長需求統計（縣市與全國彙整報表）")
# … and sum their planned activities by mode, category and term.
require(
    "teacher",
    ACTIVITIES,
    "rows",
    by="教師進修活動時數統計（縣市與全國彙整報表）",
    fields={"hours": "number", "mode": "single", "topic_category": "single", "term": "single"},
)
