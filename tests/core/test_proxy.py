"""``POLSO_TRUSTED_PROXIES``: the client address behind our proxy, forged headers ignored."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from tests.conftest import csrf_token


@pytest.fixture
def proxies(app) -> Iterator[callable]:
    saved = app.config["TRUSTED_PROXIES"]

    def set_proxies(count: int) -> None:
        app.config["TRUSTED_PROXIES"] = count

    yield set_proxies
    app.config["TRUSTED_PROXIES"] = saved


_emails = itertools.count(1)


def failed_login(client, forwarded_for: str):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": f"x{next(_emails)}@example.com",
                                       "password": "wrong-password", "csrf_token": token},
                       headers={"X-Forwarded-For": forwarded_for})


def audited_ips(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(
            select(AuditEvent.ip).where(AuditEvent.action == "login.failed")
            .order_by(AuditEvent.id)))


def test_behind_one_proxy_each_visitor_has_their_own_limit(app, client, proxies):
    proxies(1)
    for _ in range(10):
        assert failed_login(client, "198.51.100.7").status_code == 422
    assert failed_login(client, "198.51.100.7").status_code == 429
    # Another visitor through the same proxy (same REMOTE_ADDR) is not blocked.
    assert failed_login(client, "203.0.113.5").status_code == 422
    # The proxy appends the real address: a value the client put in front is not believed.
    assert failed_login(client, "198.51.100.7, 203.0.113.9").status_code == 422
    assert audited_ips(app)[-2:] == ["203.0.113.5", "203.0.113.9"]


def test_without_trusted_proxies_forged_headers_are_ignored(app, client, proxies):
    proxies(0)
    for i in range(10):
        assert failed_login(client, f"198.51.100.{i}").status_code == 422
    assert failed_login(client, "198.51.100.200").status_code == 429
    assert set(audited_ips(app)) == {"127.0.0.1"}


@pytest.mark.parametrize("value", [-1, 6, "one", True, 1.5])
def test_a_bad_setting_refuses_to_start(value):
    with pytest.raises(RuntimeError, match="POLSO_TRUSTED_PROXIES"):
        create_app({"TESTING": True, "TRUSTED_PROXIES": value})
