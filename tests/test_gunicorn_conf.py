"""gunicorn.conf.py: sync workers per core, by database."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

CONF = str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py")


@pytest.mark.parametrize(("url", "per_core"), [
    ("", 1),
    ("sqlite:////srv/polso/polso.sqlite3", 1),
    ("postgresql+psycopg://polso@db/polso", 2),
])
def test_workers_per_core_follow_the_database(monkeypatch, url, per_core):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("POLSO_DATABASE_URL", url)
    settings = runpy.run_path(CONF)
    assert settings["worker_class"] == "sync"
    assert settings["workers"] == per_core * (os.cpu_count() or 1)


def test_web_concurrency_overrides(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    monkeypatch.setenv("POLSO_DATABASE_URL", "postgresql+psycopg://polso@db/polso")
    assert runpy.run_path(CONF)["workers"] == 7
