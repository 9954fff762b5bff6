"""``/api/v1/surveys``: the surveys a token sees, their responses page by page, their metrics.

A token reads what its role reads on the staff pages (``accounts.access``): support and
viewers customer surveys, HR employee surveys, admins all; responses one by one (like the
CSV export) not for viewers. Anonymous surveys answer under the dashboard's anonymity policy
(``dashboards.anonymity``): see docs/api.md.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, fields
from marshmallow.validate import Length, OneOf
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.accounts.access import can_export_survey, can_see_survey, visible_surveys
from survey_app.accounts.models import ApiToken, Role
from survey_app.api import auth
from survey_app.api.blueprint import ApiBlueprint
from survey_app.api.errors import refuse
from survey_app.api.paging import PageArgs, id_page, listing, page_response, page_schema
from survey_app.core.db import db
from survey_app.core.strictjson import Moment, StrictSchema, Text
from survey_app.dashboards import feed
from survey_app.dashboards.anonymity import NOTHING_MORE
from survey_app.dashboards.export import prepare_export
from survey_app.dashboards.filters import SENTIMENTS, parse_api_filters
from survey_app.dashboards.services import build_scores
from survey_app.responses.models import Response
from survey_app.schemas import (
    MetricsSchema,
    ResponseSchema,
    SurveySchema,
    metrics_data,
    parse_response_id,
    response_data,
    survey_data,
)
from survey_app.surveys.models import Survey

blp = ApiBlueprint("surveys", __name__, description=(
    "Surveys, their responses (cursor pages, incremental sync) and metrics (NPS/CSAT/eNPS "
    "with margins, by period and segment), under the dashboard's anonymity rules."))

#: Roles that read surveys and metrics (as the dashboards); responses: not viewers.
READERS = (Role.ADMIN, Role.HR, Role.SUPPORT, Role.VIEWER)
EXPORTERS = (Role.ADMIN, Role.HR, Role.SUPPORT)

SurveyPageSchema = page_schema("SurveyPageSchema", SurveySchema)
ResponsePageSchema = page_schema("ResponsePageSchema", ResponseSchema)


class FilterArgs(StrictSchema):
    """The dashboard's filters (``dashboards.filters``)."""

    date_from = Text(data_key="from", metadata={
        "format": "date", "description": "First day (2026-03-01); default: the first answer."})
    date_to = Text(data_key="to", metadata={"format": "date",
                                            "description": "Last day; default: today."})
    category = Text(metadata={"enum": ["promoter", "passive", "detractor", "satisfied",
                                       "neutral", "dissatisfied"]})
    sentiment = Text(validate=OneOf(SENTIMENTS))
    filter = fields.List(Text(validate=Length(max=300)), metadata={
        "description": "A segment attribute and its value, ``department:Sales`` (repeatable, "
                       "up to 3; ``plan:`` selects answers without the attribute)."})


class ResponseArgs(PageArgs, FilterArgs):
    updated_since = Moment(metadata={
        "description": "Only answers written (sent or changed) at or after this time; "
                       "anonymous surveys: sent since the start of that day's month."})


class MetricsArgs(FilterArgs):
    period = Text(validate=OneOf(["week", "month"]), metadata={
        "description": "The step of the periods (default: month)."})
    segment = Text(validate=Length(min=1, max=64), metadata={
        "description": "The attribute the segments are by (default: the first the "
                       "dashboard shows)."})


def dashboard_args(args: dict[str, Any]) -> dict[str, Any]:
    """The query's filters under the names ``parse_api_filters`` reads."""
    names = {"date_from": "from", "date_to": "to"}
    return {names.get(key, key): value for key, value in args.items()
            if key not in ("cursor", "limit", "updated_since")}


