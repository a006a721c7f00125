"""Clocks and supervision: the holiday table, statutory clocks per case (pauses, extension
requests, history), supervision orders and replies, notifications, the scheduler's leader
lease and job runs.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 06:30:00

Additive only: new tables, nothing existing changes (safe with the previous release's code).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
import engine.models.base
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_job_runs',
    sa.Column('job_id', sa.String(length=40), nullable=False),
    sa.Column('last_run_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('last_result', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_scheduler_job_runs'))
    )
    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=True),
    sa.Column('acquired_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('expires_at', engine.models.base.TZDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.models.base.TZDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_holidays_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays')),
    sa.UniqueConstraint('day', name=op.f('uq_holidays_day'))
    )
    op.create_table('clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('pipeline', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('extension', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('started_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('warn_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('next_check_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('paused_since', sa.Date(), nullable=True),
    sa.Column('pause_reason', sa.String(length=40), nullable=True),
    sa.Column('warned_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('breached_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('escalated_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('stopped_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('calendar_gap', sa.Boolean(), nullable=False),
    sa.Column('updated_at', engine.models.base.TZDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_clocks_case_id_cases')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_clocks_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clocks'))
    )
    op.create_index('ix_clocks_case_state', 'clocks', ['case_id', 'state'], unique=False)
    op.create_index('ix_clocks_next_check_at', 'clocks', ['next_check_at'], unique=False)
    op.create_index('ix_clocks_state_due_date', 'clocks', ['state', 'due_date'], unique=False)
    op.create_index('ix_clocks_unit_state', 'clocks', ['unit_id', 'state', 'due_at'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('dedup', sa.String(length=120), nullable=False),
    sa.Column('created_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('read_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('emailed_at', engine.models.base.TZDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notifications_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedup', name=op.f('uq_notifications_dedup'))
    )
    op.create_index('ix_notifications_unsent', 'notifications', ['emailed_at', 'id'], unique=False)
    op.create_index('ix_notifications_user_read', 'notifications', ['user_id', 'read_at', 'id'], unique=False)
    op.create_table('supervision_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('instruction', sa.Text(), nullable=False),
    sa.Column('reply_due', sa.Date(), nullable=False),
    sa.Column('reply_due_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('next_check_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('escalated_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('closed_at', engine.models.base.TZDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_supervision_orders_case_id_cases')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_supervision_orders_issued_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_orders_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_orders'))
    )
    op.create_index('ix_supervision_orders_case', 'supervision_orders', ['case_id'], unique=False)
    op.create_index('ix_supervision_orders_next_check_at', 'supervision_orders', ['next_check_at'], unique=False)
    op.create_index('ix_supervision_orders_unit_status', 'supervision_orders', ['unit_id', 'status'], unique=False)
    op.create_table('clock_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('due_before', sa.Date(), nullable=True),
    sa.Column('due_after', sa.Date(), nullable=True),
    sa.Column('dedup', sa.String(length=40), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_clock_events_actor_id_users')),
    sa.ForeignKeyConstraint(['clock_id'], ['clocks.id'], name=op.f('fk_clock_events_clock_id_clocks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_events')),
    sa.UniqueConstraint('clock_id', 'kind', 'dedup', name=op.f('uq_clock_events_clock_id_kind_dedup'))
    )
    op.create_index(op.f('ix_clock_events_clock_id'), 'clock_events', ['clock_id'], unique=False)
    op.create_table('clock_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', engine.models.base.TZDateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['clock_id'], ['clocks.id'], name=op.f('fk_clock_extensions_clock_id_clocks')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_clock_extensions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_clock_extensions_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_extensions'))
    )
    op.create_index(op.f('ix_clock_extensions_clock_id'), 'clock_extensions', ['clock_id'], unique=False)
    op.create_table('clock_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('paused_by_id', sa.Integer(), nullable=True),
    sa.Column('resumed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', engine.models.base.TZDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clock_id'], ['clocks.id'], name=op.f('fk_clock_pauses_clock_id_clocks')),
    sa.ForeignKeyConstraint(['paused_by_id'], ['users.id'], name=op.f('fk_clock_pauses_paused_by_id_users')),
    sa.ForeignKeyConstraint(['resumed_by_id'], ['users.id'], name=op.f('fk_clock_pauses_resumed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_pauses'))
    )
    op.create_index(op.f('ix_clock_pauses_clock_id'), 'clock_pauses', ['clock_id'], unique=False)
    op.create_table('supervision_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('replied_by_id', sa.Integer(), nullable=False),
    sa.Column('replied_at', engine.models.base.TZDateTime(), nullable=False),
    sa.Column('progress', sa.Text(), nullable=False),
    sa.Column('planned_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['supervision_orders.id'], name=op.f('fk_supervision_replies_order_id_supervision_orders')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_supervision_replies_replied_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_replies'))
    )
    op.create_index(op.f('ix_supervision_replies_order_id'), 'supervision_replies', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_supervision_replies_order_id'), table_name='supervision_replies')
    op.drop_table('supervision_replies')
    op.drop_index(op.f('ix_clock_pauses_clock_id'), table_name='clock_pauses')
    op.drop_table('clock_pauses')
    op.drop_index(op.f('ix_clock_extensions_clock_id'), table_name='clock_extensions')
    op.drop_table('clock_extensions')
    op.drop_index(op.f('ix_clock_events_clock_id'), table_name='clock_events')
    op.drop_table('clock_events')
    op.drop_index('ix_supervision_orders_unit_status', table_name='supervision_orders')
    op.drop_index('ix_supervision_orders_next_check_at', table_name='supervision_orders')
    op.drop_index('ix_supervision_orders_case', table_name='supervision_orders')
    op.drop_table('supervision_orders')
    op.drop_index('ix_notifications_user_read', table_name='notifications')
    op.drop_index('ix_notifications_unsent', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_clocks_unit_state', table_name='clocks')
    op.drop_index('ix_clocks_state_due_date', table_name='clocks')
    op.drop_index('ix_clocks_next_check_at', table_name='clocks')
    op.drop_index('ix_clocks_case_state', table_name='clocks')
    op.drop_table('clocks')
    op.drop_table('holidays')
    op.drop_table('scheduler_leases')
    op.drop_table('scheduler_job_runs')
