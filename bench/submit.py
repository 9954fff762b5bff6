"""Respondent POST throughput and latency against a bare ``GET /healthz``, through gunicorn.

    .venv/bin/python bench/submit.py [--db sqlite|postgresql] [--requests 4000] [--clients 8]
                                     [--reference]

Starts gunicorn (sync workers) on 127.0.0.1 with a fresh database, prepares one personal link
per submission (each fetched once for its CSRF token, not timed), then times N ``GET /healthz``
and N full submissions (validation, category, sentiment, follow-up rules, commit) with the same
number of concurrent client processes, and prints requests/s, p50, p99 and the ratio.
The two loads alternate in ``--rounds`` slices, so a machine whose speed drifts (a shared VM)
slows both alike; the ratio of each round is printed too. Rate limits are switched off for the
run (they would cap a single-address load test).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import runpy
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/polso_bench"
COMMENTS = [
    "The support team answered quickly and solved it.",
    "Delivery was late again and nobody told me why.",
    "Ottimo servizio, grazie!",
    "It's ok, but the invoices are confusing.",
    "",
]
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS polso_bench WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE polso_bench"))
    admin.dispose()
    return PG_URL


def make_links(env: dict[str, str], count: int) -> list[str]:
    """Migrate, then create a survey and ``count`` personal links in-process."""
    subprocess.run([BIN / "polso", "db", "upgrade"], env=env, check=True, capture_output=True)
    os.environ.update(env)
    from survey_app import create_app
    from survey_app.core.db import db
    from survey_app.invitations.services import create_invitation
    from survey_app.people.services import get_or_create_person
    from survey_app.surveys.services import create_survey

    app = create_app()
    with app.app_context():
        survey = create_survey(kind="nps", title="Bench", slug="bench")
        tokens = []
        for i in range(count):
            person = get_or_create_person(f"bench{i}@example.com",
                                          attributes={"team": f"t{i % 20}"})
            tokens.append(create_invitation(survey, person)[1])
        db.session.commit()
        db.engine.dispose()
    return tokens


def serve(app: str, cwd: Path, workers: int,
          env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn with ``workers`` sync workers on a free port, once it answers ``/healthz``."""
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app], cwd=cwd, env=env)
    for _ in range(100):
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    return server, port


