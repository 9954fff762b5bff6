"""Webhook events name the person their payload describes, so erasing the person deletes them.

Expand step: a nullable column and its index; old code writes NULL (its events are purged
after ``WEBHOOK_KEEP_DAYS`` as before).

Revision ID: c9d2e4f6a8b1
Revises: d4a7c1e9b352
Create Date: 2026-12-02 07:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c9d2e4f6a8b1'
down_revision = 'd4a7c1e9b352'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('webhook_events', sa.Column('person_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_webhook_events_person_id'), 'webhook_events', ['person_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_events_person_id'), table_name='webhook_events')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_column('person_id')
