"""Each representation (``schemas``) is what its schema describes: dumping it changes nothing."""

from __future__ import annotations

from survey_app.core.db import db
from survey_app.dashboards.filters import parse_api_filters
from survey_app.dashboards.services import build_scores
from survey_app.followups import queries
from survey_app.people.models import Person
from survey_app.responses.models import Response
from survey_app.schemas import (
    CaseSchema,
    MetricsSchema,
    PersonSchema,
    ResponseSchema,
    SurveySchema,
    case_data,
    metrics_data,
    person_data,
    response_data,
    survey_data,
)
from survey_app.surveys.models import Survey


def test_every_representation_dumps_to_itself(app, make_case, make_survey, add_responses):
    case_id = make_case(score=3, comment="Too slow", attributes={"plan": "pro"})
    pulse = make_survey("pulse")
    add_responses(pulse, [{"score": 9, "comment": "Fine", "answers": {1: 4}}] * 5)
    with app.app_context():
        case = queries.load_case(case_id)
        events = list(reversed(queries.timeline(case)))
        anonymous = db.session.scalar(db.select(Response).where(Response.survey_id == pulse))
        survey = db.session.get(Survey, pulse)
        person = db.session.get(Person, case.person_id)
        pairs = [
            (CaseSchema(), case_data(case, events, {})),
            (CaseSchema(), case_data(case)),
            (ResponseSchema(), response_data(case.response)),
            (ResponseSchema(), response_data(anonymous)),
            (SurveySchema(), survey_data(survey)),
            (PersonSchema(), person_data(person)),
            (MetricsSchema(), metrics_data(build_scores(survey, parse_api_filters(
                {"segment": "team"}, survey)))),
        ]
        for schema, data in pairs:
            assert schema.dump(data) == data
            assert schema.validate(data) == {}
        identified = response_data(case.response)
        assert identified["person"]["email"] == person.email
        assert identified["segment"] == {"plan": "pro"}
        secret = response_data(anonymous)
        assert secret["comment"] is None and secret["answers"][0]["value"] == 4
        assert secret["person"] is None and secret["created_at"] is None
