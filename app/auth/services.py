"""Authentication rules: argon2id, locks per (account, client) pair, generic refusals.

Five failures of one sign-in subject from one client lock that pair for fifteen minutes;
the account itself is never locked, so a stranger who knows a national ID cannot keep
its owner out. An account failing from many clients is slowed down instead. Unknown IDs
are counted, locked and slowed exactly like registered ones, and every attempt costs one
argon2 verification, so nothing tells whether an ID is registered.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import audit, timeutil
from app.extensions import db
from app.models import (
    AccountStatus,
    BusinessAccount,
    Employment,
    LoginAttempt,
    LoginPair,
    LoginSubject,
    Teacher,
)
from app.security import hash_password, vault, verify_password

Subject = Teacher | BusinessAccount

# How an attempt on a slowed-down account waits; tests replace it to count the waits.
pause: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class FailureNotice:
    """What the owner is told at the next successful sign-in."""

    failures: int
    clients: int
    locks: int


@dataclass(frozen=True)
class SignIn:
    """The outcome of one attempt: the signed-in subject, or a refusal (maybe a lock)."""

    subject: Subject | None = None
    locked_until: datetime | None = None
    notice: FailureNotice | None = None


def subject_label(realm: str, subject: Subject | None, typed: str) -> str:
    """Name the pair's subject: "account:3", "teacher:7", or a keyed digest of an unknown
    identifier (never the identifier itself)."""
    kind = "teacher" if realm == "teacher" else "account"
    if subject is not None:
        return f"{kind}:{subject.id}"
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"{realm}\0{typed}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:?{digest[:20]}"


def _slow_down(label: str) -> None:
    """Wait before checking an account that failed from many clients lately."""
    config = current_app.config
    since = timeutil.now() - timedelta(minutes=config["LOGIN_SLOWDOWN_WINDOW_MINUTES"])
    recent = db.session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.subject == label, LoginAttempt.at > since, ~LoginAttempt.succeeded)
    )
    if (recent or 0) >= config["LOGIN_SLOWDOWN_FAILURES"]:
        pause(float(config["LOGIN_SLOWDOWN_SECONDS"]))


def _pair(realm: str, label: str, client: str) -> LoginPair:
    found = db.session.scalar(
        select(LoginPair).where(LoginPair.subject == label, LoginPair.client == client)
    )
    if found is not None:
        return found
    pair = LoginPair(realm=realm, subject=label, client=client, failures=0)
    try:
        with db.session.begin_nested():  # two first failures at once: one row wins
            db.session.add(pair)
    except IntegrityError:
        found = db.session.scalar(
            select(LoginPair).where(LoginPair.subject == label, LoginPair.client == client)
        )
        assert found is not None
        return found
    return pair


def _notice(label: str) -> FailureNotice | None:
    """Failures on this subject since its last successful sign-in, if any."""
    last = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.subject == label, LoginAttempt.succeeded
        )
    )
    failed = select(LoginAttempt).where(LoginAttempt.subject == label, ~LoginAttempt.succeeded)
    if last is not None:
        failed = failed.where(LoginAttempt.at > last)
    rows = db.session.scalars(failed).all()
    if not rows:
        return None
    return FailureNotice(
        failures=len(rows),
        clients=len({row.client for row in rows}),
        locks=sum(1 for row in rows if row.locked_pair),
    )


def _attempt(
    realm: str, subject: Subject | None, typed: str, password: str, client: str, *, usable: bool
) -> SignIn:
    client = client[:64]
    label = subject_label(realm, subject, typed)
    now = timeutil.now()
    _slow_down(label)
    pair = _pair(realm, label, client)
    if pair.locked_until is not None and pair.locked_until > now:
        verify_password(None, password)  # a locked pair costs what a real check costs
        db.session.add(LoginAttempt(realm=realm, succeeded=False, subject=label, client=client))
        return SignIn(locked_until=pair.locked_until)
    stored = subject.password_hash if subject is not None and usable else None
    if verify_password(stored, password) and subject is not None:
        notice = _notice(label)
        db.session.delete(pair)
        db.session.add(LoginAttempt(realm=realm, succeeded=True, subject=label, client=client))
        return SignIn(subject=subject, notice=notice)
    window = timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
    if pair.locked_until is not None or pair.updated_at < now - window:
        # An expired lock, or failures long ago: start counting afresh.
        pair.locked_until = None
        pair.failures = 0
    pair.failures += 1
    pair.updated_at = now
    locks = pair.failures >= current_app.config["LOGIN_MAX_FAILURES"]
    if locks:
        pair.locked_until = now + window
        pair.failures = 0
    db.session.add(
        LoginAttempt(realm=realm, succeeded=False, subject=label, client=client, locked_pair=locks)
    )
    return SignIn(locked_until=pair.locked_until)


def authenticate_account(username: str, password: str, client: str) -> SignIn:
    """Try these credentials from this client; only an active account may sign in."""
    typed = username.strip()
    account = db.session.scalar(select(BusinessAccount).where(BusinessAccount.username == typed))
    usable = account is not None and account.status == AccountStatus.ACTIVE
    return _attempt("school", account, typed, password, client, usable=usable)


def find_teacher(national_id: str) -> Teacher | None:
    """Find a teacher by the keyed hash of the (validated) national ID, under any key."""
    digests = vault().lookup_hashes(national_id)
    return db.session.scalar(select(Teacher).where(Teacher.national_id_hash.in_(digests)))


def authenticate_teacher(national_id: str, password: str, client: str) -> SignIn:
    """Try these credentials from this client."""
    teacher = find_teacher(national_id)
    return _attempt("teacher", teacher, national_id, password, client, usable=True)


# ---- locks a chief may lift ----------------------------------------------------------


@dataclass(frozen=True)
class LockedSubject:
    label: str
    name: str
    kind: str  # "teacher" | "account"
    clients: int
    locked_until: datetime


def _school_subjects(school_id: int) -> dict[str, tuple[str, str]]:
    """The labels of this school's teachers (employed now) and accounts: name and kind."""
    subjects: dict[str, tuple[str, str]] = {}
    for account in db.session.scalars(
        select(BusinessAccount).where(BusinessAccount.school_id == school_id)
    ):
        subjects[f"account:{account.id}"] = (account.name, "account")
    employed = Employment.at(timeutil.now()).where(Employment.school_id == school_id)
    for employment in db.session.scalars(employed):
        teacher = employment.teacher
        subjects[f"teacher:{teacher.id}"] = (teacher.name, "teacher")
    return subjects


