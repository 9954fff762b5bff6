"""``/api/v1/cases``: the follow-up queue worked from a helpdesk.

The same services and rules as the case page (``followups.services``): a token works the
cases of the teams its role works (support: customers, HR: employees, admins both; others are
404s), its actions are written to the case timeline and the audit log under its name. A
status change the case cannot make, or a claim of a case already taken, is a 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from marshmallow import RAISE
from marshmallow.validate import Length, OneOf
from sqlalchemy import select

from survey_app.accounts.access import can_work_followups
from survey_app.accounts.models import Role, User
from survey_app.api import auth
from survey_app.api.blueprint import ApiBlueprint
from survey_app.api.errors import refuse
from survey_app.api.idempotency import idempotent
from survey_app.api.paging import PageArgs, listing, page_response, page_schema
from survey_app.core import cursors
from survey_app.core.db import db, utcnow
from survey_app.core.strictjson import StrictSchema, Text
from survey_app.followups import queries, services
from survey_app.followups.models import CaseStatus, FollowUp, Priority
from survey_app.schemas import CaseSchema, case_data

blp = ApiBlueprint("cases", __name__, description=(
    "Follow-up cases (the detractor queue): list, read with the timeline, claim, assign, note, "
    "change status, resolve — as on the case page, recorded under the token's name."))

WORKERS = (Role.ADMIN, Role.HR, Role.SUPPORT)
CasePageSchema = page_schema("CasePageSchema", CaseSchema)
EMAIL = Length(min=3, max=254)


class CaseArgs(PageArgs):
    status = Text(load_default=queries.OPEN, validate=OneOf(
        [queries.OPEN, queries.ALL, *CaseStatus]), metadata={
        "description": "``open`` (new, in progress, waiting; the default), ``all`` or one "
                       "status."})
    priority = Text(validate=OneOf(list(Priority)))
    assignee = Text(validate=Length(min=1, max=254), metadata={
        "description": "The assignee's e-mail, or ``none`` for unassigned cases."})


class AgentSchema(StrictSchema):
    assignee = Text(required=True, validate=EMAIL, metadata={
        "description": "The e-mail of the staff user who takes the case."})


class AssignSchema(StrictSchema):
    assignee = Text(required=True, allow_none=True, validate=EMAIL, metadata={
        "description": "The staff user's e-mail; null to unassign (admin tokens only)."})


class NoteSchema(StrictSchema):
    text = Text(required=True, multiline=True,
                validate=Length(min=1, max=services.NOTE_MAX_LENGTH))


class StatusSchema(StrictSchema):
    status = Text(required=True, validate=OneOf(list(CaseStatus)))
    outcome = Text(validate=Length(min=1, max=32), metadata={
        "description": "Required to resolve (one of the configured outcomes)."})
    note = Text(multiline=True, validate=Length(max=services.NOTE_MAX_LENGTH), metadata={
        "description": "Kept on the timeline; required to close without action."})


class ResolveSchema(StrictSchema):
    outcome = Text(required=True, validate=Length(min=1, max=32))
    note = Text(multiline=True, validate=Length(max=services.NOTE_MAX_LENGTH))


@blp.route("/cases", methods=["GET"])
@auth.require(*WORKERS)
@blp.arguments(CaseArgs, location="query", unknown=RAISE)
@blp.response(200, CasePageSchema)
def list_cases(args: dict[str, Any]) -> Any:
    """List cases

    The queue's order: red first, then by due time.
    """
    token = auth.current_token()
    assignee = args.get("assignee")
    if assignee is not None and assignee != "none":
        assignee = _staff_user(assignee, "query.assignee").id
    filters = queries.QueueFilters(status=args["status"], priority=args.get("priority"),
                                   assignee=assignee)
    after = (tuple(cursors.decode(args["cursor"], listing(), (int, datetime, int)))
             if "cursor" in args else None)
    cases = queries.case_page(token, filters, utcnow(), after=after,  # type: ignore[arg-type]
                              limit=args["limit"] + 1)
    more = len(cases) > args["limit"]
    cases = cases[:args["limit"]]
    last = cases[-1] if more else None
    return page_response([case_data(c) for c in cases], None if last is None else
                         cursors.encode(listing(), last.priority_rank, last.due_dt, last.id))


@blp.route("/cases/<int:case_id>", methods=["GET"])
@auth.require(*WORKERS)
@blp.response(200, CaseSchema)
def get_case(case_id: int) -> dict[str, Any]:
    """Get a case

    With its timeline, oldest first.
    """
    return _with_timeline(_case_or_404(case_id))


@blp.route("/cases/<int:case_id>/claim", methods=["POST"])
@auth.require(*WORKERS)
@auth.document(404)
@blp.arguments(AgentSchema)
@idempotent
@blp.response(200, CaseSchema)
def claim(data: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Claim a case for an agent

    Gives the unassigned case to the staff user ``assignee`` (who must work its team); a new
    case becomes in progress. 409 when it is taken or not open.
    """
    case = _case_or_404(case_id)
    services.claim(case, _staff_user(data["assignee"], "assignee"), by=auth.current_token())
    return _with_timeline(case)


