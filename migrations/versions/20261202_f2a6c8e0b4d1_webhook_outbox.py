"""The respondent's webhook events wait in a narrow outbox table, one B-tree per answer.

Expand step: a new table and its partial index. The unrouted ``webhook_events`` rows the
previous release wrote for answers (``payload.reference``) are still routed as they are, so
both releases can run side by side during a rolling upgrade.

Revision ID: f2a6c8e0b4d1
Revises: b8e1f3a5c7d9
Create Date: 2026-12-02 13:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f2a6c8e0b4d1'
down_revision = 'b8e1f3a5c7d9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=True),
        sa.Column('followup_id', sa.Integer(), nullable=True),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_dt', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_outbox')),
    )
    op.create_index('ix_webhook_outbox_held', 'webhook_outbox', ['due_dt'],
                    sqlite_where=sa.text('due_dt IS NOT NULL'),
                    postgresql_where=sa.text('due_dt IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_webhook_outbox_held', table_name='webhook_outbox')
    op.drop_table('webhook_outbox')
