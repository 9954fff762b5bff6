"""Writes without the unit of work (``core.db.insert_loaded``): the respondent's hot path."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from survey_app.core.db import Row, db, insert_loaded, utcnow
from survey_app.followups.models import FollowUp, FollowUpEvent
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey
from survey_app.webhooks.models import WebhookOutbox


def _statements(action) -> list[str]:
    seen: list[str] = []
    listener = lambda *args: seen.append(" ".join(args[2].split()))  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))]


def _response(survey: Survey, digest: str) -> Response:
    return Response(survey=survey, token_digest=digest, score=2, category="detractor",
                    locale="en", segment={"team": "Ops"}, channel="email",
                    submitted_dt=utcnow(), followup=None)


def _rows(survey: Survey, digest: str) -> tuple[Response, FollowUp]:
    now = utcnow()
    response = _response(survey, digest)
    case = FollowUp(response=response, team="support", reason="detractor", priority="red",
                    status="new", created_dt=now, due_dt=now + timedelta(hours=24))
    case.events.append(FollowUpEvent(kind="opened", new_value="red", created_dt=now))
    return response, case


def test_rows_linked_defaults_applied_loaded_and_one_statement_on_postgresql(
        app_ctx, make_survey, make_link):
    survey = db.session.get(Survey, make_survey("nps"))
    make_link(survey.id)
    invitation = db.session.scalars(sa.select(Invitation)).one()
    response, case = _rows(survey, "d" * 64)
    responded = utcnow()

    statements = _statements(lambda: insert_loaded(
        response, case, *case.events,
        updating=(invitation, {"status": "responded", "responded_dt": responded})))

    if db.engine.dialect.name == "postgresql":
        assert len(statements) == 1 and statements[0].startswith("WITH u AS (UPDATE invitations")
    else:
        assert [s.split()[0] for s in statements] == ["UPDATE", "INSERT", "INSERT", "INSERT"]
    assert response.id and case.response_id == response.id
    assert case.events[0].followup_id == case.id
    # Python-side defaults were applied, and everything reads back without a query.
    loaded = _statements(lambda: (response.version, response.sentiment_label,
                                  response.is_mismatch, case.priority_rank, case.assignee_id,
                                  response.followup, invitation.status))
    assert loaded == []
    assert (response.version, response.sentiment_label, case.priority_rank) == (1, "unknown", 0)
    assert invitation.status == "responded" and invitation.responded_dt == responded
    # The rows are in the database, and the session does not write them a second time.
    assert _statements(db.session.flush) == []
    db.session.expire_all()
    stored = db.session.get(Response, response.id)
    assert stored.followup.events[0].kind == "opened" and stored.segment == {"team": "Ops"}
    assert db.session.get(Invitation, invitation.id).status == "responded"


def test_a_refused_row_raises_and_nothing_stays(app_ctx, make_survey):
    survey = db.session.get(Survey, make_survey("nps"))
    insert_loaded(_response(survey, "e" * 64))
    again, case = _rows(survey, "e" * 64)  # the same token digest: refused by the database
    nested = db.session.begin_nested()
    with pytest.raises(IntegrityError):
        insert_loaded(again, case, *case.events)
    nested.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_plain_rows_after_the_objects_take_their_keys_in_the_same_go(app_ctx, make_survey):
    """Another feature's rows (the webhook outbox) ride along: linked to the answer and the
    case, in the answer's one statement on PostgreSQL, and kept out of the session."""
    survey = db.session.get(Survey, make_survey("nps"))
    response, case = _rows(survey, "f" * 64)
    now = utcnow()
    common = {"scope": "customers", "survey_id": survey.id, "person_id": None,
              "created_dt": now, "due_dt": None}
    outbox = WebhookOutbox.__table__
    statements = _statements(lambda: insert_loaded(response, case, rows_after=[
        Row(outbox, {"type": "response.created", **common}, {"response_id": response}),
        Row(outbox, {"type": "followup.opened", **common}, {"followup_id": case})]))

    if db.engine.dialect.name == "postgresql":
        assert len(statements) == 1 and statements[0].count("INSERT INTO webhook_outbox") == 2
    else:
        assert [s.split()[2] for s in statements] == [
            "responses", "followups", "webhook_outbox", "webhook_outbox"]
    rows = db.session.execute(sa.select(outbox.c.type, outbox.c.response_id,
                                        outbox.c.followup_id).order_by(outbox.c.id)).all()
    assert rows == [("response.created", response.id, None), ("followup.opened", None, case.id)]
    assert not any(isinstance(obj, WebhookOutbox) for obj in db.session)
