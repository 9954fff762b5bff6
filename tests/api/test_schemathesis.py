"""schemathesis against the live app over real HTTP: every operation, a token per role.

Bounded and derandomized (the same requests every run, ~20 s per database). Every answer
must be no 5xx and must conform to the document: its status is documented, its content type
is the documented one, its body matches the documented schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from survey_app.accounts.api_tokens import create_token
from survey_app.core.db import db
from tests.api.conftest import ROLES

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
#: Examples per operation and role.
EXAMPLES = 12


@pytest.mark.live
def test_every_operation_conforms_for_every_role(app, live_server, make_survey, make_link):
    make_survey("nps", slug="api-nps", is_public=True)
    make_survey("enps", slug="api-enps")
    with app.app_context():
        tokens = {role: create_token(f"schemathesis-{role}", role)[1] for role in ROLES}
        db.session.commit()
    app.config["API_RATELIMIT"] = "100000/minute"
    try:
        schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 3
        for operation in operations:
            for role, secret in tokens.items():
                _exercise(operation, live_server.url, secret, role)
    finally:
        app.config["API_RATELIMIT"] = "600/minute"


def _exercise(operation, base_url: str, secret: str, role: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.call_and_validate(base_url=base_url, headers={"Authorization": f"Bearer {secret}"},
                               checks=CHECKS)

    try:
        run()
    except Exception as error:  # name the operation and role in the failure
        raise AssertionError(f"{operation.label} as {role}: {error}") from error
