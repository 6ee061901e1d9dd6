"""The dashboard tables' query strings: filters, allow-listed sort keys and pages.

Every parameter is checked here, once: an unknown stage, state, sort key or direction is
a 400 (nothing is guessed), a page that is not a positive integer is a 400 or 404 (see
``app.params.query_int``), a page past the end is an empty page. Scope parameters (a
county code, a school id) are the policy's business, in the views.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from flask import abort, request

from app.models import Stage
from app.params import query_int
from app.stats.completion import Completion

T = TypeVar("T")

PER_PAGE = 50
MAX_PAGE = 100_000
MAX_TEXT = 50


@dataclass(frozen=True)
class TableQuery:
    """What one table shows: filters, the sort key and direction, the page."""

    sorts: tuple[str, ...]
    states: tuple[str, ...] = ()
    stage: str = ""
    state: str = ""
    text: str = ""
    sort: str = ""
    descending: bool = False
    page: int = 1
    year: int | None = None
    county: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        sorts: Sequence[str],
        states: Sequence[str] = (),
        *,
        default_sort: str | None = None,
    ) -> TableQuery:
        """Read the query string; 400 for a value that is not on the table's lists."""
        args = request.args
        stage = args.get("stage", "")
        if stage and stage not in {s.value for s in Stage}:
            abort(400)
        state = args.get("state", "")
        if state and state not in states:
            abort(400)
        sort = args.get("sort", "") or (default_sort or sorts[0])
        if sort not in sorts:
            abort(400)
        direction = args.get("dir", "") or "asc"
        if direction not in ("asc", "desc"):
            abort(400)
        return cls(
            sorts=tuple(sorts),
            states=tuple(states),
            stage=stage,
            state=state,
            text=" ".join(args.get("q", "").split())[:MAX_TEXT],
            sort=sort,
            descending=direction == "desc",
            page=query_int("page", maximum=MAX_PAGE) or 1,
            year=query_int("year"),
        )

    @property
    def stage_value(self) -> Stage | None:
        return Stage(self.stage) if self.stage else None

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query-string arguments of this query with some changed (for links)."""
        values: dict[str, Any] = {
            "year": self.year,
            "stage": self.stage,
            "state": self.state,
            "q": self.text,
            "county": self.county,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "page": self.page,
        } | changes
        return {k: v for k, v in values.items() if v not in ("", None)}

    def filters(self) -> dict[str, Any]:
        """The arguments of the same rows unpaginated (the export links)."""
        return self.args(page=None)

    def with_county(self, code: str) -> TableQuery:
        return replace(self, county=code)


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One page of a sorted, filtered table, with the total of every filtered row."""

    items: list[T]
    page: int
    pages: int
    count: int
    totals: Completion

    @property
    def past_the_end(self) -> bool:
        return self.page > self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def sorted_rows(rows: list[T], query: TableQuery, keys: dict[str, Callable[[T], Any]]) -> list[T]:
    """The rows in the query's order (a stable sort: ties keep the default order)."""
    return sorted(rows, key=keys[query.sort], reverse=query.descending)


def page_of(rows: list[T], query: TableQuery, totals: Completion) -> Listing[T]:
    """The query's page of already sorted rows; past the end, an empty page."""
    pages = max((len(rows) + PER_PAGE - 1) // PER_PAGE, 1)
    start = (query.page - 1) * PER_PAGE
    return Listing(rows[start : start + PER_PAGE], query.page, pages, len(rows), totals)


def rate_key(counts: Completion) -> float:
    """Sort key of a completion rate: schools without a roster sort below 0 %."""
    rate = counts.rate
    return -1.0 if rate is None else rate
