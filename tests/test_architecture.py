"""The layers of docs/architecture.md hold: import-linter's contract in ``.importlinter``."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


def test_features_depend_one_way(monkeypatch, capfd):
    monkeypatch.chdir(ROOT)
    exit_code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True)
    assert exit_code == 0, capfd.readouterr().out
