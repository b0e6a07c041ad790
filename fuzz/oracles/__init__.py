"""Oracles: plain functions that look at what happened and return findings.

Exchange oracles have the signature ``check(exchange, context) -> list[Finding]``
and are listed in :data:`fuzz.oracles.registry.EXCHANGE_ORACLES` by property id,
which is how a replayed artifact re-applies the oracle that found it.
"""
