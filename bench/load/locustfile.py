"""The last afternoon of a window, for Locust (run by bench/load/runner.py, `make bench-load`).

Who does what (every think time is divided by BENCH_LOAD_TIME_SCALE, see docs/capacity.md):

- TeacherEditor (weight BENCH_LOAD_TEACHER_WEIGHT, 90): signs in through the real form,
  opens the plan (reopens it if it was submitted), autosaves every ~AUTOSAVE_SECONDS (10 s,
  ±30 %) while typing, SAVES_MIN–SAVES_MAX times; then submits (share SUBMIT_SHARE), waits
  PAGE_THINK, downloads the plan's PDF (waiting out a "rendering" 503 as its Retry-After
  says), signs out and comes back as the next teacher of the pool.
- SchoolEditor (weight SCHOOL_WEIGHT, 8): a planning account does the same on its
  school plan (the school plan form, /school/plan…).
- AuthorityViewer (weight AUTHORITY_WEIGHT, 2): a county bureau signs in, then every
  AUTHORITY_THINK seconds refreshes its landing page or downloads its county report PDF,
  refreshes the completion dashboard (DASHBOARD_WEIGHT) or exports it (EXPORT_WEIGHT).
- BareProbe (fixed count BARE_USERS, 2): GET /_bench/bare every PAGE_THINK seconds, the
  unit the other latencies are divided by, measured under the same load.

Each accepted save carries a marker `load-<owner>-<sequence>` in the remarks; the ledger
(BENCH_LOAD_LEDGER) lists the last accepted marker per plan, for the runner to find in the
database afterwards. Figures per step of the ramp go to BENCH_LOAD_STEPS (JSON lines),
written by StepShape, which also decides when to stop (docs/capacity.md).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

from geventhttpclient.response import HTTPConnectionClosed
from locust import FastHttpUser, LoadTestShape, between, events, task


def _env(name: str, default: float) -> float:
    return float(os.environ.get(f"BENCH_LOAD_{name}", default))


TIME_SCALE = _env("TIME_SCALE", 1.0)
AUTOSAVE_SECONDS = _env("AUTOSAVE_SECONDS", 10.0)
PAGE_THINK = _env("PAGE_THINK", 3.0)
AUTHORITY_THINK = _env("AUTHORITY_THINK", 30.0)
SAVES_MIN = int(_env("SAVES_MIN", 20))
SAVES_MAX = int(_env("SAVES_MAX", 60))
SUBMIT_SHARE = _env("SUBMIT_SHARE", 0.8)
PDF_RETRIES = int(_env("PDF_RETRIES", 4))
RETRY_SECONDS = _env("RETRY_SECONDS", 5.0)  # after a refused sign-in or page, before again
P95_LIMIT_MS = _env("P95_LIMIT_MS", 300.0)
# > 0 (the smoke run): each editor does this many whole sessions, then the run ends,
# however long that takes on a busy machine.
SESSIONS = int(_env("SESSIONS", 0))
DASHBOARD_PATH = os.environ.get("BENCH_LOAD_DASHBOARD_PATH", "/oversight/dashboard/schools")
EXPORT_PATH = os.environ.get("BENCH_LOAD_EXPORT_PATH", "/oversight/dashboard/schools.xlsx")
USER_AGENT = "jinxiu-load/1 (locust)"

# Requests whose p95 decides the capacity: what an editing person waits for.
EDITING = ("open plan", "autosave", "submit", "school: open plan", "school: autosave")

_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
# The page's token for htmx requests (templates/base.html, sent as X-CSRFToken).
_CSRF_HEADER = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')
_BASE = re.compile(r'name="base" value="([^"]*)"')
_SESSION = re.compile(r"\bsession=([^;,\s]+)")
OVERLOADED = 'data-error="overloaded"'

TEACHER_FORM: list[tuple[str, str]] = [
    ("q.needs.1", "std04"), ("q.needs.2", "std06"), ("q.needs.3", "std09"),
    ("q.needs_description", "希望精進差異化教學，回應班上學生的學習差異。"),
    ("q.interest_areas", "mathematics"),
    ("q.activities.0.topic_category", "std04"), ("q.activities.0.topic", "差異化教學策略"),
    ("q.activities.0.mode", "plc"), ("q.activities.0.hours", "12"),
    ("q.activities.0.term", "second"),
    ("q.activities.1.topic_category", "std06"), ("q.activities.1.topic", "正向管教與班級經營"),
    ("q.activities.1.mode", "lecture_workshop"), ("q.activities.1.hours", "6"),
    ("q.activities.1.term", "first"),
    ("q.preferred_times", "weekday_day"), ("q.preferred_times", "vacation"),
]  # fmt: skip
SCHOOL_FORM: list[tuple[str, str]] = [
    ("q.contact_name", "黃承辦"), ("q.contact_title", "教務主任"),
    ("q.contact_phone", "07-7258600"), ("q.contact_email", "office@school.edu.tw"),
    ("q.priority_issues", "gender_equality"), ("q.priority_issues", "reading"),
    ("q.priority_description", "以素養導向教學精進全校教師專業。"),
    ("q.activities.0.topic_category", "std03"), ("q.activities.0.topic", "素養導向課程設計工作坊"),
    ("q.activities.0.mode", "lecture_workshop"), ("q.activities.0.hours", "6"),
    ("q.activities.0.term", "first"), ("q.activities.0.audience", "all_teachers"),
    ("q.activities.0.expected_participants", "40"),
    ("q.needs_support", "no"),
]  # fmt: skip


# ---- shared state of this Locust process ---------------------------------------------------


def _load_data() -> dict[str, Any]:
    path = os.environ.get("BENCH_LOAD_DATA")
    if not path:
        return {"teachers": [], "schools": [], "authorities": [], "password": ""}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


DATA = _load_data()


class Pool:
    """Logins handed out one user at a time (no two users edit one plan), returned after."""

    def __init__(self, items: list[Any]) -> None:
        self.items: deque[Any] = deque(items)
        self.lock = threading.Lock()

    def take(self) -> Any | None:
        with self.lock:
            return self.items.popleft() if self.items else None

    def give_back(self, item: Any) -> None:
        with self.lock:
            self.items.append(item)


TEACHERS = Pool([tuple(t) for t in DATA["teachers"]])
SCHOOLS = Pool([tuple(s) for s in DATA["schools"]])
AUTHORITIES = itertools.cycle(DATA["authorities"] or [""])
SEQUENCE: dict[str, int] = {}
FINISHED = {"sessions": 0}
LEDGER: dict[str, dict[str, Any]] = {}  # owner -> last accepted save


def next_marker(owner: str) -> tuple[int, str]:
    number = SEQUENCE.get(owner, 0) + 1
    SEQUENCE[owner] = number
    return number, f"load-{owner}-{number:06d}"


@dataclass
class Sample:
    at: float
    name: str
    ms: float
    outcome: str  # ok, shed (polite 503), pending (PDF rendering), error, retried


@dataclass
class Collector:
    """Every request of this process, for the shape's per-step figures."""

    samples: list[Sample] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def add(self, sample: Sample, detail: str = "") -> None:
        self.samples.append(sample)
        if sample.outcome == "error":
            key = f"{sample.name}: {detail}"[:160]
            self.errors[key] = self.errors.get(key, 0) + 1

    def between(self, start: float, end: float) -> list[Sample]:
        return [s for s in self.samples if start <= s.at < end]


