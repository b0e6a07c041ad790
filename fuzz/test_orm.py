"""The ORM family: Aksara's QuerySet, Manager and fields against a Python model, on a PostgreSQL of its own.

A lab (:class:`fuzz.properties.orm.OrmLab`) declares one model with every field class Aksara ships that
needs no extension, a ForeignKey and a ManyToMany, on a scratch database of the suite's PostgreSQL server.
First a sweep runs every lookup of every field kind once (as a filter and negated), every ordering and
every aggregate over fixed rows (and one program per relation, annotation, search and upsert class), and
sends every hostile value class to every field; then Hypothesis explores random programs of writes and reads
and random hostile values. Every program runs inside a query trace session. Whatever the target option says,
the family runs on its own lab.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties.orm import OrmLab
from fuzz.sweep import count
from strategies.orm import COLUMNS, hostile_cases, hostile_inputs, programs, sweep_programs


@pytest.fixture(scope="module")
def orm_lab(pg_server):
    lab = OrmLab(pg_server)
    yield lab
    if lab.timings:
        timings = sorted(lab.timings)
        print(f"\norm programs: {len(timings)}, median {timings[len(timings) // 2] * 1000:.1f} ms, "
              f"max {timings[-1] * 1000:.1f} ms")
    lab.close()


@judges(catalog.ORM_READ_DIFFERENTIAL, catalog.ORM_WRITE_DIFFERENTIAL, catalog.ORM_ROUND_TRIP,
        catalog.ORM_TRACE_COMPLETE)
def test_every_lookup_ordering_and_aggregate_once(orm_lab):
    swept = sweep_programs()
    for _label, program in swept:
        judge(orm_lab.run(program))
    count(catalog.ORM_READ_DIFFERENTIAL, len(swept), len(swept))


@judges(catalog.ORM_INVALID_REFUSED, also=(catalog.ORM_ROUND_TRIP, catalog.ORM_WRITE_DIFFERENTIAL))
def test_every_hostile_value_class_on_every_field(orm_lab):
    cases = [(column.name, cls, value) for column in COLUMNS for cls, value in hostile_inputs(column.name)]
    for column, cls, value in cases:
        judge(orm_lab.attempt(column, cls, value))
    count(catalog.ORM_INVALID_REFUSED, len(cases), len(cases))


@judges(catalog.ORM_READ_DIFFERENTIAL, catalog.ORM_WRITE_DIFFERENTIAL, catalog.ORM_ROUND_TRIP,
        catalog.ORM_TRACE_COMPLETE)
@scaled(0.25)
@given(program=programs())
def test_programs_match_the_model(orm_lab, program):
    judge(orm_lab.run(program))


@judges(catalog.ORM_INVALID_REFUSED, also=(catalog.ORM_ROUND_TRIP, catalog.ORM_WRITE_DIFFERENTIAL))
@scaled(0.25)
@given(case=hostile_cases())
def test_random_hostile_values_are_refused_or_kept(orm_lab, case):
    judge(orm_lab.attempt(*case))
