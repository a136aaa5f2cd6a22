"""the account's lock-out columns dropped: wrong passwords slow down a (phone, source) pair instead (login_throttle)
and nothing read them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE … DROP COLUMN, natively (SQLite 3.35+): a batch copy would drop the table other tables point at.
    op.drop_column('account', 'failed_logins')
    op.drop_column('account', 'locked_until')


def downgrade() -> None:
    op.add_column('account', sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('account', sa.Column('locked_until', sa.DateTime(), nullable=True))
