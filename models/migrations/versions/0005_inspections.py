"""inspection filings: inspectors, the matched filing, the supervisor's decision

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29 12:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inspectors', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('matched_inspection_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('decided_at', models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('dismissed_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            'fk_inspections_matched_inspection_id', 'inspections', ['matched_inspection_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_inspections_decided_by_user_id', 'users', ['decided_by_user_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_constraint('fk_inspections_decided_by_user_id', type_='foreignkey')
        batch_op.drop_constraint('fk_inspections_matched_inspection_id', type_='foreignkey')
        batch_op.drop_column('dismissed_reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by_user_id')
        batch_op.drop_column('matched_inspection_id')
        batch_op.drop_column('inspectors')
