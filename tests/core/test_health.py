"""The health check reports the database state."""

import pytest

from survey_app import create_app


def test_healthz_is_ok_with_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.live  # uses the real session machinery, not the test's SAVEPOINT session
def test_healthz_is_503_when_the_database_is_unreachable():
    app = create_app({"TESTING": True,
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_security_headers_are_sent(client):
    headers = client.get("/healthz").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_secret_key_is_required_outside_debug_and_tests(monkeypatch):
    monkeypatch.delenv("POLSO_SECRET_KEY", raising=False)
    try:
        create_app({"TESTING": False, "SECRET_KEY": None})
    except RuntimeError as error:
        assert "POLSO_SECRET_KEY" in str(error)
    else:
        raise AssertionError("the app started without a secret key")


@pytest.mark.parametrize("bad", [[0.1, -0.1], [-2, 0.1], "nonsense", [0.0]])
def test_bad_sentiment_thresholds_stop_the_start(bad):
    with pytest.raises(RuntimeError, match="SENTIMENT_THRESHOLDS"):
        create_app({"TESTING": True, "SENTIMENT_THRESHOLDS": bad})


def test_thresholds_from_the_environment_are_used(monkeypatch):
    monkeypatch.setenv("POLSO_SENTIMENT_THRESHOLDS", "[-0.2, 0.3]")
    assert create_app({"TESTING": True}).config["SENTIMENT_THRESHOLDS"] == (-0.2, 0.3)
