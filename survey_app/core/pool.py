"""Pooled connections checked before use only after they sat idle (PostgreSQL).

``pool_pre_ping`` sent a ``SELECT 1`` round trip on every checkout, i.e. on every request:
an eighth of a health check's CPU on PostgreSQL, and a round trip of latency
(``bench/request_cpu.py``). A connection handed back less than :data:`IDLE_SECONDS` ago was
working then; one idle for longer may have been cut (a database restart, a proxy's idle
timeout), so it is pinged, and a dead one is replaced before the request sees it.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

#: A connection used within this many seconds is handed out without a ping. A database
#: restarted inside that window costs the next request on each such connection an error
#: (the pool then drops every connection it holds), as a restart does to requests in flight.
IDLE_SECONDS = 1.0


def ping_after_idle(engine: Engine) -> None:
    """Ping a connection on checkout when it was idle for :data:`IDLE_SECONDS` or more."""

    @sa.event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < IDLE_SECONDS:
            return  # just opened, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise sa.exc.DisconnectionError()  # the pool opens a fresh connection instead
