"""Drawing from target-derived choices that may be empty on some apps.

A target without AI principals, MCP tools, rows or comparable fields cannot judge a
property that needs them: the example is a skip with the reason, never an
``InvalidArgument`` from ``sampled_from([])`` and never a vacuous pass.
"""

from __future__ import annotations

from typing import Any, Iterable

import pytest
from hypothesis import strategies as st


def draw_from(data: Any, items: Iterable[Any], label: str, reason: str) -> Any:
    """Draw one of ``items``; skip the test with ``reason`` when there are none."""
    choices = list(items)
    if not choices:
        pytest.skip(reason)
    return data.draw(st.sampled_from(choices), label=label)
