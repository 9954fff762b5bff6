"""The client's address and scheme behind our reverse proxies (Werkzeug's ProxyFix)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app.config import ConfigError

#: More hops than any sane deployment; a typo such as ``10`` … ``100`` is refused at start.
MAX_PROXIES = 5


def check_trusted_proxies(value: Any) -> int:
    """``TRUSTED_PROXIES`` as an int from 0 to :data:`MAX_PROXIES`.

    :raises RuntimeError: anything else (the app refuses to start).
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PROXIES:
        raise ConfigError(f"POLSO_TRUSTED_PROXIES must be a whole number of proxies from 0 to "
                           f"{MAX_PROXIES}, not {value!r}")
    return value


class TrustedProxies:
    """WSGI middleware: with ``TRUSTED_PROXIES = n > 0`` the client address and scheme are taken
    from the ``n``-th last ``X-Forwarded-For`` / ``X-Forwarded-Proto`` value (the one our own
    outermost proxy wrote); with 0 those headers are ignored, so a client cannot forge them.

    The setting is read per request (tests switch it); ``X-Forwarded-Host`` is never trusted:
    links use ``BASE_URL``.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        proxies = self.app.config["TRUSTED_PROXIES"]
        if not proxies:
            return self.wsgi_app(environ, start_response)
        fix = self._fixes.get(proxies)
        if fix is None:
            fix = self._fixes[proxies] = ProxyFix(self.wsgi_app, x_for=proxies,
                                                  x_proto=proxies)
        return fix(environ, start_response)
