"""Hostile and random posts to the sign-in forms (school and teacher), to autosave (both plan
kinds) and to the export form: never a 500, and every refusal says why."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.identity import make_national_id
from app.models import AccountType, Job, SchoolPlan, Stage, TeacherPlan
from app.timeutil import taipei
from tests.conftest import PASSWORD, login_account, login_teacher
from tests.plan_helpers import import_113, school_form, setup_113, teacher_form
from tests.test_plan_fuzz import HOSTILE, field_names, form_values

pytestmark = pytest.mark.slow

INT32_MAX = 2**31 - 1

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NEXT_TARGETS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "/school/",
            "/teacher/plan",
            "//evil.example/",
            "http://evil.example/",
            "javascript:alert(1)",
            "/%09/evil.example/",
            "/school/\r\nSet-Cookie: session=forged",
            "/\\evil.example",
            "/" + "a" * 3000,
            "",
        ]
    ),
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
)
EXTRA_FIELDS = st.dictionaries(
    st.sampled_from(["csrf_token", "remember", "next", "realm", "x", "password2"]),
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30)),
    max_size=3,
)


def _assert_sign_in_answer(response) -> None:
    """200 re-renders the form with each error beside its field; 401 says why in an alert."""
    assert response.status_code in (200, 303, 401), response.status_code
    if response.status_code == 303:
        return
    body = response.get_data(as_text=True)
    assert "<form" in body
    if response.status_code == 401:
        alert = re.search(r'role="alert"[^>]*>([^<]+)<', body)
        assert alert is not None
        assert alert.group(1).strip(), "a refused sign-in says why"
        return
    error_ids = re.findall(r'class="error" id="([^"]+)"', body)
    assert error_ids, "a form shown again after a POST names the field to fix"
    described = " ".join(re.findall(r'aria-describedby="([^"]+)"', body)).split()
    for error_id in error_ids:
        assert error_id in described


def _post_sign_in(app, path: str, data: dict, next_target: str | None):
    url = path if next_target is None else f"{path}?{urlencode({'next': next_target})}"
    return app.test_client().post(url, data=data)


# ---- sign-in ---------------------------------------------------------------------------------


def test_school_sign_in_survives_hostile_input(app, factory, clock):
    account = factory.account(factory.school(), AccountType.PLANNING, username="planner01")
    db.session.commit()
    usernames = st.one_of(
        st.sampled_from(["planner01", " planner01 ", "PLANNER01", "planner0", "", " "]),
        st.sampled_from(HOSTILE),
        st.text(max_size=60),
    )
    passwords = st.one_of(st.just(PASSWORD), st.sampled_from(HOSTILE), st.text(max_size=250))
    outcomes = {200: 0, 303: 0, 401: 0}

    @FUZZ
    @given(
        valid=st.booleans(),
        username=usernames,
        password=passwords,
        next_target=NEXT_TARGETS,
        extra=EXTRA_FIELDS,
    )
    def run(valid, username, password, next_target, extra):
        if valid:  # half the posts sign in, so that hostile `next` values are followed
            username, password = "planner01", PASSWORD
        clock.set(clock() + timedelta(hours=1))  # any lock from earlier examples has lapsed
        data = {**extra, "username": username, "password": password}
        response = _post_sign_in(app, "/school/login", data, next_target)
        _assert_sign_in_answer(response)
        outcomes[response.status_code] += 1

    run()
    assert account.id is not None
    assert all(outcomes.values()), outcomes  # success, field errors and refusals all reached


def test_teacher_sign_in_survives_hostile_input(app, factory, clock):
    teacher = factory.teacher(factory.school())
    db.session.commit()
    plain = teacher.plain_national_id
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in plain)  # Ａ１２３… as typed on a phone
    national_ids = st.one_of(
        st.sampled_from([plain, plain.lower(), f" {plain} ", full_width, plain[:-1], ""]),
        st.integers(0, 10**6).map(lambda seed: make_national_id(random.Random(seed))),
        st.from_regex(r"\A[A-Za-z][0-9]{9}\Z"),
        st.sampled_from(HOSTILE),
        st.text(max_size=20),
    )
    passwords = st.one_of(st.just(PASSWORD), st.sampled_from(HOSTILE), st.text(max_size=250))
    outcomes = {200: 0, 303: 0, 401: 0}

    @FUZZ
    @given(
        valid=st.booleans(),
        national_id=national_ids,
        password=passwords,
        next_target=NEXT_TARGETS,
        extra=EXTRA_FIELDS,
    )
    def run(valid, national_id, password, next_target, extra):
        if valid:  # half the posts sign in, so that hostile `next` values are followed
            national_id, password = plain, PASSWORD
        clock.set(clock() + timedelta(hours=1))  # any lock from earlier examples has lapsed
        data = {**extra, "national_id": national_id, "password": password}
        response = _post_sign_in(app, "/teacher/login", data, next_target)
        _assert_sign_in_answer(response)
        outcomes[response.status_code] += 1

    run()
    assert all(outcomes.values()), outcomes


# ---- autosave --------------------------------------------------------------------------------


def _autosave_fuzz(client, plan_model, base_form, url):
    definition = db.session.scalar(select(plan_model)).questionnaire.definition
    names = field_names(definition)
    outcomes = {"ok": 0, "warning": 0, "error": 0}

    @FUZZ
    @given(extra=form_values(names), keep_version=st.booleans())
    def run(extra, keep_version):
        db.session.expire_all()
        plan = db.session.scalar(select(plan_model))
        before = (plan.version, dict(plan.answers), plan.status)
        data = base_form(before[0])
        data.update(extra)
        if keep_version:
            data["version"] = str(before[0])
        response = client.post(url, data=data, headers={"HX-Request": "true"})
        assert response.status_code == 200, response.status_code
        body = response.get_data(as_text=True)
        status = re.search(r'class="status-line status-(\w+)" role="status"[^>]*>([^<]*)<', body)
        assert status, body[:300]
        kind, message = status.group(1), status.group(2).strip()
        assert message, "the status line always says what happened"
        db.session.expire_all()
        plan = db.session.scalar(select(plan_model))
        after = (plan.version, dict(plan.answers), plan.status)
        if kind == "ok":
            assert after[0] == before[0] + 1
            assert f'name="version" value="{after[0]}"' in body
        elif kind == "warning":
            # Stored as typed with its problems beside their fields, or a stale version
            # merged field by field: the page carries the version now stored.
            assert after[0] in (before[0], before[0] + 1)
            assert f'name="version" value="{after[0]}"' in body
        else:
            assert kind == "error"
            assert after == before  # a refused autosave stored nothing
            assert message.startswith("尚未自動儲存")
        outcomes[kind] += 1

    run()
    # Clean saves and saves with problems are both reached (a refusal needs a closed window).
    assert outcomes["ok"], outcomes
    assert outcomes["warning"], outcomes


def test_teacher_autosave_survives_hostile_input(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 9, 20, 10, 0))
    login_teacher(client, world["teachers"][Stage.ELEMENTARY])
    assert client.post("/teacher/plan", data=teacher_form(0)).status_code == 303
    _autosave_fuzz(client, TeacherPlan, teacher_form, "/teacher/plan/autosave")


def test_school_autosave_survives_hostile_input(client, factory, clock):
    world = setup_113(factory)
    clock.set(taipei(2024, 8, 20, 10, 0))
    login_account(client, world["planners"][Stage.ELEMENTARY])
    assert client.post("/school/plan", data=school_form(0)).status_code == 303
    _autosave_fuzz(client, SchoolPlan, school_form, "/school/plan/autosave")


# ---- the export form ---------------------------------------------------------------------------


def _csrf_token(page) -> str:
    found = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
    )
    assert found is not None
    return found.group(1)


def test_export_form_survives_hostile_input(make_app, factory, clock):
    """With CSRF on: a bad token is refused with the reason, a good one starts (or waits for)
    an export; ?year= of every shape answers a page, a 404 or a redirect, never a 500."""
    guarded = make_app(WTF_CSRF_ENABLED=True)
    import_113()
    school = factory.school(Stage.JUNIOR)  # no teachers: each export is a small ZIP
    planner = factory.account(school, AccountType.PLANNING)
    db.session.commit()
    clock.set(taipei(2024, 9, 20, 10, 0))
    client = guarded.test_client()
    signed_in = client.post(
        "/school/login",
        data={
            "csrf_token": _csrf_token(client.get("/school/login")),
            "username": planner.username,
            "password": PASSWORD,
        },
    )
    assert signed_in.status_code == 303
    token = _csrf_token(client.get("/school/exports"))
    years = st.one_of(
        st.none(),
        st.sampled_from(["113", "112", "0", "-1", " 113", "١١٣", "1_13", "113.0", "", "abc"]),
        st.integers(-(2**40), 2**40).map(str),
        st.sampled_from(HOSTILE),
    )
    tokens = st.one_of(st.just(token), st.none(), st.sampled_from(HOSTILE), st.text(max_size=90))
    outcomes = {"started": 0, "refused": 0, "no cycle": 0}

    @FUZZ
    @given(year=years, csrf=tokens, extra=EXTRA_FIELDS, method=st.sampled_from(["post", "get"]))
    def run(year, csrf, extra, method):
        url = "/school/exports" if year is None else f"/school/exports?{urlencode({'year': year})}"
        data = {k: v for k, v in extra.items() if k != "csrf_token"}
        if csrf is not None:
            data["csrf_token"] = csrf
        jobs_before = db.session.scalar(select(func.count()).select_from(Job))
        response = getattr(client, method)(url, data=data)
        assert response.status_code in (200, 303, 400, 404), response.status_code
        body = response.get_data(as_text=True)
        jobs_after = db.session.scalar(select(func.count()).select_from(Job))
        if response.status_code == 400:
            # The refusal names the missing or stale security code, or, past the CSRF check,
            # the year that is not a number (app.params.query_int).
            malformed = year not in (None, "") and not (
                year.strip().isascii() and year.strip().isdigit()
            )
            assert "CSRF" in body or malformed
            assert jobs_after == jobs_before
            outcomes["refused"] += 1
        elif response.status_code == 404:
            assert "找不到頁面" in body
            assert jobs_after == jobs_before
            outcomes["no cycle"] += 1
        elif response.status_code == 303:
            assert method == "post"
            assert jobs_after - jobs_before in (0, 1)  # 0: one already under way
            outcomes["started"] += jobs_after - jobs_before
        else:
            assert method == "get"
            assert jobs_after == jobs_before

    run()
    assert all(outcomes.values()), outcomes
