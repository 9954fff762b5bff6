"""PostgreSQL connections idle for a while are pinged on checkout; a dead one is replaced."""

import pytest
import sqlalchemy as sa

from survey_app import create_app
from survey_app.core import pool
from survey_app.core.db import db


def _cut_the_pooled_connection(app, database_url: str) -> None:
    """Terminate the server side of the connection the pool holds (as a restart would)."""
    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.remove()  # back to the pool
    admin = sa.create_engine(database_url)
    with admin.begin() as conn:
        assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


@pytest.mark.live
@pytest.mark.parametrize(("idle_seconds", "status"), [(0.0, 200), (3600.0, 503)])
def test_a_connection_cut_while_idle_is_replaced_before_use(database_url, monkeypatch,
                                                            idle_seconds, status):
    """Pinged after idling, the cut connection is swapped for a new one (200); used again
    within the idle window it is not pinged, and the request meets the error (503)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the idle ping is PostgreSQL's (SQLite has no server to lose)")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    _cut_the_pooled_connection(app, database_url)
    monkeypatch.setattr(pool, "IDLE_SECONDS", idle_seconds)
    assert client.get("/healthz").status_code == status
    with app.app_context():
        db.engine.dispose()
