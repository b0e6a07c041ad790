"""Migration DDL round trip: hostile model definitions -> generated migration -> real PostgreSQL -> catalog.

Modules: :mod:`~strategies.migrations` (specs to model classes, isolated registry, reproducers),
:mod:`~targets.migration_ddl` (recording connection, sqlglot parsing), :mod:`~targets.pg_catalog`
(catalog read-back, canary), :mod:`~fuzz.oracles.migrations_expected` (what the catalog must hold),
:mod:`~fuzz.oracles.migrations` (the checks), :mod:`~fuzz.oracles.migrations_handwritten` (the schema hand-written
operations describe, their reproducer source) and :mod:`~fuzz.properties.migrations_lab` (the round trips).
"""
