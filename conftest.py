"""Root conftest: wires the aksara-fuzz plugins (options, profiles, PostgreSQL, findings; reports and replay)."""

import sys

from fuzz.coverage_start import start

start(sys.argv[1:])  # --aksara-coverage: measure from before any plugin imports Aksara

pytest_plugins = ["fuzz.aksara_coverage", "fuzz.plugin", "fuzz.reporting_plugin"]
