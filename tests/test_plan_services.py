"""Plan services without the HTTP client: the three-way merge as a pure function, drafts
stored as typed, merges with a signed base, conflicts that wait for a choice, submit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, PlanStatus, SchoolPlan, Stage, TeacherPlan
from app.plans import merge, services
from app.plans.merge import CONFLICTED, three_way
from app.plans.services import InvalidAnswers, PlanRefused, VersionConflict, WindowClosed
from app.questionnaires import engine
from app.timeutil import taipei
from tests.plan_helpers import school_form, setup_113, teacher_form

SCHOOL_OPEN = taipei(2024, 8, 20, 10, 0)
TEACHER_OPEN = taipei(2024, 9, 20, 10, 0)

# ---- merge: a pure function ---------------------------------------------------------------

ROW_A = {"topic": "甲", "hours": 6}
ROW_B = {"topic": "乙", "hours": 3}


def test_a_field_changed_on_one_side_takes_that_side() -> None:
    base = {"name": "王", "remarks": "舊"}
    mine = {"name": "王", "remarks": "我改的"}
    theirs = {"name": "李", "remarks": "舊"}
    result = three_way(base, mine, theirs)
    assert result.answers == {"name": "李", "remarks": "我改的"}
    assert result.taken == ["name"]
    assert result.conflicts == {}


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    result = three_way({"a": "1"}, {"a": "2"}, {"a": "2"})
    assert result.answers == {"a": "2"}
    assert result.conflicts == {}
    assert result.taken == []


def test_a_field_changed_differently_on_both_sides_keeps_the_stored_value() -> None:
    result = three_way({"a": "舊"}, {"a": "我的"}, {"a": "他的"})
    assert result.answers == {"a": "他的"}  # nothing overwritten without a choice
    assert result.conflicts == {"a": ("我的", "他的")}
    assert merge.shown(result) == {"a": "我的"}  # the form keeps what was typed


def test_an_unknown_base_makes_every_difference_a_conflict() -> None:
    result = three_way(None, {"a": "1", "b": "same", "c": "mine only"}, {"a": "2", "b": "same"})
    assert result.answers == {"a": "2", "b": "same"}
    assert set(result.conflicts) == {"a", "c"}


def test_clearing_a_field_is_a_change_like_any_other() -> None:
    result = three_way({"a": "x", "b": "y"}, {"b": "y"}, {"a": "x", "b": "z"})
    assert result.answers == {"b": "z"}
    assert result.taken == ["b"]


def test_rows_edited_and_appended_on_different_sides_merge_row_by_row() -> None:
    base = {"activities": [ROW_A]}
    mine = {"activities": [ROW_A, ROW_B]}  # I appended a row
    theirs = {"activities": [{**ROW_A, "hours": 12}]}  # they changed row 1's hours
    result = three_way(base, mine, theirs)
    assert result.answers == {"activities": [{**ROW_A, "hours": 12}, ROW_B]}
    assert result.conflicts == {}
    assert result.taken == ["activities"]


def test_different_fields_of_one_row_merge_and_the_same_field_conflicts() -> None:
    base = {"activities": [ROW_A]}
    mine = {"activities": [{**ROW_A, "topic": "甲二"}]}
    theirs = {"activities": [{**ROW_A, "hours": 9}]}
    assert three_way(base, mine, theirs).answers == {"activities": [{"topic": "甲二", "hours": 9}]}
    clash = three_way(base, {"activities": [{**ROW_A, "hours": 1}]}, theirs)
    assert set(clash.conflicts) == {"activities"}
    assert clash.answers == theirs


def test_rows_appended_on_both_sides_are_both_kept() -> None:
    result = three_way({"r": []}, {"r": [ROW_A]}, {"r": [ROW_B]})
    assert result.answers == {"r": [ROW_B, ROW_A]}


def test_rows_begun_on_both_sides_from_nothing_are_both_kept() -> None:
    result = three_way({}, {"r": [ROW_A]}, {"r": [ROW_B]})
    assert result.answers == {"r": [ROW_B, ROW_A]}
    assert result.conflicts == {}


def test_choices_added_and_removed_on_both_sides_merge_as_sets() -> None:
    base = {"areas": ["math", "music"]}
    mine = {"areas": ["math", "music", "art"]}  # I added art
    theirs = {"areas": ["math"]}  # they removed music
    assert three_way(base, mine, theirs).answers == {"areas": ["math", "art"]}


def test_a_row_removed_on_one_side_only_is_removed() -> None:
    result = three_way({"r": [ROW_A, ROW_B]}, {"r": [ROW_A, ROW_B]}, {"r": [ROW_A]})
    assert result.answers == {"r": [ROW_A]}
    removed_and_edited = three_way({"r": [ROW_A, ROW_B]}, {"r": [ROW_B]}, {"r": [ROW_A, {}]})
    assert set(removed_and_edited.conflicts) == {"r"}


@pytest.mark.parametrize(("choice", "kept"), [("mine", "我的"), ("theirs", "他的")])
def test_a_choice_settles_a_conflict(choice: str, kept: str) -> None:
    result = three_way({"a": "舊"}, {"a": "我的"}, {"a": "他的"}, {"a": choice})
    assert result.answers == {"a": kept}
    assert result.conflicts == {}


def test_a_conflict_stays_in_the_next_base_until_chosen() -> None:
    first = three_way({"a": "舊", "b": "1"}, {"a": "我的", "b": "1"}, {"a": "他的", "b": "2"})
    base = merge.next_base(merge.shown(first), first)
    assert base == {"a": CONFLICTED, "b": "2"}
    # The next save, even at the version just written, asks again...
    again = three_way(base, {"a": "我的", "b": "2"}, first.answers)
    assert set(again.conflicts) == {"a"}
    # ...until the person edits the field to match or chooses.
    assert three_way(base, {"a": "他的", "b": "2"}, first.answers).conflicts == {}


# ---- services with the database ----------------------------------------------------------


def _school(world, clock):
    clock.set(SCHOOL_OPEN)
    ctx = services.load_school_context(world["schools"][Stage.ELEMENTARY].id, year=113)
    assert ctx is not None
    return ctx


def _answers(ctx, form: dict) -> dict:
    return engine.parse_form(ctx.definition, form)


def _stored(model) -> dict:
    db.session.expire_all()
    plan = db.session.scalar(select(model))
    return {"answers": dict(plan.answers), "version": plan.version, "status": plan.status}


def test_a_draft_is_stored_as_typed_and_its_problems_reported(factory, clock) -> None:
    world = setup_113(factory)
    clock.set(TEACHER_OPEN)
    ctx = services.load_teacher_context(world["teachers"][Stage.ELEMENTARY], year=113)
    typed = _answers(ctx, teacher_form(0, **{"q.remarks": "長" * 5000}))
    saved = services.save_draft(ctx, typed, 0, "教師 甲")
    db.session.commit()
    assert saved.version == 1
    assert saved.written
    assert set(saved.errors) == {"q.remarks"}
    assert "最多 2000 字" in saved.errors["q.remarks"]
    stored = _stored(TeacherPlan)
    assert stored["answers"]["remarks"] == "長" * 5000
    assert stored["status"] == PlanStatus.DRAFT
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert [a for a in actions if a.startswith("plan.")] == ["plan.save"]


def test_letters_in_a_number_are_kept_in_the_draft(factory, clock) -> None:
    world = setup_113(factory)
    clock.set(TEACHER_OPEN)
    ctx = services.load_teacher_context(world["teachers"][Stage.ELEMENTARY], year=113)
    typed = _answers(ctx, teacher_form(0, **{"q.activities.0.hours": "十二小時"}))
    saved = services.save_draft(ctx, typed, 0, "教師 甲")
    db.session.commit()
    assert "q.activities.0.hours" in saved.errors
    assert _stored(TeacherPlan)["answers"]["activities"][0]["hours"] == "十二小時"


def test_a_draft_over_the_plan_bound_is_refused_and_nothing_stored(factory, clock) -> None:
    world = setup_113(factory)
    ctx = _school(world, clock)
    typed = {"remarks": "x" * (services.MAX_DRAFT_BYTES + 1)}
    with pytest.raises(PlanRefused):
        services.save_draft(ctx, typed, 0, "甲")
    assert db.session.scalar(select(SchoolPlan)) is None


def test_a_closed_window_refuses_a_draft(factory, clock) -> None:
    world = setup_113(factory)
    ctx = _school(world, clock)
    clock.set(taipei(2024, 8, 23, 17, 0))
    ctx = services.load_school_context(world["schools"][Stage.ELEMENTARY].id, year=113)
    with pytest.raises(WindowClosed):
        services.save_draft(ctx, {"remarks": "晚了"}, 0, "甲")


def _two_editors(world, clock):
    """Alice saves version 1; both open it; Alice saves version 2. Bob's form is at 1."""
    ctx = _school(world, clock)
    first = _answers(ctx, school_form(0))
    services.save_draft(ctx, first, 0, "甲")
    db.session.commit()
    ctx = _school(world, clock)
    bob_base = services.sign_base(ctx, 1, ctx.answers)
    alice = dict(ctx.answers, contact_name="甲改的名字")
    services.save_draft(ctx, alice, 1, "甲", base=services.read_base(ctx, bob_base, 1))
    db.session.commit()
    return first, bob_base


