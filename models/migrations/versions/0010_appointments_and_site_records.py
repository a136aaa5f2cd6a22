"""appointments given by sites, imported dose records kept until their person registers, delivery batches

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 06:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'appointment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('registration_id', sa.Integer(), sa.ForeignKey('registration.id'), nullable=False),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id'), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('session', sa.String(length=10), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('open_key', sa.Integer(), nullable=True, unique=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('reminded_at', sa.DateTime(), nullable=True),
    )
    op.create_index('ix_appointment_registration_id', 'appointment', ['registration_id'])
    op.create_index('ix_appointment_site_day', 'appointment', ['site_id', 'day', 'state'])
    op.create_table(
        'import_batch',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id'), nullable=True),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_table(
        'site_record',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('batch_id', sa.Integer(), sa.ForeignKey('import_batch.id'), nullable=False),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id'), nullable=True),
        sa.Column('row_number', sa.Integer(), nullable=False),
        sa.Column('full_name', sa.String(length=120), nullable=False),
        sa.Column('name_key', sa.String(length=120), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=False),
        sa.Column('sex', sa.String(length=1), nullable=True),
        sa.Column('id_number', sa.String(length=20), nullable=True),
        sa.Column('phone', sa.String(length=16), nullable=True),
        sa.Column('vaccine', sa.String(length=20), nullable=False),
        sa.Column('lot', sa.String(length=40), nullable=False),
        sa.Column('given_on', sa.Date(), nullable=False),
        sa.Column('dose_number', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_site_record_batch_id', 'site_record', ['batch_id'])
    op.create_index('ix_site_record_id_number', 'site_record', ['id_number'])
    op.create_index('ix_site_record_name', 'site_record', ['name_key', 'birth_date'])
    op.create_index('ix_site_record_created_at', 'site_record', ['created_at'])
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('batch', sa.String(length=40), nullable=True))
    op.create_index('ix_outbox_batch', 'outbox', ['batch'])


def downgrade() -> None:
    op.drop_index('ix_outbox_batch', 'outbox')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('batch')
    for index, name in (('ix_site_record_created_at', 'site_record'), ('ix_site_record_name', 'site_record'),
                        ('ix_site_record_id_number', 'site_record'), ('ix_site_record_batch_id', 'site_record')):
        op.drop_index(index, name)
    op.drop_table('site_record')
    op.drop_table('import_batch')
    op.drop_index('ix_appointment_site_day', 'appointment')
    op.drop_index('ix_appointment_registration_id', 'appointment')
    op.drop_table('appointment')
