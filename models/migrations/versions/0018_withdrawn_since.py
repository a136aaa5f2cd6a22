"""the checkpoint's list by what changed since a device's last sync: credentials by when they were replaced,
revoked ones by when

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 14:00:00
"""
from __future__ import annotations

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_credential_superseded_at', 'credential', ['superseded_at'])
    op.create_index('ix_revoked_credential_revoked_at', 'revoked_credential', ['revoked_at'])


def downgrade() -> None:
    op.drop_index('ix_revoked_credential_revoked_at', table_name='revoked_credential')
    op.drop_index('ix_credential_superseded_at', table_name='credential')
