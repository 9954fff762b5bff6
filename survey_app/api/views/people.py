"""``/api/v1/people``: customers and employees, as the token's role may read them.

Support tokens read customers only, HR tokens employees only, admins both, viewers none (the
rule of ``accounts.access.visible_person_kinds``). A person carries no answers: anonymous
answers are never linked to anyone.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE
from marshmallow.validate import Length, OneOf

from survey_app.accounts.access import visible_person_kinds
from survey_app.accounts.models import Role
from survey_app.api import auth
from survey_app.api.blueprint import ApiBlueprint
from survey_app.api.errors import refuse
from survey_app.api.paging import PageArgs, listing, page_response, page_schema
from survey_app.core import cursors
from survey_app.core.db import db
from survey_app.core.strictjson import Text
from survey_app.people.models import Person
from survey_app.people.queries import people_page
from survey_app.schemas import PersonSchema, person_data

blp = ApiBlueprint("people", __name__, description=(
    "Customers and employees (support tokens: customers; HR tokens: employees)."))

PersonPageSchema = page_schema("PersonPageSchema", PersonSchema)


class PeopleArgs(PageArgs):
    email = Text(validate=Length(min=1, max=254), metadata={
        "description": "Only the person with this address (any case)."})
    kind = Text(validate=OneOf(["customer", "employee"]))


@blp.route("/people", methods=["GET"])
@auth.require(Role.ADMIN, Role.HR, Role.SUPPORT)
@blp.arguments(PeopleArgs, location="query", unknown=RAISE)
@blp.response(200, PersonPageSchema)
def list_people(args: dict[str, Any]) -> Any:
    """List people

    In the order they were added (by id).
    """
    kinds = visible_person_kinds(auth.current_token())
    after = cursors.decode(args["cursor"], listing(), (int,))[0] if "cursor" in args else None
    people = people_page(kinds, after=after, limit=args["limit"] + 1,
                         email=args.get("email"), kind=args.get("kind"))
    more = len(people) > args["limit"]
    people = people[:args["limit"]]
    return page_response([person_data(p) for p in people],
                         cursors.encode(listing(), people[-1].id) if more else None)


@blp.route("/people/<int:person_id>", methods=["GET"])
@auth.require(Role.ADMIN, Role.HR, Role.SUPPORT)
@blp.response(200, PersonSchema)
def get_person(person_id: int) -> dict[str, Any]:
    """Get a person"""
    token = auth.current_token()
    person = db.session.get(Person, person_id)
    if person is None:
        refuse(404, auth.HIDDEN)
    if person.kind not in visible_person_kinds(token):
        auth.refuse_hidden(token, person)
    return person_data(person)
