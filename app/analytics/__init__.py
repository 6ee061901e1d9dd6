"""進修需求分析: aggregated needs of the submitted plans, for authorities and schools.

Pages: /oversight/analytics (the nation, or ?county=CODE) and /school/analytics (the
account's own school). The figures come from app.stats.needs; the county and national
PDFs print the same tables (app.reports.documents).
"""

from flask import Blueprint

bp = Blueprint("analytics", __name__)

from app.analytics import routes  # noqa: E402,F401
