"""Initial schema: people, surveys, questions, waves, invitations, responses, answers, follow-ups.

Revision ID: 65dc5a1d491d
Revises: 
Create Date: 2026-11-24 12:11:51.580085

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '65dc5a1d491d'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('people',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('unsubscribed_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('customer', 'employee')", name=op.f('ck_people_kind_valid')),
    sa.CheckConstraint("locale IN ('en', 'it')", name=op.f('ck_people_locale_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('email', name=op.f('uq_people_email'))
    )
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('anonymity', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('default_locale', sa.String(length=8), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('link_lifetime_days', sa.Integer(), nullable=False),
    sa.Column('edit_window_hours', sa.Integer(), nullable=False),
    sa.Column('min_group_size', sa.Integer(), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("anonymity IN ('identified', 'anonymous')", name=op.f('ck_surveys_anonymity_valid')),
    sa.CheckConstraint("audience IN ('customers', 'employees')", name=op.f('ck_surveys_audience_valid')),
    sa.CheckConstraint("kind IN ('nps', 'csat', 'enps', 'pulse')", name=op.f('ck_surveys_kind_valid')),
    sa.CheckConstraint("status IN ('draft', 'active', 'closed')", name=op.f('ck_surveys_status_valid')),
    sa.CheckConstraint('edit_window_hours >= 0', name=op.f('ck_surveys_edit_window_valid')),
    sa.CheckConstraint('link_lifetime_days > 0', name=op.f('ck_surveys_link_lifetime_valid')),
    sa.CheckConstraint('min_group_size >= 3', name=op.f('ck_surveys_min_group_size_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('slug', name=op.f('uq_surveys_slug'))
    )
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('is_required', sa.Boolean(), nullable=False),
    sa.CheckConstraint("kind IN ('score', 'agreement', 'choice', 'text')", name=op.f('ck_questions_kind_valid')),
    sa.CheckConstraint('position >= 0 AND position <= 9', name=op.f('ck_questions_position_valid')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_questions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_questions_survey_id_position'))
    )
    op.create_table('waves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('started_dt', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_waves_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waves'))
    )
    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waves_survey_id'), ['survey_id'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'sent', 'opened', 'responded', 'bounced', 'failed', 'expired')", name=op.f('ck_invitations_status_valid')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_invitations_person_id_people')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_invitations_survey_id_surveys')),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_invitations_wave_id_waves')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_invitations_survey_status', ['survey_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_wave_id'), ['wave_id'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('is_anonymous', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('sentiment_polarity', sa.Float(), nullable=True),
    sa.Column('sentiment_label', sa.String(length=8), nullable=False),
    sa.Column('sentiment_analyzer', sa.String(length=32), nullable=False),
    sa.Column('is_mismatch', sa.Boolean(), nullable=False),
    sa.Column('is_contact_requested', sa.Boolean(), nullable=False),
    sa.Column('segment', sa.JSON(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('submitted_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_dt', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("category IN ('promoter', 'passive', 'detractor', 'satisfied', 'neutral', 'dissatisfied')", name=op.f('ck_responses_category_valid')),
    sa.CheckConstraint("channel IN ('email', 'link', 'public', 'api')", name=op.f('ck_responses_channel_valid')),
    sa.CheckConstraint("sentiment_label IN ('negative', 'neutral', 'positive', 'unknown')", name=op.f('ck_responses_sentiment_label_valid')),
    sa.CheckConstraint('is_anonymous = false OR invitation_id IS NULL', name=op.f('ck_responses_anonymous_has_no_invitation')),
    sa.CheckConstraint('score >= 0 AND score <= 10', name=op.f('ck_responses_score_range')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_responses_invitation_id_invitations')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_responses_person_id_people')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_responses_survey_id_surveys')),
    sa.ForeignKeyConstraint(['wave_id'], ['waves.id'], name=op.f('fk_responses_wave_id_waves')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_responses_invitation_id')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_responses_token_digest'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_responses_survey_category', ['survey_id', 'category'], unique=False)
        batch_op.create_index('ix_responses_survey_submitted', ['survey_id', 'submitted_dt'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_wave_id'), ['wave_id'], unique=False)

    op.create_table('answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value_int', sa.Integer(), nullable=True),
    sa.Column('value_text', sa.Text(), nullable=True),
    sa.CheckConstraint('value_int IS NULL OR value_int >= 0', name=op.f('ck_answers_value_int_valid')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_answers_question_id_questions')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_answers_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answers')),
    sa.UniqueConstraint('response_id', 'question_id', name=op.f('uq_answers_response_id_question_id'))
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_question_id'), ['question_id'], unique=False)

    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_dt', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("priority IN ('red', 'yellow', 'green')", name=op.f('ck_followups_priority_valid')),
    sa.CheckConstraint("reason IN ('detractor', 'mismatch', 'contact_request')", name=op.f('ck_followups_reason_valid')),
    sa.CheckConstraint("status IN ('new', 'in_progress', 'waiting', 'resolved', 'closed')", name=op.f('ck_followups_status_valid')),
    sa.CheckConstraint("team IN ('support', 'hr')", name=op.f('ck_followups_team_valid')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_followups_person_id_people')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_followups_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups')),
    sa.UniqueConstraint('response_id', name=op.f('uq_followups_response_id'))
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_followups_queue', ['team', 'status', 'priority', 'due_dt'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_queue')
        batch_op.drop_index(batch_op.f('ix_followups_person_id'))

    op.drop_table('followups')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_question_id'))

    op.drop_table('answers')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_wave_id'))
        batch_op.drop_index('ix_responses_survey_submitted')
        batch_op.drop_index('ix_responses_survey_category')
        batch_op.drop_index(batch_op.f('ix_responses_person_id'))

    op.drop_table('responses')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_wave_id'))
        batch_op.drop_index('ix_invitations_survey_status')
        batch_op.drop_index(batch_op.f('ix_invitations_person_id'))

    op.drop_table('invitations')
    with op.batch_alter_table('waves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waves_survey_id'))

    op.drop_table('waves')
    op.drop_table('questions')
    op.drop_table('surveys')
    op.drop_table('people')
