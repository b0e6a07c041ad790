"""A compact repr for the target facts a strategy is built from (ids per resource)."""

from __future__ import annotations


class CompactDict(dict):
    """A mapping of name -> collection whose repr (and Hypothesis' pretty form) is one short line,
    so falsifying examples do not print hundreds of ids."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {', '.join(f'{k}: {len(v)}' for k, v in self.items())}>"

    def _repr_pretty_(self, printer, cycle) -> None:  # noqa: ANN001 - Hypothesis' printer protocol
        printer.text(repr(self))
