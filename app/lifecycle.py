"""The one request lifecycle every view runs in (as Indico's `RH.process`).

    @bp.get("/exports/<id:job_id>.zip")
    @handles("school_export.download", load=export_job)
    def export_download(job: Job) -> Response: ...

1. **sign-in**: an action anonymous users may not take sends them to sign in (the
   login manager's unauthorised handler: a 303, or a 401 fragment for htmx);
2. **role**: `policy.may(user, action)` or 403 — before anything is loaded, so a wrong
   kind of user learns nothing about which objects exist;
3. **load**: `load(user, **view_args)` returns the object or None → 404. Loaders that
   read through a `policy.*_in_scope(user)` query turn an out-of-scope object into a 404
   as well (it does not exist for this user); a loader may also `abort()` with its own
   answer (the teacher not in this cycle's roster gets an explanation);
4. **object**: `policy.may(user, action, obj)` or 403;
5. **act**: the view, called with the object first, then the URL's arguments;
6. **commit once**: a POST/PUT/PATCH/DELETE whose answer is below 400 (or that called
   `keep()`) is committed, then
   the callbacks queued with `after_commit` run (signals of `app.events`, starting a
   queued job); an error answer, `discard()`, or any exception rolls back and drops them.
   GET/HEAD never write: their transaction is rolled back (the PDF cache's bookkeeping
   keeps its own short transaction inside `app.reports.cache`, by design);
7. **render**: the view answers through `app.htmx` (page or partial); errors through
   `app.errors` (page, or an alert fragment retargeted to the status area for htmx).

Services never commit or roll back; only this module, CLI commands and the job worker do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, abort, current_app, g, make_response, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import policy
from app.extensions import db, login_manager
from app.models import BusinessAccount, Teacher

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., Any])
Loader = Callable[..., Any]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FLUSHED = "lifecycle.flushed"  # session.info: rows were flushed since the last commit


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[FLUSHED] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _clear_flush(session: Session) -> None:
    session.info.pop(FLUSHED, None)


def signed_in_teacher() -> Teacher:
    """The signed-in teacher of a view whose action only teachers may take."""
    user = current_user._get_current_object()
    if not isinstance(user, Teacher):
        abort(403)
    return user


def signed_in_account() -> BusinessAccount:
    """The signed-in business account of a view whose action only accounts may take."""
    user = current_user._get_current_object()
    if not isinstance(user, BusinessAccount):
        abort(403)
    return user


def after_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` once this request's transaction is committed (never if rolled back).

    Outside a request handled by the lifecycle (CLI commands, the job worker), the caller
    owns the transaction: the callback runs at once, so call this after committing.
    """
    pending: list[Callable[[], Any]] | None = g.get("_lifecycle_after_commit")
    if pending is None:
        callback()
    else:
        pending.append(callback)


def discard() -> None:
    """Roll this request's writes back even though the answer is a success (e.g. a quiet
    autosave that was refused and says so in a 200 status line)."""
    g._lifecycle_discard = True


def keep() -> None:
    """Commit this request's writes even though the answer reports a problem (a stale save
    whose merged fields are stored while a 409 asks the user about the rest)."""
    g._lifecycle_keep = True


def handles(action: str, *, load: Loader | None = None) -> Callable[[View], View]:
    """Run the view in the lifecycle, guarded by `action` of `app.policy.POLICY`."""
    allowed = policy.allowed_roles(action)  # an unknown action fails at import time

    def decorator(view: View) -> View:
        @wraps(view)
        def process(**view_args: Any) -> Any:
            user = current_user._get_current_object()
            if not user.is_authenticated and policy.Role.ANONYMOUS not in allowed:
                return login_manager.unauthorized()
            if not policy.may(user, action):
                abort(403)
            args: tuple[Any, ...] = ()
            if load is not None:
                obj = load(user, **view_args)
                if obj is None:
                    abort(404)
                if not policy.may(user, action, obj):
                    abort(403)
                args = (obj,)
            return _transaction(lambda: view(*args, **view_args))

        process.__dict__["policy_action"] = action  # read by the route × role tests
        return cast(View, process)

    return decorator


def _transaction(act: Callable[[], Any]) -> Response:
    g._lifecycle_after_commit = []
    g._lifecycle_discard = False
    g._lifecycle_keep = False
    try:
        response = make_response(act())
    except BaseException:
        _roll_back()
        raise
    if request.method in SAFE_METHODS:
        # GET never writes: whatever a view changed is dropped, and tests fail loudly.
        session = db.session()
        changed = bool(session.new or session.dirty or session.deleted)
        changed = changed or session.info.get(FLUSHED, False)
        _roll_back()
        if changed:
            if current_app.testing:
                raise RuntimeError(
                    f"{request.method} {request.path} changed rows; GET never writes"
                )
            log.warning("%s %s changed rows; rolled back", request.method, request.path)
        return response
    refused = response.status_code >= 400 and not g._lifecycle_keep
    if refused or g._lifecycle_discard:
        _roll_back()
        return response
    db.session.commit()
    callbacks: list[Callable[[], Any]] = g._lifecycle_after_commit
    g._lifecycle_after_commit = None  # callbacks that queue more run at once
    for callback in callbacks:
        callback()
    return response


def _roll_back() -> None:
    g._lifecycle_after_commit = None
    db.session.rollback()
