"""Mediation: mediator roster (profiles, absences, declared relationships), each dispute's
mediation record, its assignment history and recusal requests.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25 06:30:00

Additive only: new tables, nothing existing changes (safe with the previous release's code).
"""
from alembic import op
import sqlalchemy as sa
import engine.models.base
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mediator_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('expertise', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('technical_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('languages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('max_active_cases', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', engine.models.base.TZDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mediator_profiles_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediator_profiles')),
    sa.UniqueConstraint('user_id', name=op.f('uq_mediator_profiles_user_id'))
    )
    op.create_table('mediator_absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('substitute_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', engine.models.base.TZDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['mediator_profiles.id'], name=op.f('fk_mediator_absences_profile_id_mediator_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['substitute_id'], ['users.id'], name=op.f('fk_mediator_absences_substitute_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediator_absences'))
    )
    op.create_index(op.f('ix_mediator_absences_profile_id'), 'mediator_absences', ['profile_id'], unique=False)
    op.create_table('mediator_relationships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('party_name', sa.String(length=200), nullable=False),
    sa.Column('party_uscc', sa.String(length=18), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('declared_at', engine.models.base.TZDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['mediator_profiles.id'], name=op.f('fk_mediator_relationships_profile_id_mediator_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediator_relationships'))
    )
    op.create_index(op.f('ix_mediator_relationships_party_uscc'), 'mediator_relationships', ['party_uscc'], unique=False)
    op.create_index(op.f('ix_mediator_relationships_profile_id'), 'mediator_relationships', ['profile_id'], unique=False)
    op.create_table('mediations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('centre_unit_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('court_name', sa.String(length=100), nullable=True),
    sa.Column('court_case_number', sa.String(length=80), nullable=True),
    sa.Column('court_deadline', sa.Date(), nullable=True),
    sa.Column('court_procedure', sa.String(length=20), nullable=True),
    sa.Column('referred_from', sa.String(length=60), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=True),
    sa.Column('mediator_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('accepted_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('clock', sa.String(length=60), nullable=True),
    sa.Column('agreement_text', sa.Text(), nullable=True),
    sa.Column('agreement_signed_on', sa.Date(), nullable=True),
    sa.Column('opened_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('closed_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_mediations_case_id_cases')),
    sa.ForeignKeyConstraint(['centre_unit_id'], ['units.id'], name=op.f('fk_mediations_centre_unit_id_units')),
    sa.ForeignKeyConstraint(['instance_id'], ['workflow_instances.id'], name=op.f('fk_mediations_instance_id_workflow_instances')),
    sa.ForeignKeyConstraint(['mediator_id'], ['users.id'], name=op.f('fk_mediations_mediator_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediations')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_mediations_instance_id'))
    )
    op.create_index(op.f('ix_mediations_case_id'), 'mediations', ['case_id'], unique=False)
    op.create_index('ix_mediations_mediator_status', 'mediations', ['mediator_id', 'status'], unique=False)
    op.create_table('mediation_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediation_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('response', sa.String(length=20), nullable=False),
    sa.Column('responded_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_mediation_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['mediation_id'], ['mediations.id'], name=op.f('fk_mediation_assignments_mediation_id_mediations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mediator_id'], ['users.id'], name=op.f('fk_mediation_assignments_mediator_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_assignments'))
    )
    op.create_index(op.f('ix_mediation_assignments_mediation_id'), 'mediation_assignments', ['mediation_id'], unique=False)
    op.create_index(op.f('ix_mediation_assignments_mediator_id'), 'mediation_assignments', ['mediator_id'], unique=False)
    op.create_table('mediation_recusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mediation_id', sa.Integer(), nullable=False),
    sa.Column('mediator_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('grounds', sa.String(length=1000), nullable=False),
    sa.Column('requested_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('decision_reason', sa.String(length=1000), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', engine.models.base.TZDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_mediation_recusals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['mediation_id'], ['mediations.id'], name=op.f('fk_mediation_recusals_mediation_id_mediations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mediator_id'], ['users.id'], name=op.f('fk_mediation_recusals_mediator_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_mediation_recusals_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_recusals'))
    )
    op.create_index(op.f('ix_mediation_recusals_mediation_id'), 'mediation_recusals', ['mediation_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_mediation_recusals_mediation_id'), table_name='mediation_recusals')
    op.drop_table('mediation_recusals')
    op.drop_index(op.f('ix_mediation_assignments_mediator_id'), table_name='mediation_assignments')
    op.drop_index(op.f('ix_mediation_assignments_mediation_id'), table_name='mediation_assignments')
    op.drop_table('mediation_assignments')
    op.drop_index('ix_mediations_mediator_status', table_name='mediations')
    op.drop_index(op.f('ix_mediations_case_id'), table_name='mediations')
    op.drop_table('mediations')
    op.drop_index(op.f('ix_mediator_relationships_profile_id'), table_name='mediator_relationships')
    op.drop_index(op.f('ix_mediator_relationships_party_uscc'), table_name='mediator_relationships')
    op.drop_table('mediator_relationships')
    op.drop_index(op.f('ix_mediator_absences_profile_id'), table_name='mediator_absences')
    op.drop_table('mediator_absences')
    op.drop_table('mediator_profiles')
