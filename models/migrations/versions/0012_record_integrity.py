"""kept site records waiting for staff, claims of a document registered by another account, usage budgets,
revoked credentials (of deleted people)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('site_record') as batch:
        batch.add_column(sa.Column('candidate_person_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_site_record_candidate', 'person', ['candidate_person_id'], ['id'])
        batch.create_index('ix_site_record_candidate_person_id', ['candidate_person_id'])
    op.create_table(
        'document_claim',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('person.id'), nullable=False),
        sa.Column('claimant_account_id', sa.Integer(), sa.ForeignKey('account.id'), nullable=False),
        sa.Column('site_id', sa.Integer(), sa.ForeignKey('site.id'), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('open_key', sa.String(length=80), nullable=True, unique=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
    )
    op.create_index('ix_document_claim_person_id', 'document_claim', ['person_id'])
    op.create_index('ix_audit_actor', 'audit_log', ['actor_account_id', 'action', 'created_at'])
    op.create_table(
        'usage_counter',
        sa.Column('key', sa.String(length=64), primary_key=True),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
    )
    op.create_index('ix_usage_counter_window_start', 'usage_counter', ['window_start'])
    op.create_table(
        'revoked_credential',
        sa.Column('id', sa.String(length=64), primary_key=True),
        sa.Column('revoked_at', sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('revoked_credential')
    op.drop_index('ix_usage_counter_window_start', 'usage_counter')
    op.drop_table('usage_counter')
    op.drop_index('ix_audit_actor', 'audit_log')
    op.drop_index('ix_document_claim_person_id', 'document_claim')
    op.drop_table('document_claim')
    with op.batch_alter_table('site_record') as batch:
        batch.drop_index('ix_site_record_candidate_person_id')
        batch.drop_constraint('fk_site_record_candidate', type_='foreignkey')
        batch.drop_column('candidate_person_id')
