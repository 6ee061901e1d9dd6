"""The one htmx gate: decide page or partial, render both from one context, vary the cache."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request


def is_partial() -> bool:
    """A request that wants a fragment: htmx sent it and it is not a history restore."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, partial: str, status: int = 200, **context: Any) -> Response:
    """Render the whole page, or only its partial for htmx, from the same context."""
    template = partial if is_partial() else page
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", "HX-Request")
    return response


def redirect_to(url: str) -> Response:
    """Redirect that htmx follows as a full navigation and a plain browser as a 303."""
    if is_partial():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    response = make_response("", 303)
    response.headers["Location"] = url
    return response
