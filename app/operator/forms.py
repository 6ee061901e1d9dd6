"""The operator console's forms: a cycle, its schedule, questionnaire upload, snapshot."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app import timeutil
from app.cycles.services import PLAN_STAGES, Schedule, field_name
from app.models import STAGE_LABELS, PlanKind

# As app/feeds/forms.py: the stubs do not declare SelectChoice yet.
SelectChoice = import_module("wtforms.fields.choices").SelectChoice

# A plausible span for ROC-era cycle dates (民國 1 年 = 1912).
EARLIEST_YEAR, LATEST_YEAR = 1912, 2200


class TaipeiDateTimeField(DateTimeLocalField):
    """An Asia/Taipei wall-clock time (datetime-local input, or 2027-08-02 17:00 typed in a
    plain form); an impossible date such as 2 月 30 日 is refused in zh-TW beside the field."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(
            label,
            validators,
            format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
            **kwargs,
        )

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata([str(valuelist[0]).strip()])
        except ValueError:
            self.data = None
            raise ValueError(
                str(_l("不是有效的日期時間，請以 2027-08-02 17:00 的格式輸入"))
            ) from None
        if self.data is not None:
            if not EARLIEST_YEAR <= self.data.year <= LATEST_YEAR:
                self.data = None
                raise ValueError(str(_l("年份不合理，請確認日期")))
            self.data = self.data.replace(tzinfo=timeutil.TAIPEI)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, datetime):
            return timeutil.to_taipei(self.data).strftime("%Y-%m-%dT%H:%M")
        return ""


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("請輸入整數"))) from None


class NewCycleForm(FlaskForm):
    academic_year = WholeNumberField(
        _l("學年度"),
        validators=[
            InputRequired(_l("請輸入學年度（例如 114）")),
            NumberRange(min=100, max=999, message=_l("學年度須介於 100 至 999")),
        ],
    )
    name = StringField(
        _l("名稱"), validators=[Optional(), Length(max=40, message=_l("名稱最多 40 個字"))]
    )
    copy_from = SelectField(_l("複製自"), choices=[], validate_choice=True)
    roster_cutoff = TaipeiDateTimeField(_l("名單基準日"))


class ScheduleForm(FlaskForm):
    """The cutoff, each plan kind's overall period and every stage's window (fields added
    below per plan kind and stage: school_opens, school_E_part, school_E_opens, …)."""

    roster_cutoff = TaipeiDateTimeField(
        _l("名單基準日"), validators=[InputRequired(_l("請輸入名單基準日"))]
    )
    confirm = BooleanField(_l("我確認要變更已公告學年度的填寫期間"))

    def to_schedule(self) -> tuple[Schedule | None, dict[str, str]]:
        """The schedule typed, or None with a message per field that is missing."""
        missing: dict[str, str] = {}
        periods = {}
        windows = {}
        for kind, stages in PLAN_STAGES.items():
            opens, closes = (self[field_name(kind, None, end)] for end in ("opens", "closes"))
            if opens.data and closes.data:
                periods[kind] = (opens.data, closes.data)
            for end_field in (opens, closes):
                if end_field.data is None and not end_field.errors:
                    missing[end_field.name] = str(_l("請輸入日期時間"))
            for stage in stages:
                if not self[field_name(kind, stage, "part")].data:
                    continue
                opens, closes = (self[field_name(kind, stage, end)] for end in ("opens", "closes"))
                if opens.data and closes.data:
                    windows[(kind, stage)] = (opens.data, closes.data)
                for end_field in (opens, closes):
                    if end_field.data is None and not end_field.errors:
                        missing[end_field.name] = str(_l("參與的階段須輸入日期時間"))
        cutoff = self.roster_cutoff.data
        if missing or cutoff is None or any(f.errors for f in self):
            return None, missing
        return Schedule(cutoff, periods, windows), {}


KIND_TITLES = {
    PlanKind.SCHOOL: _l("學校本位進修規劃"),
    PlanKind.TEACHER: _l("教師自我專業進修規劃"),
}

for _kind, _stages in PLAN_STAGES.items():
    setattr(ScheduleForm, field_name(_kind, None, "opens"), TaipeiDateTimeField(_l("整體期間開始")))
    setattr(
        ScheduleForm, field_name(_kind, None, "closes"), TaipeiDateTimeField(_l("整體期間截止"))
    )
    for _stage in _stages:
        setattr(
            ScheduleForm,
            field_name(_kind, _stage, "part"),
            BooleanField(_l("%(stage)s參與", stage=STAGE_LABELS[_stage])),
        )
        setattr(ScheduleForm, field_name(_kind, _stage, "opens"), TaipeiDateTimeField(_l("開始")))
        setattr(ScheduleForm, field_name(_kind, _stage, "closes"), TaipeiDateTimeField(_l("截止")))


def schedule_form_data(schedule: Schedule) -> dict[str, Any]:
    """A stored schedule as the form's initial data."""
    data: dict[str, Any] = {"roster_cutoff": schedule.roster_cutoff}
    for kind, stages in PLAN_STAGES.items():
        period = schedule.periods.get(kind)
        if period:
            data[field_name(kind, None, "opens")], data[field_name(kind, None, "closes")] = period
        for stage in stages:
            window = schedule.windows.get((kind, stage))
            data[field_name(kind, stage, "part")] = window is not None
            if window:
                data[field_name(kind, stage, "opens")] = window[0]
                data[field_name(kind, stage, "closes")] = window[1]
    return data


class QuestionnaireUploadForm(FlaskForm):
    file = FileField(_l("問卷檔（YAML）"))


class QuestionnaireAttachForm(FlaskForm):
    source_text = HiddenField()
    file_name = HiddenField()


class SnapshotForm(FlaskForm):
    force = BooleanField(_l("強制擷取（名單基準日前提前擷取，或重新擷取）"))
    reason = StringField(
        _l("強制擷取的原因"),
        validators=[Optional(), Length(max=200, message=_l("原因最多 200 個字"))],
    )
