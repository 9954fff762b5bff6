"""Follow-up queue index also holds the assignee, so counts under an assignee filter read the index alone.

Revision ID: 9b1e4c7d2a60
Revises: 65203f4d0c5b
Create Date: 2026-11-24 13:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9b1e4c7d2a60'
down_revision = '65203f4d0c5b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_queue')
        batch_op.create_index('ix_followups_queue', ['team', 'status', 'priority_rank', 'due_dt', 'assignee_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_queue')
        batch_op.create_index('ix_followups_queue', ['team', 'status', 'priority_rank', 'due_dt'], unique=False)
