"""Themes: the themes each response's texts mention, and a survey's own themes and terms
(with a stamp on the survey, so answers are tagged without reading them).

Only new tables: the previous release never reads or writes them. Stored comments get their
themes from ``polso themes retag`` (docs/themes.md).

Revision ID: e4b7d21f9a60
Revises: e5b7c1d9a3f2
Create Date: 2026-12-02 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e4b7d21f9a60'
down_revision = "e5b7c1d9a3f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('themes_stamp', sa.String(length=16), nullable=True))
    op.create_table(
        'response_themes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('theme', sa.String(length=40), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'],
                                name=op.f('fk_response_themes_question_id_questions'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['response_id'], ['responses.id'],
                                name=op.f('fk_response_themes_response_id_responses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'],
                                name=op.f('fk_response_themes_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_response_themes')),
        sa.UniqueConstraint('response_id', 'theme', 'question_id',
                            name=op.f('uq_response_themes_response_id_theme_question_id')),
    )
    op.create_index(op.f('ix_response_themes_response_id'), 'response_themes',
                    ['response_id'], unique=False)
    op.create_index('ix_response_themes_survey_theme', 'response_themes',
                    ['survey_id', 'theme', 'response_id'], unique=False)
    op.create_table(
        'survey_themes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'],
                                name=op.f('fk_survey_themes_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_themes')),
        sa.UniqueConstraint('survey_id', 'key', name=op.f('uq_survey_themes_survey_id_key')),
    )
    op.create_table(
        'survey_theme_terms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('theme', sa.String(length=40), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('term', sa.String(length=60), nullable=False),
        sa.CheckConstraint("lang IN ('en', 'it')", name=op.f('ck_survey_theme_terms_lang_valid')),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'],
                                name=op.f('fk_survey_theme_terms_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_theme_terms')),
        sa.UniqueConstraint('survey_id', 'theme', 'lang', 'term',
                            name=op.f('uq_survey_theme_terms_survey_id_theme_lang_term')),
    )
    op.create_index(op.f('ix_survey_theme_terms_survey_id'), 'survey_theme_terms',
                    ['survey_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_survey_theme_terms_survey_id'), table_name='survey_theme_terms')
    op.drop_table('survey_theme_terms')
    op.drop_table('survey_themes')
    op.drop_index('ix_response_themes_survey_theme', table_name='response_themes')
    op.drop_index(op.f('ix_response_themes_response_id'), table_name='response_themes')
    op.drop_table('response_themes')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('themes_stamp')
