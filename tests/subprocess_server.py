"""A real gunicorn serving the suite's database in a subprocess, for log and metrics tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def get(url: str, **headers: str) -> tuple[int, dict[str, str], str]:
    """``(status, headers, body)`` of a GET; error statuses are returned, not raised."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class Gunicorn:
    """``gunicorn wsgi:app`` on a free port of 127.0.0.1 with ``env`` added; its standard
    error goes to ``log``. Use as a context manager: it is up on entry, stopped on exit."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "POLSO_SECRET_KEY": "test-secret", **env}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with self.log.open("w") as stderr:
            self.process = subprocess.Popen(
                [str(gunicorn), "-b", self.url.removeprefix("http://"), "wsgi:app"], cwd=ROOT,
                env=self.env, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()}")
            try:
                get(f"{self.url}/healthz")
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(30)
