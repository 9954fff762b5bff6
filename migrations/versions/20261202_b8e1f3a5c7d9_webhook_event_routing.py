"""Webhook events are routed to their endpoints by the workers: the answer writes one row.

Expand step: three columns and a partial index. ``routed`` defaults to true, so the events the
previous release writes (with their deliveries, in the same transaction) count as routed;
``scope`` and ``due_dt`` are NULL for them and read only for unrouted events.

Revision ID: b8e1f3a5c7d9
Revises: c9d2e4f6a8b1
Create Date: 2026-12-02 10:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b8e1f3a5c7d9'
down_revision = 'c9d2e4f6a8b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('webhook_events', sa.Column('routed', sa.Boolean(), nullable=False,
                                              server_default=sa.true()))
    op.add_column('webhook_events', sa.Column('scope', sa.String(length=10), nullable=True))
    op.add_column('webhook_events', sa.Column('due_dt', sa.DateTime(timezone=True), nullable=True))
    op.create_index('ix_webhook_events_unrouted', 'webhook_events', ['due_dt'],
                    sqlite_where=sa.text('routed = 0'), postgresql_where=sa.text('NOT routed'))


def downgrade() -> None:
    op.drop_index('ix_webhook_events_unrouted', table_name='webhook_events')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_column('due_dt')
        batch_op.drop_column('scope')
        batch_op.drop_column('routed')
