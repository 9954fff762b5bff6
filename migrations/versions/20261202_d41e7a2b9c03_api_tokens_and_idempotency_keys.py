"""API tokens and idempotency keys (issue 14)

Revision ID: d41e7a2b9c03
Revises: c8be8d529cf3
Create Date: 2026-12-02 03:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd41e7a2b9c03'
down_revision = 'c8be8d529cf3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_dt', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_dt', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'hr', 'support', 'viewer')",
                           name=op.f('ck_api_tokens_role_valid')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_api_tokens_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    op.create_index('uq_api_tokens_name_active', 'api_tokens', ['name'], unique=True,
                    sqlite_where=sa.text('revoked_dt IS NULL'),
                    postgresql_where=sa.text('revoked_dt IS NULL'))
    op.create_table(
        'api_idempotency_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=True),
        sa.Column('response_body', sa.Text(), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=True),
        sa.Column('created_dt', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('status_code IS NULL OR (status_code >= 200 AND status_code < 500)',
                           name=op.f('ck_api_idempotency_keys_status_code_valid')),
        sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'],
                                name=op.f('fk_api_idempotency_keys_token_id_api_tokens'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency_keys')),
        sa.UniqueConstraint('token_id', 'key', name=op.f('uq_api_idempotency_keys_token_id_key')),
    )
    op.create_index(op.f('ix_api_idempotency_keys_created_dt'), 'api_idempotency_keys',
                    ['created_dt'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_api_idempotency_keys_created_dt'), table_name='api_idempotency_keys')
    op.drop_table('api_idempotency_keys')
    op.drop_index('uq_api_tokens_name_active', table_name='api_tokens')
    op.drop_table('api_tokens')
