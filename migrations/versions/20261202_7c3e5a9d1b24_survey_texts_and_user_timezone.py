"""Survey texts per language (title, intro, thank-you, e-mail) and each staff user's time zone.

``surveys.texts`` starts empty: every text then falls back to the survey's title and the standard
wording, as before. ``users.timezone`` NULL means the instance's ``POLSO_TIMEZONE``.

Revision ID: 7c3e5a9d1b24
Revises: 4f1d2c9a7b31
Create Date: 2026-12-02 00:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c3e5a9d1b24'
down_revision = '5c3e9a1d7f20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts', sa.JSON(), server_default='{}', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('texts')
