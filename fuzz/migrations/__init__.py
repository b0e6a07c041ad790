"""Migration DDL round trip: hostile model definitions -> generated migration -> real PostgreSQL -> catalog.

Modules: :mod:`~fuzz.migrations.build` (specs to model classes, isolated registry, reproducers),
:mod:`~fuzz.migrations.ddl` (recording connection, sqlglot parsing), :mod:`~fuzz.migrations.catalog`
(catalog read-back, canary), :mod:`~fuzz.migrations.expected` (what the catalog must hold),
:mod:`~fuzz.migrations.oracles` (the checks) and :mod:`~fuzz.migrations.pipeline` (the round trip).
"""