COLLECTOR = Collector()


def classify(name: str, status: int, text: str) -> tuple[str, str]:
    """ok, shed (the app's polite 503), pending (a PDF still rendering: 503 by design) or
    error, with a short reason."""
    if status == 503 and OVERLOADED in text:
        return "shed", SHED
    if status == 503 and name.endswith("pdf"):
        return "pending", "503 rendering"
    if status >= 400 or status == 0:
        return "error", f"HTTP {status}"
    if "status-error" in text:
        return "error", "save refused"
    return "ok", ""


SHED = "503 overloaded (Retry-After)"
RETRIED = "closed before an answer, sent again"
# What a connection the server closed before answering looks like to geventhttpclient.
CLOSED_BEFORE_ANSWER = (HTTPConnectionClosed, ConnectionResetError, BrokenPipeError)


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    exception: Any = None,
    **_: Any,
) -> None:
    status = getattr(response, "status_code", 0) or 0
    if exception is not None:
        detail = str(exception) or type(exception).__name__
        outcome = "shed" if SHED in detail else "error"
        if RETRIED in detail:
            outcome = "retried"
    else:
        detail, outcome = "", "pending" if status == 503 else "ok"
    COLLECTOR.add(Sample(time.time(), name, response_time, outcome), detail)


@events.test_stop.add_listener
def _write_ledger(**_: Any) -> None:
    path = os.environ.get("BENCH_LOAD_LEDGER")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"saves": LEDGER, "errors": COLLECTOR.errors}, handle, ensure_ascii=False)


