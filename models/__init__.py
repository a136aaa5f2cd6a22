"""Data layer: SQLAlchemy 2 tables, the engine factory and Alembic migrations."""
