"""The sync-runs page's filter: a GET form (no CSRF: it reads, never writes)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

# wtforms 3.3 wants SelectChoice objects (tuples are deprecated); the installed type stubs
# predate the class, hence the lookup through the module.
SelectChoice = import_module("wtforms.fields.choices").SelectChoice


class SyncRunFilter(FlaskForm):
    class Meta:
        csrf = False

    feed = SelectField(
        _l("來源"),
        choices=[
            SelectChoice("", _l("全部")),
            SelectChoice("ece", _l("全國教保資訊網")),
            SelectChoice("taipei", _l("臺北市教師研習網")),
        ],
        default="",
        validators=[Optional()],
    )
    since = DateField(_l("自"), validators=[Optional()])
    until = DateField(_l("至"), validators=[Optional()])

    def validate_until(self, field: Any) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("結束日不可早於開始日"))
