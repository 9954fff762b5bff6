"""Follow-up cases may be opened from a red health light: reason ``health`` (issue 17).

Widens a CHECK constraint (expand step: old code never writes the new value).

Revision ID: 6e2a4c8d1f37
Revises: 3b7d9e2f4a61
Create Date: 2026-12-02 03:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '6e2a4c8d1f37'
down_revision = '3b7d9e2f4a61'
branch_labels = None
depends_on = None

followups = sa.table('followups', sa.column('reason', sa.String))


def _reasons(*reasons: str) -> str:
    return 'reason IN (' + ', '.join(f"'{r}'" for r in reasons) + ')'


def upgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_followups_reason_valid'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_followups_reason_valid'),
            _reasons('detractor', 'mismatch', 'contact_request', 'health'))


def downgrade() -> None:
    # The older code knows no such reason: those cases read as opened for a detractor.
    op.execute(followups.update().where(followups.c.reason == 'health')
               .values(reason='detractor'))
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_followups_reason_valid'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_followups_reason_valid'),
                                         _reasons('detractor', 'mismatch', 'contact_request'))
