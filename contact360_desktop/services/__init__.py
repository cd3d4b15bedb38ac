"""Use cases. Services take a session or connection from their caller and never commit."""
