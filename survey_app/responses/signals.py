"""Named notifications of ``responses`` to features above it (webhooks), sent inside the
transaction of the change: a receiver that writes rows writes them in that transaction."""

from blinker import Namespace

_signals = Namespace()

#: A first answer was stored (``sender``: the Response, its rows inserted).
response_created = _signals.signal("response-created")
#: An answer was changed by its respondent (``sender``: the Response, flushed).
response_updated = _signals.signal("response-updated")
