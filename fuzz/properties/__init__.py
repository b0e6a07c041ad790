"""Property bodies: one example of a property as a function returning findings.

The ``fuzz/test_*.py`` modules wrap these in Hypothesis; ``tests/`` calls them
directly against planted-fault apps to prove they catch what they claim.
"""
