"""The API's read side (issue 14): incremental sync of responses, API tokens on case timelines.

- ``responses.updated_dt`` becomes "last written" (first answer or the respondent's change),
  so identified answers can be read in the order they changed: existing identified rows get
  their submission time, and ``ix_responses_survey_updated`` serves the keyset pages.
  Anonymous answers keep no time (NULL, as before). Expand only: the previous code leaves new
  rows NULL until it is restarted, which the API's sync then does not list (docs/api.md).
- ``followup_events.actor_token_name``: the API token that acted, by name (kept after the
  token is revoked), for case timelines worked from a helpdesk.

Revision ID: 442ef02de3ea
Revises: d41e7a2b9c03
Create Date: 2026-12-02 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '442ef02de3ea'
down_revision = 'd41e7a2b9c03'
branch_labels = None
depends_on = None

responses = sa.table('responses', sa.column('updated_dt', sa.DateTime(timezone=True)),
                     sa.column('submitted_dt', sa.DateTime(timezone=True)),
                     sa.column('is_anonymous', sa.Boolean))


def upgrade() -> None:
    op.execute(responses.update()
               .where(responses.c.updated_dt.is_(None), responses.c.is_anonymous.is_(False))
               .values(updated_dt=responses.c.submitted_dt))
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_survey_updated', ['survey_id', 'updated_dt', 'id'],
                              unique=False)
    with op.batch_alter_table('followup_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_token_name', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('followup_events', schema=None) as batch_op:
        batch_op.drop_column('actor_token_name')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_updated')
