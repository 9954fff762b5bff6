"""Slack (Block Kit) and Microsoft Teams (Adaptive Card) messages for the alert rules.

Written in the channel's language. Anonymous surveys' messages carry the score, category and
survey only: no person, e-mail, comment, segment or time (a comment or a team name posted the
day it was written can point at its author; the dashboard shows them only in groups).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from survey_app.surveys.models import Survey
from survey_app.webhooks.events import DAILY_SUMMARY, TEST_EVENT
from survey_app.webhooks.models import EndpointKind, WebhookEndpoint

#: Characters of a comment shown in a message.
EXCERPT_LENGTH = 280


@dataclass
class Alert:
    """What a message says, whatever the platform."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    text: str | None = None
    link: tuple[str, str] | None = None


def message(endpoint: WebhookEndpoint, payload: dict[str, Any]) -> dict[str, Any]:
    """The JSON body for ``endpoint``'s platform."""
    with force_locale(endpoint.locale):
        alert = _alert(payload["type"], payload["data"])
    return slack(alert) if endpoint.kind == EndpointKind.SLACK else teams(alert)


def _alert(event_type: str, data: dict[str, Any]) -> Alert:
    if event_type == TEST_EVENT:
        return Alert(_("Polso test message: this channel receives Polso alerts."))
    if event_type == DAILY_SUMMARY:
        return _summary(data)
    if event_type == "followup.opened":
        case = db.session.get(FollowUp, data["id"])
        if case is None:
            return Alert(_("A case was opened and has since been deleted."))
        alert = _answer(case.response.survey, _response_data(case), _("New red case"))
        alert.link = (_("Open the case"), _base_url() + f"/followups/{case.id}")
        return alert
    survey = db.session.scalar(sa.select(Survey).where(Survey.slug == data["survey"]))
    return _answer(survey, data, _("New detractor"))


def _response_data(case: FollowUp) -> dict[str, Any]:
    response = case.response
    return {"score": response.score, "category": response.category,
            "is_anonymous": response.is_anonymous, "comment": response.comment,
            "segment": response.segment}


def _answer(survey: Survey | None, data: dict[str, Any], title: str) -> Alert:
    facts = [(_("Survey"), survey.title if survey else "—"),
             (_("Score"), str(data["score"])), (_("Category"), _category(data["category"]))]
    alert = Alert(title, facts)
    if not data.get("is_anonymous"):
        segment = data.get("segment") or {}
        if segment:
            facts.append((_("Segment"), ", ".join(f"{k}: {v}" for k, v in
                                                  sorted(segment.items()))[:200]))
        comment = (data.get("comment") or "").strip()
        if comment:
            alert.text = (comment[:EXCERPT_LENGTH] + "…" if len(comment) > EXCERPT_LENGTH
                          else comment)
    return alert


def _summary(data: dict[str, Any]) -> Alert:
    facts = [(_("Answers"), str(data["answers"]))]
    if data.get("score") is not None:
        facts.append((_("Score"), f"{data['score']:+.0f}" if data["kind"] != "csat"
                      else f"{data['score']:.0f}%"))
    else:
        facts.append((_("Score"), _("hidden: fewer answers than the anonymity threshold")
                      if data["answers"] else "—"))
    facts.append((_("Detractors"), str(data["detractors"])) if data.get("detractors")
                 is not None else (_("Detractors"), "—"))
    return Alert(_("Daily summary of “%(title)s” for %(day)s", title=data["title"],
                   day=data["day"]), facts,
                 link=(_("Open the dashboard"),
                       _base_url() + f"/surveys/{data['survey_id']}"))


def _category(category: str) -> str:
    labels = {"promoter": _("promoter"), "passive": _("passive"), "detractor": _("detractor"),
              "satisfied": _("satisfied"), "neutral": _("neutral"),
              "dissatisfied": _("dissatisfied")}
    return labels.get(category, category)


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def slack(alert: Alert) -> dict[str, Any]:
    """Block Kit: a header, the facts as fields, the excerpt as plain text, a link button.
    Everything from users is ``plain_text`` (no mrkdwn: no mentions or links can be slipped
    in)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150]}}]
    if alert.facts:
        blocks.append({"type": "section", "fields": [
            {"type": "plain_text", "text": f"{name}: {value}"} for name, value in alert.facts]})
    if alert.text:
        blocks.append({"type": "section", "text": {"type": "plain_text", "text": alert.text}})
    if alert.link:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": alert.link[0]},
             "url": alert.link[1]}]})
    return {"text": alert.title, "blocks": blocks}


def teams(alert: Alert) -> dict[str, Any]:
    """An Adaptive Card (1.4) in a Teams message; user text is escaped for its Markdown."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _plain(alert.title), "weight": "Bolder", "size": "Medium",
         "wrap": True}]
    if alert.facts:
        body.append({"type": "FactSet", "facts": [
            {"title": _plain(name), "value": _plain(value)} for name, value in alert.facts]})
    if alert.text:
        body.append({"type": "TextBlock", "text": _plain(alert.text), "wrap": True})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body}
    if alert.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": alert.link[0],
                            "url": alert.link[1]}]
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def _plain(text: str) -> str:
    """Backslash-escape the Markdown that Adaptive Card text blocks interpret."""
    return "".join("\\" + c if c in "\\*_[]()#>`~-" else c for c in text)
