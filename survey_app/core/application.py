"""The Flask class Polso runs on: Flask, asking once per function whether it is ``async def``."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from inspect import iscoroutinefunction
from typing import Any

from flask import Flask


@lru_cache(maxsize=1024)
def _is_async(func: Callable[..., Any]) -> bool:
    return iscoroutinefunction(func)


class PolsoFlask(Flask):
    """Flask asks whether each hook and view is a coroutine function on every call (five
    Python calls each, for the fifteen-odd hooks of every request); the answer never changes,
    so it is remembered per function (Flask: "override this method")."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            is_async = _is_async(func)
        except TypeError:  # an unhashable callable
            is_async = iscoroutinefunction(func)
        return self.async_to_sync(func) if is_async else func
