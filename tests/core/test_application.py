"""Flask's sync check, remembered per function, still tells plain from ``async def``."""

import pytest


def test_plain_functions_are_returned_as_they_are(app):
    def view():
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view  # the remembered answer


def test_coroutine_functions_still_go_to_flask_async_support(app):
    async def view():
        return "ok"

    # Without the ``flask[async]`` extra Flask refuses them, as it would without our class.
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(view)
    with pytest.raises(RuntimeError, match="async"):
        app.ensure_sync(view)


def test_unhashable_callables_are_checked_directly(app):
    class Handler:
        __hash__ = None

        def __call__(self):
            return "ok"

    handler = Handler()
    assert app.ensure_sync(handler) is handler
