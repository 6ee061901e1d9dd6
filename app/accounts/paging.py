"""One page of a long list: the rows, where we are, and how many pages there are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from app.extensions import db

T = TypeVar("T")

PER_PAGE = 30


@dataclass
class Page(Generic[T]):
    """Rows of one page and the numbers a pager needs."""

    items: list[T]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(raw: Any) -> int:
    """A page number from a query string: anything that is not a positive integer is 1."""
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def paginate(query: Select[Any], number: int, per_page: int = PER_PAGE) -> Page[Any]:
    """Run `query` for one page; a page past the end shows the last one."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    total = total or 0
    pages = max((total + per_page - 1) // per_page, 1)
    number = min(number, pages)
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page)).all()
    items = [row[0] if len(row) == 1 else row for row in rows]
    return Page(items=items, number=number, pages=pages, total=total)
