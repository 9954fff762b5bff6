"""Per-token rate limits: Flask-Limiter's storage (memory, or Redis when configured), keyed by
the token's id, with ``RateLimit-Limit/-Remaining/-Reset`` on every answer and ``Retry-After``
on a 429.

The count is taken right after authentication (a request without a valid token is refused
before it counts against anyone), on the storage of the app's :data:`~survey_app.extensions.
limiter`, so several processes share it exactly as the pages' limits do.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

from flask import Flask, Response, current_app, g
from limits import RateLimitItem, parse

from survey_app.accounts.models import ApiToken
from survey_app.api.errors import refuse
from survey_app.config import ConfigError
from survey_app.extensions import limiter

#: Namespace of the counters in the limiter's storage.
SCOPE = "api-token"


@lru_cache(maxsize=8)
def _parsed(value: str) -> RateLimitItem:
    return parse(value)


def check_config(app: Flask) -> None:
    """Refuse to start with an ``API_RATELIMIT`` Flask-Limiter cannot read."""
    try:
        _parsed(str(app.config["API_RATELIMIT"]))
    except ValueError:
        raise ConfigError(f"POLSO_API_RATELIMIT must be a rate such as '600/minute', "
                           f"not {app.config['API_RATELIMIT']!r}") from None


def check(token: ApiToken) -> None:
    """Count one request of ``token``; :raises: a 429 problem past ``API_RATELIMIT``."""
    if not limiter.enabled:
        return
    item = _parsed(current_app.config["API_RATELIMIT"])
    allowed = limiter.limiter.hit(item, SCOPE, str(token.id))
    stats = limiter.limiter.get_window_stats(item, SCOPE, str(token.id))
    reset = max(0, math.ceil(stats.reset_time - time.time()))
    g.api_rate = (item.amount, stats.remaining, reset)
    if not allowed:
        unit = item.GRANULARITY.name
        window = unit if item.multiples == 1 else f"{item.multiples} {unit}s"
        refuse(429, f"This token may make {item.amount} requests per {window}; try again in "
                    f"{reset} s.",
               headers={"Retry-After": str(reset)})


def add_headers(response: Response) -> Response:
    """``after_request``: the token's limit, what is left, and seconds until the window resets."""
    rate = g.get("api_rate")
    if rate is not None:
        limit, remaining, reset = rate
        response.headers["RateLimit-Limit"] = str(limit)
        response.headers["RateLimit-Remaining"] = str(remaining)
        response.headers["RateLimit-Reset"] = str(reset)
    return response
