"""Persistence: SQLModel tables, the database engine from configuration, Alembic migrations."""