# ---- users ------------------------------------------------------------------------------


def scaled(seconds: float) -> float:
    return seconds / TIME_SCALE


class Browser(FastHttpUser):
    """A person's browser: its own session cookie (the app's cookie is Secure, which a
    cookie jar will not send over plain HTTP), CSRF token and plan version."""

    abstract = True
    insecure = True

    def on_start(self) -> None:
        self.cookie = ""
        self.csrf = ""
        self.version = 0
        self.base = ""

    def send(
        self,
        method: str,
        path: str,
        name: str,
        form: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, dict[str, str]]:
        sent = {"User-Agent": USER_AGENT, **(headers or {})}
        if self.cookie:
            sent["Cookie"] = f"session={self.cookie}"
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            with self.client.request(
                method, path, name=name, data=body, headers=sent, allow_redirects=False,
                catch_response=True,
            ) as response:  # fmt: skip
                status = response.status_code or 0
                text = response.text or "" if status != 200 or "pdf" not in name else ""
                got = {k.lower(): v for k, v in (response.headers or {}).items()}
                found = _SESSION.search(got.get("set-cookie", ""))
                if found:
                    self.cookie = found.group(1)
                outcome, detail = classify(name, status, text)
                error = getattr(response, "error", None)
                if status == 0 and error is not None:
                    detail = f"{detail} ({type(error).__name__}: {error})"[:160]
                if attempt == 1 and status == 0 and isinstance(error, CLOSED_BEFORE_ANSWER):
                    # The server closed the kept-alive connection as the request went out
                    # (its keep-alive timer ran out): no answer, so nothing was processed.
                    # A browser sends such a request again on a new connection, POST too;
                    # geventhttpclient retries only idempotent ones. Counted, not an error.
                    response.failure(f"{RETRIED}: {detail}")
                    continue
                if outcome in ("ok", "pending"):
                    response.success()
                else:
                    response.failure(detail)
                return status, text, got
        raise AssertionError("unreachable")

    def retry_after(self, headers: dict[str, str]) -> None:
        seconds = float(headers.get("retry-after", "5") or 5)
        self.wait_seconds(seconds)

    def wait_seconds(self, seconds: float) -> None:
        time.sleep(max(0.0, scaled(seconds)))

    def sign_in(self, login_path: str, fields: dict[str, str], name: str) -> bool:
        self.cookie = ""
        status, text, _ = self.send("GET", login_path, f"{name} page")
        token = _CSRF_INPUT.search(text)
        if status != 200 or token is None:
            return False
        form = [("csrf_token", token.group(1)), *fields.items()]
        status, _, _ = self.send("POST", login_path, name, form)
        return status == 303

    def sign_out(self) -> None:
        if self.csrf:
            self.send("POST", "/logout", "sign out", [("csrf_token", self.csrf)])
        self.cookie = ""

    def read_form(self, text: str) -> bool:
        csrf = _CSRF_HEADER.search(text) or _CSRF_INPUT.search(text)
        version = _VERSION.search(text)
        base = _BASE.search(text)
        if csrf:
            self.csrf = csrf.group(1)
        if version:
            self.version = int(version.group(1))
        self.base = base.group(1) if base else ""
        return bool(csrf and version)


