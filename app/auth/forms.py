from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.identity import NationalIdError, validate_national_id


def _password() -> PasswordField:
    return PasswordField(
        _l("密碼"),
        validators=[DataRequired(_l("請輸入密碼")), Length(max=200, message=_l("密碼最多 200 字"))],
    )


class AccountLoginForm(FlaskForm):
    username = StringField(
        _l("帳號"),
        validators=[DataRequired(_l("請輸入帳號")), Length(max=40, message=_l("帳號最多 40 字"))],
    )
    password = _password()

    def validate_username(self, field: StringField) -> None:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data or ""):
            raise ValidationError(_l("帳號含有無法辨識的字元，請重新輸入"))


class TeacherLoginForm(FlaskForm):
    national_id = StringField(
        _l("身分證字號或居留證號"), validators=[DataRequired(_l("請輸入身分證字號或居留證號"))]
    )
    password = _password()

    def validate_national_id(self, field: StringField) -> None:
        try:
            field.data = validate_national_id(field.data or "")
        except NationalIdError as error:
            raise ValidationError(str(error)) from None
