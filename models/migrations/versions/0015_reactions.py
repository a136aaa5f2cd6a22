"""reactions after vaccination: what the citizen reported, the day-after question asked once per dose, and the
site's phone number to call; a person merged into another (a duplicate record)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('dose_id', sa.Integer(), nullable=True),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('reported_by', sa.Integer(), nullable=False),
        sa.Column('began_on', sa.Date(), nullable=False),
        sa.Column('signs', sa.JSON(), nullable=False),
        sa.Column('details', sa.String(length=500), nullable=True),
        sa.Column('severity', sa.String(length=10), nullable=False),
        sa.Column('serious', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name='fk_reaction_person'),
        sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_reaction_site'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reaction_site_created', 'reaction', ['site_id', 'created_at'])
    op.create_index('ix_reaction_person', 'reaction', ['person_id'])
    # Native ADD COLUMN (nullable): a batch copy would drop the table other tables point at.
    op.add_column('dose', sa.Column('followed_up_at', sa.DateTime(), nullable=True))
    op.add_column('site', sa.Column('phone', sa.String(length=20), nullable=True))
    op.add_column('person', sa.Column('merged_into', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('person', 'merged_into')
    op.drop_column('site', 'phone')
    op.drop_column('dose', 'followed_up_at')
    op.drop_index('ix_reaction_person', table_name='reaction')
    op.drop_index('ix_reaction_site_created', table_name='reaction')
    op.drop_table('reaction')