class PlanEditor(Browser):
    """Sign in, open the plan, type with autosaves, submit, download the PDF, sign out."""

    abstract = True
    wait_time = between(0, 0)  # the session paces itself (think times below)
    prefix = ""  # "/teacher" or "/school"
    label = ""  # "" or "school: "
    form: ClassVar[list[tuple[str, str]]] = []
    pool: ClassVar[Pool]

    def owner(self, login: tuple[Any, ...]) -> str:
        raise NotImplementedError

    def credentials(self, login: tuple[Any, ...]) -> dict[str, str]:
        raise NotImplementedError

    def answers(self, marker: str) -> list[tuple[str, str]]:
        return [*getattr(self, "fitted", self.form), ("q.remarks", marker)]

    def fit_to_page(self, text: str) -> None:
        """Answer what this person's page offers: a check box or radio value the page does
        not offer (a stage's own option list: kindergartens get other areas) becomes the
        first one it does, as a person would tick what is there."""
        fitted = []
        for name, value in self.form:
            offered = re.findall(
                rf'type="(?:checkbox|radio)" id="[^"]*" name="{re.escape(name)}" value="([^"]*)"',
                text,
            )
            offered = [code for code in offered if code]
            fitted.append((name, value if not offered or value in offered else offered[0]))
        self.fitted = fitted

    @task
    def session(self) -> None:
        if SESSIONS and getattr(self, "done", 0) >= SESSIONS:
            self.wait_seconds(PAGE_THINK)
            return
        login = self.pool.take()
        if login is None:  # more users than logins: wait for one
            self.wait_seconds(PAGE_THINK)
            return
        try:
            self.one_session(login)
        finally:
            self.pool.give_back(login)
            self.done = getattr(self, "done", 0) + 1
            FINISHED["sessions"] += 1

    def one_session(self, login: tuple[Any, ...]) -> None:
        owner = self.owner(login)
        if not self.sign_in(
            f"{self.prefix}/login", self.credentials(login), f"{self.label}sign in"
        ):  # refused (e.g. a polite 503): a person waits before trying again
            self.wait_seconds(RETRY_SECONDS)
            return
        self.wait_seconds(PAGE_THINK * random.uniform(0.5, 1.5))
        status, text, _ = self.send("GET", f"{self.prefix}/plan", f"{self.label}open plan")
        if status != 200 or not self.read_form(text):
            self.wait_seconds(RETRY_SECONDS)
            return
        if 'id="plan-form"' not in text:  # submitted earlier: reopen it to edit again
            status, _, _ = self.send(
                "POST", f"{self.prefix}/plan/reopen", f"{self.label}reopen",
                [("csrf_token", self.csrf), ("version", str(self.version))],
            )  # fmt: skip
            status, text, _ = self.send("GET", f"{self.prefix}/plan", f"{self.label}open plan")
            if status != 200 or not self.read_form(text) or 'id="plan-form"' not in text:
                return
        self.fit_to_page(text)
        for _ in range(random.randint(SAVES_MIN, SAVES_MAX)):
            self.wait_seconds(AUTOSAVE_SECONDS * random.uniform(0.7, 1.3))
            self.autosave(owner)
        if random.random() < SUBMIT_SHARE:
            self.wait_seconds(PAGE_THINK)
            if self.submit(owner):
                self.wait_seconds(PAGE_THINK)
                self.download_pdf()
        self.wait_seconds(PAGE_THINK)
        self.sign_out()

    def autosave(self, owner: str) -> None:
        number, marker = next_marker(owner)
        form = [("version", str(self.version)), ("base", self.base), *self.answers(marker)]
        headers = {"X-CSRFToken": self.csrf, "HX-Request": "true"}
        status, text, got = self.send(
            "POST", f"{self.prefix}/plan/autosave", f"{self.label}autosave", form, headers
        )
        if status == 503:
            self.retry_after(got)
            return
        if status == 200 and 'data-confirmed="true"' in text:
            version = _VERSION.search(text)
            base = _BASE.search(text)
            if version:
                self.version = int(version.group(1))
            if base:
                self.base = base.group(1)
            LEDGER[owner] = {"sequence": number, "marker": marker, "version": self.version}

    def submit(self, owner: str) -> bool:
        number, marker = next_marker(owner)
        # As in the browser: 送出規劃 saves and opens the review page, 確認送出 submits the
        # version shown there.
        form = [
            ("csrf_token", self.csrf), ("version", str(self.version)), ("base", self.base),
            ("action", "review"), *self.answers(marker),
        ]  # fmt: skip
        status, _, got = self.send("POST", f"{self.prefix}/plan", f"{self.label}submit", form)
        if status == 503:
            self.retry_after(got)
            return False
        if status != 303:
            return False
        status, text, got = self.send(
            "GET", f"{self.prefix}/plan/review", f"{self.label}review page"
        )
        version = _VERSION.search(text) if status == 200 else None
        if version is None:
            if status == 503:
                self.retry_after(got)
            return False
        self.wait_seconds(PAGE_THINK)
        status, _, got = self.send(
            "POST", f"{self.prefix}/plan/review", f"{self.label}confirm",
            [("csrf_token", self.csrf), ("version", version.group(1))],
        )  # fmt: skip
        if status == 503:
            self.retry_after(got)
            return False
        if status == 303:
            LEDGER[owner] = {"sequence": number, "marker": marker, "submitted": True}
            return True
        return False

    def download_pdf(self) -> None:
        for _ in range(PDF_RETRIES):
            status, _, got = self.send("GET", f"{self.prefix}/plan.pdf", f"{self.label}plan pdf")
            if status != 503:
                return
            self.retry_after(got)


