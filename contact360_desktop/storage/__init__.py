"""Persistence: SQLAlchemy models and migrations, the embedded server, file stores."""
