"""Polso's request path against ``bench/reference_app.py``, with wrk, in one run.

    .venv/bin/python bench/request_path.py [--db sqlite|postgresql] [--duration 8]
        [--connections 8] [--rounds 3] [--servers gunicorn,granian] [--workers N] [--profile]
        [--pg-prefix polso_bench]

Starts Polso and the reference app (a bare Flask view doing ``SELECT 1``; one insert plus
TextBlob) side by side under each WSGI server, each with its own fresh database and the same
number of workers, then takes turns: wrk on ``GET /healthz`` and on a full submission
(``POST /s/<token>`` with its CSRF token, one unused link per request; the reference's
``POST /answer``), the order of the apps flipping every round. It prints requests/s, p50 and
p99 per app and server, and Polso's share of the reference. ``--profile`` first prints where
a health check's time goes inside the process (calls and µs per request, by hook).
Rate limits are off (one client address); wrk runs on the same two cores, so absolute
figures are lower than on a separate load generator — the ratios are the point.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from submit import (
    BIN,
    PG_ADMIN_URL,
    ROOT,
    database_url,
    free_port,
    make_links,
    polso_posts,
    reference_posts,
    request,
)

#: wrk script: each thread posts its own slice of the prepared lines (path, body, cookie).
#: Polso's links are used once each (a thread that runs out repeats its last post, which then
#: fails and is counted); the reference's lines wrap around.
POSTS_LUA = """
local lines, first, last, index = {}, 0, 0, 0
for line in io.lines("%(file)s") do lines[#lines + 1] = line end
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args)
  local per = math.floor(#lines / %(threads)d)
  first = id * per + 1; last = first + per - 1; index = first
end
function request()
  local path, body, cookie = lines[index]:match("([^\\t]*)\\t([^\\t]*)\\t([^\\t]*)")
  if index < last then index = index + 1 elseif %(wrap)s then index = first end
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("POST", path, headers, body)
end
"""
THREADS = 2
WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")


def server_command(server: str, app: str, port: int, workers: int) -> list[str]:
    if server == "granian":  # its module, so an install outside the venv's bin/ works too
        return [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(workers), "--blocking-threads", "1",
                "--log-level", "warning",
                "--no-ws", app]
    return [str(BIN / "gunicorn"), "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
            "--log-level", "warning", app]


def start(server: str, app: str, cwd: Path, workers: int,
          env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(server_command(server, app, port, workers), cwd=cwd, env=env,
                               stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{server} {app} did not answer /healthz")


def wrk(port: int, path: str, seconds: int, connections: int,
        script: Path | None = None) -> tuple[float, float, float, int]:
    """requests/s, p50 ms, p99 ms and failed requests of one wrk run."""
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True,
                         text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return float(WRK_RATE.search(out).group(1)), _ms(latency["50"]), _ms(latency["99"]), errors


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def posts_file(posts: list, path: Path) -> None:
    lines = [f"{p[2]}\t{p[3].decode()}\t{p[4].get('Cookie', '')}" for p in posts]
    path.write_text("\n".join(lines) + "\n")


def fresh_url(kind: str, tmp: Path, name: str, prefix: str = "polso_bench") -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'{name}.sqlite3'}"
    database = f"{prefix}_{name}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {database}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


def profile(env: dict[str, str], requests: int = 500) -> None:
    """Where a health check's time goes in-process: calls and µs per request, by hook."""
    import cProfile
    import logging
    import pstats

    os.environ.update(env)
    from survey_app import create_app
    from survey_app.core.db import db

    app = create_app()
    logging.getLogger("survey_app.request").disabled = True
    client = app.test_client()
    for _ in range(50):
        client.get("/healthz")
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        client.get("/healthz")
    profiler.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profiler).stats
    calls = sum(s[1] for s in stats.values()) // requests
    print(f"in-process GET /healthz (profiled, so slower): {calls} calls, "
          f"{wall / requests * 1e6:.0f} µs per request")
    watched = {"_check_request_limit": "rate limiter", "refuse_control_characters": "input check",
               "csrf_protect": "CSRF", "_add_headers": "security headers",
               "_flag_writes": "write intent", "_start": "request id", "_finish": "request log",
               "open_session": "session open", "save_session": "session save",
               "healthz": "the view", "_teardown_session": "session teardown"}
    spent = {name: cumulative for (_, _, name), (_, calls, _, cumulative, _) in stats.items()
             if name in watched and calls >= requests}
    for name, label in watched.items():
        if name in spent:
            print(f"  {label:<18} {spent[name] / requests * 1e6:8.0f} µs")
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default="gunicorn", help="gunicorn,granian")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--links", type=int, default=9000,
                        help="personal links per Polso server (one per submission)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--pg-prefix", default="polso_bench",
                        help="PostgreSQL database names start with this")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    servers = args.servers.split(",")
    sys.path.insert(0, str(ROOT / "bench"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base = {**os.environ, "POLSO_SECRET_KEY": secrets.token_hex(16),
                "POLSO_SESSION_COOKIE_SECURE": "false", "POLSO_RATELIMIT_ENABLED": "false",
                "POLSO_MIN_ANSWER_SECONDS": "0"}
        if args.profile:
            url = database_url(args.db, tmp)
            subprocess.run([BIN / "polso", "db", "upgrade"], check=True, capture_output=True,
                           env={**base, "POLSO_DATABASE_URL": url})
            profile({**base, "POLSO_DATABASE_URL": url})
        results: dict[tuple[str, str, str], list] = {}
        running = []
        try:
            targets = []
            for server in servers:
                polso_env = {**base, "POLSO_DATABASE_URL": fresh_url(args.db, tmp, f"p_{server}",
                                                              args.pg_prefix)}
                print(f"{server}: preparing {args.links} links …", flush=True)
                tokens = make_links(polso_env, args.links)
                proc, polso_port = start(server, "wsgi:app", ROOT, args.workers, polso_env)
                running.append(proc)
                ref_url = fresh_url(args.db, tmp, f"r_{server}", args.pg_prefix)
                ref_env = {**base, "REFERENCE_DATABASE_URL": ref_url}
                os.environ["REFERENCE_DATABASE_URL"] = ref_url
                subprocess.run([sys.executable, "-c", "import reference_app; "
                                "reference_app.create_schema()"],
                               cwd=ROOT / "bench", env=ref_env, check=True)
                proc, ref_port = start(server, "reference_app:app", ROOT / "bench", args.workers,
                                       ref_env)
                running.append(proc)
                with multiprocessing.Pool(4) as pool:
                    posts = polso_posts(pool, polso_port, tokens)
                per_round = len(posts) // args.rounds
                scripts = []
                for index in range(args.rounds):
                    file = tmp / f"{server}_{index}.tsv"
                    posts_file(posts[index * per_round:(index + 1) * per_round], file)
                    script = tmp / f"{server}_{index}.lua"
                    script.write_text(POSTS_LUA % {"file": file, "threads": THREADS,
                                                   "wrap": "false"})
                    scripts.append(script)
                ref_file = tmp / f"{server}_ref.tsv"
                posts_file(reference_posts(ref_port, 1000), ref_file)
                ref_script = tmp / f"{server}_ref.lua"
                ref_script.write_text(POSTS_LUA % {"file": ref_file, "threads": THREADS,
                                                   "wrap": "true"})
                targets.append((server, polso_port, ref_port, scripts, ref_script))
            print(f"wrk: {THREADS} threads, {args.connections} connections, {args.duration} s "
                  f"per run, {args.rounds} rounds; {args.workers} workers per server", flush=True)
            for index in range(args.rounds):
                for server, polso_port, ref_port, scripts, ref_script in targets:
                    order = [("polso", polso_port), ("reference", ref_port)]
                    for app, port in order if index % 2 == 0 else order[::-1]:
                        for load in ("health", "submit"):
                            script = (None if load == "health" else
                                      scripts[index] if app == "polso" else ref_script)
                            figures = wrk(port, "/healthz" if load == "health" else "/",
                                          args.duration, args.connections, script)
                            results.setdefault((server, app, load), []).append(figures)
                print(f"  round {index + 1} done", flush=True)
        finally:
            for proc in running:
                proc.terminate()
            for proc in running:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        report(results, servers)


def report(results: dict, servers: list[str]) -> None:
    print(f"\n{'server':<9} {'app':<10} {'load':<7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'failed':>6}")
    rate = {}
    for (server, app, load), runs in sorted(results.items()):
        rps = sum(r[0] for r in runs) / len(runs)
        rate[server, app, load] = rps
        p50 = max(r[1] for r in runs)
        p99 = max(r[2] for r in runs)
        print(f"{server:<9} {app:<10} {load:<7} {rps:>8.0f} {p50:>7.1f} {p99:>7.1f} "
              f"{sum(r[3] for r in runs):>6}")
    print()
    for server in servers:
        for load in ("health", "submit"):
            share = rate[server, "polso", load] / rate[server, "reference", load]
            print(f"{server}: Polso {load} at {share:.0%} of the reference")
    if "gunicorn" in servers and "granian" in servers:
        for load in ("health", "submit"):
            print(f"granian / gunicorn, Polso {load}: "
                  f"{rate['granian', 'polso', load] / rate['gunicorn', 'polso', load]:.0%}")


if __name__ == "__main__":
    main()
