"""Root conftest: wires the aksara-fuzz plugin (options, profiles, PostgreSQL, findings)."""

pytest_plugins = ["fuzz.plugin"]
