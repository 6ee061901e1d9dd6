"""Forms of 延長填寫: one school or teacher, and the bulk grant; messages beside each field."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError

from app import timeutil
from app.deadlines.services import PLAN_KIND_LABELS
from app.identity import NationalIdError, validate_national_id
from app.models import STAGE_LABELS, STAGE_ORDER, PlanKind
from app.params import bounded_int
from app.questionnaires.types import clean_text

NOT_LISTED = _l("請從清單中選擇。")
REASON_MAX = 200
SCHOOL_CODE = r"^[0-9A-Za-z]{6}$"


def plain_text(value: Any) -> Any:
    """Typed text without control, bidi or replacement characters (they break PostgreSQL
    and PDFs); kept generously long so the length check still speaks about it."""
    return clean_text(value, multiline=True, cap=1000) if isinstance(value, str) else value


def school_code_field() -> StringField:
    """A MOE school code (checked by `check_school_code` when the form asks for one)."""
    return StringField(_l("學校代碼"), filters=[plain_text])


def check_school_code(field: StringField, wanted: bool) -> None:
    """Refuse beside the field a missing or malformed code; ignore one not asked for."""
    field.data = (field.data or "").strip().upper()
    if not wanted:
        field.data = ""
        raise StopValidation()
    if not field.data:
        raise StopValidation(_l("請輸入學校代碼（6 碼）"))
    if not re.fullmatch(SCHOOL_CODE, field.data):
        raise StopValidation(_l("學校代碼為 6 碼英文字母或數字"))


TARGETS = {"school": _l("一所學校"), "teacher": _l("一位教師")}


def plan_kind_choices() -> dict[str, str]:
    return {kind.value: str(label) for kind, label in PLAN_KIND_LABELS.items()}


def stage_choices() -> dict[str, str]:
    return {stage.value: str(STAGE_LABELS[stage]) for stage in STAGE_ORDER}


def choice_values(field: Any) -> set[str]:
    """The values a choice field offers (its choices are {value: label} dicts)."""
    return {str(value) for value in field.choices or {}}


class ChoiceRadioField(RadioField):
    """Radio buttons whose forged values are refused in zh-TW beside the field."""

    def pre_validate(self, form: Any) -> None:
        if self.data not in choice_values(self):
            raise ValidationError(NOT_LISTED)


class ChoiceSelectField(SelectField):
    """A select whose forged values are refused in zh-TW beside the field."""

    refusal: Any = NOT_LISTED

    def pre_validate(self, form: Any) -> None:
        if (self.data or "") not in choice_values(self):  # not sent at all: as if empty
            raise ValidationError(self.refusal)


class CountyField(ChoiceSelectField):
    """The counties the user governs; another county's code is refused, not looked up."""

    refusal = _l("您不主管此縣市，無法為其學校延長。")


class LocalDateField(DateField):
    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("日期格式不正確，請以 2024-08-30 的格式輸入"))) from None


class LocalTimeField(TimeField):
    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("時間格式不正確，請以 17:00 的格式輸入"))) from None


class UntilMixin:
    until_date = LocalDateField(
        _l("延長至（日期）"), validators=[InputRequired(_l("請輸入延長期限的日期"))]
    )
    until_time = LocalTimeField(
        _l("延長至（時間）"),
        default=time(17, 0),
        validators=[InputRequired(_l("請輸入延長期限的時間"))],
    )
    reason = TextAreaField(
        _l("延長原因"),
        filters=[plain_text],
        validators=[
            DataRequired(_l("請說明延長原因")),
            Length(max=REASON_MAX, message=_l("延長原因最多 200 個字")),
        ],
    )

    def until(self) -> datetime:
        """The typed date and time as an instant (Asia/Taipei wall clock)."""
        day: Any = self.until_date.data
        moment: Any = self.until_time.data
        return timeutil.taipei(day.year, day.month, day.day, moment.hour, moment.minute)


class ExtensionForm(UntilMixin, FlaskForm):
    plan_kind = ChoiceRadioField(_l("規劃類別"))
    target = ChoiceRadioField(
        _l("延長對象"),
        default="school",
    )
    school_code = school_code_field()
    national_id = StringField(_l("教師身分證字號"))
    teacher_id = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan_kind.choices = plan_kind_choices()
        self.target.choices = {value: str(label) for value, label in TARGETS.items()}

    def validate_school_code(self, field: StringField) -> None:
        check_school_code(field, wanted=self.target.data == "school")

    def chosen_teacher_id(self) -> int | None:
        """The teacher named by the list's link (?teacher=ID), as a row id."""
        return bounded_int((self.teacher_id.data or "").strip())

    def validate_national_id(self, field: StringField) -> None:
        if self.target.data != "teacher":
            field.data = ""
            return
        if not field.data and self.chosen_teacher_id() is not None:
            return  # the teacher chosen from a list (?teacher=ID)
        try:
            field.data = validate_national_id(field.data or "")
        except NationalIdError as error:
            raise ValidationError(str(error)) from None

    def validate_plan_kind(self, field: RadioField) -> None:
        if self.target.data == "teacher" and field.data != PlanKind.TEACHER.value:
            raise ValidationError(_l("為一位教師延長只適用於教師自我專業進修規劃。"))


class BulkExtensionForm(UntilMixin, FlaskForm):
    county = CountyField(_l("縣市"))
    stage = ChoiceSelectField(_l("教育階段"))
    plan_kind = ChoiceRadioField(_l("規劃類別"))

    def __init__(self, counties: list[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.county.choices = dict(counties)
        self.stage.choices = stage_choices()
        self.plan_kind.choices = plan_kind_choices()


class ExtensionFilter:
    """The list's filters as typed (GET), each refused value named beside its field."""

    STATUSES = ("active", "revoked", "all")

    def __init__(self, args: Any, counties: set[str]) -> None:
        self.errors: dict[str, str] = {}
        self.kind = args.get("kind", "")
        if self.kind not in ("", *[k.value for k in PlanKind]):
            self.errors["kind"], self.kind = str(NOT_LISTED), ""
        self.status = args.get("status", "active")
        if self.status not in self.STATUSES:
            self.errors["status"], self.status = str(NOT_LISTED), "active"
        self.county = args.get("county", "")
        if self.county and self.county not in counties:
            self.errors["county"] = str(_l("您不主管此縣市。"))
            self.county = ""
        self.school = (args.get("school", "") or "").strip()[:6].upper()

    def as_args(self) -> dict[str, str]:
        wanted = {"kind": self.kind, "status": self.status, "county": self.county}
        wanted["school"] = self.school
        return {key: value for key, value in wanted.items() if value}
