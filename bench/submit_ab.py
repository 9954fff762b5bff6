"""Two Polso servers side by side, one load at a time, to compare a change on a drifting machine.

    .venv/bin/python bench/submit_ab.py [--db sqlite|postgresql] [--requests 3000]
        [--a-workers N] [--b-workers N] [--a-root DIR] [--b-root DIR]

Each server (A, B) gets its own database and links and is started by gunicorn from its own
code checkout (``--a-root``: e.g. ``git worktree add /tmp/base HEAD~1``; default: this one)
with its own number of sync workers. The rounds alternate between the servers — health check
then submissions on A, then on B, the order flipping every round — so both see the machine in
the same state; run-to-run drift (±30 % here) would swamp the difference otherwise.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import statistics
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from submit import PG_ADMIN_URL, ROOT, make_links, polso_posts, run_load, serve


def database_url(name: str, kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{name}.sqlite3'}"
    database = f"polso_bench_{name.lower()}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {database}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


def start(name: str, root: Path, workers: int, url: str,
          count: int) -> tuple[subprocess.Popen, int, list[str]]:
    """Migrate, make ``count`` links, start gunicorn; wait until it answers."""
    env = {**os.environ, "POLSO_DATABASE_URL": url, "POLSO_SECRET_KEY": secrets.token_hex(16),
           "POLSO_SESSION_COOKIE_SECURE": "false", "POLSO_RATELIMIT_ENABLED": "false",
           # clients post at once: measure counted answers, not "too fast" ones
           "POLSO_MIN_ANSWER_SECONDS": "0"}
    print(f"{name}: {root}, {workers} workers, preparing {count} links …", flush=True)
    tokens = make_links(env, count)
    server, port = serve("wsgi:app", root, workers, env)
    return server, port, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    for name in ("a", "b"):
        parser.add_argument(f"--{name}-workers", type=int, default=os.cpu_count() or 1)
        parser.add_argument(f"--{name}-root", type=Path, default=ROOT)
    args = parser.parse_args()

    warm_up = args.requests // 10
    with tempfile.TemporaryDirectory() as tmp:
        servers = {name: start(name, getattr(args, f"{name.lower()}_root"),
                               getattr(args, f"{name.lower()}_workers"),
                               database_url(name, args.db, Path(tmp)), args.requests + warm_up)
                   for name in ("A", "B")}
        try:
            with multiprocessing.Pool(args.clients) as pool:
                loads = {}
                for name, (_, port, tokens) in servers.items():
                    posts = polso_posts(pool, port, tokens)
                    health = [(port, "GET", "/healthz", b"", {}, 200)] * args.requests
                    run_load(pool, health[:warm_up] + posts[:warm_up])
                    loads[name] = {"health": health, "submit": posts[warm_up:]}
                totals = {name: {"health": [0.0, 0], "submit": [0.0, 0]} for name in servers}
                ratios: dict[str, list[float]] = {name: [] for name in servers}
                size = args.requests // args.rounds
                for index in range(args.rounds):
                    for name in ("A", "B") if index % 2 == 0 else ("B", "A"):
                        per_request = {}
                        for load, jobs in loads[name].items():
                            wall, latencies, ok = run_load(
                                pool, jobs[index * size:(index + 1) * size])
                            if ok != len(latencies):
                                raise SystemExit(f"{name}: {len(latencies) - ok} {load} failed")
                            totals[name][load][0] += wall
                            totals[name][load][1] += len(latencies)
                            per_request[load] = wall / len(latencies)
                        ratios[name].append(per_request["health"] / per_request["submit"])
                    print(f"  round {index + 1:>2}: A {ratios['A'][-1]:.0%}  "
                          f"B {ratios['B'][-1]:.0%}", flush=True)
            for name in servers:
                health, submit = (count / wall for wall, count in totals[name].values())
                print(f"{name}: health {health:,.0f} req/s, submissions {submit:,.0f} req/s, "
                      f"ratio {submit / health:.0%} (median round "
                      f"{statistics.median(ratios[name]):.0%})")
        finally:
            for server, _, _ in servers.values():
                server.terminate()
                server.wait(10)


if __name__ == "__main__":
    main()
