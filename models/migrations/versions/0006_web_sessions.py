"""web chat sessions issued by the server (the cookie's token, hashed, and its chat)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 03:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_session',
        sa.Column('token_hash', sa.String(length=64), primary_key=True),
        sa.Column('chat_id', sa.String(length=64), nullable=False, unique=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_web_session_seen_at', 'web_session', ['seen_at'])


def downgrade() -> None:
    op.drop_index('ix_web_session_seen_at', 'web_session')
    op.drop_table('web_session')