def survey_or_404(token: ApiToken, slug: str, *, rows: bool = False) -> Survey:
    """The survey if the token's role sees it (``rows``: and may read single answers)."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        refuse(404, auth.HIDDEN)
    if not can_see_survey(token, survey) or (rows and not can_export_survey(token, survey)):
        auth.refuse_hidden(token, survey)
    return survey


@blp.route("/surveys", methods=["GET"])
@auth.require(*READERS)
@blp.arguments(PageArgs, location="query", unknown=RAISE)
@blp.response(200, SurveyPageSchema)
def list_surveys(args: dict[str, Any]) -> Any:
    """List surveys

    The surveys the token's role sees, oldest first.
    """
    return id_page(visible_surveys(auth.current_token()).options(
        selectinload(Survey.questions)), Survey.id, args, survey_data)


@blp.route("/surveys/<string:slug>", methods=["GET"])
@auth.require(*READERS)
@blp.response(200, SurveySchema)
def get_survey(slug: str) -> dict[str, Any]:
    """Get a survey

    With its questions (their ids are the ``question_id`` of answers).
    """
    return survey_data(survey_or_404(auth.current_token(), slug))


@blp.route("/surveys/<string:slug>/responses", methods=["GET"])
@auth.require(*EXPORTERS)
@blp.arguments(ResponseArgs, location="query", unknown=RAISE)
@blp.response(200, ResponsePageSchema)
def list_responses(args: dict[str, Any], slug: str) -> Any:
    """List a survey's responses

    Identified surveys: in the order answers were last written, so ``updated_since`` with the
    time of the previous sync reads what is new or changed, and a walk through the pages reads
    every answer once even while new ones arrive. Anonymous surveys: shuffled (as the
    dashboard's comments), no person, e-mail, invitation or time of day; refused (422) when
    the filtered group is below the anonymity threshold, as the CSV export is.
    """
    survey = survey_or_404(auth.current_token(), slug, rows=True)
    filters = parse_api_filters(dashboard_args(args), survey)
    page = feed.response_page(survey, filters, cursor=args.get("cursor"), listing=listing(),
                              limit=args["limit"], updated_since=args.get("updated_since"))
    disclosure = page.disclosure or NOTHING_MORE
    return page_response(
        [response_data(row, disclosure, survey=survey, answers=page.answers.get(row.id, ()),
                       person=page.people.get(row.person_id)) for row in page.rows],
        page.next_cursor)


@blp.route("/responses/<string:response_id>", methods=["GET"], tags=["surveys"])
@auth.require(*EXPORTERS)
@blp.response(200, ResponseSchema)
def get_response(response_id: str) -> dict[str, Any]:
    """Get a response

    By the ``id`` a list gave (``anon-…`` for an anonymous survey's answer, which shows what
    the survey's unfiltered list shows).
    """
    token = auth.current_token()
    response = _find_response(response_id)
    if response is None:
        refuse(404, auth.HIDDEN)
    survey = response.survey
    if not can_export_survey(token, survey):
        auth.refuse_hidden(token, survey)
    disclosure = NOTHING_MORE
    if survey.is_anonymous:
        disclosure = prepare_export(survey, parse_api_filters({}, survey)).disclosure
    return response_data(response, disclosure)


def _find_response(public_id: str) -> Response | None:
    """An identified answer by row id, an anonymous one by its digest (never by row id)."""
    key = parse_response_id(public_id)
    if isinstance(key, int):
        response = db.session.get(Response, key)
        return None if response is None or response.is_anonymous else response
    if key is None:
        return None
    return db.session.scalar(select(Response).where(
        Response.token_digest >= key, Response.token_digest < key + "g",
        Response.is_anonymous.is_(True)))


@blp.route("/surveys/<string:slug>/metrics", methods=["GET"])
@auth.require(*READERS)
@blp.arguments(MetricsArgs, location="query", unknown=RAISE)
@blp.response(200, MetricsSchema)
def get_metrics(args: dict[str, Any], slug: str) -> dict[str, Any]:
    """Get a survey's metrics

    The headline score (NPS/eNPS −100…100, CSAT %) with its 95% margin of error, per week or
    month, and per value of one segment attribute — the dashboard's numbers, from the same
    code. A group the dashboard hides (below the anonymity threshold, or hidden so it cannot
    be worked out from the others) has ``hidden: true`` and no numbers; a filter that would
    single out fewer than the threshold is refused (422).
    """
    survey = survey_or_404(auth.current_token(), slug)
    filters = parse_api_filters(dashboard_args(args), survey)
    return metrics_data(build_scores(survey, filters, show_identity=False))
