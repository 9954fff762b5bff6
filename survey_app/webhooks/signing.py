"""Standard Webhooks secrets and signatures (the ``standardwebhooks`` library does the maths)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

#: Secret prefix of the Standard Webhooks specification.
PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh ``whsec_<base64 of 32 random bytes>`` secret."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature_header(secrets_in_use: list[str], message_id: str, at: datetime,
                     body: str) -> str:
    """``webhook-signature``: one ``v1,<base64>`` per secret, space-separated (during a
    rotation both the new and the old secret sign, so either verifies)."""
    return " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets_in_use)


def headers(secrets_in_use: list[str], message_id: str, at: datetime, body: str
            ) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``at``."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(secrets_in_use, message_id, at, body),
    }
