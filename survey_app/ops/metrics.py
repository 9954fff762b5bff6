"""``GET /metrics``: Prometheus figures for operators, behind ``POLSO_METRICS_TOKEN``.

Two kinds of figures (docs/operations.md):

- **requests** — counted in each process by prometheus-client as they are answered; with
  several gunicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` so the scrape adds them up;
- **business figures** (answers, cases, e-mails, queue) — counted in the database at scrape time,
  so they are exact whichever process answers and survive restarts.

Labels are endpoint names, status codes, channels and e-mail streams: never a path, an address,
a token or an id.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from survey_app.core import requestlog
from survey_app.core.db import db, utcnow
from survey_app.core.delivery import DeliveryStatus
from survey_app.core.jobs import get_huey
from survey_app.extensions import limiter
from survey_app.followups.models import CaseStatus, FollowUp, FollowUpMail
from survey_app.responses import models as responses
from survey_app.waves.models import InvitationEmail

bp = Blueprint("ops", __name__)
logger = logging.getLogger(__name__)

REQUESTS = Counter("polso_http_requests", "HTTP requests answered, by endpoint and status.",
                   ["endpoint", "status"])
LATENCY = Histogram("polso_http_request_duration_seconds",
                    "Time to answer a request, by endpoint.", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
#: Label of requests that matched no URL rule (404s, probes): never the raw path.
UNMATCHED = "unmatched"
#: E-mail streams: the label and the delivery table behind it.
STREAMS = {"invitation": InvitationEmail, "followup": FollowUpMail}
_WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)


def init_app(app: Flask) -> None:
    """Count every request and serve ``/metrics``."""
    app.after_request(_observe)
    app.register_blueprint(bp)


#: (endpoint, status) → its request counter and latency histogram: ``labels()`` looks them up
#: under a lock and builds the key each time; there are only as many as endpoints × statuses.
_series: dict[tuple[str, int], tuple[Any, Any]] = {}


def _observe(response: Response) -> Response:
    rule = request.url_rule
    endpoint = rule.endpoint if rule else UNMATCHED
    key = (endpoint, response.status_code)
    series = _series.get(key)
    if series is None:
        series = _series[key] = (REQUESTS.labels(endpoint, str(key[1])),
                                 LATENCY.labels(endpoint))
    series[0].inc()
    series[1].observe(requestlog.elapsed_seconds())
    return response


@bp.get("/metrics")
@limiter.exempt
def metrics() -> Response:
    """The figures in Prometheus text format; 404 while no token is set, 401 without it."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {token}".encode()):
        return Response("A valid 'Authorization: Bearer' token is required.\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    business = CollectorRegistry(auto_describe=False)
    business.register(BusinessCollector())
    body = generate_latest(_request_registry()) + generate_latest(business)
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


def _request_registry() -> CollectorRegistry:
    """This process's registry, or every worker's request figures in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


class BusinessCollector(Collector):
    """Figures counted in the database (and the job broker) when Prometheus asks."""

    def collect(self) -> Iterator[Metric]:
        yield from _answers()
        yield from _cases()
        yield from _emails(utcnow())
        yield from _webhooks()
        yield from _job_queue()


def _answers() -> Iterator[Metric]:
    family = CounterMetricFamily("polso_answers_recorded", "Answers recorded, by channel.",
                                 labels=["channel"])
    channel = responses.Response.channel
    rows = db.session.execute(sa.select(channel, sa.func.count()).group_by(channel))
    for channel, count in rows:
        family.add_metric([channel], count)
    yield family


def _cases() -> Iterator[Metric]:
    ended = (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    opened, resolved = db.session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(FollowUp.status.in_(ended)))).one()
    yield CounterMetricFamily("polso_cases_opened", "Follow-up cases opened.", value=opened)
    yield CounterMetricFamily("polso_cases_resolved", "Follow-up cases resolved or closed.",
                              value=resolved)


def _emails(now: datetime) -> Iterator[Metric]:
    families = {
        "sent": CounterMetricFamily("polso_emails_sent", "E-mails accepted by the SMTP server.",
                                    labels=["stream"]),
        "failed": CounterMetricFamily("polso_emails_failed",
                                      "E-mails given up on (failed or bounced).",
                                      labels=["stream"]),
        "retried": CounterMetricFamily("polso_emails_retried",
                                       "Attempts after an e-mail's first one.",
                                       labels=["stream"]),
        "waiting": GaugeMetricFamily("polso_email_queue_depth",
                                     "E-mails waiting to be sent (queued or in progress).",
                                     labels=["stream"]),
        "delay": GaugeMetricFamily("polso_email_queue_delay_seconds",
                                   "How long the most overdue waiting e-mail has been due.",
                                   labels=["stream"]),
    }
    for stream, model in STREAMS.items():
        row = db.session.execute(_email_figures(model)).one()
        oldest = row.oldest_due
        if oldest is not None and oldest.tzinfo is None:  # SQLite returns naive UTC
            oldest = oldest.replace(tzinfo=now.tzinfo)
        values = {"sent": row.sent, "failed": row.failed, "retried": row.retried or 0,
                  "waiting": row.waiting,
                  "delay": max((now - oldest).total_seconds(), 0) if oldest else 0}
        for name, family in families.items():
            family.add_metric([stream], values[name])
    yield from families.values()


def _email_figures(model: type) -> sa.Select:
    status = model.status
    return sa.select(
        sa.func.count().filter(status == DeliveryStatus.SENT).label("sent"),
        sa.func.count().filter(status.in_((DeliveryStatus.FAILED, DeliveryStatus.BOUNCED)))
        .label("failed"),
        sa.func.sum(sa.case((model.attempts > 1, model.attempts - 1), else_=0)).label("retried"),
        sa.func.count().filter(status.in_(_WAITING)).label("waiting"),
        sa.func.min(model.next_attempt_dt).filter(status.in_(_WAITING)).label("oldest_due"),
    )


#: ``webhook_deliveries`` by name: ``ops`` sits below ``webhooks`` in the layers, so it reads
#: the table without importing its model.
_DELIVERIES = sa.table("webhook_deliveries", sa.column("state"), sa.column("attempts"),
                       sa.column("duration_ms"))
#: Upper bounds (seconds) of the delivery-duration histogram.
WEBHOOK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


def _webhooks() -> Iterator[Metric]:
    """Deliveries by state, retries, and a histogram of the last attempt's duration."""
    table = _DELIVERIES
    by_state = GaugeMetricFamily("polso_webhook_deliveries",
                                 "Webhook deliveries by state (pending, sending, delivered, "
                                 "failed).", labels=["state"])
    for state, count in db.session.execute(sa.select(table.c.state, sa.func.count())
                                           .group_by(table.c.state)):
        by_state.add_metric([state], count)
    yield by_state
    ms = table.c.duration_ms
    row = db.session.execute(sa.select(
        sa.func.sum(sa.case((table.c.attempts > 1, table.c.attempts - 1), else_=0)),
        sa.func.count(ms), sa.func.coalesce(sa.func.sum(ms), 0),
        *(sa.func.count().filter(ms <= bound * 1000) for bound in WEBHOOK_BUCKETS))).one()
    yield CounterMetricFamily("polso_webhook_retries", "Webhook attempts after the first.",
                              value=row[0] or 0)
    histogram = HistogramMetricFamily(
        "polso_webhook_delivery_duration_seconds",
        "Duration of each delivery's last attempt.", sum_value=row[2] / 1000,
        buckets=[*((str(b), n) for b, n in zip(WEBHOOK_BUCKETS, row[3:], strict=True)),
                 ("+Inf", row[1])])
    yield histogram


def _job_queue() -> Iterator[Metric]:
    up = GaugeMetricFamily("polso_job_broker_up", "1 when the job broker answered the scrape.")
    depth = GaugeMetricFamily("polso_job_queue_depth",
                              "Jobs in the broker: ready to run, or scheduled for later.",
                              labels=["state"])
    huey = get_huey(current_app)
    try:
        figures = {"ready": huey.pending_count(), "scheduled": huey.scheduled_count()}
    except Exception:  # any broker's connection error: report it, keep the other figures
        logger.exception("metrics: job broker unreachable")
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    for state, count in figures.items():
        depth.add_metric([state], count)
    yield from (up, depth)
