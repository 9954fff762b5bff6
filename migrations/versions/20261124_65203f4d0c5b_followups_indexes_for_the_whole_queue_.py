"""Follow-up indexes: the whole queue in its order, metrics by period, a person's answers in time order.

Revision ID: 65203f4d0c5b
Revises: 347accc95a4a
Create Date: 2026-11-24 14:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '65203f4d0c5b'
down_revision = '347accc95a4a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_all_queue', ['team', 'priority_rank', 'due_dt', 'id'], unique=False)
        batch_op.drop_index('ix_followups_team_ended')
        batch_op.drop_index('ix_followups_team_created')
        batch_op.create_index('ix_followups_team_created', ['team', 'created_dt', 'first_action_dt'], unique=False)
        batch_op.create_index('ix_followups_team_status_ended', ['team', 'status', 'ended_dt'], unique=False)
        batch_op.create_index('ix_followups_team_due', ['team', 'due_dt'], unique=False)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_person_submitted', ['person_id', 'submitted_dt'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_person_submitted')

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_team_due')
        batch_op.drop_index('ix_followups_team_status_ended')
        batch_op.create_index('ix_followups_team_ended', ['team', 'ended_dt'], unique=False)
        batch_op.drop_index('ix_followups_team_created')
        batch_op.create_index('ix_followups_team_created', ['team', 'created_dt'], unique=False)
        batch_op.drop_index('ix_followups_all_queue')
