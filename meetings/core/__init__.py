"""What every domain uses: time zones, roles, capability tokens, errors, signals, database types."""
