"""`--aksara-target` names one target or several: every target-bound test of fuzz/ runs once per target."""

from __future__ import annotations

import re

import pytest

from tests.reporting.support import run_pytest


def _collected(*args: str) -> list[str]:
    result = run_pytest("fuzz/test_writes.py", "fuzz/test_tokens.py", "--collect-only", "-q", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return [line.strip() for line in result.stdout.splitlines() if "::" in line]


@pytest.mark.live
def test_the_default_run_parametrizes_target_bound_tests_over_both_reference_targets():
    ids = _collected()
    sequences = [i for i in ids if "test_write_sequences[" in i]
    assert "fuzz/test_writes.py::test_write_sequences[refapp-Ticket]" in sequences
    assert "fuzz/test_writes.py::test_write_sequences[platform-Document]" in sequences
    assert {re.search(r"\[(\w+)-", i).group(1) for i in sequences} == {"refapp", "platform"}
    # each target contributes its own resources, never another target's
    assert not any(i.endswith("[platform-Ticket]") or i.endswith("[refapp-Document]") for i in sequences)
    assert "fuzz/test_writes.py::test_oversized_bodies[refapp]" in ids
    assert "fuzz/test_writes.py::test_oversized_bodies[platform]" in ids
    # a test that needs no target runs once, without a target in its id
    assert "fuzz/test_tokens.py::test_scope_algebra" in ids


@pytest.mark.live
def test_one_named_target_is_the_only_one_run():
    ids = _collected("--aksara-target", "platform")
    assert any(i.endswith("test_write_sequences[platform-Document]") for i in ids)
    assert not any("[refapp" in i for i in ids)
