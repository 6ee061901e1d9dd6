"""Forms of roster maintenance: every message in zh-TW beside its field."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app import timeutil
from app.identity import NationalIdError, validate_national_id
from app.models import EndReason
from app.roster_admin.options import (
    LEARNING_AREAS,
    OTHER_TITLE,
    SUBJECTS_MAX,
    TITLE_MAX,
    TITLES,
    subjects_text,
)

PHONE = re.compile(r"^[0-9+()#\- ]{6,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
END_REASON_LABELS = {
    EndReason.LEFT: _l("離職"),
    EndReason.TRANSFERRED: _l("轉校"),
    EndReason.RETIRED: _l("退休"),
}
LATEST_DAYS_AHEAD = 366  # a date further than a year ahead is a typing mistake


def today() -> date:
    return timeutil.to_taipei(timeutil.now()).date()


NOT_LISTED = _l("請從清單中選擇。")


def _listed(field: Any) -> set[str]:
    choices = field.choices or {}
    return {str(value) for value in choices}  # choices are set as {value: label} dicts


class ListedSelectField(SelectField):
    """A select whose forged values are refused in zh-TW."""

    def pre_validate(self, form: Any) -> None:
        if self.data not in _listed(self):
            raise ValidationError(NOT_LISTED)


class ListedRadioField(RadioField):
    def pre_validate(self, form: Any) -> None:
        if self.data not in _listed(self):
            raise ValidationError(NOT_LISTED)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        if any(value not in _listed(self) for value in self.data or []):
            raise ValidationError(NOT_LISTED)


def check_phone(_form: FlaskForm, field: StringField) -> None:
    if field.data and not PHONE.match(field.data):
        raise ValidationError(_l("電話只可包含數字、空白與 + - ( ) #，6 至 30 字。"))


def check_email(_form: FlaskForm, field: StringField) -> None:
    if field.data and not EMAIL.match(field.data):
        raise ValidationError(_l("電子郵件格式不正確，例如 name@school.edu.tw"))


def _date_in_range(field: DateField) -> None:
    if field.data is None:
        return
    if field.data > today() + timedelta(days=LATEST_DAYS_AHEAD):
        raise ValidationError(_l("日期不可超過一年後，請確認是否輸入錯誤。"))
    if field.data < date(1950, 1, 1):
        raise ValidationError(_l("日期不正確，請確認是否輸入錯誤。"))


class AssignmentFields(FlaskForm):
    """Title (職稱, from a list with "other") and actual teaching subjects (學習領域)."""

    title = ListedSelectField(
        _l("職稱"),
        validators=[DataRequired(_l("請選擇職稱"))],
        default="教師",
    )
    title_other = StringField(
        _l("其他職稱"),
        validators=[Optional(), Length(max=TITLE_MAX, message=_l("職稱最多 30 字"))],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    subjects = MultiCheckboxField(_l("實際授課領域"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choices as a {value: label} dict of plain strings, in the request's language.
        self.title.choices = {t: t for t in TITLES} | {OTHER_TITLE: _("其他（請填寫）")}
        self.subjects.choices = dict(LEARNING_AREAS)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        # Not an inline validator: Optional() ends the chain of an empty field before it.
        if self.title.data == OTHER_TITLE and not self.title_other.data:
            self.title_other.errors = [*self.title_other.errors, _l("選擇「其他」時請填寫職稱。")]
            return False
        return valid

    def validate_subjects(self, field: MultiCheckboxField) -> None:
        if len(subjects_text(field.data or [])) > SUBJECTS_MAX:
            raise ValidationError(_l("授課領域合計最多 120 字，請減少勾選。"))

    def chosen_title(self) -> str:
        chosen = self.title_other.data if self.title.data == OTHER_TITLE else self.title.data
        return str(chosen or "")

    def chosen_subjects(self) -> str:
        return subjects_text(self.subjects.data or [])


class RegisterForm(AssignmentFields):
    """教師資料登錄: an ID already known transfers the teacher in; a new one needs a name."""

    national_id = StringField(
        _l("身分證字號或居留證號"),
        validators=[DataRequired(_l("請輸入身分證字號或居留證號"))],
    )
    name = StringField(
        _l("姓名（新登錄的教師必填）"),
        validators=[Optional(), Length(max=50, message=_l("姓名最多 50 字"))],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    email = StringField(
        _l("電子郵件"),
        validators=[
            Optional(),
            Length(max=120, message=_l("電子郵件最多 120 字")),
            check_email,
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    phone = StringField(
        _l("聯絡電話"),
        validators=[Optional(), check_phone],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    since = DateField(
        _l("到職日"),
        validators=[DataRequired(_l("請輸入到職日（例如 2026-08-01）"))],
        default=today,
    )

    def validate_national_id(self, field: StringField) -> None:
        try:
            field.data = validate_national_id(field.data or "")
        except NationalIdError as error:
            raise ValidationError(str(error)) from None

    def validate_since(self, field: DateField) -> None:
        _date_in_range(field)


class EditForm(AssignmentFields):
    """Update a current teacher's title and subjects."""


class EndForm(FlaskForm):
    """離職/轉校/退休: the reason and the first day away; `confirmed` is the second step."""

    reason = ListedRadioField(
        _l("離校原因"),
        validators=[DataRequired(_l("請選擇離校原因"))],
    )
    ends_on = DateField(
        _l("離校日期（當日起不再列入本校名單）"),
        validators=[DataRequired(_l("請輸入離校日期（例如 2026-07-31）"))],
        default=today,
    )
    confirmed = StringField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = {r.value: str(label) for r, label in END_REASON_LABELS.items()}

    def validate_ends_on(self, field: DateField) -> None:
        _date_in_range(field)