def test_two_editors_changing_different_fields_both_keep_their_changes(factory, clock) -> None:
    world = setup_113(factory)
    first, bob_base = _two_editors(world, clock)
    ctx = _school(world, clock)
    bob = dict(first, remarks="乙補充的備註")
    saved = services.save_draft(ctx, bob, 1, "乙", base=services.read_base(ctx, bob_base, 1))
    db.session.commit()
    stored = _stored(SchoolPlan)
    assert stored["answers"]["contact_name"] == "甲改的名字"
    assert stored["answers"]["remarks"] == "乙補充的備註"
    assert stored["version"] == 3
    assert saved.taken == ["contact_name"]
    assert saved.conflicts == {}
    assert saved.other_by == "甲"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "plan.merge"))
    assert entry.after["from_version"] == 1
    assert entry.after["taken"] == ["contact_name"]
    assert entry.after["version"] == 3


def test_two_editors_changing_one_field_are_asked_to_choose(factory, clock) -> None:
    world = setup_113(factory)
    first, bob_base = _two_editors(world, clock)
    ctx = _school(world, clock)
    bob = dict(first, contact_name="乙改的名字")
    saved = services.save_draft(ctx, bob, 1, "乙", base=services.read_base(ctx, bob_base, 1))
    db.session.commit()
    assert not saved.written
    assert saved.conflicts == {"contact_name": ("乙改的名字", "甲改的名字")}
    assert saved.shown["contact_name"] == "乙改的名字"
    stored = _stored(SchoolPlan)
    assert stored["answers"]["contact_name"] == "甲改的名字"
    assert stored["version"] == 2
    # The next save carries the marked base: still a conflict until Bob chooses.
    ctx = _school(world, clock)
    token = services.sign_base(ctx, saved.version, saved.base)
    again = services.save_draft(ctx, bob, 2, "乙", base=services.read_base(ctx, token, 2))
    assert again.conflicts
    assert not again.written
    chosen = services.save_draft(
        ctx, bob, 2, "乙", base=services.read_base(ctx, token, 2), choices={"contact_name": "mine"}
    )
    db.session.commit()
    assert chosen.conflicts == {}
    assert _stored(SchoolPlan)["answers"]["contact_name"] == "乙改的名字"


