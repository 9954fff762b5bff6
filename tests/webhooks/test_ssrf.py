"""SSRF: every spelling of a private address refused at save and at connection, nothing
connected; bad URLs get a clear error and nothing is stored."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.webhooks import delivery, services, ssrf
from survey_app.webhooks.events import emit
from survey_app.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import received

#: Loopback, private, link-local, metadata, CGNAT, multicast, unspecified, reserved — in
#: every spelling, IPv6 forms included. ``{port}`` is the live receiver's port.
PRIVATE = [
    "https://127.0.0.1/hook", "https://127.1:{port}/hook",
    "https://2130706433:{port}/hook", "https://0x7f000001:{port}/hook",
    "https://017700000001:{port}/hook", "https://0177.0.0.1:{port}/hook",
    "https://0x7f.1:{port}/hook", "https://[::ffff:127.0.0.1]:{port}/hook",
    "https://[::ffff:7f00:1]:{port}/hook", "https://[::1]:{port}/hook",
    "https://[::127.0.0.1]:{port}/hook", "https://[2002:7f00:1::]:{port}/hook",
    "https://[64:ff9b::7f00:1]:{port}/hook",
    "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/hook",
    "https://localhost/hook", "https://LOCALHOST./hook",
    "https://10.0.0.1/", "https://172.16.5.4/", "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/",
    "https://[::ffff:169.254.169.254]/", "https://[fe80::1]/", "https://100.64.0.1/",
    "https://224.0.0.1/", "https://[ff02::1]/", "https://0.0.0.0/", "https://0/",
    "https://[::]/", "https://240.0.0.1/", "https://255.255.255.255/", "https://198.18.0.1/",
    "https://[fc00::1]/",
]

BAD = [
    ("", "at most"), ("https:///hook", "no host"), ("https://", "no host"),
    ("file:///etc/passwd", "Only https"), ("gopher://example.com/", "Only https"),
    ("ftp://example.com/", "Only https"), ("http://example.com/hook", "Only https"),
    ("javascript:alert(1)", "Only https"), ("https://" + "a" * 4990 + ".com/", "at most"),
    ("https://user:pw@example.com/", "user name"), ("https://exa mple.com/", "spaces"),
    ("https://example.com:99999/", "not a valid URL"), ("https://ex_ample.com/", "not a valid"),
    ("https://example.com\r\nX-Evil: 1/", "control"),
]


@pytest.fixture
def admin(app, make_user):
    return make_user("admin")


def _create(app, admin_id, url):
    with app.app_context():
        endpoint = services.create_endpoint(db.session.get(User, admin_id), url=url,
                                            events=["response.created"], scope="customers")
        db.session.commit()
        return endpoint.id


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint))


@pytest.mark.parametrize("url", PRIVATE)
def test_private_addresses_are_refused_at_save_whatever_the_spelling(app, receiver, admin,
                                                                     url):
    with pytest.raises(services.InvalidEndpointError) as refused:
        _create(app, admin, url.format(port=receiver.port))
    assert refused.value.field == "url"
    assert "private, local or reserved" in str(refused.value)
    assert _count(app) == 0
    assert received(receiver) == []


@pytest.mark.parametrize(("url", "reason"), BAD)
def test_bad_urls_get_a_clear_error_and_nothing_is_stored(app, admin, url, reason):
    with pytest.raises(services.InvalidEndpointError, match=reason):
        _create(app, admin, url)
    assert _count(app) == 0


def test_a_public_address_is_accepted(app, admin):
    assert _create(app, admin, "https://93.184.216.34/hook")


@pytest.mark.parametrize("url", PRIVATE[:16])
def test_a_stored_private_url_is_refused_at_connection_and_nothing_connects(
        app, receiver, admin, url):
    """A row that got past the save check (older rules, a direct write) still cannot
    connect: the transport checks again after resolving."""
    with app.app_context():
        endpoint = WebhookEndpoint(url=url.format(port=receiver.port), scope="customers",
                                   events=["response.created"], secret="whsec_" + "A" * 44)
        db.session.add(endpoint)
        db.session.flush()
        emit("response.created", {"id": 1}, scope="customers", survey_id=None,
             endpoint_ids=[endpoint.id], hand_off=False)
        delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
        db.session.commit()
        outcome = delivery.deliver(delivery_id)
    assert outcome.state == "failed" and outcome.error.startswith("refused")
    assert received(receiver) == []


def test_a_name_that_turns_private_after_saving_is_refused_at_delivery(
        app, receiver, admin, monkeypatch):
    answers = {"rebind.example": "93.184.216.34"}
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", resolver)
    endpoint_id = _create(app, admin, f"https://rebind.example:{receiver.port}/hook")
    with app.app_context():
        db.session.commit()
        answers["rebind.example"] = "127.0.0.1"  # DNS rebinding
        emit("response.created", {"id": 1}, scope="customers", survey_id=None,
             endpoint_ids=[endpoint_id], hand_off=False)
        delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
        db.session.commit()
        outcome = delivery.deliver(delivery_id)
    assert outcome.state == "failed" and "private" in outcome.error
    assert received(receiver) == []


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
        app, receiver, admin):
    receiver.expect_request("/hook").respond_with_data("ok")
    endpoint_id = _create(app, admin, f"http://localhost:{receiver.port}/hook")
    with app.app_context():
        db.session.commit()
        emit("response.created", {"id": 1}, scope="customers", survey_id=None,
             endpoint_ids=[endpoint_id], hand_off=False)
        delivery_id = db.session.scalar(sa.select(WebhookDelivery.id))
        db.session.commit()
        assert delivery.deliver(delivery_id).state == "delivered"
    [request] = received(receiver)
    assert request.headers["Host"] == f"localhost:{receiver.port}"


@pytest.mark.parametrize(("address", "refused"), [
    ("8.8.8.8", False), ("2606:4700:4700::1111", False), ("2002:808:808::", False),
    ("64:ff9b::808:808", False), ("::ffff:8.8.8.8", False), ("192.88.99.1", True),
    ("100.127.255.255", True), ("fd00:ec2::254", True), ("::ffff:10.0.0.1", True),
])
def test_address_classification(address, refused):
    import ipaddress

    assert ssrf.is_refused_address(ipaddress.ip_address(address)) is refused
