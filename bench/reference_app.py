"""The issue's yardstick, not part of Polso: a minimal Flask view doing one insert plus TextBlob
sentiment, beside a bare ``GET /healthz``. ``bench/submit.py --reference`` measures it with the
same harness, so Polso's ratio can be read against it on the same machine, in the same state.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy
from textblob import TextBlob

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["REFERENCE_DATABASE_URL"]
db = SQLAlchemy(app)


class Answer(db.Model):
    id = sa.Column(sa.Integer, primary_key=True)
    score = sa.Column(sa.Integer, nullable=False)
    comment = sa.Column(sa.Text)
    polarity = sa.Column(sa.Float)


with app.app_context():
    if db.engine.dialect.name == "sqlite":  # as Polso: WAL and a busy timeout, for 4 workers

        @sa.event.listens_for(db.engine, "connect")
        def _wal(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA busy_timeout=5000")


def create_schema() -> None:
    with app.app_context():
        db.create_all()
        db.engine.dispose()


@app.get("/healthz")
def healthz():
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@app.post("/answer")
def answer():
    comment = request.form.get("comment", "")
    db.session.add(Answer(score=int(request.form["score"]), comment=comment,
                          polarity=TextBlob(comment).sentiment.polarity))
    db.session.commit()
    return redirect("/thanks", 303)
