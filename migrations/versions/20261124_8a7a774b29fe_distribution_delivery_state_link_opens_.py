"""Distribution: e-mail delivery state, link opens, throttle, reminders, recurring rounds.

Revision ID: 8a7a774b29fe
Revises: 648aef514658
Create Date: 2026-11-24 12:24:19.565784

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a7a774b29fe'
down_revision = '648aef514658'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitation_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('claimed_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'claimed', 'sending', 'sent', 'failed', 'bounced', 'cancelled')", name=op.f('ck_invitation_emails_status_valid')),
    sa.CheckConstraint('sequence >= 0 AND sequence <= 2', name=op.f('ck_invitation_emails_sequence_valid')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_emails_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_emails')),
    sa.UniqueConstraint('invitation_id', 'sequence', name=op.f('uq_invitation_emails_invitation_id_sequence'))
    )
    with op.batch_alter_table('invitation_emails', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_emails_due', ['status', 'next_attempt_dt'], unique=False)

    op.create_table('link_opens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('is_honeypot', sa.Boolean(), nullable=False),
    sa.Column('opened_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_link_opens_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_opens'))
    )
    with op.batch_alter_table('link_opens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_opens_invitation_id'), ['invitation_id'], unique=False)

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('sent_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_mailed_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('bounced_dt', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bounced_dt', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_suspected_automated', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('throttle_days', sa.Integer(), server_default='30', nullable=False))
        batch_op.add_column(sa.Column('reminder_count', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('reminder_after_days', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('cadence', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('cadence_audience', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('next_round_dt', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience_filter', sa.JSON(), server_default='{}', nullable=False))
        batch_op.add_column(sa.Column('scheduled_dt', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_waves_survey_id_scheduled_dt'), ['survey_id', 'scheduled_dt'])



def downgrade() -> None:
    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_waves_survey_id_scheduled_dt'), type_='unique')
        batch_op.drop_column('scheduled_dt')
        batch_op.drop_column('audience_filter')

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('next_round_dt')
        batch_op.drop_column('cadence_audience')
        batch_op.drop_column('cadence')
        batch_op.drop_column('reminder_after_days')
        batch_op.drop_column('reminder_count')
        batch_op.drop_column('throttle_days')

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('is_suspected_automated')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('bounced_dt')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('bounced_dt')
        batch_op.drop_column('failed_dt')
        batch_op.drop_column('last_mailed_dt')
        batch_op.drop_column('sent_dt')
        batch_op.drop_column('token_salt')

    with op.batch_alter_table('link_opens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_opens_invitation_id'))

    op.drop_table('link_opens')
    with op.batch_alter_table('invitation_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_invitation_emails_due')

    op.drop_table('invitation_emails')
