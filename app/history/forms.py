"""The comparison form: which two submitted versions to show side by side (a GET form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class CompareForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    a = SelectField(_l("較早的版本"), coerce=int)
    b = SelectField(_l("較新的版本"), coerce=int)
