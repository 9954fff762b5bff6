"""Fifty simultaneous POSTs of one link over real HTTP store exactly one response."""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.responses.models import Response
from tests.conftest import csrf_token

pytestmark = pytest.mark.live

CLIENTS = 50


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # report the 303 itself


def test_concurrent_submissions_of_one_link(app, live_server, make_survey, make_link):
    token = make_link(make_survey("nps"))
    url = f"{live_server.url}/s/{token}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    form = urllib.parse.urlencode({
        "score": "4", "comment": "Slow answers from support",
        "csrf_token": csrf_token(opener.open(url).read().decode()),
    }).encode()
    barrier = threading.Barrier(CLIENTS)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        request = urllib.request.Request(url, data=form, method="POST")
        try:
            with opener.open(request) as reply:
                statuses.append(reply.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
            error.close()

    threads = [threading.Thread(target=post) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(statuses) == [303] + [409] * (CLIENTS - 1)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
