"""The announcement form: every field beside its own error."""

from __future__ import annotations

from importlib import import_module

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app.models import ANNOUNCEMENT_AUDIENCE_LABELS, AnnouncementAudience

# As app/feeds/forms.py: the stubs do not declare SelectChoice yet.
SelectChoice = import_module("wtforms.fields.choices").SelectChoice


class LocalDateField(DateField):
    """A date (YYYY-MM-DD); a wrong or impossible one is refused in zh-TW."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(_l("日期格式不正確，請以 2027-08-01 的格式輸入"))) from None
        if self.data is not None and not 1912 <= self.data.year <= 2200:
            self.data = None
            raise ValueError(str(_l("年份不合理，請確認日期")))


class AnnouncementForm(FlaskForm):
    title = StringField(
        _l("標題"),
        validators=[
            DataRequired(_l("請輸入標題")),
            Length(max=120, message=_l("標題最多 120 個字")),
        ],
    )
    body = TextAreaField(
        _l("內容"),
        validators=[
            DataRequired(_l("請輸入內容")),
            Length(max=4000, message=_l("內容最多 4000 個字")),
        ],
    )
    shows_from = LocalDateField(
        _l("刊登日期"), validators=[InputRequired(_l("請輸入刊登日期（例如 2027-08-01）"))]
    )
    shows_until = LocalDateField(
        _l("下架日期"), validators=[InputRequired(_l("請輸入下架日期（例如 2027-08-31）"))]
    )
    audience = RadioField(
        _l("對象"),
        choices=[
            SelectChoice(a.value, ANNOUNCEMENT_AUDIENCE_LABELS[a]) for a in AnnouncementAudience
        ],
        default=AnnouncementAudience.EVERYONE.value,
        validators=[InputRequired(_l("請選擇對象"))],
    )

    def validate_shows_until(self, field: DateField) -> None:
        if self.shows_from.data and field.data and field.data < self.shows_from.data:
            raise ValidationError(_l("下架日期不能早於刊登日期"))
