from __future__ import annotations

from flask import Response, abort

from app.lifecycle import handles, signed_in_account
from app.models import BusinessAccount
from app.oversight import bp
from app.params import query_code
from app.policy import CountyRef
from app.reports import documents
from app.reports.delivery import requested_cycle, serve


def requested_county(account: BusinessAccount) -> CountyRef | None:
    """The county asked for with ?county=, else a county authority's own county.

    Whether it is in the account's scope is the policy's decision (403 for another
    county, whether or not that county exists).
    """
    code = query_code("county", r"[0-9]{5}")  # anything else names no county: 404
    if not code and account.authority is not None:
        code = account.authority.county_code or ""
    return CountyRef(code) if code else None


@bp.get("/county.pdf")
@handles("county_report.view", load=requested_county)
def county_pdf(county: CountyRef) -> Response:
    own = signed_in_account().authority
    # A county authority's own bureau is already loaded with the account.
    authority = own if own and own.county_code == county.code else None
    authority = authority or documents.county_authority(county.code)
    if authority is None:
        abort(404)
    return serve(documents.county_document(requested_cycle(), authority))


@bp.get("/national.pdf")
@handles("national_report.view")
def national_pdf() -> Response:
    return serve(documents.national_document(requested_cycle()))
