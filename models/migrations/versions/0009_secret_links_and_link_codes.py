"""one-time password page links (chats that cannot delete a message) and codes linking a chat to an account

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'secret_link',
        sa.Column('token_hash', sa.String(length=64), primary_key=True),
        sa.Column('conversation_key', sa.String(length=120), nullable=False),
        sa.Column('step', sa.String(length=80), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used', sa.Boolean(), nullable=False),
    )
    op.create_index('ix_secret_link_expires_at', 'secret_link', ['expires_at'])
    op.create_table(
        'link_code',
        sa.Column('code_hash', sa.String(length=64), primary_key=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('account.id'), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_link_code_expires_at', 'link_code', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_link_code_expires_at', 'link_code')
    op.drop_table('link_code')
    op.drop_index('ix_secret_link_expires_at', 'secret_link')
    op.drop_table('secret_link')
