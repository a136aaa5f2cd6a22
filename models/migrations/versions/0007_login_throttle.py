"""wrong passwords counted per (phone, source) instead of locking the account

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 03:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=64), primary_key=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('blocked_until', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_login_throttle_updated_at', 'login_throttle', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_login_throttle_updated_at', 'login_throttle')
    op.drop_table('login_throttle')
