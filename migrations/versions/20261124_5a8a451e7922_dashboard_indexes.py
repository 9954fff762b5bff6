"""Dashboard indexes: category filter within a period, anonymous comments in hash order.

Revision ID: 5a8a451e7922
Revises: 8a7a774b29fe
Create Date: 2026-11-24 13:00:00

* ix_responses_survey_category gains submitted_dt: a category filter (or the top-words
  sample of one category) reads only that category's rows of the period.
* ix_responses_survey_token (survey, token digest): the comments of an anonymous survey and
  its export are listed in hash order, which this index gives without sorting the survey.

See docs/dashboards.md for the EXPLAIN plans on SQLite and PostgreSQL.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5a8a451e7922'
down_revision = '8a7a774b29fe'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_category')
        batch_op.create_index('ix_responses_survey_category',
                              ['survey_id', 'category', 'submitted_dt'], unique=False)
        batch_op.create_index('ix_responses_survey_token', ['survey_id', 'token_digest'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_token')
        batch_op.drop_index('ix_responses_survey_category')
        batch_op.create_index('ix_responses_survey_category', ['survey_id', 'category'],
                              unique=False)