@blp.route("/cases/<int:case_id>/assign", methods=["POST"])
@auth.require(Role.ADMIN)
@auth.document(404)
@blp.arguments(AssignSchema)
@idempotent
@blp.response(200, CaseSchema)
def assign(data: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Assign a case

    To any staff user who works its team, or to nobody (``null``). Admin tokens only.
    """
    case = _case_or_404(case_id)
    email = data["assignee"]
    user = None if email is None else _staff_user(email, "assignee")
    services.assign(case, user, by=auth.current_token())
    return _with_timeline(case)


@blp.route("/cases/<int:case_id>/notes", methods=["POST"])
@auth.require(*WORKERS)
@auth.document(404)
@blp.arguments(NoteSchema)
@idempotent
@blp.response(201, CaseSchema)
def add_note(data: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Add a note

    An internal note on the timeline (never sent to the customer).
    """
    case = _case_or_404(case_id)
    services.add_note(case, data["text"], by=auth.current_token())
    return _with_timeline(case)


@blp.route("/cases/<int:case_id>/status", methods=["POST"])
@auth.require(*WORKERS)
@auth.document(404)
@blp.arguments(StatusSchema)
@idempotent
@blp.response(200, CaseSchema)
def change_status(data: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Change a case's status

    The transitions of the case page: new → in progress or closed; in progress ⇄ waiting;
    either → resolved (with an outcome) or closed (with a note); resolved or closed → in
    progress (reopen). Anything else is a 409.
    """
    case = _case_or_404(case_id)
    if data["status"] == CaseStatus.RESOLVED or "outcome" in data:
        _check_outcome(data.get("outcome"))
    services.transition(case, data["status"], by=auth.current_token(),
                        outcome=data.get("outcome"), note=data.get("note"))
    return _with_timeline(case)


@blp.route("/cases/<int:case_id>/resolve", methods=["POST"])
@auth.require(*WORKERS)
@auth.document(404)
@blp.arguments(ResolveSchema)
@idempotent
@blp.response(200, CaseSchema)
def resolve(data: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Resolve a case

    With an ``outcome`` (``fixed``, ``refunded``, ``explained``, ``not_reachable``, ``other``
    unless configured otherwise). 409 unless the case is in progress or waiting.
    """
    case = _case_or_404(case_id)
    _check_outcome(data["outcome"])
    services.resolve(case, data["outcome"], by=auth.current_token(), note=data.get("note"))
    return _with_timeline(case)


def _case_or_404(case_id: int) -> FollowUp:
    token = auth.current_token()
    case = queries.load_case(case_id)
    if case is None:
        refuse(404, auth.HIDDEN)
    if not can_work_followups(token, case.team):
        auth.refuse_hidden(token, case)
    return case


def _with_timeline(case: FollowUp) -> dict[str, Any]:
    """The case as it is now, with its timeline (the services change the assignee by id)."""
    db.session.expire(case, ["assignee"])
    events = list(reversed(queries.timeline(case)))
    ids = {int(v) for e in events if e.kind == "assigned"
           for v in (e.old_value, e.new_value) if v and v.isdigit()}
    return case_data(case, events, queries.users_by_id(ids))


def _staff_user(email: str, field: str) -> User:
    """The active staff user with this e-mail; :raises: 422 naming ``field``."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower(),
                                                User.is_active.is_(True)))
    if user is None:
        refuse(422, "No active staff user has this e-mail.", slug="validation",
               errors={field: ["No active staff user has this e-mail."]})
    return user


def _check_outcome(outcome: str | None) -> None:
    allowed = current_app.config["FOLLOWUP_OUTCOMES"]
    if outcome not in allowed:
        refuse(422, "Choose one of the outcomes.", slug="validation",
               errors={"outcome": [f"Must be one of: {', '.join(allowed)}."]})
