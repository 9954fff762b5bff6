"""Security headers on every response and, with ``FORCE_HTTPS``, HTTPS only — built once.

The policy Flask-Talisman applied for us, without its per-request work: Talisman looked up
per-view options four times and rebuilt the same Content-Security-Policy string on every
response (a fifth of a health check's CPU, ``bench/request_cpu.py``). Polso has no per-view
options and no CSP nonce, so the header values are fixed at start-up.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, redirect, request

#: Content Security Policy: nothing but our own origin; no inline script anywhere.
CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
#: Sent on every response, whatever it is (pages, JSON, errors, redirects).
HEADERS = (
    ("Permissions-Policy", "browsing-topics=()"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "; ".join(f"{name} {value}" for name, value in CSP.items())),
    ("Referrer-Policy", "no-referrer"),
)
#: One year, subdomains included; sent over HTTPS when ``FORCE_HTTPS`` is on.
HSTS = ("Strict-Transport-Security", "max-age=31556926; includeSubDomains")


def init_app(app: Flask) -> None:
    """Send :data:`HEADERS` on every response; with ``FORCE_HTTPS``, redirect plain HTTP to
    HTTPS and send HSTS. Session cookies are ``HttpOnly`` and ``SameSite=Lax``."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config["FORCE_HTTPS"]:
        app.before_request(_redirect_to_https)
        app.after_request(_add_headers_and_hsts)
    else:
        app.after_request(_add_headers)


def _over_https() -> bool:
    # As Talisman did: the scheme (our trusted proxies' X-Forwarded-Proto, core.proxy) or the
    # header as sent; either way a client can only spare itself its own redirect.
    return request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"


def _redirect_to_https() -> Response | None:
    if not current_app.debug and request.url.startswith("http://") and not _over_https():
        return redirect("https://" + request.url[len("http://"):], 302)
    return None


def _add_headers(response: Response) -> Response:
    add = response.headers.add  # ``extend`` would first ask whether a tuple is a mapping
    for name, value in HEADERS:
        add(name, value)
    return response


def _add_headers_and_hsts(response: Response) -> Response:
    _add_headers(response)
    if _over_https():
        response.headers.add(*HSTS)
    return response
