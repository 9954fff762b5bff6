"""Invitations remember their latest scanner activity, so an answer need not read the link history.

Not backfilled: the stamp matters for SCANNER_WINDOW_MINUTES (10) after a scan, and opens
recorded from now on set it.

Revision ID: 4f1d2c9a7b31
Revises: 9b1e4c7d2a60
Create Date: 2026-11-30 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '4f1d2c9a7b31'
down_revision = '9b1e4c7d2a60'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scanner_dt', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('scanner_dt')
