"""Who may see or change what: one place that loads the signed-in user and 403s."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from app.models import AccountKind, AccountType, BusinessAccount, Teacher


def account_required(*kinds: AccountKind) -> Callable[..., Any]:
    """The view needs a signed-in business account of one of these kinds."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user._get_current_object()
            if not isinstance(user, BusinessAccount) or (kinds and user.kind not in kinds):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def teacher_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view needs a signed-in teacher."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not isinstance(current_user._get_current_object(), Teacher):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def require_school_type(account: BusinessAccount, *types: AccountType) -> None:
    """403 unless this school business account holds one of these types."""
    if account.kind != AccountKind.SCHOOL or account.school_id is None:
        abort(403)
    if not account.has_type(*types):
        abort(403)
