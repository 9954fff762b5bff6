"""Language selection: the person's or survey's language, then ``?lang=``, then the browser."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request


def supported(locale: str | None) -> str | None:
    """``locale`` if the interface speaks it, else ``None``."""
    return locale if locale in current_app.config["LANGUAGES"] else None


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    if not has_request_context():  # CLI and jobs: the command's choice, else the fallback
        return g.get("locale") or current_app.config["LANGUAGES"][0]
    chosen = supported(request.args.get("lang")) or g.get("locale")
    if chosen:
        return chosen
    best = request.accept_languages.best_match(current_app.config["LANGUAGES"])
    return best or current_app.config["LANGUAGES"][0]


def use_locale(*preferences: str | None) -> str:
    """Use the first supported of ``preferences`` for this request (``?lang=`` still wins)."""
    g.locale = next((p for p in preferences if supported(p)), None)
    return select_locale()
