"""Business-account pages: apply, the chief's list, the regional centre's chiefs, contact."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from app import htmx, policy
from app.accounts import bp, services
from app.accounts.forms import ApplicationForm, ContactForm, TypesForm, chosen_types
from app.accounts.paging import page_number, paginate
from app.extensions import db
from app.forms import EmptyForm
from app.lifecycle import handles, signed_in_account
from app.models import (
    COURSE_STATUS_LABELS,
    AccountGrant,
    AccountStatus,
    AccountType,
    BusinessAccount,
    County,
    CourseStatus,
    School,
    Stage,
)
from app.policy import Role

OPERATION_TEXT = {
    "activate": (_l("啟用帳號"), _l("啟用後，申請人即可以此帳號登入。")),
    "disable": (_l("停用帳號"), _l("停用後，這個帳號立即登出且無法登入，之後可重新啟用。")),
    "enable": (_l("重新啟用帳號"), _l("重新啟用後，帳號持有人即可再次登入。")),
    "delete": (
        _l("刪除帳號"),
        _l("刪除後帳號無法再登入，也不能復原；帳號持有人的姓名仍保留在異動紀錄中。"),
    ),
}


def _done(operation: str, username: str) -> str:
    if operation == "activate":
        return _("已啟用帳號 %(username)s。", username=username)
    if operation == "disable":
        return _("已停用帳號 %(username)s，其登入已全部結束。", username=username)
    if operation == "enable":
        return _("已重新啟用帳號 %(username)s。", username=username)
    return _("已刪除帳號 %(username)s。", username=username)


# ---- loaders -------------------------------------------------------------------------------


def own_school(account: BusinessAccount) -> School | None:
    """The signed-in account's own school."""
    return db.session.scalar(policy.schools_in_scope(account).where(School.id == account.school_id))


def account_in_scope(user: Any, account_id: int, **_rest: Any) -> BusinessAccount | None:
    """A school account of a school in the user's scope; any other id does not exist."""
    return db.session.scalar(
        services.accounts_in_scope(user).where(BusinessAccount.id == account_id)
    )


def school_in_scope(user: Any, school_id: int) -> School | None:
    """A school of the user's scope (a region: its counties' schools)."""
    return db.session.scalar(policy.schools_in_scope(user).where(School.id == school_id))


def _back_url(account: BusinessAccount) -> str:
    """Where the manager returns after a change: the chief's list or the region's school."""
    roles = policy.roles_of(signed_in_account())
    if Role.REGION in roles:
        return url_for("accounts.region_school", school_id=account.school_id)
    if Role.CHIEF in roles:
        return url_for("accounts.school_accounts")
    return url_for("audit_log.operator_audit")


def _text(value: str | None) -> str:
    return (value or "").strip()


# ---- applying ------------------------------------------------------------------------------


def _resolve_school(form: ApplicationForm) -> tuple[School | None, list[School], str | None]:
    """The school chosen (by a suggestion's id, or by its exact code or name), the
    candidates to offer, and why none is chosen yet."""
    raw_id = request.form.get("school_id") or request.args.get("school_id")
    if raw_id:
        school = db.session.get(School, int(raw_id)) if raw_id.isdigit() else None
        if school is None:
            return None, [], _("找不到這所學校，請重新搜尋後從清單中選擇。")
        return school, [school], None
    text = (form.school_query.data or "").strip()
    if not text:
        return None, [], _("請輸入學校名稱或教育部學校代碼，並從清單中選擇。")
    exact = db.session.scalar(select(School).where((School.code == text) | (School.name == text)))
    if exact is not None:
        return exact, [exact], None
    candidates = services.search_schools(text)
    if len(candidates) == 1:
        return candidates[0], candidates, None
    if not candidates:
        return None, [], _("找不到符合「%(text)s」的學校，請確認名稱或代碼。", text=text)
    return None, candidates, _("符合的學校不只一所，請從下列清單中選擇。")


