"""Follow-up queue: assignee, SLA and outcome columns, case timeline, case e-mails, staff e-mail settings.

Revision ID: c051182b8bf4
Revises: 5a8a451e7922
Create Date: 2026-11-24 12:44:47.880477

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c051182b8bf4'
down_revision = '5a8a451e7922'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('followup_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('followup_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('case_ids', sa.JSON(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('reply', 'alert', 'sla', 'digest')", name=op.f('ck_followup_mails_kind_valid')),
    sa.CheckConstraint("status IN ('queued', 'claimed', 'sending', 'sent', 'failed', 'bounced', 'cancelled')", name=op.f('ck_followup_mails_status_valid')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_followup_mails_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_followup_mails_followup_id_followups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_followup_mails_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_mails')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_followup_mails_dedupe_key')),
    sa.UniqueConstraint('kind', 'followup_id', 'user_id', name=op.f('uq_followup_mails_kind_followup_id_user_id'))
    )
    with op.batch_alter_table('followup_mails', schema=None) as batch_op:
        batch_op.create_index('ix_followup_mails_due', ['status', 'next_attempt_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_mails_followup_id'), ['followup_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_mails_user_id'), ['user_id'], unique=False)

    op.create_table('followup_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('followup_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('old_value', sa.String(length=64), nullable=True),
    sa.Column('new_value', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('mail_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('opened', 'status', 'assigned', 'priority', 'note', 'reply', 'alert', 'sla_warning')", name=op.f('ck_followup_events_kind_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_followup_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_followup_events_followup_id_followups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mail_id'], ['followup_mails.id'], name=op.f('fk_followup_events_mail_id_followup_mails'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_events'))
    )
    with op.batch_alter_table('followup_events', schema=None) as batch_op:
        batch_op.create_index('ix_followup_events_case', ['followup_id', 'id'], unique=False)
        batch_op.create_index('ix_followup_events_kind_created', ['kind', 'created_dt'], unique=False)

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_rank', sa.SmallInteger(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('first_action_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sla_warned_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f('ix_followups_queue'))
        batch_op.create_index('ix_followups_queue', ['team', 'status', 'priority_rank', 'due_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_followups_open_queue', ['team', 'priority_rank', 'due_dt', 'id'], unique=False, sqlite_where=sa.text("status IN ('new', 'in_progress', 'waiting')"), postgresql_where=sa.text("status IN ('new', 'in_progress', 'waiting')"))
        batch_op.create_index('ix_followups_team_created', ['team', 'created_dt'], unique=False)
        batch_op.create_index('ix_followups_team_ended', ['team', 'ended_dt'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_followups_assignee_id_users'), 'users', ['assignee_id'], ['id'], ondelete='SET NULL')

    # Data: the queue's sort key.
    followups = sa.table('followups', sa.column('priority', sa.String), sa.column('priority_rank', sa.SmallInteger))
    for priority, rank in (('red', 0), ('yellow', 1), ('green', 2)):
        op.execute(followups.update().where(followups.c.priority == priority).values(priority_rank=rank))
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_followups_priority_rank_matches'),
            "(priority = 'red' AND priority_rank = 0) OR (priority = 'yellow' AND priority_rank = 1) "
            "OR (priority = 'green' AND priority_rank = 2)")
        batch_op.create_check_constraint(op.f('ck_followups_outcome_only_when_resolved'), "outcome IS NULL OR status = 'resolved'")

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('has_case_alerts', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('has_daily_digest', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('has_daily_digest')
        batch_op.drop_column('has_case_alerts')

    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_followups_outcome_only_when_resolved'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_followups_priority_rank_matches'), type_='check')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_followups_assignee_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_followups_team_ended')
        batch_op.drop_index('ix_followups_team_created')
        batch_op.drop_index('ix_followups_open_queue', sqlite_where=sa.text("status IN ('new', 'in_progress', 'waiting')"), postgresql_where=sa.text("status IN ('new', 'in_progress', 'waiting')"))
        batch_op.drop_index(batch_op.f('ix_followups_assignee_id'))
        batch_op.drop_index('ix_followups_queue')
        batch_op.create_index(batch_op.f('ix_followups_queue'), ['team', 'status', 'priority', 'due_dt'], unique=False)
        batch_op.drop_column('sla_warned_dt')
        batch_op.drop_column('ended_dt')
        batch_op.drop_column('first_action_dt')
        batch_op.drop_column('outcome')
        batch_op.drop_column('assignee_id')
        batch_op.drop_column('priority_rank')

    with op.batch_alter_table('followup_events', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_events_kind_created')
        batch_op.drop_index('ix_followup_events_case')

    op.drop_table('followup_events')
    with op.batch_alter_table('followup_mails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_mails_user_id'))
        batch_op.drop_index(batch_op.f('ix_followup_mails_followup_id'))
        batch_op.drop_index('ix_followup_mails_due')

    op.drop_table('followup_mails')
