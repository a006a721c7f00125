"""Database access: engine and session factory, the unit of work, repositories."""
