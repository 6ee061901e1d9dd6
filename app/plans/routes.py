"""Two small endpoints for a plan page that outlived its session: a fresh CSRF token for
the signed-in user, and the page a new tab lands on after signing in again."""

from __future__ import annotations

from flask import Response, jsonify, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.lifecycle import handles
from app.plans import bp


@bp.get("/token")
@handles("public.view")  # answers 401 itself: the page asks whether anyone is signed in
def fresh_token() -> Response:
    """The signed-in user's CSRF token (JSON), or 401 when nobody is signed in."""
    if not current_user.is_authenticated:
        response = jsonify({"signed_in": False})
        response.status_code = 401
    else:
        response = jsonify({"signed_in": True, "csrf_token": generate_csrf()})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/signed-in")
@handles("public.view")
def signed_in() -> str:
    """Where a sign-in opened from a plan page lands: go back to the plan's tab."""
    return render_template("plans/signed_in.html")
