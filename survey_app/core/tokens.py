"""Secret link tokens: 128 random bits, stored only as hashes, compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

#: ``secrets.token_urlsafe(16)`` gives 22 URL-safe characters (128 bits).
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}")


def new_token() -> str:
    """A fresh unguessable token for a personal or public-browser link."""
    return secrets.token_urlsafe(16)


def is_well_formed(token: str) -> bool:
    """Whether ``token`` could have been made by :func:`new_token` (checked before any lookup)."""
    return TOKEN_PATTERN.fullmatch(token) is not None


def hash_token(token: str) -> str:
    """The hash stored on the invitation."""
    return hashlib.sha256(b"invitation:" + token.encode()).hexdigest()


def response_digest(token: str) -> str:
    """The hash stored on the response: unlike :func:`hash_token`, so the two cannot be joined."""
    return hashlib.sha256(b"response:" + token.encode()).hexdigest()


def matches(stored_hash: str, token: str) -> bool:
    """Constant-time check that ``token`` hashes to ``stored_hash``."""
    return hmac.compare_digest(stored_hash, hash_token(token))


def derive_token(key: str, salt: str) -> str:
    """The link token of an e-mailed invitation: 128 bits of HMAC-SHA256(key, salt).

    Only the salt and the token's hash are stored, so reminders can carry the same link while the
    database alone still reveals no link (the key — ``SECRET_KEY`` — is needed too).
    """
    digest = hmac.new(key.encode(), b"link-token:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


#: Every API token starts with this, so a leaked one is easy to find (secret scanners, grep).
API_TOKEN_PREFIX = "polso_"
_API_TOKEN_PATTERN = re.compile(re.escape(API_TOKEN_PREFIX) + TOKEN_PATTERN.pattern)


def new_api_token() -> str:
    """A fresh API token: the prefix and 128 random bits (shown once, stored hashed)."""
    return API_TOKEN_PREFIX + new_token()


def is_api_token(token: str) -> bool:
    """Whether ``token`` could have been made by :func:`new_api_token` (checked before lookup)."""
    return _API_TOKEN_PATTERN.fullmatch(token) is not None


def hash_api_token(token: str) -> str:
    """The hash stored for an API token (its own prefix: never equal to a link's hash)."""
    return hashlib.sha256(b"api-token:" + token.encode()).hexdigest()
