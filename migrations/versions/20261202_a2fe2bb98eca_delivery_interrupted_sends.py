"""Delivery rows count their sends interrupted mid-SMTP: such a send is retried, and reported
"possibly duplicated" once a later send succeeds (issue 13).

Existing rows start at 0 (the server default, kept for rows inserted by the previous code).

Revision ID: a2fe2bb98eca
Revises: 4f1d2c9a7b31
Create Date: 2026-12-02 00:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a2fe2bb98eca'
down_revision = '4f1d2c9a7b31'
branch_labels = None
depends_on = None

TABLES = ('invitation_emails', 'followup_mails')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('interrupted_sends', sa.Integer(), nullable=False,
                                          server_default='0'))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('interrupted_sends')
