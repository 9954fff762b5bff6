"""An id that left the database (API, webhooks, audit log, page addresses) is never given to
another row once its row is deleted — on SQLite too, where the newest row's id used to be
handed out again (migration ``b6d8f0a2c4e7``)."""

import secrets

import sqlalchemy as sa

from survey_app.accounts.models import User
from survey_app.accounts.services import cancel_invitation, invite_user
from survey_app.core.db import db
from survey_app.people.services import get_or_create_person
from survey_app.privacy.erasure import erase_person
from survey_app.responses.models import Suspicion
from survey_app.responses.review import discard
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.services import create_survey
from survey_app.webhooks.services import create_endpoint, delete_endpoint


def test_an_erased_persons_id_goes_to_no_one_else(app_ctx):
    person = get_or_create_person("erased@example.com")
    db.session.flush()
    erased = person.id
    erase_person(person)
    assert get_or_create_person("next@example.com").id > erased


def test_a_discarded_answers_id_goes_to_no_other_answer(app_ctx):
    survey = create_survey(kind="nps", title="Ids", slug="ids")
    suspected = record_response(survey, Submission(score=3), token=secrets.token_urlsafe(),
                                channel="link", suspected=Suspicion.HONEYPOT)
    discarded = suspected.id
    discard(suspected)
    later = record_response(survey, Submission(score=9), token=secrets.token_urlsafe(),
                            channel="link")
    assert later.id > discarded


def test_a_deleted_endpoints_id_goes_to_no_other_endpoint(app, app_ctx, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", ["127.0.0.1:9"])
    admin = db.session.get(User, make_user("admin"))
    settings = {"url": "http://127.0.0.1:9/hook", "events": ["response.created"],
                "scope": "customers"}
    endpoint = create_endpoint(admin, **settings)
    deleted = endpoint.id
    delete_endpoint(endpoint, admin)
    db.session.flush()
    assert create_endpoint(admin, **settings).id > deleted


def test_a_cancelled_users_id_goes_to_no_other_user(app_ctx):
    invited = invite_user(email="invited@staff.example.com", role="support")
    cancelled = invited.id
    cancel_invitation(invited)
    assert invite_user(email="again@staff.example.com", role="support").id > cancelled


def test_sqlite_tables_whose_ids_leave_the_database_use_autoincrement(app_ctx):
    """The schema the migrations built says so (PostgreSQL: sequences, nothing to check)."""
    if db.engine.dialect.name != "sqlite":
        assert db.session.scalar(sa.text("SELECT count(*) FROM pg_sequences WHERE "
                                         "sequencename = 'responses_id_seq'")) == 1
        return
    tables = {table.name for table in db.metadata.sorted_tables
              if table.dialect_kwargs.get("sqlite_autoincrement")}
    assert tables == {"users", "people", "invitations", "responses", "followups",
                      "webhook_endpoints"}
    for name in tables:
        sql = db.session.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = :name"),
                                {"name": name})
        assert f"id INTEGER NOT NULL CONSTRAINT pk_{name} PRIMARY KEY AUTOINCREMENT" in sql
