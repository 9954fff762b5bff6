"""Locust users of ``bench/cluster.py``: respondents 80 %, dashboards 15 %, queue work 5 %.

Read from the environment: ``CLUSTER_TOKENS`` (a file of personal links' tokens, one a line,
each answered once), ``CLUSTER_ACKS`` (a file to which every answer acknowledged with 303 is
appended as "token score" at once, so a crash loses none), ``CLUSTER_SURVEY`` (the dashboard's
survey id), ``CLUSTER_PASSWORD`` (of the staff users ``cluster-viewer@example.com`` and
``cluster-support@example.com``). The run stops when the tokens run out (or at
``--run-time``).

Every user connects from its own loopback address (``127.1.x.y``): nginx passes it on in
``X-Forwarded-For`` and Polso's per-address rate limits see one visitor per user.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from pathlib import Path

import gevent
from locust import HttpUser, between, task
from locust.exception import StopUser
from requests.adapters import HTTPAdapter

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_tokens = iter(Path(os.environ.get("CLUSTER_TOKENS", "/dev/null")).read_text().split())
_addresses = (f"127.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())
_acks_lock = threading.Lock()


class SourceAddress(HTTPAdapter):
    """Connect from ``address`` (any 127.x.y.z reaches a loopback listener)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class ClusterUser(HttpUser):
    abstract = True
    wait_time = between(0.2, 0.6)

    def on_start(self) -> None:
        self.client.mount("http://", SourceAddress(next(_addresses)))

    def csrf(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, catch_response=True) as reply:
            found = CSRF.search(reply.text) if reply.status_code == 200 else None
            if found is None:
                reply.failure(f"no form ({reply.status_code})")
            return found.group(1) if found else None

    def login(self, email: str) -> None:
        token = self.csrf("/login", "login: form")
        if token:
            self.client.post("/login", name="login: sign in", allow_redirects=False, data={
                "csrf_token": token, "email": email,
                "password": os.environ["CLUSTER_PASSWORD"]})


class Respondent(ClusterUser):
    """Opens a personal link and answers it: one link per task, each link once."""

    weight = 16

    @task
    def answer(self) -> None:
        token = next(_tokens, None)
        # each answer comes from another address, as from another person
        self.client.adapters["http://"].close()
        self.client.mount("http://", SourceAddress(next(_addresses)))
        if token is None:  # quit from another greenlet: quitting stops this one
            gevent.spawn(self.environment.runner.quit)
            raise StopUser()
        csrf = self.csrf(f"/s/{token}", "respondent: open link")
        if csrf is None:
            return
        score = sum(token.encode()) % 11
        with self.client.post(f"/s/{token}", name="respondent: answer", allow_redirects=False,
                              catch_response=True, data={
                                  "csrf_token": csrf, "score": str(score),
                                  "comment": "Slow delivery" if score < 7 else "Fine"}) as reply:
            if reply.status_code != 303:
                reply.failure(f"status {reply.status_code}")
                return
        with _acks_lock, open(os.environ["CLUSTER_ACKS"], "a") as acks:
            acks.write(f"{token} {score}\n")


class DashboardViewer(ClusterUser):
    """A staff viewer reloading the survey's dashboard."""

    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.login("cluster-viewer@example.com")

    @task
    def view(self) -> None:
        self.client.get(f"/surveys/{os.environ['CLUSTER_SURVEY']}", name="dashboard: view")


class QueueAgent(ClusterUser):
    """A support agent looking at the detractor queue and claiming the next case."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.login("cluster-support@example.com")

    @task
    def claim_next(self) -> None:
        csrf = self.csrf("/followups", "queue: list")
        if csrf:
            self.client.post("/followups/claim-next", name="queue: claim next",
                             allow_redirects=False, data={"csrf_token": csrf})
