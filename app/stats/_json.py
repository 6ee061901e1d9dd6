"""The few JSON reads the stats need, spelled for SQLite and for PostgreSQL.

Both spellings give the same rows for the same stored answers (tests/test_stats.py
checks every count on both databases against the Python definition, ``Tally.add``):

* ``elements(key)``: the elements of ``answers[key]`` when it is an array (no rows
  otherwise), as a table joined to ``teacher_plan``, with their position;
* ``element_text``: the element when it is a non-empty string, else NULL;
* ``field_text`` / ``field_hours``: a member of an element that is an object: a
  non-empty string (else NULL), or a number in (0, 10 000) as hours (else NULL).

SQLite: ``json_each`` / ``json_type`` / ``json_extract``. PostgreSQL: the ``json``
column cast to ``jsonb``, ``jsonb_array_elements … WITH ORDINALITY``,
``jsonb_typeof`` and ``->>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Numeric,
    and_,
    case,
    cast,
    func,
    literal_column,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import QueryableAttribute

from app.models import TeacherPlan

MAX_HOURS = 10_000  # one activity's hours outside (0, 10 000) count as none


@dataclass(frozen=True)
class Elements:
    """The elements of one array of the answers: a table to join ``ON on``."""

    table: FromClause
    on: ColumnElement[bool]
    value: ColumnElement[Any]
    position: ColumnElement[Any]


class JsonSql:
    """The dialect's spelling of each JSON read (see the module docstring)."""

    def __init__(
        self, dialect_name: str, answers: QueryableAttribute[Any] = TeacherPlan.answers
    ) -> None:
        self.postgres = dialect_name == "postgresql"
        self.answers = answers  # the JSON column read: a teacher plan's, or a school plan's

    def _doc(self) -> ColumnElement[Any] | QueryableAttribute[Any]:
        return cast(self.answers, JSONB) if self.postgres else self.answers

    def answers_are_object(self) -> ColumnElement[bool]:
        """Only plans whose answers are a JSON object are counted at all."""
        if self.postgres:
            return func.jsonb_typeof(self._doc()) == "object"
        return func.json_type(self.answers) == "object"

    def elements(self, key: str, *, objects_only: bool = False) -> Elements:
        """The elements of ``answers[key]`` if it is an array; only objects if asked."""
        if self.postgres:
            member = func.jsonb_extract_path(self._doc(), key)
            array = case(
                (func.jsonb_typeof(member) == "array", member), else_=func.jsonb_build_array()
            )
            table = (
                func.jsonb_array_elements(array)
                .table_valued("value", with_ordinality="position")
                .render_derived()
            )
            on = func.jsonb_typeof(table.c.value) == "object" if objects_only else true()
            return Elements(table, on, table.c.value, table.c.position)
        table = func.json_each(self.answers, f"$.{key}").table_valued("key", "value", "type")
        # json_each also walks the members of an object: only a real array counts.
        on = func.json_type(self.answers, f"$.{key}") == "array"
        if objects_only:
            on = and_(on, table.c.type == "object")
        return Elements(table, on, table.c.value, table.c.key)

    def element_text(self, elements: Elements) -> ColumnElement[Any]:
        """The element when it is a non-empty string, else NULL."""
        text: ColumnElement[Any]
        is_text: ColumnElement[bool]
        if self.postgres:
            text = elements.value.op("#>>")(literal_column("CAST('{}' AS TEXT[])"))
            is_text = func.jsonb_typeof(elements.value) == "string"
        else:
            text = elements.value
            is_text = elements.table.c.type == "text"
        return case((and_(is_text, text != ""), text))

    def field_text(self, elements: Elements, name: str) -> ColumnElement[Any]:
        """Member ``name`` of an object element when it is a non-empty string, else NULL."""
        text: ColumnElement[Any]
        if self.postgres:
            text = func.jsonb_extract_path_text(elements.value, name)
            is_text = func.jsonb_typeof(func.jsonb_extract_path(elements.value, name)) == "string"
        else:
            text = func.json_extract(elements.value, f"$.{name}")
            is_text = func.json_type(elements.value, f"$.{name}") == "text"
        return case((and_(is_text, text != ""), text))

    def field_hours(self, elements: Elements, name: str) -> ColumnElement[Any]:
        """Member ``name`` of an object element when it is a number in (0, 10 000), else NULL."""
        if self.postgres:
            is_number = func.jsonb_typeof(func.jsonb_extract_path(elements.value, name)) == "number"
            number = cast(func.jsonb_extract_path_text(elements.value, name), Numeric)
            # Nested CASE: the cast runs only on numbers (AND does not promise an order).
            return case((is_number, case((and_(number > 0, number < MAX_HOURS), number))))
        value = func.json_extract(elements.value, f"$.{name}")
        is_real = func.json_type(elements.value, f"$.{name}").in_(("integer", "real"))
        return case((and_(is_real, value > 0, value < MAX_HOURS), value))
