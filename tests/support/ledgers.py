"""A ledger with planted entries, active for one test, with a fresh collector of known findings."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from fuzz import findings as findings_module
from fuzz.ledger import DEFAULT_LEDGER, active_ledger, load_ledger, set_active_ledger


@contextlib.contextmanager
def planted_ledger(directory: Path, text: str) -> Iterator[findings_module.FindingsCollector]:
    """The built-in ledger plus the entries in ``text``, active inside the block; yields the new collector."""
    path = directory / "planted.yaml"
    path.write_text(text)
    saved, saved_collector = active_ledger(), findings_module.COLLECTOR
    set_active_ledger(load_ledger([DEFAULT_LEDGER, path], "0.7.2"))
    findings_module.COLLECTOR = findings_module.FindingsCollector()
    try:
        yield findings_module.COLLECTOR
    finally:
        set_active_ledger(saved)
        findings_module.COLLECTOR = saved_collector