@bp.route("/school/apply", methods=["GET", "POST"])
@handles("public.view")
def apply() -> Any:
    form = ApplicationForm()
    school: School | None = None
    candidates: list[School] = []
    school_error: str | None = None
    if request.method == "GET":
        if request.args.get("school_id"):
            school, candidates, school_error = _resolve_school(form)
        return _apply_page(form, school, candidates, school_error)
    school, candidates, school_error = _resolve_school(form)
    if form.search.data:  # the plain (no-JavaScript) school search: no other checks yet
        return _apply_page(form, school, candidates, school_error)
    valid = form.validate_on_submit()
    if school is None:
        form.school_query.errors = [*form.school_query.errors, school_error or ""]
        valid = False
    if valid and school is not None:
        application = services.Application(
            school=school,
            username=_text(form.username.data),
            name=_text(form.name.data),
            job_title=_text(form.job_title.data),
            email=_text(form.email.data),
            phone=_text(form.phone.data),
            types=chosen_types(form.types),
            password=form.password.data or "",
        )
        try:
            account = services.apply(application)
        except services.Refused as refusal:
            target = form[refusal.field] if refusal.field else form.username
            target.errors = [*target.errors, refusal.message]
        else:
            return render_template(
                "accounts/applied.html",
                account=account,
                school=school,
                activator=services.activator_of(school, account.types),
                type_labels=services.type_labels(account.types),
            )
    return _apply_page(form, school, candidates, None, status=422)


def _apply_page(
    form: ApplicationForm,
    school: School | None,
    candidates: list[School],
    school_error: str | None,
    status: int = 200,
) -> Response:
    if school_error:
        form.school_query.errors = [*form.school_query.errors, school_error]
    return htmx.render(
        "accounts/apply.html",
        "accounts/apply.html",
        status=status,
        form=form,
        school=school,
        candidates=candidates,
    )


@bp.get("/school/apply/schools")
@handles("public.view")
def school_suggestions() -> Response:
    text = (request.args.get("school_query") or "")[:60]
    return htmx.render(
        "accounts/school_search.html",
        "accounts/_school_suggestions.html",
        query=text,
        candidates=services.search_schools(text),
        school=None,
    )


# ---- the chief's accounts ------------------------------------------------------------------


@bp.get("/school/accounts")
@handles("school_accounts.list", load=own_school)
def school_accounts(school: School) -> Response:
    return htmx.render(
        "accounts/school_accounts.html",
        "accounts/_accounts_table.html",
        school=school,
        accounts=services.accounts_of_school(school.id),
        manager="chief",
    )


@bp.route(
    "/school/accounts/<id:account_id>/<any(activate, disable, enable, delete):operation>",
    methods=["GET", "POST"],
)
@handles("account.manage", load=account_in_scope)
def change_status(account: BusinessAccount, account_id: int, operation: str) -> Any:
    form = EmptyForm()
    refusal = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.OPERATIONS[operation](signed_in_account(), account)
        except services.Refused as error:
            refusal = error
        else:
            flash(_done(operation, account.username), "ok")
            return htmx.redirect_to(_back_url(account))
    title, text = OPERATION_TEXT[operation]
    return (
        render_template(
            "accounts/confirm.html",
            form=form,
            account=account,
            operation=operation,
            title=title,
            text=text,
            refusal=refusal,
            back_url=_back_url(account),
            type_labels=services.type_labels(account.types),
        ),
        409 if refusal else 200,
    )


@bp.route("/school/accounts/<id:account_id>/types", methods=["GET", "POST"])
@handles("account.manage", load=account_in_scope)
def change_types(account: BusinessAccount, account_id: int) -> Any:
    form = TypesForm()
    if request.method == "GET":
        form.types.data = [t.value for t in services.TYPE_ORDER if t in account.types]
    elif form.validate_on_submit():
        try:
            services.set_types(signed_in_account(), account, chosen_types(form.types))
        except services.Refused as refusal:
            form.types.errors = [*form.types.errors, refusal.message]
        else:
            flash(_("已更新帳號 %(username)s 的類別。", username=account.username), "ok")
            return htmx.redirect_to(_back_url(account))
    status = 422 if form.types.errors else 200
    return (
        render_template(
            "accounts/types.html", form=form, account=account, back_url=_back_url(account)
        ),
        status,
    )


