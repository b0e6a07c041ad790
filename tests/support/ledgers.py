"""A ledger with planted entries, active for one test, with a fresh run that receives its findings."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from fuzz.ledger import DEFAULT_LEDGER, load_ledger
from fuzz.run import Run, using_run


@contextlib.contextmanager
def planted_ledger(directory: Path, text: str) -> Iterator[Run]:
    """The built-in ledger plus the entries in ``text``, active inside the block; yields the block's own run."""
    path = directory / "planted.yaml"
    path.write_text(text)
    with using_run(ledger=load_ledger([DEFAULT_LEDGER, path], "0.7.2")) as run:
        yield run
