"""Sign-in brute force without lock-outs: failures counted per e-mail and per client address.

Hard limits (429) are Flask-Limiter decorators on the view, counting failed attempts only:
``RATELIMIT_LOGIN`` per client address and ``RATELIMIT_LOGIN_PAIR`` per (address, e-mail).
Per e-mail there is no block, only a delay (:func:`delay_for`): an attacker spread over many
addresses is slowed down, while the owner, typing the right password from an address with no
recent failures, signs in at once. The counters live in the limiter's storage (Redis when
configured), so every process sees them. Policy and figures: ``docs/security.md``.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from limits import RateLimitItemPerMinute

from survey_app.extensions import limiter

logger = logging.getLogger(__name__)

#: Failures are remembered for this many minutes (a fixed window in the limiter's storage).
WINDOW_MINUTES = 15
#: The delay for the first failure past ``LOGIN_SLOWDOWN_AFTER``; it doubles with each next one.
FIRST_DELAY_SECONDS = 0.25

# A counter, not a limit: nobody reaches this amount, ``amount - remaining`` is the count.
_COUNTER = RateLimitItemPerMinute(1_000_000, WINDOW_MINUTES)


def login_email(typed: str | None) -> str:
    """The e-mail as counted: trimmed, lower-case, at most 254 characters."""
    return (typed or "").strip().lower()[:254]


def delay_for(failures: int) -> float:
    """Seconds to wait before answering, after ``failures`` recent failures for an e-mail."""
    free = current_app.config["LOGIN_SLOWDOWN_AFTER"]
    if failures < free:
        return 0.0
    cap = float(current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"])
    return min(cap, FIRST_DELAY_SECONDS * 2 ** min(failures - free, 16))


def _failures(*identifiers: str) -> int:
    return _COUNTER.amount - limiter.limiter.get_window_stats(_COUNTER, *identifiers).remaining


def slow_down(email: str, address: str | None, *, succeeded: bool) -> float:
    """Wait as long as the recent failures for ``email`` ask; return the seconds waited.

    A correct password from an address with no recent failures never waits; every other
    attempt on that e-mail does (so the speed of the answer does not tell a guesser whether
    the password was right).
    """
    if not current_app.config["RATELIMIT_ENABLED"]:
        return 0.0
    if succeeded and _failures("login-address", address or "") == 0:
        return 0.0
    delay = delay_for(_failures("login-email", email))
    if delay:
        logger.info("sign-in for an e-mail with recent failures slowed down by %.2f s", delay)
        time.sleep(delay)
    return delay


def record_failure(email: str, address: str | None) -> None:
    """Count a failed sign-in against ``email`` and the client ``address``."""
    if current_app.config["RATELIMIT_ENABLED"]:
        limiter.limiter.hit(_COUNTER, "login-email", email)
        limiter.limiter.hit(_COUNTER, "login-address", address or "")
