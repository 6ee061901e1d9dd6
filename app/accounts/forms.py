"""Forms of the business-account pages: the application, types, contact data."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    PasswordField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.accounts import services
from app.models import ACCOUNT_TYPE_LABELS, AccountType

TYPE_CHOICES = [(t.value, ACCOUNT_TYPE_LABELS[t]) for t in services.TYPE_ORDER]


class Checkbox(NamedTuple):
    value: str
    label: str
    selected: bool


class CheckboxesField(Field):
    """Several choices as checkboxes (rendered by the `checkboxes` macro); a forged value
    is refused beside the field."""

    def __init__(self, label: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.choices = choices

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [str(value) for value in valuelist]

    def iter_choices(self) -> list[Checkbox]:
        chosen = set(self.data or [])
        return [Checkbox(value, label, value in chosen) for value, label in self.choices]

    def pre_validate(self, form: Any) -> None:
        values = {value for value, _label in self.choices}
        for item in self.data or []:
            if item not in values:
                raise ValidationError(_l("帳號類別不正確，請從清單中選擇。"))


def _types_field() -> CheckboxesField:
    return CheckboxesField(_l("帳號類別"), choices=TYPE_CHOICES)


def chosen_types(field: CheckboxesField) -> set[AccountType]:
    """The account types ticked in a (validated) checkbox field."""
    return {AccountType(value) for value in field.data or []}


class ContactFields:
    job_title = StringField(
        _l("職稱"),
        validators=[DataRequired(_l("請輸入職稱")), Length(max=40, message=_l("職稱最多 40 個字"))],
    )
    email = StringField(_l("電子郵件"), validators=[DataRequired(_l("請輸入電子郵件"))])
    phone = StringField(_l("聯絡電話"), validators=[DataRequired(_l("請輸入聯絡電話"))])

    def validate_email(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        problem = services.email_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_phone(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        problem = services.phone_problem(field.data)
        if problem:
            raise ValidationError(problem)


class ApplicationForm(ContactFields, FlaskForm):
    school_query = StringField(
        _l("學校"),
        validators=[Length(max=60, message=_l("學校名稱最多 60 個字"))],
    )
    username = StringField(
        _l("帳號"),
        validators=[DataRequired(_l("請輸入帳號")), Length(max=40, message=_l("帳號最多 40 字"))],
    )
    name = StringField(
        _l("姓名"),
        validators=[DataRequired(_l("請輸入姓名")), Length(max=50, message=_l("姓名最多 50 個字"))],
    )
    types = _types_field()
    password = PasswordField(
        _l("密碼"),
        validators=[DataRequired(_l("請輸入密碼")), Length(max=200, message=_l("密碼最多 200 字"))],
    )
    password_again = PasswordField(_l("再次輸入密碼"), validators=[Optional()])
    search = SubmitField(_l("搜尋學校"))

    def validate_username(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        problem = services.username_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_types(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError(_l("請至少選擇一種帳號類別。"))

    def validate_password_again(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError(_l("兩次輸入的密碼不一致。"))


class TypesForm(FlaskForm):
    types = _types_field()

    def validate_types(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError(_l("請至少選擇一種帳號類別。"))


class ContactForm(ContactFields, FlaskForm):
    pass