@bp.route("/school/account", methods=["GET", "POST"])
@handles("account.own_contact")
def own_contact() -> Any:
    account = signed_in_account()
    form = ContactForm(obj=account)
    if request.method == "POST":
        if form.validate_on_submit():
            services.update_contact(
                account,
                job_title=_text(form.job_title.data),
                email=_text(form.email.data),
                phone=_text(form.phone.data),
            )
            flash(_("已更新您的聯絡資料。"), "ok")
            return htmx.redirect_to(url_for("accounts.own_contact"))
        return render_template("accounts/contact.html", form=form, account=account), 422
    return render_template("accounts/contact.html", form=form, account=account)


# ---- the regional centre -------------------------------------------------------------------


def _chief_count(status: AccountStatus) -> Any:
    return (
        select(func.count(BusinessAccount.id))
        .join(AccountGrant, AccountGrant.account_id == BusinessAccount.id)
        .where(
            BusinessAccount.school_id == School.id,
            BusinessAccount.status == status,
            AccountGrant.type == AccountType.CHIEF,
        )
        .correlate(School)
        .scalar_subquery()
    )


@bp.get("/region/schools")
@handles("chief_accounts.overview")
def region_schools() -> Response:
    account = signed_in_account()
    counties = db.session.scalars(policy.counties_in_scope(account).order_by(County.code)).all()
    county = request.args.get("county", "")
    stage = request.args.get("stage", "")
    active = _chief_count(AccountStatus.ACTIVE)
    pending = _chief_count(AccountStatus.APPLIED)
    query = policy.schools_in_scope(account).add_columns(active, pending)
    if county in {c.code for c in counties}:
        query = query.where(School.county_code == county)
    else:
        county = ""
    if stage in {s.value for s in Stage}:
        query = query.where(School.stage == Stage(stage))
    else:
        stage = ""
    query = query.order_by(case((active == 0, 0), else_=1), School.county_code, School.code)
    page = paginate(query, page_number(request.args.get("page")))
    return htmx.render(
        "accounts/region_schools.html",
        "accounts/_region_rows.html",
        account=account,
        counties=counties,
        stages=list(Stage),
        county=county,
        stage=stage,
        listing=page,
    )


@bp.get("/region/schools/<id:school_id>")
@handles("chief_accounts.overview", load=school_in_scope)
def region_school(school: School, school_id: int) -> Response:
    accounts = services.accounts_of_school(school.id)
    return htmx.render(
        "accounts/region_school.html",
        "accounts/_accounts_table.html",
        school=school,
        accounts=accounts,
        manager="region",
        active_chiefs=services.active_chiefs(school.id),
    )


# ---- labels for the templates --------------------------------------------------------------


@bp.app_template_global()
def account_types(account: BusinessAccount) -> list[str]:
    """The zh-TW labels of an account's types."""
    return services.type_labels(account.types)


@bp.app_template_global()
def status_label(status: AccountStatus) -> str:
    """An account status in words."""
    labels = {
        AccountStatus.APPLIED: _("申請中"),
        AccountStatus.ACTIVE: _("啟用中"),
        AccountStatus.DISABLED: _("已停用"),
        AccountStatus.DELETED: _("已刪除"),
    }
    return labels[AccountStatus(status)]


@bp.app_template_global()
def course_status_label(status: CourseStatus) -> str:
    """A course status in words (編輯中 … 名單確認通過)."""
    return _(COURSE_STATUS_LABELS[CourseStatus(status)])


bp.add_app_template_global(services.centre_name, "centre_name")
