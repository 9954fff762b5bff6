"""CPU time per request inside the process, Polso against ``bench/reference_app.py``.

    .venv/bin/python bench/request_cpu.py [--db sqlite|postgresql] [--loads health,submit]
        [--requests 1500] [--slices 5] [--calls 200] [--profile health|submit] [--top 40]
        [--pg-prefix polso_cpu]

The yardstick for cutting the request path on a shared machine: ``time.process_time`` around
Flask test-client calls counts only this process's CPU, so other load slows it little (wrk's
requests/s, ``bench/request_path.py``, moves with whatever else runs). Both apps run in the same
process against their own fresh database; Polso and the reference take turns in ``--slices``
slices and the best slice of each is kept, with Polso's share of the reference
(reference µs / Polso µs, as requests/s would compare on one core).

Loads: ``health`` — ``GET /healthz`` (Polso's and the reference's ``SELECT 1``); ``submit`` — a
full answer, ``POST /s/<token>`` with the page's CSRF token, one unused personal link each
(each page fetched first, not timed), against the reference's ``POST /answer`` (one insert
plus TextBlob). The request log is written, to ``/dev/null``. ``--calls N`` then counts
Python function calls per request over N more requests of each app (cProfile): a figure that
no other load moves, to compare two versions of the code. ``--profile`` prints cProfile's
cumulative and own-time tables for that load.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from submit import COMMENTS, PG_ADMIN_URL, make_links

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def fresh_urls(kind: str, tmp: Path, prefix: str) -> tuple[str, str]:
    """Polso's and the reference's database URLs, both empty."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'polso.sqlite3'}", f"sqlite:///{tmp / 'reference.sqlite3'}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in (f"{prefix}_p", f"{prefix}_r"):
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    base = "postgresql+psycopg://postgres@127.0.0.1:5432/"
    return f"{base}{prefix}_p", f"{base}{prefix}_r"


def cpu_us(calls: list) -> float:
    """µs of this process's CPU per call."""
    start = time.process_time()
    for call in calls:
        call()
    return (time.process_time() - start) / len(calls) * 1e6


def health_calls(client, count: int) -> list:
    def call() -> None:
        assert client.get("/healthz").status_code == 200

    return [call] * count


def polso_posts(client, tokens: list[str]) -> list:
    """One prepared answer per link: its page fetched once for the CSRF token."""
    calls = []
    for i, token in enumerate(tokens):
        html = client.get(f"/s/{token}").get_data(as_text=True)
        form = {"score": str(i % 11), "csrf_token": CSRF.search(html).group(1),
                "comment": COMMENTS[i % len(COMMENTS)]}

        def call(token: str = token, form: dict = form) -> None:
            assert client.post(f"/s/{token}", data=form).status_code == 303

        calls.append(call)
    return calls


def reference_posts(client, count: int) -> list:
    calls = []
    for i in range(count):
        form = {"score": str(i % 11), "comment": COMMENTS[i % len(COMMENTS)]}

        def call(form: dict = form) -> None:
            assert client.post("/answer", data=form).status_code == 303

        calls.append(call)
    return calls


def compare(load: str, polso: list, reference: list, slices: int) -> tuple[float, float]:
    """Best µs per request of each app over alternating slices; prints every slice."""
    size = len(polso) // slices
    best = [float("inf"), float("inf")]
    for index in range(slices):
        part = slice(index * size, (index + 1) * size)
        order = [(0, polso), (1, reference)]
        for which, calls in order if index % 2 == 0 else order[::-1]:
            best[which] = min(best[which], cpu_us(calls[part]))
        print(f"  {load} slice {index + 1}: Polso {best[0]:.0f} µs, "
              f"reference {best[1]:.0f} µs (best so far)", flush=True)
    print(f"{load}: Polso {best[0]:.0f} µs CPU per request, reference {best[1]:.0f} µs, "
          f"share {best[1] / best[0]:.0%}", flush=True)
    return best[0], best[1]


def calls_per_request(calls: list) -> float:
    profiler = cProfile.Profile()
    profiler.enable()
    for call in calls:
        call()
    profiler.disable()
    return sum(stat[1] for stat in pstats.Stats(profiler).stats.values()) / len(calls)


def profile(calls: list, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for call in calls:
        call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--loads", default="health,submit")
    parser.add_argument("--requests", type=int, default=1500, help="per app and load")
    parser.add_argument("--slices", type=int, default=5)
    parser.add_argument("--calls", type=int, default=0,
                        help="count function calls per request over this many more requests")
    parser.add_argument("--profile", choices=["health", "submit"])
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--pg-prefix", default="polso_cpu",
                        help="PostgreSQL database names: PREFIX_p and PREFIX_r")
    args = parser.parse_args()
    loads = args.loads.split(",")
    with tempfile.TemporaryDirectory() as tmp_name:
        polso_url, reference_url = fresh_urls(args.db, Path(tmp_name), args.pg_prefix)
        env = {"POLSO_SECRET_KEY": secrets.token_hex(16), "POLSO_SESSION_COOKIE_SECURE": "false",
               "POLSO_RATELIMIT_ENABLED": "false", "POLSO_MIN_ANSWER_SECONDS": "0",
               "POLSO_JOBS_IMMEDIATE": "false", "POLSO_DATABASE_URL": polso_url,
               "REFERENCE_DATABASE_URL": reference_url}
        links = (args.requests * ("submit" in loads) + args.calls * ("submit" in loads)
                 + args.requests * (args.profile == "submit"))
        tokens = make_links({**os.environ, **env}, links)  # sets os.environ too
        import reference_app
        from flask.logging import default_handler

        from survey_app import create_app

        reference_app.create_schema()
        app = create_app()
        default_handler.setStream(open(os.devnull, "w"))  # noqa: SIM115  # the process's life
        polso, reference = app.test_client(), reference_app.app.test_client()
        for _ in range(100):  # warm both: first-request compilation, pools, caches
            polso.get("/healthz")
            reference.get("/healthz")
        cpu_us(reference_posts(reference, 50))
        if "health" in loads:
            compare("health", health_calls(polso, args.requests),
                    health_calls(reference, args.requests), args.slices)
        if "submit" in loads:
            compare("submit", polso_posts(polso, tokens[:args.requests]),
                    reference_posts(reference, args.requests), args.slices)
        if args.calls and "health" in loads:
            print(f"health: {calls_per_request(health_calls(polso, args.calls)):.0f} calls per "
                  f"request, reference "
                  f"{calls_per_request(health_calls(reference, args.calls)):.0f}")
        if args.calls and "submit" in loads:
            extra = tokens[args.requests:args.requests + args.calls]
            print(f"submit: {calls_per_request(polso_posts(polso, extra)):.0f} calls per "
                  f"request, reference "
                  f"{calls_per_request(reference_posts(reference, args.calls)):.0f}")
        if args.profile == "health":
            profile(health_calls(polso, args.requests), args.top)
        elif args.profile == "submit":
            profile(polso_posts(polso, tokens[-args.requests:]), args.top)


if __name__ == "__main__":
    sys.exit(main())
