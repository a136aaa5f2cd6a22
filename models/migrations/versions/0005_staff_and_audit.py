"""staff roles, and an audit log that says who looked at whose record

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 02:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff',
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('account.id'), primary_key=True),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id'), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table('audit_log') as batch:
        batch.add_column(sa.Column('role', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id', name='fk_audit_site'),
                                   nullable=True))
        batch.add_column(sa.Column('person_id', sa.Integer(), sa.ForeignKey('person.id', name='fk_audit_person'),
                                   nullable=True))
        batch.add_column(sa.Column('result', sa.String(length=40), nullable=False, server_default='ok'))
        batch.create_index('ix_audit_person', ['person_id', 'created_at'])


def downgrade() -> None:
    with op.batch_alter_table('audit_log') as batch:
        batch.drop_index('ix_audit_person')
        batch.drop_column('result')
        batch.drop_column('person_id')
        batch.drop_column('site_id')
        batch.drop_column('role')
    op.drop_table('staff')
