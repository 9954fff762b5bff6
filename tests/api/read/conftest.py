"""The read side's tests seed responses as the dashboard's tests do."""

from tests.dashboards.conftest import add_responses

__all__ = ["add_responses"]
