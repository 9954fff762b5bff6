"""``/audit``: the audit log for admins, newest first, filterable by actor and action."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from survey_app.accounts.access import role_required
from survey_app.accounts.models import User
from survey_app.audit.models import AuditEvent
from survey_app.core.db import db

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.get("/audit")
@role_required("admin")
def index():
    actor_id = _int_arg("actor")
    action = request.args.get("action", "")[:64]
    page = max(_int_arg("page") or 1, 1)
    query = select(AuditEvent)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(AuditEvent.action == action)
    events = db.session.scalars(
        query.order_by(AuditEvent.created_dt.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    actors = db.session.scalars(select(User).order_by(func.lower(User.email)))
    return render_template(
        "audit/index.html", events=events[:PAGE_SIZE], has_next=len(events) > PAGE_SIZE,
        page=page, actor_id=actor_id, action=action, actions=list(actions), actors=list(actors),
    )
