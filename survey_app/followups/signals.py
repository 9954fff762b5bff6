"""Named notifications of ``followups`` to features above it (webhooks), sent inside the
transaction of the change: a receiver that writes rows writes them in that transaction."""

from blinker import Namespace

_signals = Namespace()

#: A case was opened (``sender``: the FollowUp, in the session).
followup_opened = _signals.signal("followup-opened")
#: Staff changed a case (``sender``: the FollowUp; ``change``: claim, assign, status, note,
#: reply).
followup_updated = _signals.signal("followup-updated")
#: A case was resolved (``sender``: the FollowUp).
followup_resolved = _signals.signal("followup-resolved")
