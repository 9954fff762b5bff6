"""Follow-up services — the one place the rules of cases live.

- :mod:`.opening`: which answers open a case, with which priority and due time (called by
  ``responses`` after every answer is stored or changed, and by sentiment re-scores);
- :mod:`.actions`: what staff do to a case — claim, assign, change status, resolve, note,
  reply — each writing the case timeline and the audit log.

Everything flushes and never commits; views, jobs and the CLI commit.
"""

from survey_app.followups.models import OPEN_STATUSES
from survey_app.followups.services.actions import (
    NOTE_MAX_LENGTH,
    REPLY_MAX_LENGTH,
    TRANSITIONS,
    Actor,
    CaseChangedError,
    CaseStateError,
    FollowUpError,
    InvalidTransitionError,
    add_note,
    allowed_transitions,
    assign,
    check_may_work,
    claim,
    claim_next,
    outcome_label,
    reply,
    reply_locale,
    resolve,
    status_label,
    transition,
)
from survey_app.followups.services.opening import (
    case_inserted,
    case_reason,
    due_time,
    new_case,
    new_case_alerts,
    open_health_case,
    open_or_update,
    priority_for,
    reprioritise,
)

__all__ = [
    "NOTE_MAX_LENGTH", "OPEN_STATUSES", "REPLY_MAX_LENGTH", "TRANSITIONS", "Actor",
    "CaseChangedError", "CaseStateError",
    "FollowUpError", "InvalidTransitionError", "add_note", "allowed_transitions", "assign",
    "case_inserted", "case_reason", "check_may_work", "claim", "claim_next", "due_time",
    "new_case", "new_case_alerts", "open_health_case", "open_or_update",
    "outcome_label", "priority_for", "reply", "reply_locale", "reprioritise", "resolve",
    "status_label", "transition",
]
