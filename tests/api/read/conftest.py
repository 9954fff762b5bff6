"""The read side's tests seed responses as the dashboard's tests do, and cases as the queue's."""

from tests.dashboards.conftest import add_responses
from tests.followups.conftest import make_case

__all__ = ["add_responses", "make_case"]
