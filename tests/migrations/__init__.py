"""Self-tests of the migration round trip: strategies reach their classes, oracles catch planted faults."""
