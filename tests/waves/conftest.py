"""Helpers for distribution tests: people, waves sent with an injected clock, e-mail links."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.core.db import db, set_write_intent
from survey_app.people.models import Person
from survey_app.people.services import get_or_create_person
from survey_app.surveys.models import Survey, Wave
from survey_app.waves import services, tasks
from survey_app.waves.audience import Audience, kind_for, parse_where

#: A fixed "now" for tests that drive the clock.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def make_people(app: Flask) -> Callable[..., list[int]]:
    """``make_people(n, kind="customer", locale="en", prefix="p", **attributes) -> ids``."""

    def make(count: int = 1, *, kind: str = "customer", locale: str = "en", prefix: str = "p",
             name: str = "", **attributes: str) -> list[int]:
        with app.app_context():
            ids = [get_or_create_person(f"{prefix}{i}@example.com", kind=kind, locale=locale,
                                        name=name, attributes=attributes).id
                   for i in range(1, count + 1)]
            db.session.commit()
            return ids

    return make


@pytest.fixture
def send(app: Flask) -> Callable[..., int]:
    """``send(survey_id, *where, now=None) -> wave id``: create the wave, commit, deliver."""

    def run(survey_id: int, *where: str, now: datetime | None = None) -> int:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            wave = services.send_wave(survey, Audience(kind_for(survey), parse_where(where)),
                                      now=now)
            db.session.commit()
            tasks.deliver_wave(wave.id)
            return wave.id

    return run


def as_job(app: Flask, func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` as a job worker runs it: in an app context flagged as writing (SQLite
    then takes its write lock up front), without leaking the flag into the calling thread."""

    def run() -> Any:
        with app.app_context():
            set_write_intent(True)
            return func(*args)

    return contextvars.copy_context().run(run)


FIGURE = re.compile(r"<dt>([^<]+)</dt><dd>(\d+)</dd>")


def figures(html: str) -> dict[str, int]:
    """The wave page's counts by label (``Sent``: 3 …); the response rate is left out."""
    return {label: int(value) for label, value in FIGURE.findall(html)}


LINK = re.compile(r'href="(http://polso\.test/[^"]+)"')


def html_links(message: Any) -> list[str]:
    html = message.get_body(("html",)).get_content()
    return LINK.findall(html)


def path_of(url: str) -> str:
    return url.removeprefix("http://polso.test")


def person_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Person.id).where(Person.email == email))


def waves_of(app: Flask, survey_id: int) -> list[Wave]:
    with app.app_context():
        waves = list(db.session.scalars(select(Wave).where(Wave.survey_id == survey_id)
                                        .order_by(Wave.id)))
        for wave in waves:
            db.session.expunge(wave)
        return waves
