"""Brute force kept out without lock-outs: limits per address and per (address, e-mail), a delay
per e-mail that a correct password from a clean address does not pay, successes not counted."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from survey_app.accounts import throttle
from tests.accounts.test_login import post_login
from tests.conftest import DEFAULT_PASSWORD

SLOWED = "slowed down by"


@pytest.fixture
def slowdown(app) -> Iterator[None]:
    """Two free failures per e-mail, then 0.25 s, 0.5 s, capped at 0.5 s."""
    saved = {k: app.config[k] for k in ("LOGIN_SLOWDOWN_AFTER", "LOGIN_SLOWDOWN_MAX_SECONDS")}
    app.config.update(LOGIN_SLOWDOWN_AFTER=2, LOGIN_SLOWDOWN_MAX_SECONDS=0.5)
    yield
    app.config.update(saved)


def delays(caplog) -> list[str]:
    found = [r.getMessage().split(SLOWED)[1].strip() for r in caplog.records
             if SLOWED in r.getMessage()]
    caplog.clear()
    return found


def from_address(n: int) -> dict:
    return {"environ_base": {"REMOTE_ADDR": f"192.0.2.{n}"}}


def test_delay_policy_doubles_up_to_the_cap(app):
    with app.app_context():
        assert [throttle.delay_for(n) for n in range(3)] == [0, 0, 0]
        assert [throttle.delay_for(n) for n in (3, 4, 5, 6, 7, 50)] == [0.25, 0.5, 1, 2, 3, 3]


def test_failures_for_an_email_slow_down_every_address(app, client, make_user, slowdown, caplog):
    caplog.set_level(logging.INFO, logger="survey_app.accounts.throttle")
    make_user("admin", email="boss@example.com")
    started = time.monotonic()
    for n in range(5):
        assert post_login(client, "boss@example.com", f"guess-{n}",
                          **from_address(n)).status_code == 422
    assert time.monotonic() - started >= 0.25 + 0.5 + 0.5
    assert delays(caplog) == ["0.25 s", "0.50 s", "0.50 s"]
    # The right password from an address that failed before pays the delay too …
    assert post_login(client, "boss@example.com", **from_address(1)).status_code == 303
    assert delays(caplog) == ["0.50 s"]
    # … another e-mail does not.
    other = post_login(app.test_client(), "other@example.com", "x-wrong-1", **from_address(9))
    assert other.status_code == 422
    assert delays(caplog) == []


def test_the_owner_is_not_locked_out_by_failures_from_elsewhere(client, make_user, slowdown,
                                                                 caplog):
    """Replaces the old rule (10 failures for an e-mail from anywhere → 429 for its owner)."""
    caplog.set_level(logging.INFO, logger="survey_app.accounts.throttle")
    make_user("admin", email="target@example.com")
    for i in range(12):
        response = post_login(client, "target@example.com", f"guess-{i}", **from_address(i % 4))
        assert response.status_code == 422
    caplog.clear()
    owner = post_login(client, "Target@Example.com", DEFAULT_PASSWORD, **from_address(99))
    assert owner.status_code == 303
    assert delays(caplog) == []  # no wait at all (the guesser's next try would wait 0.5 s)


def test_failures_are_limited_per_address_and_email(client, make_user):
    make_user("admin", email="a@example.com")
    for i in range(5):
        assert post_login(client, "a@example.com", f"guess-{i}").status_code == 422
    blocked = post_login(client, "a@example.com", DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert post_login(client, "b@example.com", "guess-x").status_code == 422
    assert post_login(client, "a@example.com", "guess-y", **from_address(50)).status_code == 422


def test_successful_sign_ins_count_toward_no_limit(app, make_user):
    make_user("support", email="busy@example.com")
    for _ in range(12):  # e.g. a team behind one office address, each in their own browser
        assert post_login(app.test_client(), "busy@example.com").status_code == 303
