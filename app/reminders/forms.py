"""The reminder form: a county x stage or one school; plan kind; messages beside fields."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from app.deadlines.forms import (
    ChoiceRadioField,
    ChoiceSelectField,
    check_school_code,
    choice_values,
    plan_kind_choices,
    school_code_field,
    stage_choices,
)

TARGETS = {"area": _l("一個縣市的某教育階段"), "school": _l("一所學校")}


class ReminderCountyField(ChoiceSelectField):
    refusal = _l("您不主管此縣市，無法提醒其學校。")


class ReminderForm(FlaskForm):
    plan_kind = ChoiceRadioField(_l("提醒填寫"))
    target = ChoiceRadioField(_l("提醒對象"), default="area")
    county = ReminderCountyField(_l("縣市"), validate_choice=False)
    stage = ChoiceSelectField(_l("教育階段"), validate_choice=False)
    school_code = school_code_field()

    def __init__(
        self, counties: list[tuple[str, str]], *args: Any, own_school: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.own_school = own_school
        kinds = plan_kind_choices()
        self.plan_kind.choices = {"teacher": kinds["teacher"]} if own_school else kinds
        targets = {value: str(label) for value, label in TARGETS.items()}
        self.target.choices = {"school": targets["school"]} if own_school else targets
        self.county.choices = {"": "—", **dict(counties)}
        self.stage.choices = {"": "—", **stage_choices()}
        if own_school:
            self.plan_kind.data = self.plan_kind.data or "teacher"
            self.target.data = "school"

    def validate_county(self, field: ChoiceSelectField) -> None:
        if self.target.data == "area":
            if not field.data:
                raise ValidationError(_l("請選擇縣市"))
            if field.data not in choice_values(field):
                raise ValidationError(ReminderCountyField.refusal)

    def validate_stage(self, field: ChoiceSelectField) -> None:
        if self.target.data == "area" and not field.data:
            raise ValidationError(_l("請選擇教育階段"))
        if field.data and field.data not in choice_values(field):
            raise ValidationError(_l("請從清單中選擇。"))

    def validate_school_code(self, field: StringField) -> None:
        check_school_code(field, wanted=self.target.data == "school" and not self.own_school)

    def validate_target(self, field: ChoiceRadioField) -> None:
        if field.data == "area" and self.plan_kind.data == "teacher":
            raise ValidationError(_l("提醒教師時請指定一所學校。"))
