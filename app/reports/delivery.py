"""Serving documents to the features that own the URLs: the cycle asked for, the PDF answer.

The reports package renders and caches documents; the pages that link to them (the
teacher's, the school's, oversight's, the manuals) serve them with these two helpers.
"""

from __future__ import annotations

from flask import Response, abort, make_response, render_template

from app.cycles.windows import current_cycle, cycle_by_year
from app.models import Cycle
from app.params import query_int
from app.reports import cache, jobs
from app.reports.documents import Document


def requested_cycle() -> Cycle:
    """The cycle asked for with ?year=, else the current one; 404 if there is none."""
    year = query_int("year")
    cycle = cycle_by_year(year) if year is not None else current_cycle()
    if cycle is None:
        abort(404)
    return cycle


def serve(document: Document) -> Response:
    """The document's PDF from the cache (rendered on a miss), or 503 while it renders."""
    try:
        cached = jobs.obtain(document)
    except jobs.RenderPending:
        response = make_response(render_template("reports/pending.html"), 503)
        response.headers["Retry-After"] = "15"
        # Browsers load the same address again after 15 s, without JavaScript.
        response.headers["Refresh"] = "15"
        return response
    return cache.file_response(cached, document.filename)
