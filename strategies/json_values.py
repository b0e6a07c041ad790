"""Hostile JSON values and documents, and builders for documents too deep for recursion.

Reaches these hostile classes:
``non_finite`` (NaN, Infinity, -Infinity), ``huge_numbers`` (integers of hundreds of
digits, int64 ± 1, 1e308, exponents beyond float range, decimals with many places),
``nul_and_surrogates`` (U+0000, lone surrogates, bidi overrides inside strings),
``long_strings`` (up to 64 KiB; bodies of megabytes are built by
:mod:`strategies.payloads`), ``documents`` (arbitrary nested JSON), ``deep``
(nesting of up to thousands of levels, built iteratively as both a Python value and
its exact bytes, so neither the suite nor ``json.dumps`` recurses) and ``wide``
(objects and arrays with up to hundreds of thousands of members).

:func:`place_at` puts a value at a path (object keys and array positions) inside a
new document; :func:`json_paths` draws such paths, with a bias to the bounds a
traversal may stop at (depth 31/32/33, position 99/100/101) and to thousands of
levels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from hypothesis import strategies as st

NON_FINITE = (float("nan"), float("inf"), float("-inf"))
HUGE_NUMBERS = (2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, 10**400, -(10**400), 1e308, -1e308,
                5e-324, 1.7976931348623157e308)
BAD_CHARACTERS = ("\x00", "\ud800", "\udfff", "\ud83d", "\x1b", "\u202e", "\ufeff", "\x7f")
BOUNDARY_DEPTHS = (0, 1, 31, 32, 33, 64, 254, 255, 256, 999, 1000, 1001, 3000)
BOUNDARY_POSITIONS = (0, 1, 99, 100, 101, 150)

non_finite = st.sampled_from(NON_FINITE)
huge_numbers = st.sampled_from(HUGE_NUMBERS) | st.integers(min_value=10**20, max_value=10**200)
nul_and_surrogates = st.builds(lambda a, bad, b: a + bad + b, st.text(max_size=4),
                               st.sampled_from(BAD_CHARACTERS), st.text(max_size=4))
long_strings = st.integers(1_000, 65_536).flatmap(
    lambda n: st.sampled_from(["a", "é", "🚀", "\\", '"', "ab\n"]).map(lambda c: (c * n)[:n]))
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=20))
hostile_scalars = non_finite | huge_numbers | nul_and_surrogates | long_strings
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def iter_containers(value: Any) -> int:
    """The nesting depth of ``value`` (0 for a scalar), computed without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth + 1)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, depth + 1)
            stack.extend((v, depth + 1) for v in node)
    return deepest


@dataclass(frozen=True, eq=False)
class Placed:
    """A document holding ``value`` at ``path``, as a Python value and as exact JSON bytes."""

    document: Any
    raw: bytes
    path: tuple[Any, ...]

    @property
    def depth(self) -> int:
        return len(self.path)

    def __repr__(self) -> str:
        return f"Placed(path=<{len(self.path)} steps, last {self.path[-3:]!r}>, bytes={len(self.raw)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis prints examples with this
        printer.text(repr(self))


FILLER = 0


def place_at(path: Sequence[Any], value: Any) -> Placed:
    """A new document with ``value`` at ``path``: a str step is an object key, an int an array position.

    Array steps pad with ``0`` before the position; built from the inside out, so
    a path of thousands of steps costs no recursion.
    """
    leaf_raw = json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")
    document, parts_open, parts_close = value, [], []
    for step in reversed(path):
        if isinstance(step, int):
            document = [FILLER] * step + [document]
            parts_open.append(b"[" + b"0," * step)
            parts_close.append(b"]")
        else:
            document = {str(step): document}
            parts_open.append(b"{" + json.dumps(str(step)).encode() + b":")
            parts_close.append(b"}")
    raw = b"".join(reversed(parts_open)) + leaf_raw + b"".join(parts_close)
    return Placed(document, raw, tuple(path))


def json_paths(max_depth: int = 3000, keys: Sequence[str] = ("a", "data", "x y", "0")) -> st.SearchStrategy:
    """Paths into a document: mostly shallow, often at a traversal bound, sometimes thousands deep."""
    step = st.sampled_from(list(keys)) | st.sampled_from(BOUNDARY_POSITIONS) | st.integers(0, 3)
    depth = st.sampled_from([d for d in BOUNDARY_DEPTHS if d <= max_depth]) | st.integers(0, min(40, max_depth))

    def build(n: int) -> st.SearchStrategy:
        if n <= 40:
            return st.lists(step, min_size=n, max_size=n).map(tuple)
        # long paths: one drawn step repeated, plus a drawn tail (keeps generation cheap)
        return st.tuples(step, st.lists(step, max_size=3)).map(
            lambda t: tuple([t[0]] * (n - len(t[1])) + t[1]))

    return depth.flatmap(build)


def deep_bytes(depth: int, container: str = "object", leaf: bytes = b"1") -> bytes:
    """``depth`` nested objects (``{"a":…}``) or arrays around ``leaf``, as bytes."""
    if container == "object":
        return b'{"a":' * depth + leaf + b"}" * depth
    return b"[" * depth + leaf + b"]" * depth


def wide_bytes(width: int, container: str = "object") -> bytes:
    """An object with ``width`` members (``"k0":0,…``) or an array of ``width`` zeros, as bytes."""
    if container == "object":
        return b"{" + b",".join(b'"k%d":0' % i for i in range(width)) + b"}"
    return b"[" + b",".join(b"0" for _ in range(width)) + b"]"


deep_sizes = st.sampled_from([d for d in BOUNDARY_DEPTHS if d >= 31]) | st.integers(33, 5000)
wide_sizes = st.sampled_from([101, 1_000, 10_000, 100_000]) | st.integers(101, 20_000)
