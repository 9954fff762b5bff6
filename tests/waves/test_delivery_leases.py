"""Claims are leases (issue 13, point 6): a slow batch keeps its rows, a worker that lost them
sends nothing more. Real threads, a real (slowed or stuck) SMTP server, committed data."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from survey_app.core.db import db, utcnow
from survey_app.invitations.models import Invitation
from survey_app.waves.emails import InvitationDeliverer
from survey_app.waves.models import InvitationEmail
from tests.waves.conftest import as_job
from tests.waves.test_delivery import _queue_wave

pytestmark = pytest.mark.live


def _rows(app):
    with app.app_context():
        return {row.id: (row.status, row.interrupted_sends)
                for row in db.session.scalars(select(InvitationEmail))}


def _in_thread(app, ids, results):
    """A worker running one batch in a thread of its own."""
    thread = threading.Thread(target=lambda: results.append(
        as_job(app, lambda: InvitationDeliverer().run(ids))))
    thread.start()
    return thread


def test_a_batch_slower_than_the_lease_keeps_its_rows(app, smtp_server, make_survey,
                                                      make_people, monkeypatch):
    monkeypatch.setitem(app.config, "DELIVERY_STUCK_MINUTES", 0.05)  # a 3 s lease
    smtp_server.delay = 0.5  # 8 messages: a 4 s batch
    make_people(8)
    ids = _queue_wave(app, make_survey("nps"))
    results: list = []
    worker = _in_thread(app, ids, results)
    taken_back = []
    while worker.is_alive():  # an eager sweeper: the real clock, every 0.1 s
        taken_back += as_job(app, lambda: InvitationDeliverer().sweep())
        time.sleep(0.1)
    worker.join()
    assert taken_back == []
    assert results[0].sent == 8
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        f"p{i}@example.com" for i in range(1, 9))
    assert set(_rows(app).values()) == {("sent", 0)}


def test_a_worker_that_lost_its_lease_sends_nothing_more(app, smtp_server, make_survey,
                                                         make_people):
    make_people(4)
    ids = _queue_wave(app, make_survey("nps"))
    gate = smtp_server.held["p1@example.com"] = threading.Event()
    results: list = []
    stalled = _in_thread(app, ids, results)  # worker A: stuck in the SMTP exchange of p1
    try:
        assert smtp_server.holding.wait(10)
        # A's lease runs out; the sweep hands everything to worker B
        due = as_job(app, InvitationDeliverer().sweep, utcnow() + timedelta(minutes=11))
        assert due == ids
        assert as_job(app, lambda: InvitationDeliverer().run(due)).sent == 4
    finally:
        gate.set()
        stalled.join(10)
    [a] = results
    assert (a.sent, a.lost) == (1, 3)  # SMTP took p1 from A as well; A then stopped
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == ["p1@example.com", "p1@example.com", "p2@example.com", "p3@example.com",
                        "p4@example.com"]
    first, again = smtp_server.to("p1@example.com")
    assert first["Message-ID"] == again["Message-ID"]  # mail systems can tell it is the same
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 4
    assert _rows(app) == {ids[0]: ("sent", 1), **{i: ("sent", 0) for i in ids[1:]}}
    with app.app_context():
        assert set(db.session.scalars(select(Invitation.status))) == {"sent"}
