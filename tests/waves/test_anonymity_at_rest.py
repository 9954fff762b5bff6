"""Anonymous surveys at rest: no table leads from an answer's score to the person who gave it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from survey_app.core.db import db
from survey_app.invitations.models import Invitation
from survey_app.responses.models import Response
from tests.waves.conftest import html_links, path_of


def _rows(table: sa.Table) -> list[dict]:
    return [dict(row._mapping) for row in db.session.execute(sa.select(table))]


def _references(table: sa.Table, target: str) -> list[sa.Column]:
    return [c for c in table.columns for fk in c.foreign_keys if fk.column.table.name == target]


def test_no_table_ties_an_anonymous_score_to_the_person(
        app, client, submit, smtp_server, make_survey, make_people, send):
    make_people(1, kind="employee", team="Support")
    send(make_survey("enps"))
    [message] = smtp_server.messages
    links = html_links(message)
    button = path_of(next(u for u in links if u.endswith("?score=7")))
    survey_url = button.split("?")[0]
    client.get(button)  # the person taps 7 in the e-mail, then sends 7 with a comment
    assert submit(survey_url, {"score": "7", "comment": "Fine team"}).status_code == 303

    with app.app_context():
        response = db.session.scalars(sa.select(Response)).one()
        invitation = db.session.scalars(sa.select(Invitation)).one()
        assert response.invitation_id is None and response.person_id is None
        assert response.submitted_dt.time() == datetime.min.time()
        person_keys = {"people": invitation.person_id, "invitations": invitation.id}
        for table in db.metadata.sorted_tables:
            for row in _rows(table):
                # Rows of the person (or their invitation) …
                tied = any(row[c.name] == person_keys[target]
                           for target in person_keys for c in _references(table, target))
                tied = tied or (table.name in person_keys
                                and person_keys[table.name] == row.get("id"))
                # … and rows of the answer must not meet.
                of_answer = any(row[c.name] == response.id
                                for c in _references(table, "responses"))
                if table.name == "responses":
                    of_answer = row["id"] == response.id
                assert not (tied and of_answer), (table.name, row)
                if tied:
                    assert all(row[name] is None for name in row if "score" in name), (
                        table.name, row)  # e.g. the clicked ?score=7 of an open
                    assert response.token_digest not in row.values(), table.name
                    exact = [row[name] for name in row if name.endswith("_dt")
                             and table.name == "link_opens" and row[name] is not None]
                    assert all(t.time() == datetime.min.time() for t in exact), row
