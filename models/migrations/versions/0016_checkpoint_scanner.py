"""the checkpoint scanner in the browser: devices signed in by a one-time link from the chat, and the counts of
what they checked (no names, no ids)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 11:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'scanner_device',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('link_hash', sa.String(length=64), nullable=True),
        sa.Column('link_expires_at', sa.DateTime(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('signed_in_at', sa.DateTime(), nullable=True),
        sa.Column('seen_at', sa.DateTime(), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['account_id'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('link_hash'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_scanner_device_account_id', 'scanner_device', ['account_id'])
    op.create_table(
        'checkpoint_count',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('verdict', sa.String(length=20), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['device_id'], ['scanner_device.id']),
        sa.PrimaryKeyConstraint('day', 'device_id', 'verdict'),
    )


def downgrade() -> None:
    op.drop_table('checkpoint_count')
    op.drop_index('ix_scanner_device_account_id', table_name='scanner_device')
    op.drop_table('scanner_device')
