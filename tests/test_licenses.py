"""``scripts/licenses.py``: runtime dependencies only, an allow-list, docs/licenses.md current."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from survey_app.config import ROOT

_spec = importlib.util.spec_from_file_location("licenses", ROOT / "scripts" / "licenses.py")
licenses = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(licenses)


def row(name: str, license: str) -> dict[str, str]:
    return {"Name": name, "Version": "1.0", "License": license}


def test_a_disallowed_license_is_reported():
    rows = [row("fine", "MIT License"), row("both", "MPL-2.0 AND MIT"),
            row("viral", "GNU General Public License v3 (GPLv3)"),
            row("mixed", "MIT AND GPL-3.0-only"), row("unknown", "UNKNOWN")]
    assert licenses.disallowed(rows) == ["viral (GNU General Public License v3 (GPLv3))",
                                         "mixed (MIT AND GPL-3.0-only)", "unknown (UNKNOWN)"]


def test_an_exception_holds_only_for_the_license_it_was_checked_for():
    assert licenses.disallowed([row("psycopg", "LGPL-3.0-only")]) == []
    assert licenses.disallowed([row("psycopg", "GPL-3.0-only")]) == ["psycopg (GPL-3.0-only)"]


def test_runtime_packages_follow_extras_and_leave_out_dev_tools():
    names = {name.lower() for name in licenses.runtime_packages()}
    assert {"flask", "nltk", "psycopg", "psycopg-binary", "huey"} <= names
    assert not {"pytest", "ruff", "pip-licenses", "hypothesis", "playwright", "polso"} & names


def test_the_installed_dependencies_pass_and_the_list_is_current():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "licenses.py"), "check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "all allowed" in done.stdout