def request(port: int, method: str, path: str, body: bytes = b"",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, dict(reply.getheaders()), data


def prepare(args: tuple[int, str]) -> tuple[str, dict[str, str], str]:
    """GET a link once: its CSRF token and any cookie it sets (not timed)."""
    port, token = args
    _, headers, html = request(port, "GET", f"/s/{token}")
    cookie = {"Cookie": headers["Set-Cookie"].split(";", 1)[0]} if "Set-Cookie" in headers else {}
    return token, cookie, CSRF.search(html.decode()).group(1)


def polso_posts(pool: multiprocessing.pool.Pool, port: int, tokens: list[str]) -> list:
    """One answer per personal link, each with its page's CSRF token (and cookie, if any)."""
    posts = []
    prepared = pool.map(prepare, [(port, t) for t in tokens], chunksize=16)
    for i, (token, cookie, csrf) in enumerate(prepared):
        body = urllib.parse.urlencode({"score": str(i % 11), "csrf_token": csrf,
                                       "comment": COMMENTS[i % len(COMMENTS)]})
        posts.append((port, "POST", f"/s/{token}", body.encode(), {
            **cookie, "Content-Type": "application/x-www-form-urlencoded"}, 303))
    return posts


def reference_posts(port: int, count: int) -> list:
    """The same scores and comments for the reference view."""
    return [(port, "POST", "/answer", urllib.parse.urlencode(
        {"score": str(i % 11), "comment": COMMENTS[i % len(COMMENTS)]}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"}, 303) for i in range(count)]


def timed(job: tuple[int, str, str, bytes, dict[str, str], int]) -> tuple[float, int]:
    port, method, path, body, headers, expected = job
    start = time.perf_counter()
    status, _, _ = request(port, method, path, body, headers)
    return time.perf_counter() - start, int(status == expected)


def run_load(pool: multiprocessing.pool.Pool, jobs: list) -> tuple[float, list[float], int]:
    start = time.perf_counter()
    results = pool.map(timed, jobs, chunksize=16)
    wall = time.perf_counter() - start
    return wall, [r[0] for r in results], sum(r[1] for r in results)


def alternate(pool: multiprocessing.pool.Pool, loads: dict[str, list],
              rounds: int) -> dict[str, tuple[float, list[float], int]]:
    """Run each load in ``rounds`` slices, taking turns; the totals per load."""
    totals = {name: (0.0, [], 0) for name in loads}
    for index in range(rounds):
        walls = {}
        for name, jobs in loads.items():
            size = -(-len(jobs) // rounds)
            wall, latencies, ok = run_load(pool, jobs[index * size:(index + 1) * size])
            walls[name] = wall / max(len(latencies), 1)
            total_wall, total_latencies, total_ok = totals[name]
            totals[name] = (total_wall + wall, total_latencies + latencies, total_ok + ok)
        first, second = walls.values()
        print(f"  round {index + 1:>2}: {first / second:.0%}", flush=True)
    return totals


def summary(name: str, wall: float, latencies: list[float], ok: int) -> float:
    rps = len(latencies) / wall
    q = statistics.quantiles(latencies, n=100)
    print(f"{name:<22} {rps:>8.0f} req/s   p50 {q[49] * 1000:6.1f} ms   "
          f"p99 {q[98] * 1000:6.1f} ms   ok {ok}/{len(latencies)}")
    return rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int,
                        help="gunicorn sync workers (default: as gunicorn.conf.py decides)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--reference", action="store_true",
                        help="measure bench/reference_app.py (one insert + TextBlob) instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = database_url(args.db, Path(tmp))
        env = {**os.environ, "POLSO_DATABASE_URL": url, "POLSO_SECRET_KEY": secrets.token_hex(16),
               "POLSO_SESSION_COOKIE_SECURE": "false", "POLSO_RATELIMIT_ENABLED": "false",
               # clients post at once: measure counted answers, not "too fast" ones
               "POLSO_MIN_ANSWER_SECONDS": "0"}
        os.environ.update(env)
        if args.workers is None:  # what gunicorn.conf.py picks for this database
            args.workers = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"]
        count = args.requests + args.requests // 20  # 5 % for the warm-up
        if args.reference:
            env["REFERENCE_DATABASE_URL"] = os.environ["REFERENCE_DATABASE_URL"] = url
            from reference_app import create_schema
            create_schema()
        else:
            print(f"Preparing {args.requests} links on {args.db} …", flush=True)
            tokens = make_links(env, count)
        server, port = serve("reference_app:app" if args.reference else "wsgi:app",
                             ROOT / "bench" if args.reference else ROOT, args.workers, env)
        try:
            with multiprocessing.Pool(args.clients) as pool:
                health = [(port, "GET", "/healthz", b"", {}, 200)] * args.requests
                posts = (reference_posts(port, count) if args.reference
                         else polso_posts(pool, port, tokens))
                print(f"gunicorn: {args.workers} sync workers; {args.clients} concurrent clients;"
                      f" {args.requests} requests each, in {args.rounds} alternating rounds"
                      " (submission / health per round):", flush=True)
                warm_up = len(posts) - args.requests
                run_load(pool, health[: args.requests // 10] + posts[:warm_up])
                totals = alternate(pool, {"health": health, "submit": posts[warm_up:]},
                                   args.rounds)
                base = summary("GET /healthz", *totals["health"])
                full = summary("POST /answer" if args.reference else "POST /s/<token>",
                               *totals["submit"])
            print(f"{'submission / health':<22} {full / base:>8.0%} of the health-check throughput")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
