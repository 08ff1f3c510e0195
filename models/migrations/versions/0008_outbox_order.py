"""outbox order: each row's delivery position, given as its transaction commits

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
    # Rows queued before: their id order is the order they had, and stays theirs.
    op.execute('UPDATE outbox SET seq = id')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat_status_id')
        batch_op.create_index('ix_outbox_chat_status_seq', ['chat_id', 'status', 'seq'], unique=False)
        batch_op.create_index('ix_outbox_seq', ['seq'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_seq')
        batch_op.drop_index('ix_outbox_chat_status_seq')
        batch_op.create_index('ix_outbox_chat_status_id', ['chat_id', 'status', 'id'], unique=False)
        batch_op.drop_column('seq')
