"""Dashboard index: the survey/time index also covers score and the automated flag.

Revision ID: 347accc95a4a
Revises: c051182b8bf4
Create Date: 2026-11-24 13:05:00

Counting a period's scores (the dashboard's previous-period comparison, and any
GROUP BY score of a period) then reads the index alone: an index-only scan on PostgreSQL
(52 → 16 ms for 126,000 rows) and a covering index on SQLite (60 → 33 ms). Range scans on
(survey, submitted time) use it exactly as before.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '347accc95a4a'
down_revision = 'c051182b8bf4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_submitted')
        batch_op.create_index('ix_responses_survey_submitted',
                              ['survey_id', 'submitted_dt', 'score', 'is_suspected_automated'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_survey_submitted')
        batch_op.create_index('ix_responses_survey_submitted', ['survey_id', 'submitted_dt'],
                              unique=False)
