"""The processes of ``bench/cluster.py``: nginx, two gunicorn servers, two job workers, an SMTP
sink, and a meter of the CPU time they spend."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX = "/usr/sbin/nginx"
NGINX_CONF = """
worker_processes 1;
daemon off;
%(user)s
pid %(tmp)s/nginx.pid;
error_log %(tmp)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
  log_format cluster '$remote_addr "$request" $status $upstream_addr';
  access_log %(tmp)s/nginx-access.log cluster;
  client_body_temp_path %(tmp)s/body;
  proxy_temp_path %(tmp)s/proxy;
  fastcgi_temp_path %(tmp)s/fastcgi;
  uwsgi_temp_path %(tmp)s/uwsgi;
  scgi_temp_path %(tmp)s/scgi;
  upstream polso {
    server 127.0.0.1:%(web0)d max_fails=1 fail_timeout=2s;
    server 127.0.0.1:%(web1)d max_fails=1 fail_timeout=2s;
  }
  server {
    listen 127.0.0.1:%(port)d;
    location / {
      proxy_pass http://polso;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailSink:
    """aiosmtpd on a free port keeping (recipient, Message-ID) of every accepted message."""

    def __init__(self, delay: float) -> None:
        from aiosmtpd.controller import Controller

        self.delay = delay
        self.received: list[tuple[str, str]] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        import asyncio
        import email

        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        self.received.extend((to, message["Message-ID"]) for to in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def count(self, recipient: re.Pattern[str]) -> int:
        """Messages received so far for recipients matching ``recipient``."""
        return sum(1 for to, _ in self.received if recipient.match(to))


class Topology:
    """nginx → two gunicorn servers; two job workers; each in its own process group."""

    def __init__(self, database_url: str, redis_url: str, smtp_port: int, tmp: Path) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web_ports = [free_port(), free_port()]
        self.run_id = secrets.token_hex(4)
        self.redis_url = redis_url
        prefix = f"cluster-{self.run_id}"
        self.env = {
            **os.environ, "PYTHONPATH": str(ROOT), "POLSO_DATABASE_URL": database_url,
            "POLSO_SECRET_KEY": secrets.token_hex(32), "POLSO_SESSION_COOKIE_SECURE": "false",
            "POLSO_BASE_URL": self.url, "POLSO_TRUSTED_PROXIES": "1",
            "POLSO_RATELIMIT_STORAGE_URI": redis_url, "POLSO_RATELIMIT_KEY_PREFIX": prefix,
            "POLSO_JOBS_URL": redis_url, "POLSO_JOBS_NAME": prefix,
            "POLSO_MAIL_SERVER": "127.0.0.1", "POLSO_MAIL_PORT": str(smtp_port),
            # answers come at once from the load generator: count them, do not flag them
            "POLSO_MIN_ANSWER_SECONDS": "0",
            # a killed worker's e-mails are retried after 3 s instead of 10 minutes; small
            # batches spread the wave over both workers, so the killed one is mid-send
            "POLSO_DELIVERY_STUCK_MINUTES": "0.05", "POLSO_MAIL_BATCH_SIZE": "5",
            # two servers × two workers = two per core on this 2-core machine
            "WEB_CONCURRENCY": "2"}
        self.webs: list[subprocess.Popen | None] = [None, None]
        self.workers: list[subprocess.Popen | None] = [None, None]
        self.nginx: subprocess.Popen | None = None

    def config(self) -> dict[str, object]:
        """The processes' ``POLSO_*`` settings as a config dict (values parsed as Flask does)."""
        config = {}
        for key, value in self.env.items():
            if key.startswith("POLSO_"):
                try:
                    config[key.removeprefix("POLSO_")] = json.loads(value)
                except json.JSONDecodeError:
                    config[key.removeprefix("POLSO_")] = value
        return config

    def _spawn(self, command: list[str], log: str, cwd: Path = ROOT) -> subprocess.Popen:
        with (self.tmp / log).open("a") as out:
            return subprocess.Popen(command, cwd=cwd, env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def start_web(self, index: int) -> None:
        self.webs[index] = self._spawn(
            [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{self.web_ports[index]}", "wsgi:app"],
            f"web{index}.log")
        wait_for(f"http://127.0.0.1:{self.web_ports[index]}/healthz", self.webs[index])

    def start_worker(self, index: int) -> None:
        periodic = [] if index == 0 else ["-n"]  # exactly one worker runs periodic jobs
        self.workers[index] = self._spawn(
            [str(BIN / "polso"), "worker", "-w", "4", "-k", "thread", *periodic],
            f"worker{index}.log")

    def start(self) -> None:
        for index in (0, 1):
            self.start_web(index)
            self.start_worker(index)
        conf = self.tmp / "nginx.conf"
        conf.write_text(NGINX_CONF % {
            "tmp": self.tmp, "port": self.port, "web0": self.web_ports[0],
            "web1": self.web_ports[1], "user": "user root;" if os.geteuid() == 0 else ""})
        self.nginx = self._spawn([NGINX, "-p", str(self.tmp), "-c", str(conf)], "nginx.log")
        wait_for(f"{self.url}/healthz", self.nginx)

    def groups(self) -> dict[str, list[int]]:
        """Process-group ids by role (each group: a master and its children)."""
        return {"web": [p.pid for p in self.webs if p],
                "worker": [p.pid for p in self.workers if p],
                "nginx": [self.nginx.pid] if self.nginx else []}

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def forget(self) -> None:
        """Delete this run's keys (job results, rate-limit counts) from Redis."""
        client = redis.Redis.from_url(self.redis_url)
        keys = list(client.scan_iter(match=f"*{self.run_id}*"))
        if keys:
            client.delete(*keys)
        client.close()

    def stop(self) -> None:
        for process in [self.nginx, *self.webs, *self.workers]:
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [self.nginx, *self.webs, *self.workers]:
            if process:
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    self.kill(process)


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Until ``url`` answers 200; fails if ``process`` exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


class CpuMeter:
    """CPU seconds by role, from ``/proc/<pid>/stat`` of every process sampled; a process that
    dies keeps its last sample (at most one sampling interval short)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, topology: Topology, engine: sa.Engine) -> None:
        self.topology = topology
        self.engine = engine
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    @classmethod
    def stat(cls, pid: int) -> tuple[int, float] | None:
        """(process group, CPU seconds) of ``pid``, or None once it is gone."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return None
        return int(fields[2]), (int(fields[11]) + int(fields[12])) / cls.TICK

    def sample(self) -> None:
        roles = {group: role for role, groups in self.topology.groups().items()
                 for group in groups}
        with self.engine.connect() as conn:  # the database's server processes for our database
            backends = conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()")).scalars().all()
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
        for pid in pids:
            found = self.stat(pid)
            role = roles.get(found[0]) if found else None
            role = "postgresql" if pid in backends else role
            if found and role:
                self.first.setdefault(pid, found[1])
                self.last[pid] = (role, found[1])

    def start(self) -> None:
        self.sample()
        self.first = {pid: cpu for pid, (_, cpu) in self.last.items()}

    def totals(self) -> dict[str, float]:
        spent: Counter[str] = Counter()
        for pid, (role, cpu) in self.last.items():
            spent[role] += cpu - self.first.get(pid, 0.0)
        return dict(spent)
