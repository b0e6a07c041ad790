"""Writes through Aksara's ModelSerializer, on every resource whose viewset has serializers.

Properties (oracles in fuzz/oracles/serializers.py): ``serializers.round_trip_parity``,
``serializers.patch_keeps_omitted``, ``serializers.read_only_never_applied``, and the generic
HTTP oracles on every exchange; ``serializers.validation_contract`` and
``serializers.representation_contract`` use every serializer the app declares as an application
does, in its own process. A resource without the surface skips, saying why.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.properties.serializers import own_rows, run_direct, run_parity, run_patch, run_read_only, seeded_rows
from strategies.serializers import (
    direct_cases, parity_cases, parity_subjects, patch_cases, read_only_cases, read_only_fields, serializer_specs,
    writers,
)
from targets.base import ResourceSpec, TargetInfo

HTTP = (catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME)


@pytest.fixture(scope="module")
def seeded(live_target):
    return seeded_rows(live_target)


def _subject(info: TargetInfo, resource_name: str, needs: str) -> ResourceSpec:
    """The viewset of ``resource_name``'s model that has ``needs`` (a model may be served by several)."""
    resource = next((r for r in info.resources if r.name == resource_name and getattr(r, needs)),
                    info.resource(resource_name))
    if not getattr(resource, needs):
        pytest.skip(f"{resource_name} has no {needs.replace('_', ' ')} class")
    if not writers(info, resource):
        pytest.skip(f"the target has no human principal that may write {resource_name}")
    return resource


@judges(catalog.SERIALIZERS_ROUND_TRIP_PARITY, also=HTTP)
@given(data=st.data())
def test_round_trip_parity(live_target, oracle_context, resource_name, data):
    """The same create body through the serializer viewset and a viewset of the same model without one."""
    info = live_target.info
    resource = _subject(info, resource_name, "create_serializer")
    pair = next(((r, s) for r, s in parity_subjects(info) if r.name == resource.name), None)
    if pair is None:
        pytest.skip(f"no other viewset serves {resource_name}'s model without a create serializer")
    case = data.draw(parity_cases(info, resource), label="case")
    judge(run_parity(live_target, oracle_context, resource, pair[1], case))


@judges(catalog.SERIALIZERS_PATCH_KEEPS_OMITTED, also=HTTP)
@given(data=st.data())
def test_patch_keeps_omitted(live_target, oracle_context, seeded, resource_name, data):
    """A PATCH of one or two fields through the update serializer; the others keep their values."""
    info = live_target.info
    resource = _subject(info, resource_name, "update_serializer")
    case = data.draw(patch_cases(info, resource), label="case")
    rows = own_rows(live_target, seeded, resource, case.principal)
    if not rows:
        pytest.skip(f"{case.principal} has no {resource_name} row to update")
    pk = data.draw(st.sampled_from(rows), label="pk")
    judge(run_patch(live_target, oracle_context, resource, case, pk))


@judges(catalog.SERIALIZERS_READ_ONLY_NEVER_APPLIED, also=HTTP)
@given(data=st.data())
def test_read_only_never_applied(live_target, oracle_context, seeded, resource_name, data):
    """A create or PATCH carrying canary values for the serializers' read_only_fields."""
    info = live_target.info
    resource = next((r for r in info.resources if r.name == resource_name and (r.create_serializer or
                                                                              r.update_serializer)),
                    info.resource(resource_name))
    if not (resource.create_serializer or resource.update_serializer):
        pytest.skip(f"{resource_name} has no create or update serializer")
    if not read_only_fields(resource):
        pytest.skip(f"{resource_name}'s serializers declare no read_only_fields clients could otherwise write")
    ops = [op for op, has in (("create", resource.create_serializer), ("update", resource.update_serializer)) if has]
    op = data.draw(st.sampled_from(ops), label="operation")
    case = data.draw(read_only_cases(info, resource, partial=op == "update"), label="case")
    pk = None
    if op == "update":
        rows = own_rows(live_target, seeded, resource, case.principal)
        if not rows:
            pytest.skip(f"{case.principal} has no {resource_name} row to update")
        pk = data.draw(st.sampled_from(rows), label="pk")
    judge(run_read_only(live_target, oracle_context, resource, case, pk))


@judges(catalog.SERIALIZERS_VALIDATION_CONTRACT, catalog.SERIALIZERS_REPRESENTATION_CONTRACT)
@given(data=st.data())
def test_serializer_api_contract(live_target, oracle_context, resource_name, data):
    """Bodies of every object-shaped hostile class through each serializer the app declares for the model."""
    info = live_target.info
    specs = serializer_specs(info, resource_name)
    if not specs:
        pytest.skip(f"the app declares no ModelSerializer of {resource_name}")
    spec = data.draw(st.sampled_from(specs), label="serializer")
    resource = info.resource(resource_name)
    case = data.draw(direct_cases(resource, spec), label="case")
    judge(run_direct(live_target, oracle_context, resource, case))
