"""Forms of one's own account and of the password links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from app.identity import NationalIdError, validate_national_id
from app.passwords import MAX_LENGTH
from app.roster_admin.forms import check_email, check_phone


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    new = PasswordField(
        _l("新密碼"),
        validators=[
            DataRequired(_l("請輸入新密碼")),
            Length(max=MAX_LENGTH, message=_l("密碼最多 128 個字元。")),
        ],
    )
    again = PasswordField(
        _l("再輸入一次新密碼"),
        validators=[
            DataRequired(_l("請再輸入一次新密碼")),
            EqualTo("new_password", message=_l("兩次輸入的新密碼不一致。")),
        ],
    )
    return new, again


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("目前的密碼"), validators=[DataRequired(_l("請輸入目前的密碼"))]
    )
    new_password, new_password_again = _new_password_fields()


class SetPasswordForm(FlaskForm):
    new_password, new_password_again = _new_password_fields()


class ContactForm(FlaskForm):
    email = StringField(
        _l("電子郵件"),
        validators=[Optional(), Length(max=120, message=_l("電子郵件最多 120 字")), check_email],
        filters=[_strip],
    )
    phone = StringField(_l("聯絡電話"), validators=[Optional(), check_phone], filters=[_strip])


class ForgotPasswordForm(FlaskForm):
    national_id = StringField(
        _l("身分證字號或居留證號"), validators=[DataRequired(_l("請輸入身分證字號或居留證號"))]
    )

    def validate_national_id(self, field: StringField) -> None:
        try:
            field.data = validate_national_id(field.data or "")
        except NationalIdError as error:
            raise ValidationError(str(error)) from None
