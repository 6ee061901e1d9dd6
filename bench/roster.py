"""The roster figures (school administration): on the data set's school of 300 teachers
(bench.generate's `roster_teachers`), its chief signs in through the real business-account
form (CSRF + argon2); wrk then loads, interleaved with the other endpoints of
bench.harness, that school's 教師資料 list page (GET /school/roster, the whole page) and
its htmx search (GET /school/roster?q=… with `HX-Request: true`, so app/htmx.py answers
with the partial `roster_admin/_rows.html`). Each is reported as a ratio to the bare
endpoint measured in the same rounds.

The search text is the commonest surname at that school: what a chief types first, and a
result of a page or two rather than one row or all of them."""

from __future__ import annotations

import base64
import http.client
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from app import timeutil
from app.extensions import db
from app.models import Employment, Teacher

PAGE = "/school/roster"
LOGIN = "/school/login"
KINDS = ("roster", "roster_search")
LABELS = {
    "roster": f"GET {PAGE}",
    "roster_search": f"GET {PAGE}?q= (htmx)",
}

_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
_PARTIAL_ROOT = re.compile(r'^\s*<div id="roster-rows">')


@dataclass
class SearchChoice:
    text: str  # one surname character
    matches: int  # current teachers at the school whose name contains it
    teachers: int  # current teachers at the school


def choose_search(school_id: int) -> SearchChoice:
    """The commonest surname among the school's current teachers (current app context)."""
    names = list(
        db.session.scalars(
            Employment.at(timeutil.now())
            .where(Employment.school_id == school_id)
            .join(Teacher, Teacher.id == Employment.teacher_id)
            .with_only_columns(Teacher.name)
        )
    )
    if not names:
        raise RuntimeError("the roster school has no current teacher")
    surname, _ = Counter(name[0] for name in names).most_common(1)[0]
    return SearchChoice(surname, sum(surname in name for name in names), len(names))


@dataclass
class RosterLoad:
    """The signed-in chief and the two requests wrk repeats."""

    school: dict[str, Any]  # bench.generate's report.roster_school
    search: SearchChoice
    cookie: str = ""
    probes: dict[str, Any] = field(default_factory=dict)

    @property
    def search_path(self) -> str:
        # What htmx sends for the search form: every field of the form.
        query = {"q": self.search.text, "show": "current", "sort": "name", "dir": "asc"}
        return f"{PAGE}?{urlencode(query)}"

    def requests(self, user_agent: str) -> dict[str, dict[str, Any]]:
        """kind → the GET that wrk repeats (path and headers)."""
        page = {"User-Agent": user_agent, "Cookie": self.cookie}
        partial = {**page, "HX-Request": "true", "HX-Current-URL": PAGE}
        return {
            "roster": {"path": PAGE, "headers": page},
            "roster_search": {"path": self.search_path, "headers": partial},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "school_code": self.school["code"],
            "teachers": self.search.teachers,
            "chief": self.school["username"],
            "search_text": self.search.text,
            "search_matches": self.search.matches,
            "paths": {"roster": PAGE, "roster_search": self.search_path},
        }


def _session_cookie(headers: dict[str, str], current: str) -> str:
    from http.cookies import SimpleCookie

    for line in headers.get("set-cookie", "").splitlines():
        if line.strip():
            jar: SimpleCookie = SimpleCookie()
            jar.load(line)
            if "session" in jar:
                current = f"session={jar['session'].value}"
    return current


def sign_in_chief(port: int, username: str, password: str) -> str:
    """The real business-account form (its CSRF token, then the POST); the session cookie."""
    from bench.harness import BenchError, request

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        status, headers, text = request(port, "GET", LOGIN, conn=conn)
        cookie = _session_cookie(headers, "")
        token = _CSRF_INPUT.search(text)
        if status != 200 or token is None:
            raise BenchError(f"business sign-in page: HTTP {status}")
        form = urlencode({"csrf_token": token.group(1), "username": username, "password": password})
        status, headers, _ = request(
            port, "POST", LOGIN, conn=conn, body=form, headers={"Cookie": cookie}
        )
        if status != 303:
            raise BenchError(f"chief sign-in refused: HTTP {status}")
        return _session_cookie(headers, cookie)
    finally:
        conn.close()


def check_and_probe(port: int, load: RosterLoad, user_agent: str, n: int = 4) -> None:
    """Both requests answer 200 with what they should (the whole page, the partial alone);
    count their SQL statements as bench.harness.probe does (X-Bench-SQL, when served)."""
    from bench.harness import BenchError, request

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for kind, spec in load.requests(user_agent).items():
            entry: dict[str, Any] = {"counts": [], "statuses": [], "variants": {}}
            for _ in range(n):
                headers = {**spec["headers"], "X-Bench-Explain": "1"}
                status, got, text = request(port, "GET", spec["path"], conn=conn, headers=headers)
                whole = "<html" in text
                if status != 200 or whole != (kind == "roster") or 'id="roster-rows"' not in text:
                    raise BenchError(f"{LABELS[kind]}: HTTP {status}, not the expected answer")
                if kind == "roster_search" and not _PARTIAL_ROOT.match(text):
                    raise BenchError(f"{LABELS[kind]}: the answer is not the partial alone")
                entry["statuses"].append(status)
                if "x-bench-sql" in got:
                    count = int(got["x-bench-sql"])
                    entry["counts"].append(count)
                    if count not in entry["variants"] and "x-bench-sql-text" in got:
                        sql = json.loads(base64.b64decode(got["x-bench-sql-text"]))
                        entry["variants"][count] = sql
            counts = entry["counts"]
            if counts:
                entry["min"], entry["max"] = min(counts), max(counts)
                entry["mean"] = sum(counts) / len(counts)
                entry["typical"] = max(set(counts), key=counts.count)
                entry["variants"] = {str(k): v for k, v in sorted(entry["variants"].items())}
                load.probes[kind] = entry
    finally:
        conn.close()


def prepare(
    port: int, env: dict[str, str], school: dict[str, Any], password: str, user_agent: str
) -> RosterLoad:
    """Choose the search (in this process, on the benchmark database), sign the chief in
    on the server, check both requests and count their statements."""
    from bench.harness import _local_app

    app = _local_app(env)
    with app.app_context():
        search = choose_search(school["id"])
        db.session.remove()
    if db.engine is not None:
        db.engine.dispose()
    load = RosterLoad(school, search)
    load.cookie = sign_in_chief(port, school["username"], password)
    check_and_probe(port, load, user_agent)
    return load
