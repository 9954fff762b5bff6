"""The ``data`` of each event: the object as the API returns it, under the anonymity rules.

Anonymous surveys' objects carry no person, e-mail, link or time finer than the day.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from survey_app.followups.models import FollowUp
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person
from survey_app.responses.models import Response


def _time(value: datetime | None, *, day_only: bool = False) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if day_only else value.isoformat().replace("+00:00", "Z")


def person(person: Person) -> dict[str, Any]:
    return {"id": person.id, "email": person.email, "name": person.name, "kind": person.kind,
            "locale": person.locale, "attributes": dict(person.attributes or {}),
            "unsubscribed_at": _time(person.unsubscribed_dt)}


def response(response: Response) -> dict[str, Any]:
    anonymous = response.is_anonymous
    data: dict[str, Any] = {
        "id": response.id, "survey_id": response.survey_id, "score": response.score,
        "category": response.category, "comment": response.comment,
        "sentiment": {"label": response.sentiment_label,
                      "polarity": response.sentiment_polarity},
        "answers": [{"question_id": a.question_id,
                     "value": a.value_text if a.value_int is None else a.value_int}
                    for a in response.answers],
        "channel": response.channel, "locale": response.locale,
        "is_anonymous": anonymous,
        "submitted_on" if anonymous else "submitted_at": _time(response.submitted_dt,
                                                               day_only=anonymous),
    }
    if not anonymous:
        data.update(segment=dict(response.segment or {}),
                    updated_at=_time(response.updated_dt),
                    person=person(response.person) if response.person_id else None)
    return data


def followup(case: FollowUp) -> dict[str, Any]:
    anonymous = case.response.is_anonymous
    return {
        "id": case.id, "response_id": case.response_id, "team": case.team,
        "reason": case.reason, "priority": case.priority, "status": case.status,
        "outcome": case.outcome, "assignee_id": case.assignee_id,
        # An anonymous respondent who asked to be contacted attached their identity on purpose.
        "person": person(case.person) if case.person is not None else None,
        "created_at": _time(case.created_dt, day_only=anonymous),
        "due_at": _time(case.due_dt, day_only=anonymous),
        "ended_at": _time(case.ended_dt, day_only=anonymous),
    }


def invitation(invitation: Invitation, at: datetime) -> dict[str, Any]:
    return {"id": invitation.id, "survey_id": invitation.survey_id,
            "wave_id": invitation.wave_id, "person": person(invitation.person),
            "bounced_at": _time(at)}
