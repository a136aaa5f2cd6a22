"""person: ethnicity and nationality (domain §2's optional fields)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('ethnicity', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('nationality', sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.drop_column('nationality')
        batch.drop_column('ethnicity')
