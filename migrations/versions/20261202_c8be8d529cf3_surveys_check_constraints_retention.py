"""The four CHECK constraints on surveys that the models declared but no migration created;
retention: a survey's period, and when each response was anonymised.

Autogenerate does not compare CHECK constraints, so ``db check`` never noticed
(tests/test_migrations.py now compares every table's constraints with the models). Values a
constraint would refuse are first brought into range, as the forms always did.

Revision ID: c8be8d529cf3
Revises: 4f1d2c9a7b31
Create Date: 2026-12-02 00:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c8be8d529cf3'
down_revision = '7c3e5a9d1b24'
branch_labels = None
depends_on = None

surveys = sa.table(
    'surveys', sa.column('throttle_days', sa.Integer), sa.column('reminder_count', sa.Integer),
    sa.column('reminder_after_days', sa.Integer), sa.column('cadence', sa.String),
)

CHECKS = {
    'throttle_days_valid': 'throttle_days >= 0',
    'reminder_count_valid': 'reminder_count >= 0 AND reminder_count <= 2',
    'reminder_after_days_valid': 'reminder_after_days >= 1',
    'cadence_valid': "cadence IN ('weekly', 'monthly', 'quarterly')",
}


def upgrade() -> None:
    op.execute(surveys.update().where(surveys.c.throttle_days < 0).values(throttle_days=0))
    op.execute(surveys.update().where(surveys.c.reminder_count < 0).values(reminder_count=0))
    op.execute(surveys.update().where(surveys.c.reminder_count > 2).values(reminder_count=2))
    op.execute(surveys.update().where(surveys.c.reminder_after_days < 1)
               .values(reminder_after_days=1))
    op.execute(surveys.update()
               .where(surveys.c.cadence.not_in(['weekly', 'monthly', 'quarterly']))
               .values(cadence=None))
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(batch_op.f(f'ck_surveys_{name}'), condition)
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_surveys_retention_days_valid'),
                                         'retention_days >= 30')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_dt', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('anonymised_dt')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_surveys_retention_days_valid'), type_='check')
        batch_op.drop_column('retention_days')
        for name in CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_surveys_{name}'), type_='check')
