"""Every staff route of accounts, audit and surveys × every role, table-driven.

Anonymous visitors are sent to /login (302); signed-in users whose role may not open the page
get 403 in the staff layout (navigation kept, never the object); an object outside their scope
(or missing) is 404, never its contents; allowed roles get the page (200), a redirect after a
change (303) or the form again with its errors (422).
"""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token

ANON, ADMIN, HR, SUPPORT, VIEWER = None, "admin", "hr", "support", "viewer"
STAFF = {ADMIN, HR, SUPPORT, VIEWER}

# (method, path, form data, {role: expected status}); roles not listed expect 403.
ROUTES = [
    ("GET", "/login", None, {ANON: 200, **dict.fromkeys(STAFF, 302)}),
    ("GET", "/", None, {ANON: 302, **dict.fromkeys(STAFF, 302)}),
    ("GET", "/account/password", None, dict.fromkeys(STAFF, 200)),
    ("POST", "/account/password", {}, dict.fromkeys(STAFF, 422)),
    ("POST", "/account/language", {"locale": "en"}, dict.fromkeys(STAFF, 303)),
    ("GET", "/users", None, {ADMIN: 200}),
    ("POST", "/users", {}, {ADMIN: 422}),
    ("GET", "/users/{user}", None, {ADMIN: 200}),
    ("GET", "/users/999999", None, {ADMIN: 404}),
    ("POST", "/users/{user}/role", {"role": "bogus"}, {ADMIN: 422}),
    ("POST", "/users/{user}/deactivate", {}, {ADMIN: 303}),
    ("POST", "/users/{user}/reactivate", {}, {ADMIN: 303}),
    ("POST", "/users/{user}/password", {}, {ADMIN: 422}),
    ("GET", "/audit", None, {ADMIN: 200}),
    ("GET", "/surveys", None, dict.fromkeys(STAFF, 200)),
    ("GET", "/surveys/new", None, {ADMIN: 200, HR: 200}),
    ("POST", "/surveys/new", {}, {ADMIN: 422, HR: 422}),
    ("GET", "/surveys/{customers}/edit", None, {ADMIN: 200, HR: 404}),
    ("GET", "/surveys/{employees}/edit", None, {ADMIN: 200, HR: 200}),
    ("POST", "/surveys/{customers}/edit", {}, {ADMIN: 422, HR: 404}),
    ("POST", "/surveys/{employees}/edit", {}, {ADMIN: 422, HR: 422}),
    ("GET", "/surveys/{customers}/preview", None, {ADMIN: 200, HR: 404}),
    ("GET", "/surveys/{employees}/preview", None, {ADMIN: 200, HR: 200}),
    ("POST", "/surveys/{customers}/close", {}, {ADMIN: 303, HR: 404}),
    ("POST", "/surveys/{customers}/activate", {}, {ADMIN: 303, HR: 404}),
    ("POST", "/surveys/{employees}/close", {}, {ADMIN: 303, HR: 303}),
    ("POST", "/surveys/{employees}/activate", {}, {ADMIN: 303, HR: 303}),
    ("GET", "/surveys/999999/edit", None, {ADMIN: 404, HR: 404}),
    ("GET", "/surveys/999999/preview", None, {ADMIN: 404, HR: 404}),
    ("GET", "/retention", None, {ADMIN: 200, SUPPORT: 200}),
    ("GET", "/retention/activity", None, {ADMIN: 200, SUPPORT: 200}),
    ("POST", "/retention/activity", {}, {ADMIN: 422, SUPPORT: 422}),
    ("POST", "/logout", {}, {ANON: 303, **dict.fromkeys(STAFF, 303)}),
]

PUBLIC = {"/login", "/", "/logout"}


def expected_status(role: str | None, path: str, allowed: dict) -> int:
    if role in allowed:
        return allowed[role]
    if role is ANON and path not in PUBLIC:
        return 302
    return 403


@pytest.mark.parametrize("role", [ANON, ADMIN, HR, SUPPORT, VIEWER],
                         ids=["anonymous", "admin", "hr", "support", "viewer"])
def test_role_matrix(app, client, login, make_user, make_survey, role):
    ids = {"customers": make_survey("nps", title="Secret customer survey"),
           "employees": make_survey("pulse", title="Secret employee survey"),
           "user": make_user("viewer", email="target@example.com")}
    if role is not None:
        login(client, role)
    if role is not None:
        listed = client.get("/surveys").get_data(as_text=True)
        shown = {audience for audience, title in [("customers", "Secret customer survey"),
                                                   ("employees", "Secret employee survey")]
                 if title in listed}
        assert shown == {ADMIN: {"customers", "employees"}, HR: {"employees"},
                         SUPPORT: {"customers"}, VIEWER: {"customers"}}[role]
    token_page = "/account/password" if role else "/login"
    token = csrf_token(client.get(token_page).get_data(as_text=True))
    mismatches = []
    for method, template, data, allowed in ROUTES:
        path = template.format(**ids)
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={**data, "csrf_token": token})
        want = expected_status(role, template, allowed)
        body = response.get_data(as_text=True)
        if response.status_code != want:
            mismatches.append(f"{method} {template}: {response.status_code}, expected {want}")
        elif want == 302 and role is ANON and template not in PUBLIC:
            if not response.headers["Location"].startswith("/login?next="):
                mismatches.append(f"{method} {template}: redirected to "
                                  f"{response.headers['Location']}")
        elif want in (403, 404) and ("Secret" in body or "target@example.com" in body):
            mismatches.append(f"{method} {template}: {want} page shows the object")
        elif want == 403 and not ('class="staff-nav"' in body
                                  and "Not available for your role" in body):
            mismatches.append(f"{method} {template}: 403 without the staff layout")
    assert mismatches == []