class TeacherEditor(PlanEditor):
    weight = int(_env("TEACHER_WEIGHT", 90))
    prefix = "/teacher"
    label = ""
    form = TEACHER_FORM
    pool = TEACHERS

    def owner(self, login: tuple[Any, ...]) -> str:
        return f"t{login[1]}"

    def credentials(self, login: tuple[Any, ...]) -> dict[str, str]:
        return {"national_id": str(login[0]), "password": DATA["password"]}


class SchoolEditor(PlanEditor):
    weight = int(_env("SCHOOL_WEIGHT", 8))
    prefix = "/school"
    label = "school: "
    form = SCHOOL_FORM
    pool = SCHOOLS

    def owner(self, login: tuple[Any, ...]) -> str:
        return f"s{login[1]}"

    def credentials(self, login: tuple[Any, ...]) -> dict[str, str]:
        return {"username": str(login[0]), "password": DATA["password"]}


class AuthorityViewer(Browser):
    """A county bureau following its schools in the last afternoon."""

    weight = int(_env("AUTHORITY_WEIGHT", 2))

    def wait_time(self) -> float:
        return scaled(AUTHORITY_THINK * random.uniform(0.5, 1.5))

    def on_start(self) -> None:
        super().on_start()
        self.signed_in = False

    def ensure_signed_in(self) -> bool:
        if not self.signed_in:
            username = next(AUTHORITIES)
            fields = {"username": username, "password": DATA["password"]}
            self.signed_in = bool(username) and self.sign_in(
                "/school/login", fields, "authority: sign in"
            )
        return self.signed_in

    @task(int(_env("AUTHORITY_HOME_WEIGHT", 3)))
    def home(self) -> None:
        if self.ensure_signed_in():
            self.send("GET", "/authority/", "authority: home")

    @task(int(_env("AUTHORITY_PDF_WEIGHT", 1)))
    def county_report(self) -> None:
        if not self.ensure_signed_in():
            return
        for _ in range(PDF_RETRIES):
            status, _, got = self.send("GET", "/oversight/county.pdf", "authority: county pdf")
            if status != 503:
                return
            self.retry_after(got)

    @task(int(_env("DASHBOARD_WEIGHT", 2)))
    def dashboard(self) -> None:
        # The completion dashboard of the bureau's schools (BENCH_LOAD_DASHBOARD_PATH).
        if self.ensure_signed_in():
            self.send("GET", DASHBOARD_PATH, "authority: dashboard")

    @task(int(_env("EXPORT_WEIGHT", 1)))
    def export(self) -> None:
        # The same table as a spreadsheet (BENCH_LOAD_EXPORT_PATH).
        if self.ensure_signed_in():
            self.send("GET", EXPORT_PATH, "authority: export")


class BareProbe(Browser):
    """The bare endpoint under the same load: the unit of the latency ratios."""

    fixed_count = int(_env("BARE_USERS", 2))

    def wait_time(self) -> float:
        return scaled(PAGE_THINK)

    @task
    def bare(self) -> None:
        school = random.randint(1, int(DATA.get("max_school_id", 1)))
        self.send("GET", f"/_bench/bare?id={school}", "bare")


