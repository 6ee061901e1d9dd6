"""The operator console (/operator/cycles/…, /operator/announcements/…): every rule of the
schedule, the questionnaire upload, publishing, the snapshot and 最新消息, on both
databases; refusals beside their fields, nothing half-applied, never a 500."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from app.config import ROOT
from app.cycles import services
from app.cycles.services import Schedule, check_schedule
from app.cycles.windows import cycle_by_year
from app.extensions import db
from app.models import (
    AccountKind,
    AccountType,
    Announcement,
    AnnouncementAudience,
    AuditEntry,
    Cycle,
    CycleStatus,
    PlanKind,
    PlanPeriod,
    PlanStatus,
    Questionnaire,
    SchoolPlan,
    Stage,
    Window,
)
from app.operator.forms import schedule_form_data
from app.timeutil import taipei
from tests.conftest import login_account, login_teacher
from tests.plan_helpers import import_113, setup_113

SCHOOL_FILE = ROOT / "data" / "questionnaires" / "school-113.yaml"


@pytest.fixture
def operator(factory, client):
    account = factory.account(None, kind=AccountKind.OPERATOR)
    login_account(client, account)
    return account


def _form(schedule: Schedule, **overrides: str | None) -> dict[str, str]:
    """A schedule as the browser posts it (Taipei wall clock, checked boxes as "y")."""
    data: dict[str, str] = {}
    for name, value in schedule_form_data(schedule).items():
        if isinstance(value, datetime):
            data[name] = f"{value.astimezone(taipei(2000, 1, 1).tzinfo):%Y-%m-%dT%H:%M}"
        elif value is True:
            data[name] = "y"
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# ---- the cycle list and creating a cycle ------------------------------------------------


def test_cycle_list_shows_status_and_numbers(client, factory, operator):
    world = setup_113(factory, stages=(Stage.ELEMENTARY, Stage.JUNIOR))
    questionnaire = services.latest_questionnaire(world["cycle"], PlanKind.SCHOOL)
    db.session.add(
        SchoolPlan(
            cycle_id=world["cycle"].id,
            school_id=world["schools"][Stage.ELEMENTARY].id,
            questionnaire_id=questionnaire.id,
            status=PlanStatus.SUBMITTED,
            answers={},
        )
    )
    page = client.get("/operator/cycles/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = html[html.index('data-year="113"') :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells == ["已公告", "113年8月2日 17:00", "2", "2", "1", "0"]


def test_create_a_blank_cycle_and_refuse_a_year_that_exists(client, operator):
    import_113()
    answer = client.post(
        "/operator/cycles/new",
        data={"academic_year": "113", "copy_from": "", "roster_cutoff": "2025-08-01T17:00"},
    )
    assert answer.status_code == 422
    assert "113 學年度已存在" in answer.get_data(as_text=True)
    assert _count(Cycle) == 1
    answer = client.post(
        "/operator/cycles/new",
        data={"academic_year": "abc", "copy_from": "", "roster_cutoff": "2025-02-30T17:00"},
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "請輸入整數" in html
    assert "不是有效的日期時間" in html
    assert 'value="2025-02-30T17:00"' in html  # what was typed stays
    answer = client.post(
        "/operator/cycles/new",
        data={"academic_year": "115", "copy_from": "", "roster_cutoff": "2026-07-31T17:00"},
    )
    assert answer.status_code == 303
    cycle = cycle_by_year(115)
    assert cycle.status == CycleStatus.DRAFT
    assert cycle.windows == []
    assert cycle.roster_cutoff == taipei(2026, 7, 31, 17, 0)
    assert [e.after["copied_from"] for e in _audit("cycle.create")] == [None]


def test_copy_last_year_moves_the_dates_on(client, operator):
    import_113()
    answer = client.post(
        "/operator/cycles/new",
        data={"academic_year": "114", "copy_from": "113", "roster_cutoff": "2025-09-10T17:00"},
    )
    assert answer.status_code == 422
    assert "名單基準日須早於教師自我專業進修規劃開始時間" in answer.get_data(as_text=True)
    assert cycle_by_year(114) is None  # nothing half-created
    answer = client.post("/operator/cycles/new", data={"academic_year": "114", "copy_from": "113"})
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/operator/cycles/114")
    copy, source = cycle_by_year(114), cycle_by_year(113)
    assert copy.status == CycleStatus.DRAFT
    assert copy.name == "114學年度"
    assert copy.roster_cutoff == taipei(2025, 8, 2, 17, 0)
    windows = {(w.plan_kind, w.stage): (w.opens_at, w.closes_at) for w in copy.windows}
    assert len(windows) == len(source.windows)
    assert windows[(PlanKind.SCHOOL, Stage.ELEMENTARY)] == (
        taipei(2025, 8, 14),
        taipei(2025, 8, 23, 17, 0),
    )
    assert services.periods_of(copy)[PlanKind.TEACHER] == (
        taipei(2025, 9, 2),
        taipei(2025, 9, 27, 17, 0),
    )
    for kind in PlanKind:
        assert (
            services.latest_questionnaire(copy, kind).fingerprint
            == services.latest_questionnaire(source, kind).fingerprint
        )


# ---- the schedule ----------------------------------------------------------------------------


def test_schedule_rules_without_the_http_client(app):
    cycle = import_113()
    good = services.schedule_of(cycle)
    assert check_schedule(good) == {}
    s, t = PlanKind.SCHOOL, PlanKind.TEACHER
    e = Stage.ELEMENTARY

    def changed(**windows: tuple[datetime, datetime]) -> dict[str, str]:
        new = Schedule(good.roster_cutoff, dict(good.periods), dict(good.windows))
        for key, span in windows.items():
            kind, stage = key.split("_")
            if stage == "period":
                new.periods[PlanKind(kind)] = span
            else:
                new.windows[(PlanKind(kind), Stage(stage))] = span
        return check_schedule(new)

    closes_first = changed(school_E=(taipei(2024, 8, 20), taipei(2024, 8, 15)))
    assert closes_first == {"school_E_closes": "截止時間須晚於開始時間"}
    outside = changed(school_E=(taipei(2024, 8, 1), taipei(2024, 8, 24)))
    assert set(outside) == {"school_E_opens", "school_E_closes"}
    assert "須在整體期間之內" in outside["school_E_opens"]
    wrong_way = changed(teacher_period=(taipei(2024, 8, 3), taipei(2024, 9, 27, 17)))
    assert "不可早於學校本位進修規劃開始" in wrong_way["teacher_opens"]
    stage_first = changed(
        teacher_period=(taipei(2024, 8, 5), taipei(2024, 9, 27, 17)),
        teacher_E=(taipei(2024, 8, 10), taipei(2024, 9, 27, 17)),
    )
    assert "不可早於同階段學校本位進修規劃開始" in stage_first["teacher_E_opens"]
    late_cutoff = Schedule(taipei(2024, 9, 3), good.periods, good.windows)
    assert "名單基準日" in check_schedule(late_cutoff)["roster_cutoff"]
    no_stage = Schedule(
        good.roster_cutoff, good.periods, {k: v for k, v in good.windows.items() if k[0] == t}
    )
    assert check_schedule(no_stage) == {"school_opens": "至少須有一個教育階段參與"}
    assert (s, e) in good.windows


def test_schedule_saved_through_the_form_with_kindergartens(client, operator):
    cycle = import_113()
    cycle.status = CycleStatus.DRAFT
    form = _form(
        services.schedule_of(cycle),
        teacher_K_part="y",
        teacher_K_opens="2024-09-16T00:00",
        teacher_K_closes="2024-09-27T17:00",
        school_X_part=None,
    )
    answer = client.post("/operator/cycles/113", data=form)
    assert answer.status_code == 303
    cycle = cycle_by_year(113)
    keys = {(w.plan_kind, w.stage) for w in cycle.windows}
    assert (PlanKind.TEACHER, Stage.KINDERGARTEN) in keys
    assert (PlanKind.SCHOOL, Stage.SPECIAL) not in keys
    assert cycle.kindergarten_teachers_take_part
    entry = _audit("cycle.schedule")[-1]
    assert entry.actor == f"account:{operator.id}"
    page = client.get("/operator/cycles/113").get_data(as_text=True)
    assert "民國 113年9月16日 00:00（臺北時間）" in page  # the ROC date beside the field


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"school_E_closes": "2024-08-13T17:00"}, "school_E_closes", "截止時間須晚於開始時間"),
        ({"school_E_opens": "2024-08-01T00:00"}, "school_E_opens", "須在整體期間之內"),
        ({"teacher_E_closes": "2024-02-30T17:00"}, "teacher_E_closes", "不是有效的日期時間"),
        ({"teacher_E_closes": "0001-01-01T00:00"}, "teacher_E_closes", "年份不合理"),
        ({"teacher_E_opens": ""}, "teacher_E_opens", "參與的階段須輸入日期時間"),
        ({"teacher_opens": "2024-08-01T00:00"}, "teacher_opens", "不可早於學校本位進修規劃"),
        ({"roster_cutoff": "2024-09-03T00:00"}, "roster_cutoff", "名單基準日須早於"),
        ({"school_closes": "2024-08-01T00:00"}, "school_closes", "截止時間須晚於開始時間"),
    ],
)
def test_bad_schedules_are_refused_beside_their_field(client, operator, overrides, field, message):
    cycle = import_113()
    cycle.status = CycleStatus.DRAFT
    before = services.schedule_of(cycle)
    form = _form(before, **overrides)
    answer = client.post("/operator/cycles/113", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    error = html[html.index(f'id="{field}-error"') :].split("</p>")[0]
    assert message in error
    assert f'aria-describedby="{field}-hint {field}-error"' in html
    typed = overrides[field]
    assert f'value="{typed}"' in html or typed == ""
    assert services.schedule_of(cycle_by_year(113)) == before  # nothing half-applied
    assert _audit("cycle.schedule") == []


def test_changing_a_published_cycle_needs_a_confirmation(client, operator):
    cycle = import_113()
    form = _form(services.schedule_of(cycle), school_E_closes="2024-08-22T17:00")
    answer = client.post("/operator/cycles/113", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "請勾選確認後再儲存" in html
    assert 'value="2024-08-22T17:00"' in html
    window = db.session.scalar(
        select(Window).where(Window.plan_kind == PlanKind.SCHOOL, Window.stage == Stage.ELEMENTARY)
    )
    assert window.closes_at == taipei(2024, 8, 23, 17)
    answer = client.post("/operator/cycles/113", data={**form, "confirm": "y"})
    assert answer.status_code == 303
    db.session.refresh(window)
    assert window.closes_at == taipei(2024, 8, 22, 17)
    [entry] = _audit("cycle.schedule")
    assert entry.before["status"] == "published"
    assert any("school/E" in w and "08-22" in w for w in entry.after["windows"])


# ---- questionnaires -------------------------------------------------------------------------


def _upload(client, text: str | bytes, name: str = "school.yaml", kind: str = "school"):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        f"/operator/cycles/114/questionnaires/{kind}",
        data={"step": "preview", "file": (io.BytesIO(raw), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def draft_114(client, operator):
    client.post(
        "/operator/cycles/new",
        data={"academic_year": "114", "copy_from": "", "roster_cutoff": "2025-08-01T17:00"},
    )
    return cycle_by_year(114)


def test_upload_previews_then_attaches_a_questionnaire(client, draft_114):
    text = SCHOOL_FILE.read_text(encoding="utf-8")
    answer = _upload(client, text, "school-114.yaml")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "預覽：school-114.yaml 第 2 版" in html
    assert "學校名稱" in html  # a question as respondents will see it
    assert _count(Questionnaire) == 0  # a preview attaches nothing
    answer = client.post(
        "/operator/cycles/114/questionnaires/school",
        data={"step": "attach", "source_text": text, "file_name": "school-114.yaml"},
    )
    assert answer.status_code == 303
    [questionnaire] = db.session.scalars(select(Questionnaire)).all()
    assert questionnaire.plan_kind == PlanKind.SCHOOL
    assert questionnaire.version == 2
    assert _audit("questionnaire.attach")[0].after["outcome"] == "created"


HOSTILE = {
    "wrong type": (
        "version: one\ntitle: {zh: 問卷, en: Q}\nsections: []\n",
        "school.yaml: version:",
    ),
    "unknown option list": (
        SCHOOL_FILE.read_text(encoding="utf-8").replace("options: modes", "options: nosuch", 1),
        "nosuch",
    ),
    "duplicate codes": (
        SCHOOL_FILE.read_text(encoding="utf-8").replace(
            "code: school_code,", "code: school_name,", 1
        ),
        "school_name",
    ),
    "billion laughs": (
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n"
            for i in range(8)
        ),
        "展開後超過",
    ),
    "recursive alias": ("a: &x [*x]\n", "不可參照自身"),
    "not YAML": ("version: [1\n", "YAML 語法錯誤"),
    "not UTF-8": ("版本".encode("big5"), "UTF-8"),
    "over 256 KB": ("# " + "x" * (300 * 1024) + "\n", "檔案過大：問卷檔上限為 256 KB"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_bad_questionnaire_files_are_refused_whole(client, draft_114, case):
    text, expected = HOSTILE[case]
    answer = _upload(client, text)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422, case
    assert expected in html
    assert 'id="file-error"' in html
    if case not in ("not UTF-8", "over 256 KB"):
        assert "school.yaml: " in html  # each problem as file: path: message
    assert "預覽：" not in html
    assert _count(Questionnaire) == 0


def test_a_20_mb_upload_is_refused_with_a_clear_message(client, draft_114):
    # The body is built here: the test client would spool 20 MB into a temporary file.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="step"\r\n\r\npreview\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.yaml"\r\n'
        b"Content-Type: application/x-yaml\r\n\r\n" + b"x" * (20 * 1024 * 1024) + b"\r\n--b--\r\n"
    )
    answer = client.post(
        "/operator/cycles/114/questionnaires/school",
        data=body,
        content_type="multipart/form-data; boundary=b",
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 413
    assert 'data-error="too-large"' in html
    assert "512 KB" in html
    assert _count(Questionnaire) == 0


def test_an_answered_questionnaire_is_frozen(client, factory, operator):
    world = setup_113(factory)
    questionnaire = services.latest_questionnaire(world["cycle"], PlanKind.SCHOOL)
    db.session.add(
        SchoolPlan(
            cycle_id=world["cycle"].id,
            school_id=world["schools"][Stage.ELEMENTARY].id,
            questionnaire_id=questionnaire.id,
            answers={},
        )
    )
    page = client.get("/operator/cycles/113/questionnaires/school").get_data(as_text=True)
    assert "已凍結" in page
    changed = SCHOOL_FILE.read_text(encoding="utf-8").replace("學校名稱", "學校全名", 1)
    answer = client.post(
        "/operator/cycles/113/questionnaires/school",
        data={"step": "attach", "source_text": changed, "file_name": "school-113.yaml"},
    )
    assert answer.status_code == 422
    assert "不可直接修改" in answer.get_data(as_text=True)
    assert _count(Questionnaire) == 2  # school and teacher, unchanged
    bumped = changed.replace("version: 2", "version: 3", 1)
    answer = client.post(
        "/operator/cycles/113/questionnaires/school",
        data={"step": "attach", "source_text": bumped, "file_name": "school-113.yaml"},
    )
    assert answer.status_code == 303
    assert services.latest_questionnaire(world["cycle"], PlanKind.SCHOOL).version == 3


# ---- publish, close, snapshot --------------------------------------------------------------


def test_publish_needs_a_schedule_and_questionnaires_then_close(client, draft_114):
    answer = client.post("/operator/cycles/114/publish")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "尚未設定填寫期間" in html
    assert "尚未上傳問卷" in html
    assert cycle_by_year(114).status == CycleStatus.DRAFT
    import_113()
    client.post("/operator/cycles/new", data={"academic_year": "115", "copy_from": "113"})
    assert client.post("/operator/cycles/115/publish").status_code == 303
    assert cycle_by_year(115).status == CycleStatus.PUBLISHED
    page = client.get("/operator/cycles/115/close")
    assert "確定結束" in page.get_data(as_text=True)
    assert cycle_by_year(115).status == CycleStatus.PUBLISHED  # GET only asks
    assert client.post("/operator/cycles/115/close").status_code == 303
    assert cycle_by_year(115).status == CycleStatus.CLOSED
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))][
        -2:
    ] == ["cycle.publish", "cycle.close"]
    assert client.post("/operator/cycles/115/close").status_code == 422  # already closed


def test_snapshot_waits_for_the_cutoff_unless_forced_with_a_reason(
    client, factory, operator, clock
):
    cycle = import_113()
    school = factory.school(Stage.JUNIOR)
    factory.teacher(school, name="國中老師")
    factory.teacher(factory.school(Stage.ELEMENTARY), name="國小老師")
    clock.set(taipei(2024, 8, 1, 9, 0))
    answer = client.post("/operator/cycles/113/snapshot", data={})
    assert answer.status_code == 422
    assert "尚未到名單基準日（113年8月2日 17:00）" in answer.get_data(as_text=True)
    answer = client.post("/operator/cycles/113/snapshot", data={"force": "y", "reason": " "})
    assert "強制擷取須填寫原因" in answer.get_data(as_text=True)
    assert cycle_by_year(113).snapshot_taken_at is None
    answer = client.post("/operator/cycles/113/snapshot", data={"force": "y", "reason": "演練"})
    assert answer.status_code == 303
    assert _audit("cycle.snapshot")[0].after == {"teachers": 2, "forced": True, "reason": "演練"}
    clock.set(taipei(2024, 8, 3, 9, 0))
    answer = client.post("/operator/cycles/113/snapshot", data={}, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "未重複擷取" in html
    assert "113年8月1日 09:00" in html  # when it was taken
    table = html[html.index('id="snapshot-stages"') :]
    assert "國中</th><td>1" in table
    assert "國小</th><td>1" in table
    assert len(_audit("cycle.snapshot")) == 1
    assert cycle.id == cycle_by_year(113).id


def test_the_cli_import_records_the_overall_periods(app):
    cycle = import_113()
    periods = db.session.scalars(select(PlanPeriod).where(PlanPeriod.cycle_id == cycle.id)).all()
    assert {(p.plan_kind, p.opens_at, p.closes_at) for p in periods} == {
        (PlanKind.SCHOOL, taipei(2024, 8, 5), taipei(2024, 8, 23, 17)),
        (PlanKind.TEACHER, taipei(2024, 9, 2), taipei(2024, 9, 27, 17)),
    }


def test_the_console_links_audit_log_and_sync_runs(client, operator):
    html = client.get("/operator/").get_data(as_text=True)
    for href in ("/operator/cycles/", "/operator/announcements/", "/operator/audit"):
        assert f'href="{href}"' in html
    assert 'href="/operator/sync-runs/"' in html


# ---- announcements --------------------------------------------------------------------------


def _announce(client, **overrides: str):
    data = {
        "title": "系統維護公告",
        "body": "8 月 3 日晚間系統維護。",
        "shows_from": "2024-08-01",
        "shows_until": "2024-08-31",
        "audience": "everyone",
    }
    data.update(overrides)
    return client.post("/operator/announcements/new", data=data)


def test_announcements_are_refused_beside_their_fields(client, operator):
    answer = _announce(client, shows_from="2024-02-30", shows_until="2024-01-01", title="")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "日期格式不正確" in html
    assert "請輸入標題" in html
    answer = _announce(client, shows_until="2024-07-31", audience="nobody")
    html = answer.get_data(as_text=True)
    assert "下架日期不能早於刊登日期" in html
    assert "Not a valid choice" not in html
    assert _count(Announcement) == 0


def test_announcements_reach_their_audience_newest_first(client, factory, operator, clock):
    clock.set(taipei(2024, 8, 10, 9, 0))
    assert _announce(client, title="給所有人").status_code == 303
    assert _announce(client, title="較新消息", shows_from="2024-08-05").status_code == 303
    assert _announce(client, title="給教師", audience="teachers").status_code == 303
    assert _announce(client, title="給學校", audience="schools").status_code == 303
    assert _announce(client, title="已下架", shows_until="2024-08-09").status_code == 303
    assert _announce(client, title="尚未刊登", shows_from="2024-08-11").status_code == 303
    assert len(_audit("announcement.create")) == 6
    client.post("/logout")
    home = client.get("/").get_data(as_text=True)
    assert home.index("較新消息") < home.index("給所有人")
    assert "113年8月5日" in home
    for hidden in ("給教師", "給學校", "已下架", "尚未刊登"):
        assert hidden not in home
    school = factory.school()
    login_account(client, factory.account(school, AccountType.PLANNING))
    dashboard = client.get("/school/").get_data(as_text=True)
    assert "給學校" in dashboard
    assert "給所有人" in dashboard
    assert "給教師" not in dashboard
    client.post("/logout")
    login_teacher(client, factory.teacher(school))
    mine = client.get("/teacher/").get_data(as_text=True)
    assert "給教師" in mine
    assert "給所有人" in mine
    assert "給學校" not in mine


def test_edit_and_delete_an_announcement(client, operator, clock):
    clock.set(taipei(2024, 8, 10, 9, 0))
    _announce(client)
    item = db.session.scalar(select(Announcement))
    page = client.get(f"/operator/announcements/{item.id}/edit").get_data(as_text=True)
    assert 'value="2024-08-01"' in page
    answer = client.post(
        f"/operator/announcements/{item.id}/edit",
        data={
            "title": "改過的標題",
            "body": "內容",
            "shows_from": "2024-08-02",
            "shows_until": "2024-08-31",
            "audience": AnnouncementAudience.TEACHERS.value,
        },
    )
    assert answer.status_code == 303
    db.session.refresh(item)
    assert (item.title, item.shows_from, item.audience) == (
        "改過的標題",
        date(2024, 8, 2),
        AnnouncementAudience.TEACHERS,
    )
    assert client.get(f"/operator/announcements/{item.id}/delete").status_code == 200
    assert _count(Announcement) == 1
    assert client.post(f"/operator/announcements/{item.id}/delete").status_code == 303
    assert _count(Announcement) == 0
    assert _audit("announcement.delete")[0].before["title"] == "改過的標題"


def test_the_cli_cycle_file_refuses_alias_bombs_too(app, tmp_path):
    from app.questionnaires.cyclefile import CycleFileError, load_cycle_file

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(HOSTILE["billion laughs"][0], encoding="utf-8")
    with pytest.raises(CycleFileError) as refused:
        load_cycle_file(bomb)
    assert refused.value.messages == [
        "bomb.yaml: YAML 錨點與別名展開後超過 100,000 個節點，拒絕處理"
    ]
    ordinary = tmp_path / "ordinary.yaml"
    ordinary.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    with pytest.raises(CycleFileError) as refused:  # small aliases are fine: the file's
        load_cycle_file(ordinary)  # problems are then the ordinary ones
    assert not any("別名" in message for message in refused.value.messages)
