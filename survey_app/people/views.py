"""People pages (admin, HR): list and filter, CSV import, edit, erase.

HR sees and changes employees only; a customer's page answers 404 to HR.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from survey_app.accounts.access import role_required, visible_person_kinds
from survey_app.accounts.models import Role
from survey_app.audit.services import record
from survey_app.core.db import db
from survey_app.core.inputs import page_arg
from survey_app.people import queries
from survey_app.people.forms import (
    EraseForm,
    FilterForm,
    ImportForm,
    OpenCasesForm,
    PersonForm,
    kind_choices,
)
from survey_app.people.importer import ImportFileError, decode, import_people
from survey_app.people.models import Person
from survey_app.people.services import InvalidPersonError, update_person
from survey_app.privacy.erasure import erase_person
from survey_app.referrals.services import ImportReferrals
from survey_app.retention import health, health_cases

bp = Blueprint("people", __name__, url_prefix="/people")

#: Refused rows listed on the result page (all are counted).
SHOWN_ERRORS = 500


def allowed_kinds() -> tuple[str, ...]:
    return visible_person_kinds(current_user)


def get_person_or_404(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or person.kind not in allowed_kinds():
        abort(404)
    return person


@bp.get("")
@role_required("admin", "hr")
def index():
    form = FilterForm(request.args)
    form.validate()
    where = None
    if form.where.data and "=" in form.where.data:
        name, _sep, value = form.where.data.partition("=")
        where = (name.strip(), value.strip())
    sees_health = "customer" in allowed_kinds()
    light = form.light.data if sees_health and form.light.data in health.LIGHTS else ""
    filters = queries.PeopleFilter(q=(form.q.data or "").strip(), kind=form.kind.data or "",
                                   status=form.status.data or "", where=where,
                                   allowed_kinds=("customer",) if light else allowed_kinds(),
                                   only=health.people_with_light(light) if light else None)
    page = page_arg(request.args)
    people, total = queries.list_people(filters, page)
    pages = max((total + queries.PAGE_SIZE - 1) // queries.PAGE_SIZE, 1)
    return render_template("people/index.html", form=form, people=people, total=total,
                           page=min(page, pages), pages=pages,
                           hr_only=current_user.role == Role.HR, **_health_panel(people))


def _health_panel(people: list[Person]) -> dict[str, Any]:
    """The lights of the listed customers and the counts per light (customers only: HR, who
    sees employees only, gets none)."""
    if "customer" not in allowed_kinds():
        return {"lights": {}}
    return {"lights": health.health_of(p.id for p in people if p.kind == "customer"),
            "light_counts": health.light_counts()}


@bp.get("/health")
@role_required("admin")
def health_page():
    """Counts per light, their movement month by month, and the one-step cases button."""
    return render_template(
        "retention/health.html", light_counts=health.light_counts(),
        movement=health.movement(current_app.config["HEALTH_MOVEMENT_MONTHS"]),
        cases_form=OpenCasesForm(), red_without_case=len(health_cases.red_without_open_case()))


@bp.post("/health/cases")
@role_required("admin")
def open_health_cases():
    """Red customers without an open case → cases, in one step (audited)."""
    if not OpenCasesForm().validate_on_submit():
        abort(400)
    done = health_cases.open_red_cases(by=current_user)
    record(current_user, "health.cases_opened", None, opened=done.opened, skipped=done.skipped)
    db.session.commit()
    flash(ngettext("%(num)d case opened for red customers.",
                   "%(num)d cases opened for red customers.", done.opened))
    if done.skipped:
        flash(ngettext("%(num)d red customer has no answer to attach a case to.",
                       "%(num)d red customers have no answer to attach a case to.",
                       done.skipped))
    return redirect(url_for(".health_page"), 303)


@bp.route("/import", methods=["GET", "POST"])
@role_required("admin", "hr")
def import_():
    request.max_content_length = current_app.config["PEOPLE_IMPORT_MAX_BYTES"]
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form, status=422 if form.is_submitted() else 200)
    try:
        text = decode(form.file.data.read())
        result = import_people(text.splitlines(keepends=True), allowed_kinds=allowed_kinds(),
                               on_batch=lambda _rows: db.session.commit(),
                               referrals=ImportReferrals())
    except ImportFileError as error:
        db.session.rollback()
        form.file.errors = [str(error)]
        return _import_page(form, status=422)
    record(current_user, "people.imported", None, rows=result.rows, created=result.created,
           updated=result.updated, referred=result.referred, refused=len(result.errors))
    db.session.commit()
    return _import_page(ImportForm(formdata=None), result=result)


def _import_page(form: ImportForm, *, result=None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("people/import.html", form=form, result=result,
                           shown_errors=SHOWN_ERRORS, hr_only=current_user.role == Role.HR,
                           max_mb=current_app.config["PEOPLE_IMPORT_MAX_BYTES"] // 2**20
                           ), status


@bp.route("/<int:person_id>", methods=["GET", "POST"])
@role_required("admin", "hr")
def edit(person_id: int):
    person = get_person_or_404(person_id)
    form = _person_form(person, as_stored=request.method == "GET")
    if current_user.role == Role.HR:
        form.kind.choices = [c for c in kind_choices() if c.value == "employee"]
    if not form.validate_on_submit():
        return _edit_page(person, form, status=422 if form.is_submitted() else 200)
    try:
        update_person(person, name=form.name.data or "", kind=form.kind.data,
                      locale=form.locale.data, attributes=form.parsed_attributes,
                      unsubscribe=form.unsubscribe.data, clear_bounce=form.clear_bounce.data)
    except InvalidPersonError as error:
        db.session.rollback()
        form.attributes.errors = [str(error)]
        return _edit_page(person, form, status=422)
    record(current_user, "person.updated", person)
    db.session.commit()
    flash(_("Saved."))
    return redirect(url_for(".edit", person_id=person.id), 303)


def _person_form(person: Person, *, as_stored: bool) -> PersonForm:
    """The person's form: as posted, or as stored (attributes as ``key=value`` lines)."""
    form = PersonForm(obj=person, **({"formdata": None} if as_stored else {}))
    if as_stored:
        form.attributes.data = "\n".join(f"{k}={v}" for k, v in sorted(person.attributes.items()))
    return form


def _edit_page(person: Person, form: PersonForm, *, erase_form: EraseForm | None = None,
               status: int = 200):
    light = health.health_of([person.id]).get(person.id) if person.kind == "customer" else None
    return render_template("people/edit.html", person=person, form=form, health=light,
                           erase_form=erase_form or EraseForm(formdata=None)), status


@bp.post("/<int:person_id>/erase")
@role_required("admin", "hr")
def erase(person_id: int):
    person = get_person_or_404(person_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _edit_page(person, _person_form(person, as_stored=True), erase_form=form,
                          status=422)
    result = erase_person(person)
    record(current_user, "person.erased", ("person", person_id),
           invitations=result.invitations, responses=result.responses_anonymised,
           cases=result.cases_anonymised)
    db.session.commit()
    flash(_("The person was erased: %(n)s invitations deleted, %(r)s responses anonymised.",
            n=result.invitations, r=result.responses_anonymised))
    return redirect(url_for(".index"), 303)
