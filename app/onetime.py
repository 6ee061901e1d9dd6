"""One-time links (activation, password reset): usable once, expiring, stored only as a hash.

The token travels only in the link itself (the mail, or the demo's one flash); the
database keeps its SHA-256, so a copy of the table opens nothing. Issuing a new link of
a purpose for a person retires that person's earlier unused links of the same purpose.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from app import timeutil
from app.extensions import db
from app.models import BusinessAccount, LinkPurpose, OneTimeLink, Teacher

RESET_TTL = timedelta(hours=24)
ACTIVATE_TTL = timedelta(days=7)
TTL = {LinkPurpose.RESET: RESET_TTL, LinkPurpose.ACTIVATE: ACTIVATE_TTL}
TOKEN_BYTES = 32


class LinkProblem(enum.StrEnum):
    """Why a link cannot be used (the page explains each in zh-TW)."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class LinkRefused(Exception):
    """The link is unknown, already used, or expired."""

    def __init__(self, problem: LinkProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class IssuedLink:
    """A freshly issued link: the row, and the token that exists nowhere else."""

    link: OneTimeLink
    token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _subject_key(subject: Teacher | BusinessAccount) -> tuple[str, int]:
    return ("teacher" if isinstance(subject, Teacher) else "account", subject.id)


def issue(subject: Teacher | BusinessAccount, purpose: LinkPurpose) -> IssuedLink:
    """Issue a one-time link for `subject`; earlier unused links of the purpose stop working."""
    kind, subject_id = _subject_key(subject)
    now = timeutil.now()
    db.session.execute(
        update(OneTimeLink)
        .where(
            OneTimeLink.subject_kind == kind,
            OneTimeLink.subject_id == subject_id,
            OneTimeLink.purpose == purpose,
            OneTimeLink.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = OneTimeLink(
        purpose=purpose,
        subject_kind=kind,
        subject_id=subject_id,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + TTL[purpose],
    )
    db.session.add(link)
    db.session.flush()
    return IssuedLink(link, token)


def find(token: str) -> OneTimeLink:
    """The usable link of this token, or `LinkRefused` saying why not."""
    if not token or len(token) > 200:
        raise LinkRefused(LinkProblem.UNKNOWN)
    link = db.session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == token_hash(token)))
    if link is None:
        raise LinkRefused(LinkProblem.UNKNOWN)
    if link.used_at is not None:
        raise LinkRefused(LinkProblem.USED)
    if link.expires_at <= timeutil.now():
        raise LinkRefused(LinkProblem.EXPIRED)
    return link


def subject_of(link: OneTimeLink) -> Teacher | BusinessAccount | None:
    """The person a link was issued for (None if that row is gone)."""
    if link.subject_kind == "teacher":
        return db.session.get(Teacher, link.subject_id)
    return db.session.get(BusinessAccount, link.subject_id)


def use(token: str) -> OneTimeLink:
    """Mark the link used, atomically: of two concurrent uses only one succeeds."""
    link = find(token)
    now = timeutil.now()
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(OneTimeLink)
            .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:
        raise LinkRefused(LinkProblem.USED)
    db.session.refresh(link)
    return link
