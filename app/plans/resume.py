"""Typed answers survive an ended session: a plain POST of a plan form that meets a dead
session (or a stale CSRF token) shows the sign-in form with the answers carried in hidden
fields, and after the sign-in a page that posts them to the plan with a fresh token.

Called from the app's unauthorized and CSRF-error handlers and from the sign-in view;
all the logic is here so those hooks stay one line each.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, g, make_response, render_template, request
from flask_login import current_user

from app import htmx

# The plan pages a form posts to, by realm; autosave and reopen land on them too.
PLAN_PAGES = {"/teacher/plan": "teacher", "/school/plan": "school"}
POST_ONLY = ("/autosave", "/reopen")
CARRY = "carry."
CARRY_TO = "carry_to"
MAX_CARRIED = 2000  # fields; the request size is bounded by MAX_CONTENT_LENGTH


def landing(target: str) -> str:
    """A page a browser may land on after signing in: never a POST-only URL."""
    path = urlsplit(target).path
    for suffix in POST_ONLY:
        page = path.removesuffix(suffix)
        if page != path and page in PLAN_PAGES:
            return page
    return target


def _same_origin() -> bool:
    """A browser's own page posted this (not another site): Sec-Fetch-Site or Origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.rstrip("/") == request.host_url.rstrip("/")
    return True  # neither header: not a browser that could be made to post cross-site


def _typed_fields() -> list[tuple[str, str]]:
    """The plan form's fields worth keeping (never its stale CSRF token)."""
    kept = []
    for name, value in request.form.items(multi=True):
        if name == "csrf_token" or len(name) > 140:
            continue
        if name.startswith(("q.", "resolve.")) or name in ("version", "base"):
            kept.append((name, value))
        if len(kept) >= MAX_CARRIED:
            break
    kept.append(("action", "save"))  # after a sign-in, save first; submitting is a choice
    return kept


def keep_typed_answers() -> Response | None:
    """For a plain POST of a plan form whose session ended or whose token is stale: a page
    that keeps what was typed (sign in first, or save with a fresh token). Else None."""
    realm = PLAN_PAGES.get(request.path)
    if request.method != "POST" or realm is None or htmx.is_partial() or not _same_origin():
        return None
    fields = _typed_fields()
    if not any(name.startswith("q.") for name, _value in fields):
        return None  # nothing typed to keep: the usual way to the sign-in page
    if current_user.is_authenticated:
        return make_response(
            render_template("plans/resume.html", fields=fields, target=request.path, stale=True),
            400,
        )
    from app.auth.forms import AccountLoginForm, TeacherLoginForm

    form_class = TeacherLoginForm if realm == "teacher" else AccountLoginForm
    form = form_class(formdata=None)
    carried = [(CARRY + name, value) for name, value in fields] + [(CARRY_TO, request.path)]
    page = render_template(
        "plans/sign_in_to_save.html", form=form, failure=None, realm=realm, carried=carried
    )
    return make_response(page, 401)


def _carried() -> tuple[str, list[tuple[str, str]]] | None:
    target = request.form.get(CARRY_TO, "")
    if request.method != "POST" or target not in PLAN_PAGES:
        return None
    fields = [
        (name.removeprefix(CARRY), value)
        for name, value in request.form.items(multi=True)
        if name.startswith(CARRY)
    ][:MAX_CARRIED]
    return target, fields


def sign_in_page(form: object, failure: object, realm: str) -> str | None:
    """The sign-in form again (after a refusal) still carrying the typed answers."""
    carried = _carried()
    if carried is None:
        return None
    target, fields = carried
    kept = [(CARRY + name, value) for name, value in fields] + [(CARRY_TO, target)]
    return render_template(
        "plans/sign_in_to_save.html", form=form, failure=failure, realm=realm, carried=kept
    )


def after_sign_in(target: str) -> Response:
    """After a sign-in: the page posting the carried answers to their plan, or the landing."""
    carried = _carried()
    if carried is not None:
        plan_page, fields = carried
        # The sign-in form made a token from the session just cleared; the page needs one
        # from the new session.
        g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        page = render_template("plans/resume.html", fields=fields, target=plan_page, stale=False)
        return make_response(page, 200)
    response = make_response("", 303)
    response.headers["Location"] = landing(target)
    return response
