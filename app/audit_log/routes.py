"""/school/audit, /region/audit, /operator/audit: the audit trail each viewer may read."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from sqlalchemy import Select

from app import htmx
from app.accounts.paging import page_number, paginate
from app.audit_log import bp, services
from app.extensions import db
from app.lifecycle import handles, signed_in_account
from app.models import AuditEntry, BusinessAccount, School


def own_school(account: BusinessAccount) -> School | None:
    """The signed-in chief's own school."""
    return db.session.get(School, account.school_id) if account.school_id else None


def _render(
    query: Select[AuditEntry],
    title: str,
    endpoint: str,
    *,
    school_filter: bool,
    actions: list[str] | None = None,
) -> Response:
    wanted = services.read_filter(request.args)
    if not school_filter:
        wanted.school = ""
    page = paginate(services.apply_filter(query, wanted), page_number(request.args.get("page")))
    entries: list[AuditEntry] = page.items
    return htmx.render(
        "audit_log/index.html",
        "audit_log/_entries.html",
        title=title,
        endpoint=endpoint,
        school_filter=school_filter,
        wanted=wanted,
        listing=page,
        actors=services.actor_names(entries),
        schools=services.school_names(entries),
        actions=actions if actions is not None else sorted(services.ACTION_LABELS),
        action_label=services.action_label,
        describe=services.describe,
    )


@bp.get("/school/audit")
@handles("audit.school", load=own_school)
def school_audit(school: School) -> Response:
    title = _("%(school)s異動紀錄", school=school.name)
    return _render(
        services.school_entries(school.id), title, "audit_log.school_audit", school_filter=False
    )


@bp.get("/region/audit")
@handles("audit.region")
def region_audit() -> Response:
    entries = services.region_entries(signed_in_account())
    chief_actions = sorted(a for a in services.ACTION_LABELS if a.startswith("chief."))
    return _render(
        entries,
        _("轄區總負責人帳號異動紀錄"),
        "audit_log.region_audit",
        school_filter=True,
        actions=chief_actions,
    )


@bp.get("/operator/audit")
@handles("audit.all")
def operator_audit() -> Any:
    return _render(
        services.all_entries(), _("全部異動紀錄"), "audit_log.operator_audit", school_filter=True
    )