def test_a_base_that_fails_its_signature_or_names_another_version_is_unknown(
    factory, clock
) -> None:
    world = setup_113(factory)
    _first, bob_base = _two_editors(world, clock)
    ctx = _school(world, clock)
    assert services.read_base(ctx, bob_base, 1) is not None
    assert services.read_base(ctx, bob_base, 2) is None
    assert services.read_base(ctx, bob_base[:-2] + "xx", 1) is None
    assert services.read_base(ctx, "", 1) is None
    forged = services.sign_base(ctx, 1, {})
    assert services.read_base(ctx, forged, 1) == {}
    teacher_ctx = services.load_teacher_context(world["teachers"][Stage.ELEMENTARY], year=113)
    assert services.read_base(teacher_ctx, bob_base, 1) is None


def test_a_stale_submit_merges_into_the_draft_and_asks_to_review(factory, clock) -> None:
    world = setup_113(factory)
    first, bob_base = _two_editors(world, clock)
    ctx = _school(world, clock)
    saved = services.submit(
        ctx, dict(first, remarks="乙"), 1, "乙", base=services.read_base(ctx, bob_base, 1)
    )
    db.session.commit()
    assert not saved.submitted
    stored = _stored(SchoolPlan)
    assert stored["status"] == PlanStatus.DRAFT
    assert stored["answers"]["contact_name"] == "甲改的名字"
    assert stored["answers"]["remarks"] == "乙"
    ctx = _school(world, clock)
    done = services.submit(ctx, stored["answers"], stored["version"], "乙")
    db.session.commit()
    assert done.submitted
    assert _stored(SchoolPlan)["status"] == PlanStatus.SUBMITTED


def test_submit_requires_a_valid_complete_plan(factory, clock) -> None:
    world = setup_113(factory)
    ctx = _school(world, clock)
    with pytest.raises(InvalidAnswers) as refused:
        services.submit(ctx, {"contact_name": "甲"}, 0, "甲")
    assert "q.contact_email" in refused.value.errors
    assert db.session.scalar(select(SchoolPlan)) is None


def test_a_plan_submitted_meanwhile_is_not_turned_back_into_a_draft(factory, clock) -> None:
    world = setup_113(factory)
    ctx = _school(world, clock)
    answers = _answers(ctx, school_form(0))
    services.submit(ctx, answers, 0, "甲")
    db.session.commit()
    ctx = _school(world, clock)
    with pytest.raises(VersionConflict):
        services.save_draft(ctx, dict(answers, remarks="晚到的草稿"), 0, "乙", base={})
    assert _stored(SchoolPlan)["status"] == PlanStatus.SUBMITTED
