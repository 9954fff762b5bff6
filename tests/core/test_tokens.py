"""Link tokens: unguessable, stored hashed, never joinable between tables."""

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
