"""Alembic environment: migrations run on the engine the registry hands over (registry.db)."""

from __future__ import annotations

from alembic import context

from registry.db.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
