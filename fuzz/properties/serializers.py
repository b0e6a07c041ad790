"""The serializer properties bound to a live target: one write (or two, for parity) and its oracles, and one
use of a serializer's documented API in the app's own process (:func:`run_direct`).

Subjects are read from :class:`targets.base.TargetInfo` (see :mod:`strategies.serializers`);
every write case starts from the seeded database (``live.reset()``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fuzz.findings import Finding, replayable
from fuzz.oracles import serializers as oracle
from fuzz.oracles.context import OracleContext
from fuzz.properties.writes import fetch_row, generic_checks
from strategies.serializers import DirectCase, SerializerCase
from targets.base import serializer_classes, serializer_name
from targets.crash import exception_facts, raised_by_suite

if TYPE_CHECKING:
    from targets.client import LiveTarget


def _created_id(exchange: Any) -> str | None:
    body = exchange.response_json() if 200 <= exchange.status < 300 else None
    return str(body["id"]) if isinstance(body, dict) and body.get("id") else None


def seeded_rows(live: LiveTarget) -> dict[str, list[tuple[str, str | None]]]:
    """Seeded (id, tenant id) pairs per resource, read once: every case starts from this seed."""
    live.reset()
    out = {}
    for resource in live.info.resources:
        column = next((f.column for f in resource.fields if f.tenant), None)
        rows = live.run(live.db.fetch_rows(resource.table))
        out[resource.name] = sorted((str(r["id"]), str(r[column]) if column else None) for r in rows)
    return out


def own_rows(live: LiveTarget, seeded: dict, resource: Any, principal: str) -> list[str]:
    """Seeded row ids of ``resource`` in ``principal``'s tenant (every row for a global resource)."""
    label = live.info.principal(principal).tenant
    tenant = live.info.tenants.get(label) if label else None
    return [pk for pk, owner in seeded.get(resource.name, []) if owner is None or owner == str(tenant)]


@replayable("serializers", env=("live", "context"), names=("resource", "sibling"))
def run_parity(live: LiveTarget, context: OracleContext, resource: Any, sibling: Any,
               case: SerializerCase) -> list[Finding]:
    """Create the same body through the serializer viewset and its model sibling, each from the seed state
    (a unique field would otherwise refuse the second create); compare the stored rows."""
    live.reset()
    body = dict(case.body)
    via_serializer = live.request(case.principal, "POST", resource.list_path, json_body=body, route=resource.list_path)
    serializer_row = fetch_row(live, resource, _created_id(via_serializer))
    live.reset()
    via_model = live.request(case.principal, "POST", sibling.list_path, json_body=body, route=sibling.list_path)
    model_row = fetch_row(live, sibling, _created_id(via_model))
    findings = generic_checks(via_serializer, context) + generic_checks(via_model, context)
    return findings + oracle.check_round_trip_parity(resource, body, via_serializer, serializer_row, via_model,
                                                     model_row)


@replayable("serializers", env=("live", "context"), names=("resource", "sibling"))
def run_patch(live: LiveTarget, context: OracleContext, resource: Any, case: SerializerCase, pk: str) -> list[Finding]:
    """PATCH a seeded row through the update serializer; every omitted field must keep its value."""
    live.reset()
    before = fetch_row(live, resource, pk)
    exchange = live.request(case.principal, "PATCH", resource.detail_path(pk), json_body=dict(case.body),
                            route=resource.detail_path("{pk}"))
    after = fetch_row(live, resource, pk)
    return generic_checks(exchange, context) + oracle.check_patch_keeps_omitted(exchange, resource, case.body,
                                                                                before, after)


@replayable("serializers", env=("live", "context"), names=("resource", "sibling"))
def run_read_only(live: LiveTarget, context: OracleContext, resource: Any, case: SerializerCase,
                  pk: str | None) -> list[Finding]:
    """Create (``pk`` None) or PATCH with canary values for read-only fields; none may be stored."""
    live.reset()
    body = dict(case.body)
    if pk is None:
        before = None
        exchange = live.request(case.principal, "POST", resource.list_path, json_body=body, route=resource.list_path)
        after = fetch_row(live, resource, _created_id(exchange))
    else:
        before = fetch_row(live, resource, pk)
        exchange = live.request(case.principal, "PATCH", resource.detail_path(pk), json_body=body,
                                route=resource.detail_path("{pk}"))
        after = fetch_row(live, resource, pk)
    return generic_checks(exchange, context) + oracle.check_read_only_never_applied(
        exchange, resource, body, case.read_only_keys, before, after)


