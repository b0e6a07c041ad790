"""Property bodies: one example of a property as a function returning findings.

The ``fuzz/test_*.py`` modules wrap these in Hypothesis; ``tests/`` calls them
directly against planted-fault apps to prove they catch what they claim. What a property's
example is made of is generated in ``strategies/<area>.py``.
"""

from strategies.compact import CompactDict  # noqa: E402,F401 - its home is strategies/compact.py
