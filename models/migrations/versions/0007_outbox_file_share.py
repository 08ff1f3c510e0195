"""outbox file share: one stored file for every outbox row that sends it

Outbox rows point at their file (outbox.file_id) instead of each file naming its one row, so
a period report's chart and workbook are stored once per language, not once per reader.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_key', sa.String(length=160), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outbox_file_id', 'outbox_files', ['file_id'], ['id'])
    # A file stored before this revision stays its row's own, under the row's dedupe key.
    op.execute(
        "UPDATE outbox_files SET share_key = "
        "(SELECT o.dedupe_key FROM outbox o WHERE o.id = outbox_files.outbox_id)"
    )
    op.execute(
        "UPDATE outbox SET file_id = "
        "(SELECT f.id FROM outbox_files f WHERE f.outbox_id = outbox.id)"
    )
    with op.batch_alter_table('outbox_files', schema=None) as batch_op:
        batch_op.alter_column('share_key', existing_type=sa.String(length=160), nullable=False)
        batch_op.create_unique_constraint('uq_outbox_files_share_key', ['share_key'])
        batch_op.drop_column('outbox_id')


def downgrade() -> None:
    with op.batch_alter_table('outbox_files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outbox_id', sa.Integer(), nullable=True))
    # Every row that sends a file gets its own copy again; the shared ones go after.
    op.execute(
        "INSERT INTO outbox_files (share_key, outbox_id, filename, content) "
        "SELECT o.dedupe_key, o.id, f.filename, f.content "
        "FROM outbox o JOIN outbox_files f ON f.id = o.file_id WHERE f.share_key <> o.dedupe_key"
    )
    op.execute(
        "UPDATE outbox_files SET outbox_id = "
        "(SELECT o.id FROM outbox o WHERE o.file_id = outbox_files.id "
        "AND o.dedupe_key = outbox_files.share_key) WHERE outbox_id IS NULL"
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_file_id', type_='foreignkey')
        batch_op.drop_column('file_id')
    op.execute("DELETE FROM outbox_files WHERE outbox_id IS NULL")
    with op.batch_alter_table('outbox_files', schema=None) as batch_op:
        batch_op.drop_constraint('uq_outbox_files_share_key', type_='unique')
        batch_op.drop_column('share_key')
        batch_op.alter_column('outbox_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_outbox_files_outbox_id', ['outbox_id'])
        batch_op.create_foreign_key('fk_outbox_files_outbox_id', 'outbox', ['outbox_id'], ['id'])
