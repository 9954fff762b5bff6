"""The retention page and the activity upload: roles, figures, bad input, customers only."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from survey_app.audit.models import AuditEvent
from survey_app.core.db import db
from survey_app.retention.models import Activity
from tests.conftest import csrf_token
from tests.retention.helpers import add_customer, build_shop

PERIOD = "/retention?from=2026-01-01&to=2026-03-31"


@pytest.fixture
def shop(app):
    with app.app_context():
        build_shop()
        db.session.commit()


def _figure(html: str, key: str) -> str:
    return re.search(rf'id="figure-{key}">.*?<strong>(.*?)</strong>', html, re.S).group(1)


@pytest.mark.parametrize("role", ["hr", "viewer"])
def test_retention_is_for_admin_and_support_only(client, login, role):
    login(client, role)
    assert client.get("/retention").status_code == 403
    assert client.get("/retention/activity").status_code == 403


@pytest.mark.parametrize("role", ["admin", "support"])
def test_the_page_shows_the_worked_example(client, login, shop, role):
    login(client, role)
    response = client.get(PERIOD)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index('id="voice"') < html.index('id="figures"') < html.index('id="trend"')
    assert [_figure(html, key) for key in ("start", "end", "new", "lost", "crr", "churn_rate",
                                           "repeat_purchase_rate", "average_order_value",
                                           "purchase_frequency", "clv")] == [
        "4", "5", "4", "3", "25 %", "75 %", "40 %", "€60.00", "1.40", "€112.00"]
    assert "CRR = (E − N) / S × 100" in html
    assert 'id="churn-by-category"' in html and "Detractors: 100 %" in html
    assert html.count('<tr><th scope="row">') >= 3   # three months
    assert 'id="rfm-table"' in html


def test_employees_never_appear(app, client, login):
    with app.app_context():
        add_customer("worker@example.com", [("2026-01-05", "purchase", "999", "EUR")],
                     kind="employee", team="ops")
        db.session.commit()
    login(client, "admin")
    html = client.get(PERIOD + "&segment=team%3Dops").get_data(as_text=True)
    assert "worker@example.com" not in html
    assert _figure(html, "end") == "0"
    assert "No customer has an order yet." in html


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=2026-03-01&to=2026-01-01",
                                   "from=2000-01-01&to=2026-01-01", "segment=plan",
                                   "segment=" + "x" * 300, "to=yesterday"])
def test_bad_filters_are_400_with_the_reason(client, login, query):
    login(client, "support")
    response = client.get("/retention?" + query)
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_the_page_in_italian(client, login, shop):
    login(client, "support")
    html = client.get(PERIOD + "&lang=it").get_data(as_text=True)
    assert "Fidelizzazione" in html and "Tasso di abbandono" in html
    assert "60,00" in html  # Italian number format


def _upload(client, text: str):
    token = csrf_token(client.get("/retention/activity").get_data(as_text=True))
    return client.post("/retention/activity", data={
        "csrf_token": token, "file": (io.BytesIO(text.encode()), "activity.csv")},
        content_type="multipart/form-data")


def test_upload_reports_line_errors_imports_the_rest_and_is_audited(app, client, login):
    with app.app_context():
        add_customer("ann@example.com")
        db.session.commit()
    login(client, "support")
    text = ("email,date,kind,amount,currency,external_id\n"
            "ann@example.com,2026-01-05,purchase,19.90,EUR,o-1\n"
            "who@example.com,2026-01-05,purchase,19.90,EUR,o-2\n")
    html = _upload(client, text).get_data(as_text=True)
    assert "2 rows read: 1 new, 0 already imported, 1 refused." in html
    assert '<td class="num">3</td><td>email: nobody has the address who@example.com' in html
    again = _upload(client, text).get_data(as_text=True)
    assert "2 rows read: 0 new, 1 already imported, 1 refused." in again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "activity.imported")) == 2


def test_upload_with_a_wrong_header_is_422(app, client, login):
    login(client, "admin")
    response = _upload(client, "email,date\nann@example.com,2026-01-01\n")
    assert response.status_code == 422
    assert "the first line must be exactly email,date,kind,amount,currency,external_id" in \
        response.get_data(as_text=True)