# ---- the ramp ---------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def figures(samples: list[Sample], seconds: float) -> dict[str, Any]:
    """Per request name: requests/s, p50/p95/p99 ms, and the outcomes."""
    by_name: dict[str, list[Sample]] = {}
    for sample in samples:
        by_name.setdefault(sample.name, []).append(sample)
    out: dict[str, Any] = {}
    for name, group in sorted(by_name.items()):
        times = [s.ms for s in group]
        kinds = ("ok", "shed", "pending", "error", "retried")
        outcomes = {k: sum(1 for s in group if s.outcome == k) for k in kinds}
        out[name] = {
            "requests": len(group),
            "rps": round(len(group) / seconds, 2) if seconds else 0.0,
            "p50_ms": round(percentile(times, 0.50), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            **outcomes,
        }
    return out


def verdict(samples: list[Sample]) -> dict[str, Any]:
    editing = [s.ms for s in samples if s.name in EDITING and s.outcome == "ok"]
    return {
        "editing_requests": len(editing),
        "editing_p95_ms": round(percentile(editing, 0.95), 1),
        "errors": sum(1 for s in samples if s.outcome == "error"),
        "shed": sum(1 for s in samples if s.outcome == "shed"),
        "retried": sum(1 for s in samples if s.outcome == "retried"),
        "requests": len(samples),
    }


def recovered_after(samples: list[Sample], start: float) -> int:
    """Seconds after `start` from which every second is normal again (no shed 503, no
    error, editing p95 within the limit)."""
    seconds: dict[int, list[Sample]] = {}
    for sample in samples:
        seconds.setdefault(int(sample.at - start), []).append(sample)
    bad = [
        second
        for second, group in seconds.items()
        if any(s.outcome in ("shed", "error") for s in group)
        or percentile([s.ms for s in group if s.name in EDITING], 0.95) > P95_LIMIT_MS
    ]
    return max(bad) + 1 if bad else 0


class StepShape(LoadTestShape):
    """Ramp: START users, +STEP every STEP_SECONDS (measured over the step's last
    MEASURE share), until the editing p95 passes P95_LIMIT_MS, any error or shed 503
    appears, or MAX_USERS. Then OVERLOAD_SECONDS at OVERLOAD_FACTOR × the last good step,
    then RECOVERY_SECONDS at half of it; then stop."""

    start_users = int(_env("START_USERS", 20))
    step_users = int(_env("STEP_USERS", 20))
    step_seconds = _env("STEP_SECONDS", 30)
    measure_share = _env("MEASURE_SHARE", 0.6)
    max_users = int(_env("MAX_USERS", 2000))
    spawn_rate = _env("SPAWN_RATE", 20)
    overload_seconds = _env("OVERLOAD_SECONDS", 60)
    overload_factor = _env("OVERLOAD_FACTOR", 2.0)
    recovery_seconds = _env("RECOVERY_SECONDS", 30)

    def __init__(self) -> None:
        super().__init__()
        self.phase = "ramp"
        self.level = 0
        self.users = self.start_users
        self.phase_started = time.time()
        self.capacity_users = 0
        self.path = os.environ.get("BENCH_LOAD_STEPS", "")

    def write(self, entry: dict[str, Any]) -> None:
        if self.path:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def close_step(self, now: float, measured_from: float) -> dict[str, Any]:
        samples = COLLECTOR.between(measured_from, now)
        entry = {
            "phase": self.phase,
            "level": self.level,
            "users": self.users,
            "editors": self.users,  # refined by the runner (per user class)
            "started": self.phase_started,
            "measured_from": measured_from,
            "ended": now,
            "steps": figures(samples, now - measured_from),
            **verdict(samples),
        }
        if self.phase == "recovery":
            entry["recovered_after_s"] = recovered_after(samples, measured_from)
        self.write(entry)
        return entry

    def tick(self) -> tuple[int, float] | None:
        now = time.time()
        elapsed = now - self.phase_started
        if self.phase == "ramp" and SESSIONS:
            counts = getattr(self.runner, "user_classes_count", {}) or {}
            editors = counts.get("TeacherEditor", 0) + counts.get("SchoolEditor", 0)
            if not editors or FINISHED["sessions"] < editors * SESSIONS:
                return self.users, self.spawn_rate
            self.close_step(now, self.phase_started)
            return None
        if self.phase == "ramp":
            if elapsed < self.step_seconds:
                return self.users, self.spawn_rate
            measured_from = now - self.step_seconds * self.measure_share
            entry = self.close_step(now, measured_from)
            good = entry["editing_p95_ms"] <= P95_LIMIT_MS and not entry["errors"]
            good = good and not entry["shed"]
            if good and entry["editing_requests"]:  # a step without editing proves nothing
                self.capacity_users = self.users
            if good and self.users + self.step_users <= self.max_users:
                self.level += 1
                self.users += self.step_users
                self.phase_started = now
                return self.users, self.spawn_rate
            if self.overload_seconds <= 0 or not self.capacity_users:
                return None
            self.phase, self.phase_started = "overload", now
            self.users = max(1, round(self.capacity_users * self.overload_factor))
            return self.users, self.spawn_rate * 4
        if self.phase == "overload":
            if elapsed < self.overload_seconds:
                return self.users, self.spawn_rate * 4
            self.close_step(now, self.phase_started)
            self.phase, self.phase_started = "recovery", now
            self.users = max(1, self.capacity_users // 2)
            return self.users, self.spawn_rate * 4
        if elapsed < self.recovery_seconds:
            return self.users, self.spawn_rate * 4
        self.close_step(now, self.phase_started)
        return None
