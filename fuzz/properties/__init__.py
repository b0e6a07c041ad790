"""Property bodies: one example of a property as a function returning findings.

The ``fuzz/test_*.py`` modules wrap these in Hypothesis; ``tests/`` calls them
directly against planted-fault apps to prove they catch what they claim.
"""


class CompactDict(dict):
    """A mapping of name -> collection whose repr (and Hypothesis' pretty form) is one short line,
    so falsifying examples do not print hundreds of ids."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {', '.join(f'{k}: {len(v)}' for k, v in self.items())}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # noqa: ANN001 - Hypothesis' printer protocol
        printer.text(repr(self))
