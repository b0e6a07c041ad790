"""Root conftest: wires the aksara-fuzz plugins (options, profiles, PostgreSQL, findings; reports and replay)."""

pytest_plugins = ["fuzz.plugin", "fuzz.reporting_plugin"]
