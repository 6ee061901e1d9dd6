"""Every parameter a URL can carry is checked here, once per kind: never a 500 from input.

* Path parameters: the ``id`` and ``year`` converters accept 1..2³¹−1 only (the range of
  a PostgreSQL integer); anything else is a 404, before the view runs.
* Query parameters: ``query_int`` and ``query_code`` answer 400 for a malformed value and
  404 for one that cannot exist.
* ``reject_control_characters`` (before every request): NUL and other C0 controls in the
  path or a query parameter are a 400; no database is asked about them.
* ``local_path``: where a ``next`` or a Referer may send the browser after normalisation,
  only a same-origin relative path.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, request
from werkzeug.routing import BaseConverter, ValidationError

MAX_INT: Final = 2**31 - 1  # PostgreSQL INTEGER; years and row ids never exceed it

_DIGITS: Final = re.compile(r"[0-9]{1,10}")
_ANY_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")


def bounded_int(raw: str, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
    """The integer ``raw`` spells in plain ASCII digits within the bounds, else None."""
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


class IdConverter(BaseConverter):
    """A row id in a path: 1..2³¹−1, plain digits (no sign, no leading zeros)."""

    regex = r"[1-9][0-9]{0,9}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = bounded_int(value)
        if number is None:
            raise ValidationError()  # the route does not match: 404
        return number

    def to_url(self, value: object) -> str:
        return str(int(str(value)))


class YearConverter(IdConverter):
    """An academic year (民國) in a path; same bounds as an id."""


def query_int(name: str, *, maximum: int = MAX_INT) -> int | None:
    """An optional positive integer query parameter: absent or empty is None; not
    digits is a 400; out of range (cannot exist) is a 404."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    stripped = raw.strip()
    if not (stripped.isascii() and stripped.isdigit()):
        abort(400)
    value = bounded_int(stripped, maximum=maximum)
    if value is None:
        abort(404)
    return value


def query_code(name: str, pattern: str) -> str:
    """An optional code query parameter (a county code, …): empty when absent; a value
    not matching ``pattern`` is a 404 (no such code exists)."""
    raw = request.args.get(name, "")
    if raw and not re.fullmatch(pattern, raw):
        abort(404)
    return raw


def reject_control_characters() -> None:
    """400 for NUL and other control characters in the path or a query parameter.

    Form fields are left to their forms, which explain a refused value beside its field;
    ``next`` to ``local_path``, so a sign-in with a mangled ``next`` still succeeds and
    lands on the default page.
    """
    if _ANY_CONTROL.search(request.path):
        abort(400)
    for key, value in request.args.items(multi=True):
        if _ANY_CONTROL.search(key) or (key != "next" and _ANY_CONTROL.search(value)):
            abort(400)


def local_path(target: str | None) -> str | None:
    """``target`` when it is a same-origin relative path, else None.

    Refused: anything with a scheme or a host, ``//`` and ``/\\`` starts, backslashes,
    control characters (browsers drop tabs and newlines, so ``/\\t/evil`` is ``//evil``),
    and the same after percent-decoding (``/%2F/evil``, ``/%5Cevil``, ``/%09/evil``).
    """
    if not target or len(target) > 2000:
        return None
    decoded = target
    for _ in range(3):  # doubly encoded variants as well
        if not _plain_local(decoded):
            return None
        again = unquote(decoded)
        if again == decoded:
            return target
        decoded = again
    return None  # still encoded after three rounds: no link of ours looks like that


def _plain_local(text: str) -> bool:
    if "\\" in text or _ANY_CONTROL.search(text):
        return False
    if not text.startswith("/") or text.startswith("//"):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def referrer_path() -> str | None:
    """The path (and query) of the Referer when it names this very origin, else None."""
    referrer = request.referrer
    if not referrer:
        return None
    try:
        parts = urlsplit(referrer)
    except ValueError:
        return None
    if parts.scheme != request.scheme or parts.netloc != request.host:
        return None
    path = parts.path or "/"
    return local_path(f"{path}?{parts.query}" if parts.query else path)


def init_app(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["year"] = YearConverter
    app.before_request(reject_control_characters)
