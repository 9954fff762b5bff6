"""Link tokens: unguessable, stored hashed, never joinable between tables."""

import os
import subprocess
import sys

from survey_app.core.logs import redact
from survey_app.core.tokens import hash_token, is_well_formed, matches, new_token, response_digest


def test_tokens_carry_128_bits_and_are_unique():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == 22 and is_well_formed(t) for t in tokens)


def test_invitation_and_response_hashes_differ_and_hide_the_token():
    token = new_token()
    assert hash_token(token) != response_digest(token)
    assert token not in hash_token(token) and len(hash_token(token)) == 64
    assert matches(hash_token(token), token)
    assert not matches(hash_token(token), new_token())


def test_malformed_tokens_are_rejected_before_lookup():
    for bad in ["", "short", "x" * 23, "a" * 21 + "!", "../../etc/passwd", "٣" * 22]:
        assert not is_well_formed(bad)


def test_log_lines_lose_link_tokens():
    token = new_token()
    line = f'"POST /s/{token}?lang=it HTTP/1.1" 303 and /u/{token}'
    assert token not in redact(line)
    assert redact(line).startswith('"POST /s/…?lang=it')


def test_app_log_records_reach_stderr_without_link_tokens(tmp_path):
    """A fresh process, as a gunicorn worker: INFO lines of our modules are printed (not
    dropped for want of a handler) and the tokens in them are redacted."""
    token = new_token()
    script = (
        "import logging\n"
        "from survey_app import create_app\n"
        "create_app()\n"
        f"logging.getLogger('survey_app.responses.services').info('opened /s/{token} once')\n"
    )
    env = {**os.environ, "POLSO_DATABASE_URL": f"sqlite:///{tmp_path / 'logs.sqlite3'}",
           "POLSO_SECRET_KEY": "test-secret"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    assert "INFO" in result.stderr and "opened /s/… once" in result.stderr
    assert token not in result.stderr


def test_password_links_are_redacted_from_log_lines():
    line = '"GET /password/set/WzIsInJlc2V0Il0.aw9o1w.1y6wJq0BXxPBJ2B2lo HTTP/1.1" 200'
    assert redact(line) == '"GET /password/set/… HTTP/1.1" 200'
