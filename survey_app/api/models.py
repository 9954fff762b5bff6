"""IdempotencyKey: the first answer to a POST sent with an ``Idempotency-Key``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.core.db import db, utcnow


class IdempotencyKey(db.Model):
    """One ``Idempotency-Key`` of one token: the request it was first sent with and, once the
    request has finished, its answer (replayed for a retry). Kept 24 hours."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (
        #: The key row is inserted (and committed) before the work: a concurrent duplicate
        #: fails here at once instead of doing the work twice.
        sa.UniqueConstraint("token_id", "key"),
        sa.CheckConstraint("status_code IS NULL OR (status_code >= 200 AND status_code < 500)",
                           "status_code_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="CASCADE"))
    #: The client's key (1–255 visible ASCII characters), unique per token.
    key: Mapped[str] = mapped_column(sa.String(255))
    #: SHA-256 (hex) of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    #: The answer's status; NULL while the first request is still in flight.
    status_code: Mapped[int | None]
    #: The answer's body and content type, replayed as they were.
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)
