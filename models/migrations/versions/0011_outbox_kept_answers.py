"""the answers kept for delivery, by chat: a redelivered update finds its chat's without reading every pending row

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 15:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

KEPT = "kind = 'reply' AND state = 'pending'"


def upgrade() -> None:
    op.create_index('ix_outbox_kept', 'outbox', ['channel', 'chat_id'], sqlite_where=sa.text(KEPT),
                    postgresql_where=sa.text(KEPT))


def downgrade() -> None:
    op.drop_index('ix_outbox_kept', 'outbox')
