#!/usr/bin/env python3
"""Set up and run Polso on a fresh machine with nothing but Python >= 3.11.

``python3 scripts/dev.py serve``  installs into ``.venv``, migrates the SQLite database under
``instance/``, loads demo data, prints survey links and serves http://127.0.0.1:5000.
``python3 scripts/dev.py test``   installs the same way (plus Chromium for browser tests, and the
PostgreSQL client tools and nginx for the backup and cluster tests on PostgreSQL) and runs the
whole test suite; extra arguments go to pytest. ``POLSO_DATABASE_URL`` selects PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
INSTANCE = ROOT / "instance"
CHROMIUM = Path("/usr/bin/chromium")
NGINX = Path("/usr/sbin/nginx")


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    """Run a command, stopping with its exit code when it fails."""
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode:
        sys.exit(completed.returncode)


def install() -> None:
    """Create ``.venv`` and install the project with its dev extras when pyproject changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be started by an older Python
        sys.exit("Polso needs Python 3.11 or newer.")
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        run(sys.executable, "-m", "venv", VENV)
    stamp = VENV / ".polso-installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing Polso and its dependencies into .venv …", flush=True)
        run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]")
        stamp.write_text(digest)
    run(BIN / "pybabel", "compile", "-d", ROOT / "survey_app/translations")


def apt_install(reason: str, *packages: str) -> None:
    """Install Debian ``packages`` (as root), or stop saying how to."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit(f"{reason}: run `sudo apt-get install {' '.join(packages)}`.")
    print(f"{reason}: installing {', '.join(packages)} (apt-get) …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run("apt-get", "update", "-q", env=env)
    run("apt-get", "install", "-y", "-q", *packages, env=env)


def ensure_chromium() -> None:
    """Install Debian's Chromium for the browser tests when it is missing."""
    if not CHROMIUM.exists():
        apt_install("Browser tests need /usr/bin/chromium", "chromium", "fonts-dejavu-core")


def ensure_postgresql_client() -> None:
    """Install pg_dump, pg_restore and psql for the backup tests on PostgreSQL when missing."""
    if not all(shutil.which(tool) for tool in ("pg_dump", "pg_restore", "psql")):
        apt_install("Backup tests on PostgreSQL need pg_dump, pg_restore and psql",
                    "postgresql-client")


def ensure_nginx() -> None:
    """Install nginx for the cluster test on PostgreSQL (tests/ops/test_cluster.py) if missing."""
    if not NGINX.exists():
        apt_install("The cluster test on PostgreSQL needs nginx", "nginx")


def dev_env() -> dict[str, str]:
    """Environment for the local demo server: a persistent secret key and plain-HTTP cookies."""
    INSTANCE.mkdir(exist_ok=True)
    key_file = INSTANCE / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    env = dict(os.environ)
    env.setdefault("POLSO_SECRET_KEY", key_file.read_text().strip())
    env.setdefault("POLSO_SESSION_COOKIE_SECURE", "false")
    env.setdefault("POLSO_BASE_URL", "http://127.0.0.1:5000")
    return env


def serve() -> None:
    """Migrate, load demo data, print links and serve on 127.0.0.1:5000."""
    install()
    env = dev_env()
    polso = BIN / "polso"
    run(polso, "db", "upgrade", env=env)
    run(polso, "demo", env=env)
    run(polso, "run", "--host", "127.0.0.1", "--port", "5000", env=env)


def test(pytest_args: list[str]) -> None:
    """Run the whole suite (on PostgreSQL too when ``POLSO_DATABASE_URL`` names one)."""
    install()
    ensure_chromium()
    if os.environ.get("POLSO_DATABASE_URL", "").startswith("postgresql"):
        ensure_postgresql_client()
        ensure_nginx()
    database = os.environ.get("POLSO_DATABASE_URL", "SQLite (temporary file)")
    print(f"Running the test suite against {database}", flush=True)
    run(BIN / "python", "-m", "pytest", *pytest_args)


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command == "serve":
        serve()
    elif command == "test":
        test(rest)
    elif command == "install":
        install()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
