"""What every domain uses: time zones, roles, capability tokens, errors, signals, database types,
and who may use each handler (`meetings.core.access`)."""
