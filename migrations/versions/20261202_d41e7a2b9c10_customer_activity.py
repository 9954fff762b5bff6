"""Customer activity: purchases, renewals, cancellations and reactivations (issue 17).

Revision ID: d41e7a2b9c10
Revises: e4b7d21f9a60
Create Date: 2026-12-02 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd41e7a2b9c10'
down_revision = "e4b7d21f9a60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'activities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('purchase', 'renewal', 'cancellation', 'reactivation')",
                           name=op.f('ck_activities_kind_valid')),
        sa.CheckConstraint('amount >= 0', name=op.f('ck_activities_amount_not_negative')),
        sa.CheckConstraint('length(currency) = 3', name=op.f('ck_activities_currency_length')),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                                name=op.f('fk_activities_person_id_people'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_activities')),
        sa.UniqueConstraint('external_id', name=op.f('uq_activities_external_id')),
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_person_occurred',
                              ['person_id', 'occurred_on', 'kind'], unique=False)
        batch_op.create_index('ix_activities_occurred', ['occurred_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_occurred')
        batch_op.drop_index('ix_activities_person_occurred')
    op.drop_table('activities')