def serializer_class(live: LiveTarget, name: str) -> type:
    """The serializer class ``name`` (module:qualname): imported when it is module-level, else found among those
    the live app's viewsets declare."""
    from targets.base import SUITE_SERIALIZERS

    if name in SUITE_SERIALIZERS:
        return SUITE_SERIALIZERS[name]
    module, _, qualname = name.partition(":")
    if "<locals>" not in qualname:
        try:
            found: Any = importlib.import_module(module)
            for part in qualname.split("."):
                found = getattr(found, part)
            return found
        except (ImportError, AttributeError):
            pass
    from targets.derive import app_viewsets

    for viewset in app_viewsets(live.app):
        for cls in serializer_classes(viewset):
            if serializer_name(cls) == name:
                return cls
    raise LookupError(f"the target declares no serializer {name}")


def _undocumented(exc: BaseException) -> dict[str, str]:
    """The crash facts of ``exc``, an exception a serializer call raised; the suite's own errors propagate."""
    if raised_by_suite(exc):
        raise exc
    return exception_facts(exc)


def _validate(cls: type, data: Any, many: bool = False) -> oracle.Validation:
    """Validate ``data`` as the serializer guide shows (``is_valid()``, then ``errors``/``validated_data``), and
    once more on a fresh serializer with ``raise_exception=True``."""
    from aksara.exceptions import ValidationError as AppRefusal  # documented to propagate (the app's 422)

    try:
        serializer = cls(data=data, many=many)
        valid = serializer.is_valid()
        errors = serializer.errors
    except AppRefusal:
        return oracle.Validation(None)
    except Exception as exc:  # noqa: BLE001 - judged: is_valid() documents which exceptions it turns into False
        return oracle.Validation(None, raised=_undocumented(exc))
    validated, refused = None, False
    try:
        validated = serializer.validated_data
    except AssertionError:
        refused = True
    strict: bool | None = False
    try:
        cls(data=data, many=many).is_valid(raise_exception=True)
    except AppRefusal:
        strict = None
    except ValueError:  # Pydantic's ValidationError is a ValueError: the two it documents re-raising
        strict = True
    except Exception as exc:  # noqa: BLE001 - anything else escaped the raising form
        return oracle.Validation(valid, errors, validated, refused, None, raised=_undocumented(exc))
    return oracle.Validation(valid, errors, validated, refused, strict)


def _represent(live: LiveTarget, cls: type, table: str, count: int) -> oracle.Representation:
    """``.data`` of up to ``count`` stored rows (loaded as the ORM loads them), alone and together, and through
    the module's helpers where the release has them."""
    from aksara.api import serializers as module

    model = cls.Meta.model
    records = live.run(live.db.first_records(table, count))
    try:
        rows = [model._from_record(r) for r in records]
        prefetch = getattr(importlib.import_module("aksara.api.prefetch"), "prefetch_for_serializer", None) \
            if getattr(cls.Meta, "expand", None) else None
        if prefetch is not None and rows:
            live.run(prefetch(rows, cls))  # "ensure the relation is loaded through your query strategy"
        alone = tuple(cls(instance=row).data for row in rows)
        again = tuple(cls(instance=row).to_representation() for row in rows)
        helper = getattr(module, "serialize_instance", None)
        together_helper = getattr(module, "serialize_many", None)
        return oracle.Representation(
            alone, again, tuple(helper(row, cls) for row in rows) if helper else None,
            cls(instance=rows, many=True).data, together_helper(rows, cls) if together_helper else None,
            cls(instance=iter(rows), many=True).data, cls().data, cls(many=True).data)
    except Exception as exc:  # noqa: BLE001 - judged: representing a stored row is the documented read path
        return oracle.Representation(raised=_undocumented(exc))


@replayable("serializers", env=("live", "context"), names=("resource",))
def run_direct(live: LiveTarget, context: OracleContext, resource: Any, case: DirectCase) -> list[Finding]:
    """Use one serializer the app declares as an application does: validate the case's bodies one by one, together
    (``many=True``), the first as if it were many, and without data, and represent stored rows; judge both
    contracts."""
    spec = next(s for r in live.info.resources if r.name == resource.name for s in r.serializers
                if s.name == case.serializer)
    cls = serializer_class(live, case.serializer)
    bodies = [dict(b) for b in case.bodies]
    singles = [_validate(cls, body) for body in bodies]
    together = _validate(cls, bodies, many=True) if len(bodies) > 1 else None
    findings = oracle.check_validation_contract(spec, bodies, singles, together, _validate(cls, None),
                                                _validate(cls, bodies[0], many=True))
    return findings + oracle.check_representation_contract(spec, _represent(live, cls, resource.table, case.rows))
