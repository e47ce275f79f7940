"""Initial schema: the whole data model the later features build on.

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:22:10.644775+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# JSONB on PostgreSQL for indexing and containment queries; JSON text elsewhere.
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "program",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_program")),
        sa.UniqueConstraint("slug", name=op.f("uq_program_slug")),
    )
    op.create_table(
        "rubric",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric")),
        sa.UniqueConstraint("key", name=op.f("uq_rubric_key")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_user_account_email_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("email", name=op.f("uq_user_account_email")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            JSON_TYPE,
            nullable=False,
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("length(hash) = 64", name=op.f("ck_audit_event_hash_hex")),
        sa.CheckConstraint("length(prev_hash) = 64", name=op.f("ck_audit_event_prev_hash_hex")),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_audit_event_actor_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_audit_event_program_id_program"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_event_prev_hash")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_event_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(
            "ix_audit_event_program_time", ["program_id", "occurred_at"], unique=False
        )

    op.create_table(
        "cohort",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_cohort_dates_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_cohort_program_id_program"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort")),
        sa.UniqueConstraint("program_id", "name", name=op.f("uq_cohort_program_id_name")),
    )
    op.create_table(
        "rubric_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("sort_key", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                "retired",
                name="rubric_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("scale_min", sa.Integer(), nullable=False),
        sa.Column("scale_max", sa.Integer(), nullable=False),
        sa.Column(
            "content",
            JSON_TYPE,
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_path", sa.String(length=500), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status = 'draft' OR published_at IS NOT NULL",
            name=op.f("ck_rubric_version_published_has_timestamp"),
        ),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_rubric_version_sha256_hex")),
        sa.CheckConstraint("scale_max > scale_min", name=op.f("ck_rubric_version_scale_ordered")),
        sa.ForeignKeyConstraint(
            ["rubric_id"],
            ["rubric.id"],
            name=op.f("fk_rubric_version_rubric_id_rubric"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_version")),
        sa.UniqueConstraint(
            "rubric_id", "version", name=op.f("uq_rubric_version_rubric_id_version")
        ),
    )
    with op.batch_alter_table("rubric_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rubric_version_sha256"), ["sha256"], unique=False)

    op.create_table(
        "certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "snapshot",
            JSON_TYPE,
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("signing_key_id", sa.String(length=64), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "revoked_at IS NULL OR revocation_reason <> ''",
            name=op.f("ck_certificate_revocation_has_reason"),
        ),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_certificate_sha256_hex")),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["user_account.id"],
            name=op.f("fk_certificate_issued_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_certificate_program_id_program"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["user_account.id"],
            name=op.f("fk_certificate_revoked_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_version.id"],
            name=op.f("fk_certificate_rubric_version_id_rubric_version"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["user_account.id"],
            name=op.f("fk_certificate_trainee_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("public_id", name=op.f("uq_certificate_public_id")),
    )
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.create_index("ix_certificate_trainee", ["trainee_id", "issued_at"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "trainer",
                "trainee",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cohort_id IS NULL OR role = 'trainee'",
            name=op.f("ck_membership_cohort_only_for_trainees"),
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_membership_cohort_id_cohort"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_membership_program_id_program"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_membership_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint(
            "user_id", "program_id", "role", name=op.f("uq_membership_user_id_program_id_role")
        ),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index("ix_membership_program_role", ["program_id", "role"], unique=False)

    op.create_table(
        "recorded_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "phase",
            sa.Enum(
                "preparation",
                "medication",
                "integration",
                name="phase",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "modalities",
            JSON_TYPE,
            nullable=False,
        ),
        sa.Column(
            "focus_tags",
            JSON_TYPE,
            nullable=False,
        ),
        sa.Column("co_therapist", sa.Boolean(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("recording_url", sa.String(length=1000), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_seconds > 0", name=op.f("ck_recorded_session_duration_positive")
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohort.id"],
            name=op.f("fk_recorded_session_cohort_id_cohort"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_recorded_session_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_recorded_session_program_id_program"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_version.id"],
            name=op.f("fk_recorded_session_rubric_version_id_rubric_version"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["user_account.id"],
            name=op.f("fk_recorded_session_trainee_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorded_session")),
    )
    with op.batch_alter_table("recorded_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recorded_session_cohort_id"), ["cohort_id"], unique=False
        )
        batch_op.create_index(
            "ix_recorded_session_program_date", ["program_id", "session_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recorded_session_rubric_version_id"), ["rubric_version_id"], unique=False
        )
        batch_op.create_index(
            "ix_recorded_session_trainee_date", ["trainee_id", "session_date"], unique=False
        )

    op.create_table(
        "rubric_domain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_version.id"],
            name=op.f("fk_rubric_domain_rubric_version_id_rubric_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_domain")),
        sa.UniqueConstraint(
            "rubric_version_id", "key", name=op.f("uq_rubric_domain_rubric_version_id_key")
        ),
        sa.UniqueConstraint(
            "rubric_version_id",
            "position",
            name=op.f("uq_rubric_domain_rubric_version_id_position"),
        ),
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "assigned",
                "in_progress",
                "submitted",
                "withdrawn",
                name="assignment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("calibration", sa.Boolean(), nullable=False),
        sa.Column("is_master", sa.Boolean(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "NOT is_master OR calibration", name=op.f("ck_assignment_master_only_on_calibration")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_assignment_assigned_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"],
            ["user_account.id"],
            name=op.f("fk_assignment_rater_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["recorded_session.id"],
            name=op.f("fk_assignment_session_id_recorded_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
        sa.UniqueConstraint(
            "session_id", "rater_id", name=op.f("uq_assignment_session_id_rater_id")
        ),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignment_rater_queue", ["rater_id", "status", "due_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assignment_session_id"), ["session_id"], unique=False)

    op.create_table(
        "rubric_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "phases",
            JSON_TYPE,
            nullable=False,
        ),
        sa.Column(
            "modality",
            sa.Enum(
                "common",
                "psychodynamic",
                "cbt",
                "act",
                "met",
                "behavioural-activation",
                "mindfulness",
                "somatic",
                name="modality",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("allow_not_applicable", sa.Boolean(), nullable=False),
        sa.Column("applicability", sa.Text(), nullable=False),
        sa.Column("safety_gate", sa.Boolean(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column(
            "anchors",
            JSON_TYPE,
            nullable=False,
        ),
        sa.Column("harm_guidance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "NOT allow_not_applicable OR applicability <> ''",
            name=op.f("ck_rubric_item_na_has_condition"),
        ),
        sa.CheckConstraint("weight > 0", name=op.f("ck_rubric_item_weight_positive")),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["rubric_domain.id"],
            name=op.f("fk_rubric_item_domain_id_rubric_domain"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_version.id"],
            name=op.f("fk_rubric_item_rubric_version_id_rubric_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rubric_item")),
        sa.UniqueConstraint(
            "rubric_version_id", "key", name=op.f("uq_rubric_item_rubric_version_id_key")
        ),
        sa.UniqueConstraint(
            "rubric_version_id", "position", name=op.f("uq_rubric_item_rubric_version_id_position")
        ),
    )
    with op.batch_alter_table("rubric_item", schema=None) as batch_op:
        batch_op.create_index("ix_rubric_item_domain", ["domain_id", "position"], unique=False)

    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("rubric_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                name="rating_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("overall_comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)",
            name=op.f("ck_rating_submitted_has_timestamp"),
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_rating_assignment_id_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rubric_version_id"],
            ["rubric_version.id"],
            name=op.f("fk_rating_rubric_version_id_rubric_version"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_rating_assignment_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_rating_idempotency_key")),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rating_rubric_version_status", ["rubric_version_id", "status"], unique=False
        )

    op.create_table(
        "amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column(
            "old_value",
            JSON_TYPE,
            nullable=True,
        ),
        sa.Column(
            "new_value",
            JSON_TYPE,
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("amended_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("reason <> ''", name=op.f("ck_amendment_reason_required")),
        sa.ForeignKeyConstraint(
            ["amended_by_id"],
            ["user_account.id"],
            name=op.f("fk_amendment_amended_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rubric_item.id"],
            name=op.f("fk_amendment_item_id_rubric_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["rating.id"],
            name=op.f("fk_amendment_rating_id_rating"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendment")),
    )
    with op.batch_alter_table("amendment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_amendment_rating_id"), ["rating_id"], unique=False)

    op.create_table(
        "item_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("not_applicable", sa.Boolean(), nullable=False),
        sa.Column("harm_flag", sa.Boolean(), nullable=False),
        sa.Column("harm_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "NOT harm_flag OR harm_note <> ''", name=op.f("ck_item_score_harm_flag_has_note")
        ),
        sa.CheckConstraint(
            "NOT (not_applicable AND score IS NOT NULL)", name=op.f("ck_item_score_score_or_na")
        ),
        sa.CheckConstraint(
            "score IS NULL OR score >= 0", name=op.f("ck_item_score_score_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["rubric_item.id"],
            name=op.f("fk_item_score_item_id_rubric_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["rating.id"],
            name=op.f("fk_item_score_rating_id_rating"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_score")),
        sa.UniqueConstraint("rating_id", "item_id", name=op.f("uq_item_score_rating_id_item_id")),
    )
    with op.batch_alter_table("item_score", schema=None) as batch_op:
        batch_op.create_index("ix_item_score_item", ["item_id"], unique=False)

    op.create_table(
        "evidence_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_score_id", sa.Integer(), nullable=False),
        sa.Column("timestamp_seconds", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "timestamp_seconds >= 0", name=op.f("ck_evidence_note_timestamp_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["item_score_id"],
            ["item_score.id"],
            name=op.f("fk_evidence_note_item_score_id_item_score"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_note")),
    )
    with op.batch_alter_table("evidence_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_note_item_score_id"), ["item_score_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_note_item_score_id"))

    op.drop_table("evidence_note")
    with op.batch_alter_table("item_score", schema=None) as batch_op:
        batch_op.drop_index("ix_item_score_item")

    op.drop_table("item_score")
    with op.batch_alter_table("amendment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_amendment_rating_id"))

    op.drop_table("amendment")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_rubric_version_status")

    op.drop_table("rating")
    with op.batch_alter_table("rubric_item", schema=None) as batch_op:
        batch_op.drop_index("ix_rubric_item_domain")

    op.drop_table("rubric_item")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_session_id"))
        batch_op.drop_index("ix_assignment_rater_queue")

    op.drop_table("assignment")
    op.drop_table("rubric_domain")
    with op.batch_alter_table("recorded_session", schema=None) as batch_op:
        batch_op.drop_index("ix_recorded_session_trainee_date")
        batch_op.drop_index(batch_op.f("ix_recorded_session_rubric_version_id"))
        batch_op.drop_index("ix_recorded_session_program_date")
        batch_op.drop_index(batch_op.f("ix_recorded_session_cohort_id"))

    op.drop_table("recorded_session")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index("ix_membership_program_role")
        batch_op.drop_index(batch_op.f("ix_membership_cohort_id"))

    op.drop_table("membership")
    with op.batch_alter_table("certificate", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_trainee")

    op.drop_table("certificate")
    with op.batch_alter_table("rubric_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rubric_version_sha256"))

    op.drop_table("rubric_version")
    op.drop_table("cohort")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_program_time")
        batch_op.drop_index("ix_audit_event_entity")
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))

    op.drop_table("audit_event")
    op.drop_table("user_account")
    op.drop_table("rubric")
    op.drop_table("program")
