"""one-time codes sent by SMS (hashed), to prove a phone number

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 03:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'one_time_code',
        sa.Column('key', sa.String(length=64), primary_key=True),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_one_time_code_window_start', 'one_time_code', ['window_start'])


def downgrade() -> None:
    op.drop_index('ix_one_time_code_window_start', 'one_time_code')
    op.drop_table('one_time_code')
