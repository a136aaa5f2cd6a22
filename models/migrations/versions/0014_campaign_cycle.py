"""the campaign's cycle: a registration carries the person's course (the dose due, from when, never before when),
the doctor's screening decision, and whether a declared earlier dose was confirmed

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

def _columns() -> tuple[sa.Column, ...]:  # type: ignore[type-arg]
    return (
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('earliest_on', sa.Date(), nullable=True),
        sa.Column('due_told_on', sa.Date(), nullable=True),
        sa.Column('decision', sa.String(length=10), nullable=True),
        sa.Column('decision_note', sa.String(length=200), nullable=True),
        sa.Column('decision_place', sa.String(length=200), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('declared_dose_id', sa.Integer(), nullable=True),
    )


def upgrade() -> None:
    # Native ADD COLUMN (nullable, no constraint): a batch copy would drop the table other tables point at.
    for column in _columns():
        op.add_column('registration', column)
    op.create_index('ix_registration_site_status', 'registration', ['site_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_registration_site_status', table_name='registration')
    for column in reversed(_columns()):
        op.drop_column('registration', column.name)
