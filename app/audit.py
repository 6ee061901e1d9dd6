"""The audit trail: who, when, what, before and after, for every write that matters."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from sqlalchemy import insert

from app import timeutil
from app.extensions import db
from app.models import AuditEntry, BusinessAccount, Teacher


def actor_label(actor: object | None = None) -> str:
    """Name the actor without personal data: account:12, teacher:7, or system."""
    actor = actor if actor is not None else _current()
    if isinstance(actor, BusinessAccount):
        return f"account:{actor.id}"
    if isinstance(actor, Teacher):
        return f"teacher:{actor.id}"
    return str(actor) if actor else "system"


def _current() -> object | None:
    try:
        return current_user._get_current_object() if current_user.is_authenticated else None
    except (RuntimeError, AttributeError):
        return None


def record(
    action: str,
    obj_type: str,
    obj_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: object | None = None,
    school_id: int | None = None,
) -> None:
    """Write an audit entry in the current transaction (the caller commits)."""
    # A plain INSERT, not the ORM unit of work: an entry is never read back in the request.
    db.session.execute(
        insert(AuditEntry).values(
            at=timeutil.now(),
            actor=actor_label(actor),
            action=action,
            object_type=obj_type,
            object_id=str(obj_id),
            school_id=school_id,
            before=before,
            after=after,
        )
    )
