"""Security headers on every response; HTTPS enforced and HSTS sent with ``FORCE_HTTPS``."""

import re

import pytest

from survey_app import create_app
from survey_app.core.headers import HEADERS

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def _security_headers(response) -> dict[str, str]:
    return {name: response.headers.get(name) for name, _ in HEADERS}


def test_every_response_carries_the_policy(client):
    expected = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                "Permissions-Policy": "browsing-topics=()"}
    for response in (client.get("/healthz"), client.get("/no-such-page"), client.get("/")):
        assert response.status_code in (200, 302, 404)
        assert _security_headers(response) == expected
        assert len(response.headers.getlist("Content-Security-Policy")) == 1
        assert "Strict-Transport-Security" not in response.headers


def test_session_cookies_are_http_only_and_same_site(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.fixture
def https_only(database_url):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                       "DATABASE_URL": database_url, "FORCE_HTTPS": True,
                       "BASE_URL": "https://polso.test"}).test_client()


def test_plain_http_is_redirected_to_https_with_the_headers(https_only):
    response = https_only.get("/no-such-page?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://localhost/no-such-page?x=1"
    assert response.headers["Content-Security-Policy"] == CSP
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("request_options", [
    {"base_url": "https://localhost"},
    {"headers": {"X-Forwarded-Proto": "https"}},
])
def test_https_is_served_with_hsts(https_only, request_options):
    response = https_only.get("/no-such-page", **request_options)
    assert response.status_code == 404
    assert response.headers["Strict-Transport-Security"] == "max-age=31556926; includeSubDomains"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_page_names_an_icon_that_is_served(client, login, make_survey, make_link):
    """Browsers ask for an icon on every page; the pages name ours (no 404 in every log)."""
    link = make_link(make_survey("nps"))
    login(client, "admin")
    for path in (f"/s/{link}", "/surveys"):
        page = client.get(path).get_data(as_text=True)
        [icon] = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
        with client.get(icon) as served:
            assert served.status_code == 200 and served.mimetype == "image/svg+xml", path
