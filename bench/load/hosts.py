"""Two app hosts behind nginx: `python -m bench.load.hosts` (docs/capacity.md, "Several hosts").

Starts, on a fresh PostgreSQL database with a tiny generated data set, two gunicorn
instances of the production app (`wsgi:app`, the real sign-in limit) on two ports with
TRUSTED_PROXIES=1, one RQ worker and nginx (Debian's, a temporary config listening on
127.0.0.1 only, not a daemon), all sharing PostgreSQL, Redis and one PDF directory. Then
shows, host by host, that:

1. a session signed in through nginx works on either host directly;
2. the sign-in rate limit (20 a minute per client) is counted across both hosts;
3. a sign-in lock of an (account, client) pair made on one host holds on the other,
   while the same account still signs in from another client;
4. a plan submitted on host A has its PDF rendered by the shared worker and downloaded
   from host B, then from host A out of the shared PDF directory.

Prints each check and exits 0 when all hold, 1 otherwise; everything is stopped and the
database dropped afterwards.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.harness import (
    AUTOSAVE_FORM,
    create_database,
    forget_redis_keys,
    redis_keys,
    request,
    sign_in,
)
from bench.load.runner import (
    NGINX_CONF,
    REDIS_URL,
    RESULTS,
    VENV_BIN,
    Run,
    Settings,
    gunicorn_command,
    nginx_binary,
    populate,
    spawn,
    wait_healthy,
)
from bench.procs import HOST, free_port

WRONG = "not-the-password-0"
LOCKED_TEXT = "此連線來源已鎖定至"  # app/auth/routes.py _locked_message


def _form(port: int, path: str, client: str, cookie: str = "") -> tuple[str, str]:
    """GET a sign-in form as `client` (X-Forwarded-For, trusted one hop); (csrf, cookie)."""
    import re

    headers = {"X-Forwarded-For": client, **({"Cookie": cookie} if cookie else {})}
    status, got, text = request(port, "GET", path, headers=headers)
    token = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', text)
    found = re.search(r"session=([^;]+)", got.get("set-cookie", ""))
    if status != 200 or token is None:
        raise RuntimeError(f"{path}: HTTP {status}")
    return token.group(1), f"session={found.group(1)}" if found else cookie


def _sign_in(port: int, client: str, national_id: str, password: str) -> tuple[int, str]:
    csrf, cookie = _form(port, "/teacher/login", client)
    body = urlencode({"csrf_token": csrf, "national_id": national_id, "password": password})
    status, _, text = request(
        port,
        "POST",
        "/teacher/login",
        body=body,
        headers={"Cookie": cookie, "X-Forwarded-For": client},
    )
    return status, text


def checks(
    ports: tuple[int, int], proxy: int, logins: list[tuple[str, int]], password: str
) -> list[dict[str, Any]]:
    a, b = ports
    out: list[dict[str, Any]] = []

    def record(name: str, ok: bool, detail: str) -> None:
        out.append({"check": name, "ok": ok, "detail": detail})
        print(f"  {'ok ' if ok else 'FAIL'} {name}: {detail}", flush=True)

    # 1. A session made through nginx, used on each host directly.
    national_id, teacher_id = logins[0]
    session = sign_in(proxy, national_id, teacher_id, password)
    statuses = [
        request(port, "GET", "/teacher/plan", headers={"Cookie": session.cookie})[0]
        for port in (a, b, proxy)
    ]
    record(
        "session across hosts",
        statuses == [200, 200, 200],
        f"GET /teacher/plan with one cookie: host A {statuses[0]}, host B {statuses[1]}, "
        f"nginx {statuses[2]}",
    )

    # 2. The sign-in limit (20 a minute per client) is one count for both hosts.
    client = "198.51.100.20"
    answers = [_sign_in(a if n % 2 == 0 else b, client, logins[1][0], WRONG)[0] for n in range(21)]
    record(
        "rate limit across hosts",
        answers[:20].count(429) == 0 and answers[20] == 429,
        f"21 sign-ins alternating A/B from one client: first 20 answered "
        f"{sorted(set(answers[:20]))}, the 21st {answers[20]}",
    )

    # 3. Five failures from one client lock that pair everywhere, not the account.
    client, other = "198.51.100.30", "198.51.100.31"
    national_id = logins[2][0]
    for n in range(5):
        _sign_in(a if n % 2 == 0 else b, client, national_id, WRONG)
    locked, text = _sign_in(b, client, national_id, password)
    elsewhere, _ = _sign_in(a, other, national_id, password)
    says_locked = LOCKED_TEXT in text
    record(
        "sign-in lock across hosts",
        locked == 401 and says_locked and elsewhere == 303,
        f"after 5 failures alternating A/B, the right password from that client on B: "
        f"{locked}{' (locked until …)' if says_locked else ''}; "
        f"from another client on A: {elsewhere}",
    )

    # 4. Submit on A; the shared worker renders; download on B, then on A.
    headers = {"Cookie": session.cookie}
    body = urlencode(
        [
            ("csrf_token", session.csrf),
            ("version", str(session.version)),
            ("action", "submit"),
            *AUTOSAVE_FORM,
        ]
    )
    submitted, _, _ = request(a, "POST", "/teacher/plan", headers=headers, body=body)
    downloads = []
    for port in (b, a):
        for _ in range(20):
            status, got, _ = request(port, "GET", "/teacher/plan.pdf", headers=headers, timeout=90)
            if status != 503:
                break
            time.sleep(1)
        downloads.append((status, got.get("content-type", "")))
    record(
        "PDF job across hosts",
        submitted == 303 and all(s == 200 and t == "application/pdf" for s, t in downloads),
        f"submit on A {submitted}; PDF on B {downloads[0]}, then on A {downloads[1]}",
    )
    return out


def main(argv: list[str] | None = None) -> int:
    binary = nginx_binary()
    if binary is None:
        print("nginx is not installed (Debian: apt-get install -y nginx)", file=sys.stderr)
        return 2
    started = time.monotonic()
    run = Run(Settings(schools=4, teachers=40, hosts=2))
    try:
        run.url = create_database(run.database)
        run.created = True
        run.redis_before = redis_keys(REDIS_URL)
        env = run.environment()
        env["TRUSTED_PROXIES"] = "1"
        made = populate(run, env)
        logins = made["data"]["teachers"]
        if len(logins) < 3:
            raise RuntimeError("the tiny data set has fewer than 3 teachers free to write")
        webs = []
        for n in range(2):
            port = free_port()
            command = [*gunicorn_command(port)[:-1], "wsgi:app"]
            webs.append(spawn(f"host-{'ab'[n]}", command, env, run.workdir, port))
            run.procs.append(webs[-1])
        run.procs.append(
            spawn(
                "rq-worker",
                [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "worker"],
                env,
                run.workdir,
            )
        )
        for web in webs:
            wait_healthy(web)
        proxy = free_port()
        conf = Path(run.workdir) / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                workdir=run.workdir, host=HOST, port=proxy, port_a=webs[0].port, port_b=webs[1].port
            )
        )
        nginx = spawn(
            "nginx", [binary, "-c", str(conf), "-p", str(run.workdir)], env, run.workdir, proxy
        )
        run.procs.append(nginx)
        wait_healthy(nginx)
        print(
            f"hosts A :{webs[0].port}, B :{webs[1].port}, nginx :{proxy}; one database "
            f"{run.database}, Redis {env['REDIS_URL']}, PDFs {env['PDF_CACHE_DIR']}"
        )
        results = checks((webs[0].port, webs[1].port), proxy, logins, made["data"]["password"])
    except Exception as error:
        print(f"hosts check failed: {type(error).__name__}: {error}", file=sys.stderr)
        for proc in run.procs:
            print(f"--- {proc.name} ---\n{proc.tail()}", file=sys.stderr)
        return 1
    finally:
        forget_redis_keys(run.redis_before, REDIS_URL)
        run.redis_before = None
        run.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "raw").mkdir(exist_ok=True)
    (RESULTS / "raw" / "hosts.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    ok = all(r["ok"] for r in results)
    print(
        f"{sum(r['ok'] for r in results)}/{len(results)} checks hold "
        f"({time.monotonic() - started:.0f} s)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
