"""Named notifications of ``people`` to features above it (webhooks), sent inside the
transaction of the change: a receiver that writes rows writes them in that transaction."""

from blinker import Namespace

_signals = Namespace()

#: A person unsubscribed from every survey e-mail (``sender``: the Person, flushed).
person_unsubscribed = _signals.signal("person-unsubscribed")
