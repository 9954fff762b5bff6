"""``/users``: admins list, create and change staff users (every change ends their sessions);
``/settings/tokens``: admins create, list and revoke API tokens."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import func, select

from survey_app.accounts import api_tokens, emails, services
from survey_app.accounts.access import role_required
from survey_app.accounts.forms import (
    ApiTokenForm,
    InviteForm,
    UserCreateForm,
    UserPasswordForm,
    UserRoleForm,
)
from survey_app.accounts.links import Purpose
from survey_app.accounts.models import ApiToken, User
from survey_app.audit import services as audit
from survey_app.core.db import db

bp = Blueprint("accounts_admin", __name__)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _me() -> User:
    return current_user._get_current_object()


@bp.get("/users")
@role_required("admin")
def users():
    return _list_page(UserCreateForm(), 200)


def _list_page(form: UserCreateForm, status: int, invite_form: InviteForm | None = None):
    users = db.session.scalars(select(User).order_by(func.lower(User.email))).all()
    return render_template(
        "accounts/users.html", users=[u for u in users if not u.is_invited],
        invited=[u for u in users if u.is_invited], form=form,
        invite_form=invite_form or InviteForm(formdata=None),
    ), status


@bp.post("/users")
@role_required("admin")
def create():
    form = UserCreateForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        user = services.create_user(email=form.email.data, role=form.role.data,
                                    password=form.password.data, name=form.name.data,
                                    locale=form.locale.data)
    except services.AccountError as error:
        form.email.errors = [str(error)]
        return _list_page(form, 422)
    audit.record(_me(), "user.create", user, role=user.role)
    db.session.commit()
    flash(_("User %(email)s created.", email=user.email))
    return redirect(url_for(".users"), 303)


@bp.get("/users/<int:user_id>")
@role_required("admin")
def edit(user_id: int):
    return _edit_page(_user_or_404(user_id), 200)


def _edit_page(user: User, status: int, *, role_form: UserRoleForm | None = None,
               password_form: UserPasswordForm | None = None, error: str | None = None):
    return render_template(
        "accounts/user.html", user=user, error=error,
        role_form=role_form or UserRoleForm(role=user.role, formdata=None),
        password_form=password_form or UserPasswordForm(formdata=None),
    ), status


@bp.post("/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    user = _user_or_404(user_id)
    form = UserRoleForm()
    if not form.validate_on_submit():
        return _edit_page(user, 422, role_form=form)
    before = user.role
    try:
        services.set_role(user, form.role.data, by=_me())
    except services.AccountError as error:
        return _edit_page(user, 422, role_form=form, error=str(error))
    if before != user.role:
        audit.record(_me(), "user.role", user, old=before, new=user.role)
    db.session.commit()
    flash(_("Role of %(email)s is now %(role)s.", email=user.email, role=user.role))
    return redirect(url_for(".edit", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/deactivate")
@role_required("admin")
def deactivate(user_id: int):
    return _set_active(_user_or_404(user_id), False)


@bp.post("/users/<int:user_id>/reactivate")
@role_required("admin")
def reactivate(user_id: int):
    return _set_active(_user_or_404(user_id), True)


def _set_active(user: User, active: bool):
    was_active = user.is_active
    try:
        services.set_active(user, active, by=_me())
    except services.AccountError as error:
        return _edit_page(user, 422, error=str(error))
    if was_active != active:
        audit.record(_me(), "user.reactivate" if active else "user.deactivate", user)
    db.session.commit()
    flash(_("%(email)s can sign in again.", email=user.email) if active
          else _("%(email)s is deactivated and signed out.", email=user.email))
    return redirect(url_for(".edit", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/password")
@role_required("admin")
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = UserPasswordForm()
    if not form.validate_on_submit():
        return _edit_page(user, 422, password_form=form)
    services.set_password(user, form.password.data)
    audit.record(_me(), "user.password_reset", user)
    db.session.commit()
    if user.id == _me().id:  # an admin resetting their own: keep this session
        session.clear()
        login_user(user)
    flash(_("New password set for %(email)s; their sessions have ended.", email=user.email))
    return redirect(url_for(".edit", user_id=user.id), 303)


@bp.post("/users/invite")
@role_required("admin")
def invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _list_page(UserCreateForm(formdata=None), 422, invite_form=form)
    try:
        user = services.invite_user(email=form.email.data, role=form.role.data,
                                    name=form.name.data, locale=form.locale.data)
    except services.AccountError as error:
        form.email.errors = [str(error)]
        return _list_page(UserCreateForm(formdata=None), 422, invite_form=form)
    audit.record(_me(), "user.invite", user, role=user.role)
    return _send_invitation(user)


@bp.post("/users/<int:user_id>/invite")
@role_required("admin")
def reinvite(user_id: int):
    user = _user_or_404(user_id)
    try:
        services.renew_invitation(user)
    except services.AccountError as error:
        return _edit_page(user, 422, error=str(error))
    audit.record(_me(), "user.reinvite", user)
    return _send_invitation(user)


def _send_invitation(user: User):
    db.session.commit()
    emails.send_link(user.id, Purpose.INVITATION)
    flash(_("Invitation e-mailed to %(email)s.", email=user.email))
    return redirect(url_for(".users", _anchor="invited"), 303)


@bp.post("/users/<int:user_id>/cancel-invitation")
@role_required("admin")
def cancel_invitation(user_id: int):
    user = _user_or_404(user_id)
    target, email = ("user", user.id), user.email
    try:
        services.cancel_invitation(user)
    except services.AccountError as error:
        return _edit_page(user, 422, error=str(error))
    audit.record(_me(), "user.invite_cancel", target, role=user.role)
    db.session.commit()
    flash(_("Invitation of %(email)s cancelled.", email=email))
    return redirect(url_for(".users"), 303)


@bp.get("/settings/tokens")
@role_required("admin")
def tokens():
    return _tokens_page(ApiTokenForm(), 200)


def _tokens_page(form: ApiTokenForm, status: int, secret: str | None = None,
                 created: ApiToken | None = None):
    response = make_response(render_template(
        "accounts/tokens.html", tokens=api_tokens.all_tokens(), form=form, secret=secret,
        created=created), status)
    response.headers["Cache-Control"] = "no-store"  # the page may show a secret, once
    return response


@bp.post("/settings/tokens")
@role_required("admin")
def create_token():
    """Create a token and show its secret on this answer only (never in a cookie or a link)."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form, 422)
    try:
        token, secret = api_tokens.create_token(form.name.data, form.role.data, by=_me())
    except api_tokens.ApiTokenError as error:
        form.name.errors = [str(error)]
        return _tokens_page(form, 422)
    audit.record(_me(), "api_token.create", token, name=token.name, role=token.role)
    db.session.commit()
    return _tokens_page(ApiTokenForm(formdata=None), 200, secret=secret, created=token)


@bp.post("/settings/tokens/<int:token_id>/revoke")
@role_required("admin")
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    if api_tokens.revoke(token):
        audit.record(_me(), "api_token.revoke", token, name=token.name)
    db.session.commit()
    flash(_("Token %(name)s is revoked: requests with it are refused from now on.",
            name=token.name))
    return redirect(url_for(".tokens"), 303)
