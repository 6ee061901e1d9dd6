"""Scopes: which schools a figure covers, as a ``Select`` (or subquery) of school ids."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Select, Subquery, select, true
from sqlalchemy.orm import QueryableAttribute

from app.models import School

# One column of school ids (e.g. the access policy's schools_in_scope(account)), as a
# Select or a subquery; None means every school.
Scope: TypeAlias = Select[Any] | Subquery | None


def in_scope(
    school_id: QueryableAttribute[Any] | ColumnElement[Any], scope: Scope
) -> ColumnElement[bool]:
    """The condition "this school id is in scope" (always true for every school)."""
    if scope is None:
        return true()
    if isinstance(scope, Subquery):  # IN wants a SELECT: select the subquery's one column
        scope = select(*scope.c)
    return school_id.in_(scope)


def one_school(school_id: int) -> Select[Any]:
    """The scope of a single school."""
    return select(School.id).where(School.id == school_id)
