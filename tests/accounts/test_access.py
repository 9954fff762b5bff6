"""The role rules of ``accounts.access``, without HTTP."""

from __future__ import annotations

import pytest

from survey_app.accounts.access import (
    can_export_survey,
    can_manage_survey,
    can_work_followups,
    load_user,
    role_required,
    safe_next,
    visible_surveys,
)
from survey_app.accounts.models import User
from survey_app.core.db import db
from survey_app.surveys.models import Survey


@pytest.mark.parametrize(("target", "expected"), [
    ("/surveys", "/surveys"),
    ("/surveys/3?period=month#top", "/surveys/3?period=month#top"),
    ("", None), (None, None), ("surveys", None), ("//evil.example", None),
    ("https://evil.example", None), ("/\\evil.example", None), ("/\\/evil.example", None),
    ("\\\\evil.example", None), ("///evil.example", None), ("/\r\n/evil", None),
    ("/ok\x00", None), ("http:/evil.example", None), ("/" + "a" * 2001, None),
])
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_role_required_refuses_unknown_roles():
    with pytest.raises(ValueError, match="unknown roles"):
        role_required("admin", "boss")
    with pytest.raises(ValueError, match="no role"):
        role_required()


@pytest.mark.parametrize(("role", "visible"), [
    ("admin", {"nps", "csat", "enps", "pulse"}),
    ("hr", {"enps", "pulse"}),
    ("support", {"nps", "csat"}),
    ("viewer", {"nps", "csat"}),
])
def test_visible_surveys_by_role(app_ctx, role, visible):
    from survey_app.surveys.services import create_survey

    for kind in ("nps", "csat", "enps", "pulse"):
        create_survey(kind=kind, title=kind, slug=f"access-{kind}")
    user = User(email="x@example.com", role=role, password_hash="x")
    kinds = {s.kind for s in db.session.scalars(visible_surveys(user))}
    assert kinds == visible


@pytest.mark.parametrize(("role", "customers", "employees"), [
    ("admin", True, True), ("hr", False, True), ("support", False, False),
    ("viewer", False, False),
])
def test_can_manage_survey(role, customers, employees):
    user = User(role=role)
    assert can_manage_survey(user, Survey(audience="customers")) is customers
    assert can_manage_survey(user, Survey(audience="employees")) is employees


@pytest.mark.parametrize(("role", "customers", "employees"), [
    ("admin", True, True), ("hr", False, True), ("support", True, False),
    ("viewer", False, False),
])
def test_can_export_survey(role, customers, employees):
    user = User(role=role)
    assert can_export_survey(user, Survey(audience="customers")) is customers
    assert can_export_survey(user, Survey(audience="employees")) is employees


@pytest.mark.parametrize(("role", "support", "hr"), [
    ("admin", True, True), ("hr", False, True), ("support", True, False),
    ("viewer", False, False),
])
def test_can_work_followups(role, support, hr):
    user = User(role=role)
    assert can_work_followups(user, "support") is support
    assert can_work_followups(user, "hr") is hr
    assert can_work_followups(user, "sales") is False


def test_load_user_checks_the_session_version_and_activity(app_ctx):
    user = User(email="v@example.com", role="admin", password_hash="x", session_version=3,
                is_active=True)
    db.session.add(user)
    db.session.flush()
    assert load_user(f"{user.id}:3") is user
    for stale in (f"{user.id}:2", f"{user.id}", f"{user.id}:x", "abc", f"{user.id}:٣", ""):
        assert load_user(stale) is None
    user.is_active = False
    assert load_user(f"{user.id}:3") is None
