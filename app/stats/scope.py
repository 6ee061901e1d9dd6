"""Scopes: which schools a figure covers, as a ``Select`` of school ids."""

from __future__ import annotations

from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import QueryableAttribute

from app.models import School

# A Select of one column of school ids (e.g. the access policy's schools_in_scope(account));
# None means every school.
Scope: TypeAlias = Select[Any] | None


def in_scope(
    school_id: QueryableAttribute[Any] | ColumnElement[Any], scope: Scope
) -> ColumnElement[bool]:
    """The condition "this school id is in scope" (always true for every school)."""
    return true() if scope is None else school_id.in_(scope)


def one_school(school_id: int) -> Select[Any]:
    """The scope of a single school."""
    return select(School.id).where(School.id == school_id)
