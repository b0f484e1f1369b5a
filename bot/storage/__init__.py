"""Storage: SQLAlchemy models (models), the engine (db), repositories that never commit
(repositories), the unit of work that commits once per use case (unit_of_work), and
Alembic migrations (migrate, migrations/)."""
