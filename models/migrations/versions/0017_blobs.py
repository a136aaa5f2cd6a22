"""pictures and files in the database, for deployments of several nodes (one node keeps them in its data
directory): a QR link served by one node works on another

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'blob',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('meta', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_index('ix_blob_created_at', 'blob', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_blob_created_at', table_name='blob')
    op.drop_table('blob')
