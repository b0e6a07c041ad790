"""Ledger reproducers written as code still show their defect on the reference app.

A reproducer that starts with ``# python; `live``` is Python run with ``live`` bound to the
started target (the ``live_target`` fixture, reset to its seed); its assertions state the defect,
so this test fails once a defect is fixed or a reproducer stops being right.
"""

from __future__ import annotations

import pytest

from fuzz.ledger import DEFAULT_LEDGER, load_ledger

RUNNABLE = "# python; `live`"


def _runnable() -> list:
    from aksara import __version__

    return [d for d in load_ledger([DEFAULT_LEDGER], __version__).active() if d.reproducer.startswith(RUNNABLE)]


ENTRIES = _runnable()


def test_some_reproducers_are_code():
    assert len(ENTRIES) >= 5


@pytest.mark.parametrize("defect", ENTRIES, ids=[d.id for d in ENTRIES])
def test_the_reproducer_shows_its_defect(defect, fresh_target):
    try:
        exec(compile(defect.reproducer, f"<reproducer of {defect.id}>", "exec"), {"live": fresh_target})
    finally:
        fresh_target.reset()
