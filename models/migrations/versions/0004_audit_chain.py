"""audit trail: hash chain, before/after, append-only

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

from services.audit import GENESIS, event_hash

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = 'audit_events is append-only'

# An event is sealed (seq, prev_hash and hash set) by the commit of the transaction that
# recorded it; until then that transaction alone sees it and may seal it. Once sealed, no
# UPDATE, and never a DELETE.
PG_TRIGGERS = [
    f"""
    CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.hash IS NULL THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP;
    END
    $$
    """,
    """
    CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
    """,
    """
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
    """,
]
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    WHEN OLD.hash IS NOT NULL
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END
    """,
]


def _chain_existing_rows() -> str:
    """Give the events recorded before the chain their links, in id order; the last hash."""
    bind = op.get_bind()
    events = sa.table(
        'audit_events',
        sa.column('id', sa.Integer),
        sa.column('seq', sa.Integer),
        sa.column('at', models.types.UTCDateTime()),
        sa.column('actor_user_id', sa.Integer),
        sa.column('action', sa.String),
        sa.column('entity', sa.String),
        sa.column('entity_id', sa.Integer),
        sa.column('data', sa.JSON),
        sa.column('prev_hash', sa.String),
        sa.column('hash', sa.String),
    )
    rows = bind.execute(
        sa.select(
            events.c.id, events.c.at, events.c.actor_user_id, events.c.action,
            events.c.entity, events.c.entity_id, events.c.data,
        ).order_by(events.c.id)
    ).all()
    prev = GENESIS
    for seq, row in enumerate(rows, start=1):
        fields = {**row._asdict(), 'seq': seq, 'before': None, 'after': None}
        digest = event_hash(fields, prev)
        bind.execute(
            events.update().where(events.c.id == row.id).values(seq=seq, prev_hash=prev, hash=digest)
        )
        prev = digest
    return prev


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('before', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('after', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    last = _chain_existing_rows()
    op.create_index('ux_audit_events_seq', 'audit_events', ['seq'], unique=True)

    head = op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.CheckConstraint('id = 1', name='ck_audit_head_one_row'),
        sa.PrimaryKeyConstraint('id'),
    )
    count = op.get_bind().execute(sa.text('SELECT count(*) FROM audit_events')).scalar_one()
    op.bulk_insert(head, [{'id': 1, 'seq': count, 'hash': last}])
    triggers = PG_TRIGGERS if op.get_bind().dialect.name == 'postgresql' else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_events_no_truncate ON audit_events')
        op.execute('DROP TRIGGER audit_events_no_change ON audit_events')
        op.execute('DROP FUNCTION audit_events_append_only()')
    else:
        op.execute('DROP TRIGGER audit_events_no_update')
        op.execute('DROP TRIGGER audit_events_no_delete')
    op.drop_table('audit_head')
    op.drop_index('ux_audit_events_seq', table_name='audit_events')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('after')
        batch_op.drop_column('before')
        batch_op.drop_column('seq')
