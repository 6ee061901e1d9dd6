"""/manuals/: the cycle's manuals for schools and teachers, public PDFs."""

from __future__ import annotations

from flask import Response, abort

from app.lifecycle import handles
from app.reports import bp, documents
from app.reports.delivery import requested_cycle, serve


@bp.get("/<audience>.pdf")
@handles("public.view")
def manual_pdf(audience: str) -> Response:
    if audience not in documents.AUDIENCES:
        abort(404)
    return serve(documents.manual_document(requested_cycle(), audience))
