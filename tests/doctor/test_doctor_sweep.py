"""The doctor sweep: the hardened deployments and each single weakening of them, run first in every profile."""

from __future__ import annotations

from fuzz.oracles.doctor_spec import CONDITIONS, conditions, effective
from strategies.doctor import WEAKENINGS, single_weakenings

#: Conditions one weakening of a hardened deployment cannot raise: two settings together (wildcard CORS with
#: credentials, Studio exposed without auth, MCP without any auth mechanism) or the matrix requirement switch.
NEEDS_MORE_THAN_ONE = {"cors.wildcard_credentials", "studio.exposed_without_auth", "mcp.no_auth",
                       "matrix.missing_required", "matrix.invalid_required", "matrix.invalid_optional",
                       "matrix.incomplete_enforced"}


def test_the_hardened_deployments_raise_no_condition():
    bases = [inp for name, inp in single_weakenings() if name.endswith("hardened")]
    assert len(bases) == 2
    assert all(conditions(effective(inp)) == frozenset() for inp in bases)


def test_the_sweep_applies_every_weakening_to_every_base_and_reaches_every_single_setting_condition():
    names = [name for name, _ in single_weakenings()]
    assert len(names) == len(set(names)) == 2 * (len(WEAKENINGS) + 1)
    reached = set().union(*(conditions(effective(inp)) for _, inp in single_weakenings()))
    assert reached == set(CONDITIONS) - NEEDS_MORE_THAN_ONE


def test_a_check_that_always_passes_is_caught_by_the_sweep_before_any_random_example(monkeypatch):
    import pytest

    from fuzz.findings import NewFinding
    from fuzz.test_doctor import test_verdict_matches_spec_in_process
    from tests.support.plants import doctor as doctor_plant

    doctor_plant.plant(monkeypatch)  # the cookie check passes whatever the settings
    with pytest.raises(NewFinding, match="security.cookies|cookie"):
        test_verdict_matches_spec_in_process()
