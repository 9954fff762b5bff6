"""What ``bench/cluster.py`` checks after its load: answers, e-mails, rate limits, sessions, and
the web servers' logs; each finding goes into an :class:`Outcome`."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa
from cluster_topology import MailSink, Topology

PASSWORD = "cluster-password-" + "x" * 12
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
#: The respondent limit (Polso's default), per client address.
RESPOND_LIMIT = 60


def sweep(app) -> None:
    """Enqueue the e-mail sweep, as the periodic scheduler does every minute (here: every
    two seconds, so e-mails a killed worker held are retried once their short lease runs out)."""
    from survey_app.waves import tasks

    with app.app_context():
        tasks.sweep_invitation_emails()


@dataclass
class Outcome:
    """What one run measured and found; ``tests/ops/test_cluster.py`` asserts on it."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    #: Acknowledged answers missing, stored twice, or stored with another score.
    lost: list[str] = field(default_factory=list)
    recorded: int = 0
    emails_queued: int = 0
    emails_unsent: int = 0
    #: Addresses of the wave that received nothing.
    undelivered: list[str] = field(default_factory=list)
    duplicates: int = 0
    possibly_duplicated: int = 0
    #: Addresses whose copies differ in Message-ID (a second e-mail, not a resent one).
    distinct_copies: list[str] = field(default_factory=list)
    kills: list[tuple[str, float]] = field(default_factory=list)
    load_seconds: float = 0.0
    limit_passed: int = 0
    limit_upstreams: set[str] = field(default_factory=set)
    limit_other_address: int = 0
    session_statuses: dict[str, int] = field(default_factory=dict)
    stats: list[dict[str, str]] = field(default_factory=list)
    #: Exceptions in the web servers' logs (the last line of each traceback), counted.
    server_errors: Counter[str] = field(default_factory=Counter)
    #: Locust's failed requests: (request, error, occurrences).
    failures: list[tuple[str, str, int]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


def wait_for_emails(app, wave_id: int, seconds: float) -> None:
    """Sweep until no e-mail of the wave is waiting any more (or ``seconds`` pass)."""
    from survey_app.core.db import db
    from survey_app.invitations.models import Invitation
    from survey_app.waves.models import InvitationEmail

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            waiting = db.session.scalar(
                sa.select(sa.func.count()).select_from(InvitationEmail)
                .join(Invitation, Invitation.id == InvitationEmail.invitation_id)
                .where(Invitation.wave_id == wave_id, InvitationEmail.status != "sent"))
        if not waiting:
            return
        sweep(app)
        time.sleep(1)


def check_answers(app, outcome: Outcome) -> None:
    """Every acknowledged answer is stored once with its score."""
    from survey_app.core.db import db
    from survey_app.core.tokens import response_digest
    from survey_app.responses.models import Response

    with app.app_context():
        stored = Counter()
        scores = {}
        for digest, score in db.session.execute(sa.select(Response.token_digest,
                                                          Response.score)):
            stored[digest] += 1
            scores[digest] = score
    outcome.recorded = sum(stored.values())
    for token, score in outcome.acknowledged.items():
        digest = response_digest(token)
        if stored[digest] != 1 or scores[digest] != score:
            outcome.lost.append(token)


def check_emails(app, wave_id: int, sink: MailSink, outcome: Outcome) -> None:
    """Every e-mail of the wave delivered; copies only where counted "possibly duplicated"."""
    from survey_app.core.db import db
    from survey_app.invitations.models import Invitation
    from survey_app.people.models import Person
    from survey_app.surveys.models import Wave
    from survey_app.waves.queries import wave_summary

    with app.app_context():
        summary = wave_summary(db.session.get(Wave, wave_id))
        invited = set(db.session.scalars(
            sa.select(Person.email).join(Invitation, Invitation.person_id == Person.id)
            .where(Invitation.wave_id == wave_id)))
    outcome.emails_queued = summary.invited
    outcome.emails_unsent = summary.invited - summary.sent
    outcome.possibly_duplicated = summary.possibly_duplicated
    copies = Counter(to for to, _ in sink.received if to in invited)
    outcome.undelivered = sorted(invited - set(copies))
    outcome.duplicates = sum(copies.values()) - len(copies)
    ids: dict[str, set[str]] = {}
    for to, message_id in sink.received:
        ids.setdefault(to, set()).add(message_id)
    outcome.distinct_copies = sorted(to for to in invited if len(ids.get(to, ())) > 1)


def check_rate_limit(topology: Topology, outcome: Outcome) -> None:
    """One client address over both servers, forging ``X-Forwarded-For`` each time: the
    respondent limit still counts once for all (opens of unknown links count toward it)."""
    address = "127.2.0.1"
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=topology.url, transport=transport, timeout=30) as client:
        for n in range(RESPOND_LIMIT + 10):
            reply = client.get(f"/s/no-such-link-{n}",
                               headers={"X-Forwarded-For": f"203.0.113.{n}"})
            outcome.limit_passed += reply.status_code != 429
    log = (topology.tmp / "nginx-access.log").read_text().splitlines()
    outcome.limit_upstreams = {line.split()[-1] for line in log
                               if line.startswith(f"{address} ") and "/s/no-such-link-" in line}
    other = httpx.HTTPTransport(local_address="127.2.0.2")
    with httpx.Client(base_url=topology.url, transport=other, timeout=30) as client:
        outcome.limit_other_address = client.get("/s/no-such-link").status_code


def check_sessions(topology: Topology, outcome: Outcome) -> None:
    """Sign in on one server, use the session and its CSRF token on the other, directly."""
    one, two = (f"http://127.0.0.1:{port}" for port in topology.web_ports)
    statuses = outcome.session_statuses
    with httpx.Client(timeout=30) as client:  # cookies are per host, shared by both ports
        form = client.get(f"{one}/login")
        token = CSRF.search(form.text).group(1)
        statuses["sign in on two with one's form"] = client.post(f"{two}/login", data={
            "csrf_token": token, "email": "cluster-support@example.com",
            "password": PASSWORD}).status_code
        queue = client.get(f"{one}/followups")
        statuses["queue on one"] = queue.status_code
        token = CSRF.search(queue.text).group(1)
        statuses["claim on two with one's token"] = client.post(
            f"{two}/followups/claim-next", data={"csrf_token": token}).status_code
        statuses["claim on two with a forged token"] = client.post(
            f"{two}/followups/claim-next", data={"csrf_token": token[:-4] + "AAAA"}).status_code


def server_errors(tmp: Path) -> Counter[str]:
    """The exception line ending each traceback in the web servers' logs."""
    errors: Counter[str] = Counter()
    for log in tmp.glob("web*.log"):
        in_traceback = False
        for line in log.read_text().splitlines():
            if line.startswith("Traceback"):
                in_traceback = True
            elif in_traceback and not line.startswith(" "):
                errors[line[:300]] += 1
                in_traceback = False
    return errors
