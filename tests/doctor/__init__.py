"""Self-tests of the doctor model, oracles and strategies."""
