"""Initial registry schema: sites, patients, eligibility, lots, infusions, visits,
measurements, adverse events and the append-only audit trail.

Revision ID: 0001
Revises:
Create Date: 2025-06-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
_PG_TRIGGERS = (
    "CREATE FUNCTION mscreg_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION mscreg_audit_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION mscreg_audit_append_only()",
)


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('recorded_at', sa.String(length=32), nullable=False),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=6), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_record', 'audit_log', ['table_name', 'record_id'], unique=False)
    op.create_table('lot',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('lot_number', sa.String(length=64), nullable=False),
    sa.Column('product', sa.String(length=100), nullable=False),
    sa.Column('source_tissue', sa.String(length=20), nullable=False),
    sa.Column('donor_type', sa.String(length=12), nullable=False),
    sa.Column('passage', sa.Integer(), nullable=True),
    sa.Column('viability', sa.Float(), nullable=True),
    sa.Column('cd73', sa.Float(), nullable=True),
    sa.Column('cd90', sa.Float(), nullable=True),
    sa.Column('cd105', sa.Float(), nullable=True),
    sa.Column('cd34', sa.Float(), nullable=True),
    sa.Column('cd45', sa.Float(), nullable=True),
    sa.Column('hla_dr', sa.Float(), nullable=True),
    sa.Column('endotoxin_eu_per_ml', sa.Float(), nullable=True),
    sa.Column('sterility', sa.String(length=10), nullable=True),
    sa.Column('mycoplasma', sa.String(length=10), nullable=True),
    sa.Column('plastic_adherent', sa.Boolean(), nullable=True),
    sa.Column('trilineage', sa.Boolean(), nullable=True),
    sa.Column('release_criteria', sa.String(length=200), nullable=False),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.Column('release_reasons', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot')),
    sa.UniqueConstraint('lot_number', name=op.f('uq_lot_lot_number'))
    )
    op.create_table('site',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site')),
    sa.UniqueConstraint('code', name=op.f('uq_site_code'))
    )
    op.create_table('patient',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('study_id', sa.String(length=64), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('diagnosis_year', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_patient_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient')),
    sa.UniqueConstraint('study_id', name=op.f('uq_patient_study_id'))
    )
    op.create_table('adverse_event',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=200), nullable=False),
    sa.Column('onset_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('ctcae_grade', sa.Integer(), nullable=False),
    sa.Column('serious', sa.Boolean(), nullable=False),
    sa.Column('seriousness', sa.String(length=200), nullable=False),
    sa.Column('relatedness', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_adverse_event_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adverse_event'))
    )
    op.create_table('eligibility_assessment',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('screening_hba1c', sa.Float(), nullable=True),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_eligibility_assessment_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_assessment')),
    sa.UniqueConstraint('patient_id', 'assessed_on', name=op.f('uq_eligibility_assessment_patient_id'))
    )
    op.create_table('infusion',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('infused_on', sa.Date(), nullable=False),
    sa.Column('cells_million', sa.Float(), nullable=True),
    sa.Column('cells_per_kg', sa.Float(), nullable=True),
    sa.Column('route', sa.String(length=20), nullable=False),
    sa.Column('duration_min', sa.Float(), nullable=True),
    sa.Column('immediate_reactions', sa.Text(), nullable=True),
    sa.Column('derived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_infusion_lot_id_lot')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_infusion_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_infusion')),
    sa.UniqueConstraint('patient_id', 'infused_on', name=op.f('uq_infusion_patient_id'))
    )
    op.create_table('visit',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('infusion_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=8), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('actual_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['infusion_id'], ['infusion.id'], name=op.f('fk_visit_infusion_id_infusion')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_visit_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('infusion_id', 'label', name=op.f('uq_visit_infusion_id'))
    )
    op.create_table('measurement',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('loinc', sa.String(length=16), nullable=False),
    sa.Column('value_entered', sa.String(length=40), nullable=False),
    sa.Column('unit_entered', sa.String(length=20), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('months_after_infusion', sa.Float(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('derived', sa.Boolean(), nullable=False),
    sa.Column('flags', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_measurement_patient_id_patient')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_measurement_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement')),
    sa.UniqueConstraint('patient_id', 'loinc', 'measured_on', name=op.f('uq_measurement_patient_id'))
    )
    triggers = _PG_TRIGGERS if op.get_bind().dialect.name == "postgresql" else _SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION mscreg_audit_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_table('measurement')
    op.drop_table('visit')
    op.drop_table('infusion')
    op.drop_table('eligibility_assessment')
    op.drop_table('adverse_event')
    op.drop_table('patient')
    op.drop_table('site')
    op.drop_table('lot')
    op.drop_index('ix_audit_log_record', table_name='audit_log')
    op.drop_table('audit_log')
