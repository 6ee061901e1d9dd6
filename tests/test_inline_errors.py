"""Messages that follow the fields (issue: UX item 6): an autosave decides again, as a
submission would, each error on screen and answers with out-of-band swaps; a blank row is
named instead of "至少需要 1 列"; English row counts in the right plural."""

from __future__ import annotations

import re

from app.models import Stage
from app.questionnaires import engine
from app.timeutil import taipei
from tests.conftest import login_teacher
from tests.plan_helpers import setup_113, teacher_form

BROKEN = {"q.activities.0.topic": "", "q.activities.0.hours": "abc", "q.preferred_times": []}


def _teacher(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])


def _oob(body: str, error_id: str) -> str:
    found = re.search(
        rf'<p class="error" id="{error_id}" data-hx-swap-oob="true"[^>]*>[^<]*</p>', body
    )
    return found.group(0) if found else ""


def test_an_autosave_clears_a_fixed_field_s_error_and_keeps_the_others(client, factory, clock):
    _teacher(client, factory, clock)
    failed = client.post("/teacher/plan", data=teacher_form(0, action="submit", **BROKEN))
    assert failed.status_code == 422
    page = failed.get_data(as_text=True)
    for error_id in ("e-activities-0-topic", "e-activities-0-hours", "e-preferred_times"):
        assert f'id="{error_id}"' in page
    assert 'id="pe-activities-0-topic"' in page  # its line in the summary above the form
    assert 'aria-describedby="e-activities-0-topic' in page

    # The topic is typed; the hours are still wrong; 進修時段 is shown but the person has
    # not reached it: the browser sends the two on screen it has passed (all, here, but
    # 進修時段 left out to show that an error not on screen never appears mid-typing).
    fixed = teacher_form(
        0,
        **{**BROKEN, "q.activities.0.topic": "差異化教學策略"},
        shown_error=["e-activities-0-topic", "e-activities-0-hours"],
    )
    answer = client.post("/teacher/plan/autosave", data=fixed, headers={"HX-Request": "true"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200
    cleared = _oob(body, "e-activities-0-topic")
    assert cleared.endswith("hidden></p>")
    assert '<li id="pe-activities-0-topic" data-hx-swap-oob="true" hidden></li>' in body
    assert "請輸入" in _oob(body, "e-activities-0-hours")  # still wrong: its message now
    assert "e-preferred_times" not in body  # not on screen: left alone
    assert 'data-for="q.preferred_times"' not in body
    assert "1 個欄位已修正" in body
    assert "1 個欄位需修正" in body
    assert 'role="status" aria-live="polite"' in body


def test_a_required_field_on_screen_stays_until_answered(client, factory, clock):
    _teacher(client, factory, clock)
    client.post("/teacher/plan", data=teacher_form(0, action="submit", **BROKEN))
    body = client.post(
        "/teacher/plan/autosave",
        data=teacher_form(0, **BROKEN, shown_error=["e-preferred_times", 'bad id"><x']),
    ).get_data(as_text=True)
    # A draft does not ask for required answers, a submission does: the shown one stays.
    assert "請至少選擇 1 項" in _oob(body, "e-preferred_times")
    assert "<x" not in body
    body = client.post(
        "/teacher/plan/autosave",
        data=teacher_form(1, shown_error=["e-preferred_times"]),
    ).get_data(as_text=True)
    assert _oob(body, "e-preferred_times").endswith("hidden></p>")


def test_a_draft_problem_of_what_was_just_typed_is_listed_for_its_field(client, factory, clock):
    _teacher(client, factory, clock)
    body = client.post(
        "/teacher/plan/autosave", data=teacher_form(0, **{"q.activities.0.hours": "abc"})
    ).get_data(as_text=True)
    assert 'data-for="q.activities.0.hours"' in body
    assert "data-hx-swap-oob" not in body  # nothing was on screen


def test_without_javascript_a_plain_post_shows_the_errors(client, factory, clock):
    _teacher(client, factory, clock)
    answer = client.post("/teacher/plan", data=teacher_form(0, action="submit", **BROKEN))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="plan-problem"' in page
    assert 'aria-invalid="true"' in page
    assert "此欄為必填" in page


def test_an_empty_row_on_screen_is_named_instead_of_a_row_minimum(client, factory, clock):
    _teacher(client, factory, clock)
    blank_row = {
        f"q.activities.0.{field}": ""
        for field in ("topic_category", "topic", "mode", "hours", "term")
    }
    answer = client.post("/teacher/plan", data=teacher_form(0, action="submit", **blank_row))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "至少需要 1 列" not in page
    assert re.search(r"第 1 列尚未填完：缺少 [^<]*時數", page)


def test_english_row_counts_follow_the_count() -> None:
    assert engine.message("rows_min", "en", count=1) == "At least 1 row is needed."
    assert engine.message("rows_min", "en", count=2) == "At least 2 rows are needed."
    assert engine.message("rows_max", "en", count=1) == "At most 1 row."
    assert engine.message("rows_min", count=2) == "至少需要 2 列"
    definition = {
        "sections": [
            {
                "code": "s",
                "title": {"zh": "段"},
                "questions": [
                    {
                        "code": "rows",
                        "type": "rows",
                        "label": {"zh": "列", "en": "Rows"},
                        "fields": [{"code": "t", "type": "text", "label": {"zh": "t"}}],
                        "max_rows": 3,
                    }
                ],
            }
        ]
    }
    one = engine.summarise(definition, {"rows": [{"t": "a"}]}, "en")
    assert one[0]["questions"][0]["text"] == "1 row"
