"""One-click answers kept provisional; suspected answers say why; the scanner note on answers;
public-link answers counted per address and day.

Existing flagged answers keep their flag without a reason (they were flagged on the link's
history, which no longer flags; a person still decides on them on the wave page).

Revision ID: 5c3e9a1d7f20
Revises: 4f1d2c9a7b31
Create Date: 2026-12-02 01:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5c3e9a1d7f20'
down_revision = 'a2fe2bb98eca'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspected_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('is_after_scanner', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_check_constraint(
            op.f('ck_responses_suspected_reason_valid'),
            "suspected_reason IS NULL OR suspected_reason IN ('honeypot', 'too_fast', 'burst')")
    op.create_table(
        'provisional_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('clicked_dt', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('score >= 0 AND score <= 10',
                           name=op.f('ck_provisional_answers_score_range')),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'],
                                name=op.f('fk_provisional_answers_invitation_id_invitations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_provisional_answers')),
        sa.UniqueConstraint('invitation_id', name=op.f('uq_provisional_answers_invitation_id')),
    )
    op.create_index(op.f('ix_provisional_answers_clicked_dt'), 'provisional_answers',
                    ['clicked_dt'], unique=False)
    op.create_table(
        'public_answer_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('address_digest', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('answers', sa.Integer(), nullable=False),
        sa.Column('burst_start_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('burst_answers', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'],
                                name=op.f('fk_public_answer_counts_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_answer_counts')),
        sa.UniqueConstraint('survey_id', 'address_digest', 'day',
                            name=op.f('uq_public_answer_counts_survey_id_address_digest_day')),
    )
    op.create_index(op.f('ix_public_answer_counts_day'), 'public_answer_counts', ['day'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_public_answer_counts_day'), table_name='public_answer_counts')
    op.drop_table('public_answer_counts')
    op.drop_index(op.f('ix_provisional_answers_clicked_dt'), table_name='provisional_answers')
    op.drop_table('provisional_answers')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_responses_suspected_reason_valid'), type_='check')
        batch_op.drop_column('is_after_scanner')
        batch_op.drop_column('suspected_reason')
