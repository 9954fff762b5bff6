"""Polso: pulse surveys, NPS/CSAT/eNPS and the detractor follow-up loop."""

from __future__ import annotations

from typing import Any

from flask import Flask

from survey_app.config import ROOT, Config
from survey_app.core.application import PolsoFlask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, CLI and error pages."""
    app = PolsoFlask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Config)
    app.config.from_prefixed_env("POLSO")
    app.config.update(config or {})

    from survey_app import setup

    setup.check_config(app)
    setup.init_extensions(app)
    setup.register_blueprints(app)
    setup.register_cli(app)
    return app
