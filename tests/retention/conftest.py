"""Fixtures of the retention tests (builders in :mod:`tests.retention.helpers`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from survey_app.people.models import Person
from tests.retention.helpers import add_customer, add_survey


@pytest.fixture
def nps_survey(app_ctx: None) -> Callable[..., int]:
    return add_survey


@pytest.fixture
def customer(app_ctx: None) -> Callable[..., Person]:
    return add_customer
