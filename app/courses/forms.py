"""The course registration form and the button that moves a course on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.courses.services import MAX_HOURS


class LocalDateField(DateField):
    """A date (YYYY-MM-DD); a wrong one is refused in zh-TW beside the field."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("日期格式不正確，請以 2026-03-01 的格式輸入"))) from None


class WholeNumberField(IntegerField):
    """A whole number; anything else is refused in zh-TW beside the field."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("請輸入整數"))) from None


class CourseForm(FlaskForm):
    title = StringField(
        _l("課程名稱"),
        validators=[
            DataRequired(_l("請輸入課程名稱")),
            Length(max=120, message=_l("課程名稱最多 120 個字")),
        ],
    )
    starts_on = LocalDateField(
        _l("開始日期"), validators=[InputRequired(_l("請輸入開始日期（例如 2026-03-01）"))]
    )
    ends_on = LocalDateField(
        _l("結束日期"), validators=[InputRequired(_l("請輸入結束日期（例如 2026-03-02）"))]
    )
    hours = WholeNumberField(
        _l("研習時數"),
        validators=[
            InputRequired(_l("請輸入研習時數（整數）")),
            NumberRange(min=1, max=MAX_HOURS, message=_l("研習時數需介於 1 至 200 小時")),
        ],
    )

    def validate_ends_on(self, field: DateField) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("結束日期不能早於開始日期"))


class AdvanceForm(FlaskForm):
    status = HiddenField()  # the status the page showed: a stale page is refused
