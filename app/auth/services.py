"""Authentication rules: argon2id, five failures lock for fifteen minutes, generic refusals."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import timeutil
from app.extensions import db
from app.models import AccountStatus, BusinessAccount, LoginAttempt, LoginSubject, Teacher
from app.security import vault, verify_password


def _locked(subject: LoginSubject) -> bool:
    locked_until = subject.locked_until  # type: ignore[attr-defined]
    return locked_until is not None and locked_until > timeutil.now()


def _register(subject: LoginSubject | None, realm: str, label: str, ok: bool, client: str) -> None:
    if subject is not None:
        if ok:
            subject.failed_logins = 0  # type: ignore[attr-defined]
            subject.locked_until = None  # type: ignore[attr-defined]
        else:
            subject.failed_logins += 1  # type: ignore[attr-defined]
            if subject.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:  # type: ignore[attr-defined]
                minutes = current_app.config["LOGIN_LOCK_MINUTES"]
                subject.locked_until = timeutil.now() + timedelta(minutes=minutes)  # type: ignore[attr-defined]
                subject.failed_logins = 0  # type: ignore[attr-defined]
    db.session.add(LoginAttempt(realm=realm, succeeded=ok, subject=label, client=client[:64]))


def _check(
    subject: LoginSubject | None,
    password: str,
    realm: str,
    label: str,
    client: str,
    *,
    usable: bool,
) -> LoginSubject | None:
    if subject is None:
        verify_password(None, password)  # same cost as a real check
        _register(None, realm, label, False, client)
        return None
    if _locked(subject):
        _register(None, realm, label, False, client)
        return None
    ok = usable and verify_password(subject.password_hash, password)  # type: ignore[attr-defined]
    _register(subject, realm, label, ok, client)
    return subject if ok else None


def authenticate_account(username: str, password: str, client: str) -> BusinessAccount | None:
    """Return the active account for these credentials, counting failures toward the lock."""
    account = db.session.scalar(
        select(BusinessAccount).where(BusinessAccount.username == username.strip())
    )
    label = f"account:{account.id}" if account else "account:unknown"
    usable = account is not None and account.status == AccountStatus.ACTIVE
    return _check(account, password, "school", label, client, usable=usable)  # type: ignore[return-value]


def find_teacher(national_id: str) -> Teacher | None:
    """Find a teacher by the keyed hash of the (validated) national ID."""
    digest = vault().lookup_hash(national_id)
    return db.session.scalar(select(Teacher).where(Teacher.national_id_hash == digest))


def authenticate_teacher(national_id: str, password: str, client: str) -> Teacher | None:
    """Return the teacher for these credentials, counting failures toward the lock."""
    teacher = find_teacher(national_id)
    label = f"teacher:{teacher.id}" if teacher else "teacher:unknown"
    return _check(teacher, password, "teacher", label, client, usable=True)  # type: ignore[return-value]


def end_session(subject: LoginSubject) -> None:
    """Rotate the session token: every cookie issued before this moment stops working."""
    subject.rotate_session_token()


def load_user(user_id: str) -> LoginSubject | None:
    """Flask-Login loader: the id carries the kind, the row id and the session token."""
    try:
        prefix, raw_id, token = user_id.split(":", 2)
        row_id = int(raw_id)
    except ValueError:
        return None
    model = {"t": Teacher, "a": BusinessAccount}.get(prefix)
    if model is None:
        return None
    # An account's grants come in the same statement: every account page checks them.
    options = [joinedload(BusinessAccount.grants)] if model is BusinessAccount else []
    subject = db.session.get(model, row_id, options=options)
    if subject is None or subject.session_token != token or not subject.is_active:
        return None
    return subject
