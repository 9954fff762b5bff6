"""``polso followups …`` commands."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from survey_app.followups.models import FollowUp
from survey_app.followups.queries import open_cases

followups_cli = AppGroup("followups", help="The follow-up queue.")


def as_dict(case: FollowUp) -> dict[str, object]:
    response = case.response
    return {
        "id": case.id,
        "priority": case.priority,
        "status": case.status,
        "reason": case.reason,
        "team": case.team,
        "survey": response.survey.slug,
        "score": response.score,
        "category": response.category,
        "sentiment": response.sentiment_label,
        "email": case.person.email if case.person else None,
        "comment": response.comment,
        "created_at": case.created_dt.isoformat(timespec="seconds"),
        "due_at": case.due_dt.isoformat(timespec="seconds"),
    }


@followups_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000))
def list_cases(as_json: bool, limit: int) -> None:
    """List open cases, most urgent first."""
    cases = [as_dict(c) for c in open_cases(limit)]
    if as_json:
        click.echo(json.dumps(cases, ensure_ascii=False, indent=2))
        return
    if not cases:
        click.echo("No open cases.")
        return
    for c in cases:
        click.echo(f"#{c['id']:<5} {c['priority']:<6} {c['status']:<11} {c['reason']:<15} "
                   f"{c['survey']:<16} score {c['score']:>2}  {c['email'] or '(anonymous)'}  "
                   f"due {c['due_at']}")


@followups_cli.command("warn-due")
def warn_due() -> None:
    """E-mail the SLA warnings that are due now (the worker also does it every 15 minutes)."""
    from survey_app.followups import tasks

    click.echo(f"{tasks.warn_due_cases.call_local()} warning e-mail(s) queued.")


@followups_cli.command("digest")
def digest() -> None:
    """Queue today's digests (once a day, from FOLLOWUP_DIGEST_HOUR UTC) and send them."""
    from survey_app.followups import tasks

    click.echo(f"{tasks.send_daily_digests.call_local()} digest(s) queued.")


@followups_cli.command("sweep")
def sweep() -> None:
    """Retry follow-up e-mails that are due and take back those a dead worker left."""
    from survey_app.followups import tasks

    click.echo(f"{tasks.sweep_followup_mails.call_local()} batch(es) handed to the workers.")
