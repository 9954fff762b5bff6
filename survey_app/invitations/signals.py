"""Named notifications of ``invitations`` to features above it (webhooks)."""

from blinker import Namespace

_signals = Namespace()

#: A mail server refused an invitation's address for good (``sender``: the Invitation;
#: ``at``: when; ``write``: run a statement in the transaction that records the bounce —
#: receivers write through it, so their rows commit with the bounce and only if it does).
invitation_bounced = _signals.signal("invitation-bounced")
