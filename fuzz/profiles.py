"""Hypothesis profiles of the suite: ``dev`` (seconds), ``ci`` (release prep) and ``nightly`` (hours).

Each property runs ``max_examples`` examples of the active profile; an expensive
property scales its share with :func:`scaled`. Deadlines are off (the target is
a real database; timing is measured and reported instead) and failing examples
print the ``@reproduce_failure`` blob so artifacts can record it.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase

PROFILES = {"dev": 15, "ci": 60, "nightly": 2000}
DEFAULT_PROFILE = "dev"
_SUPPRESSED = [
    HealthCheck.too_slow,
    HealthCheck.function_scoped_fixture,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]


def register_profiles(database: ExampleDatabase | None) -> None:
    for name, examples in PROFILES.items():
        settings.register_profile(
            name,
            max_examples=examples,
            deadline=None,
            print_blob=True,
            database=database,
            suppress_health_check=_SUPPRESSED,
            stateful_step_count=10 if name == "dev" else 25,
            # the explain phase re-runs a failing example many times to annotate it (~20 s on a live target per
            # failure): worth it overnight, not in the runs that stop at their first finding
            phases=tuple(Phase) if name == "nightly" else tuple(p for p in Phase if p != Phase.explain),
        )


def directory_database(path: str | Path) -> ExampleDatabase:
    return DirectoryBasedExampleDatabase(str(path))


def scaled(fraction: float, **overrides) -> settings:
    """Settings running ``fraction`` of the active profile's examples (at least 1)."""
    current = settings.default
    return settings(max_examples=max(1, int(current.max_examples * fraction)), **overrides)
