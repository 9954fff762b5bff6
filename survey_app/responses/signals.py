"""Named notifications of ``responses`` to features above it (webhooks), sent inside the
transaction of the change: a receiver's rows are written in that transaction."""

from blinker import Namespace

_signals = Namespace()

#: A first answer is about to be stored (``sender``: the Response, not yet inserted; ``case``:
#: its new FollowUp or ``None``). A receiver returns rows to insert with it, in the same
#: statement (``core.db.Row``, linked to the answer or the case), or nothing.
response_recording = _signals.signal("response-recording")
#: A response flagged "suspected automated" was confirmed as a person's: it counts from now
#: (``sender``: the Response, flushed).
response_counted = _signals.signal("response-counted")
#: An answer was changed by its respondent (``sender``: the Response, flushed).
response_updated = _signals.signal("response-updated")