def locked_subjects_of_school(school_id: int) -> list[LockedSubject]:
    """Teachers and accounts of the school with at least one locked (account, client) pair."""
    subjects = _school_subjects(school_id)
    if not subjects:
        return []
    rows = db.session.execute(
        select(LoginPair.subject, func.count(), func.max(LoginPair.locked_until))
        .where(LoginPair.subject.in_(subjects), LoginPair.locked_until > timeutil.now())
        .group_by(LoginPair.subject)
    ).all()
    found = [
        LockedSubject(label, *subjects[label], clients=count, locked_until=until)
        for label, count, until in rows
        if until is not None
    ]
    return sorted(found, key=lambda item: (item.kind, item.name))


def unlock(school_id: int, label: str) -> bool:
    """Lift every lock on a subject of this school; False if it is not the school's."""
    if label not in _school_subjects(school_id):
        return False
    db.session.execute(delete(LoginPair).where(LoginPair.subject == label))
    audit.record("unlock_sign_in", label.split(":")[0], label.split(":")[1])
    return True


# ---- sessions ------------------------------------------------------------------------


def end_session(subject: LoginSubject) -> None:
    """Rotate the session token: every cookie issued before this moment stops working."""
    subject.rotate_session_token()


def change_password(subject: Subject, new_password: str) -> None:
    """Set a new password; every session of the subject ends, as at logout."""
    subject.password_hash = hash_password(new_password)
    end_session(subject)


def disable_account(account: BusinessAccount) -> None:
    """Disable an account; its sessions end at once."""
    account.status = AccountStatus.DISABLED
    end_session(account)


def load_user(user_id: str) -> Subject | None:
    """Flask-Login loader: the id carries the kind, the row id and the session token."""
    try:
        prefix, raw_id, token = user_id.split(":", 2)
        row_id = int(raw_id)
    except ValueError:
        return None
    if not 0 < row_id < 2**31:
        return None
    subject: Subject | None
    if prefix == "t":
        subject = db.session.get(Teacher, row_id)
    elif prefix == "a":
        # An account's grants come in the same statement: every account page checks them.
        subject = db.session.get(
            BusinessAccount, row_id, options=[joinedload(BusinessAccount.grants)]
        )
    else:
        return None
    if subject is None or subject.session_token != token or not subject.is_active:
        return None
    return subject
