"""The promoter loop (issue 17): review links, referral codes, referred people, the promoter
e-mail, and a passive's "what would make it a 10?" on the response.

Only adds tables and a nullable column (expand step).

Revision ID: 3b7d9e2f4a61
Revises: d41e7a2b9c10 (h-ret's activity; c8be8d529cf3 before the merge)
Create Date: 2026-12-02 03:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b7d9e2f4a61'
down_revision = 'd41e7a2b9c10'
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column('id', sa.Integer(), nullable=False)


def _fk(column: str, table: str, owner: str, ondelete: str = 'CASCADE'
        ) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{table}.id'], ondelete=ondelete,
                                   name=op.f(f'fk_{owner}_{column}_{table}'))


def upgrade() -> None:
    op.create_table(
        'promoter_settings', _id(),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('offer', sa.JSON(), server_default='{}', nullable=False),
        sa.Column('is_email_enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
        _fk('survey_id', 'surveys', 'promoter_settings'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promoter_settings')),
        sa.UniqueConstraint('survey_id', name=op.f('uq_promoter_settings_survey_id')),
    )
    op.create_table(
        'review_links', _id(),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=60), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('clicks', sa.Integer(), server_default='0', nullable=False),
        sa.CheckConstraint("url LIKE 'https://%'", name=op.f('ck_review_links_url_https')),
        sa.CheckConstraint('clicks >= 0', name=op.f('ck_review_links_clicks_valid')),
        sa.CheckConstraint('position >= 1 AND position <= 3',
                           name=op.f('ck_review_links_position_valid')),
        _fk('survey_id', 'surveys', 'review_links'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_links')),
        sa.UniqueConstraint('survey_id', 'position',
                            name=op.f('uq_review_links_survey_id_position')),
    )
    op.create_table(
        'promoter_emails', _id(),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('taken_dt', sa.DateTime(timezone=True), nullable=False),
        _fk('response_id', 'responses', 'promoter_emails'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_promoter_emails')),
        sa.UniqueConstraint('response_id', name=op.f('uq_promoter_emails_response_id')),
    )
    op.create_table(
        'referral_codes', _id(),
        sa.Column('response_id', sa.Integer(), nullable=True),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('code_salt', sa.String(length=32), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('opens', sa.Integer(), server_default='0', nullable=False),
        _fk('person_id', 'people', 'referral_codes'),
        _fk('response_id', 'responses', 'referral_codes', 'SET NULL'),
        _fk('survey_id', 'surveys', 'referral_codes'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_codes')),
        sa.UniqueConstraint('code_hash', name=op.f('uq_referral_codes_code_hash')),
        sa.UniqueConstraint('response_id', name=op.f('uq_referral_codes_response_id')),
    )
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_codes_person_id'), ['person_id'])
        batch_op.create_index(batch_op.f('ix_referral_codes_survey_id'), ['survey_id'])
    op.create_table(
        'referrals', _id(),
        sa.Column('code_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('form', 'import', 'api')",
                           name=op.f('ck_referrals_channel_valid')),
        _fk('code_id', 'referral_codes', 'referrals'),
        _fk('person_id', 'people', 'referrals'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
        sa.UniqueConstraint('person_id', name=op.f('uq_referrals_person_id')),
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_code_id'), ['code_id'])
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('improvement', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('improvement')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_code_id'))
    op.drop_table('referrals')
    with op.batch_alter_table('referral_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_codes_survey_id'))
        batch_op.drop_index(batch_op.f('ix_referral_codes_person_id'))
    op.drop_table('referral_codes')
    op.drop_table('promoter_emails')
    op.drop_table('review_links')
    op.drop_table('promoter_settings')
