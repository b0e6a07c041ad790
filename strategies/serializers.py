"""Write cases for the serializer properties (fuzz/oracles/serializers.py).

Subjects come from :class:`targets.base.ResourceSpec` metadata only: ``create_serializer`` /
``update_serializer`` say which viewsets write through a ``ModelSerializer``, fields marked
``serializer_read_only`` are in the serializers' ``read_only_fields`` though the model lets
clients write them, and a *sibling* is another resource over the same table without a
create serializer (the same model served by two viewsets).

A value sent for a read-only field is a canary (a value no server would pick by itself), so
finding it stored proves it was applied.
"""

from __future__ import annotations

import string
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from hypothesis import strategies as st

from strategies.payloads import body_classes, client_fields, valid_values
from targets.base import INTEGER_KINDS, FieldSpec, ResourceSpec, SerializerSpec, TargetInfo

CANARY_PREFIX = "ro-canary-"


def read_only_fields(resource: ResourceSpec) -> list[FieldSpec]:
    """The resource's serializer read-only fields that the model itself would let a client write."""
    return [f for f in resource.fields if f.serializer_read_only]


def siblings(info: TargetInfo, resource: ResourceSpec) -> list[ResourceSpec]:
    """Other resources over the same table that write without a create serializer."""
    return [r for r in info.resources
            if r.table == resource.table and r.prefix != resource.prefix and not r.create_serializer]


def parity_subjects(info: TargetInfo) -> list[tuple[ResourceSpec, ResourceSpec]]:
    """(serializer resource, model sibling) pairs: the same model served with and without a create serializer."""
    return [(r, s) for r in info.resources if r.create_serializer for s in siblings(info, r)[:1]]


def canary_values(spec: FieldSpec) -> st.SearchStrategy:
    """A value for ``spec`` no server would choose by itself (text kinds carry a canary prefix)."""
    kind = spec.kind
    if kind in ("string", "text", "slug"):
        limit = min(spec.max_length or 60, 60)
        return st.text(string.ascii_lowercase + string.digits, min_size=6, max_size=max(6, limit - len(CANARY_PREFIX))) \
            .map(lambda s: (CANARY_PREFIX + s)[:limit])
    if kind == "uuid":
        return st.uuids().map(str)
    if kind in INTEGER_KINDS:
        return st.integers(1000, 9999)
    return valid_values(spec, {})


@dataclass(frozen=True)
class SerializerCase:
    """One body for a serializer write: which principal, the body, the read-only keys it smuggles in."""

    principal: str
    body: Mapping[str, Any]
    read_only_keys: tuple[str, ...] = ()
    omitted: tuple[str, ...] = field(default=())


def writers(info: TargetInfo, resource: ResourceSpec) -> list[str]:
    """Human principals that may write the resource (staff first; a tenant for tenant-scoped resources)."""
    specs = [p for p in info.principals if p.kind in ("staff", "user") and (p.tenant or not resource.tenant_scoped)]
    return [p.name for p in sorted(specs, key=lambda p: p.kind != "staff")]


def _body(resource: ResourceSpec, partial: bool, exclude: Sequence[str] = ()) -> st.SearchStrategy[dict]:
    """A valid body of client-writable fields (all required ones on create) with plain text values."""
    fields = [f for f in client_fields(resource) if f.kind != "fk" and f.name not in exclude]
    required = [] if partial else [f for f in fields if not f.nullable and not f.has_default]
    optional = [f for f in fields if f not in required]
    return st.tuples(
        st.fixed_dictionaries({f.input_key: valid_values(f, {}) for f in required}),
        st.fixed_dictionaries({}, optional={f.input_key: valid_values(f, {}) for f in optional}),
    ).map(lambda t: {**t[0], **t[1]})


def parity_cases(info: TargetInfo, resource: ResourceSpec) -> st.SearchStrategy[SerializerCase]:
    """A create body valid for the model, sent by a principal that may write it."""
    names = writers(info, resource)
    return st.builds(SerializerCase, st.sampled_from(names), _body(resource, partial=False))


def patch_cases(info: TargetInfo, resource: ResourceSpec) -> st.SearchStrategy[SerializerCase]:
    """A PATCH body of one or two fields, so most fields (those with defaults included) are omitted."""
    names = writers(info, resource)
    fields = [f for f in client_fields(resource) if f.kind != "fk"]

    def build(chosen: list[Any]) -> st.SearchStrategy:
        body = st.fixed_dictionaries({f.input_key: valid_values(f, {}) for f in chosen})
        omitted = tuple(f.name for f in resource.fields if f not in chosen)
        return st.builds(SerializerCase, st.sampled_from(names), body, st.just(()), st.just(omitted))

    return st.lists(st.sampled_from(fields), min_size=1, max_size=2, unique_by=lambda f: f.name).flatmap(build)


def read_only_cases(info: TargetInfo, resource: ResourceSpec, partial: bool) -> st.SearchStrategy[SerializerCase]:
    """A valid body plus canary values for one or more serializer read-only fields."""
    names = writers(info, resource)
    ro = read_only_fields(resource)

    def build(chosen: list[Any]) -> st.SearchStrategy:
        extra = st.fixed_dictionaries({f.input_key: canary_values(f) for f in chosen})
        body = st.tuples(_body(resource, partial, exclude=[f.name for f in chosen]), extra).map(
            lambda t: {**t[0], **t[1]})
        return st.builds(SerializerCase, st.sampled_from(names), body, st.just(tuple(f.input_key for f in chosen)))

    return st.lists(st.sampled_from(ro), min_size=1, max_size=len(ro), unique_by=lambda f: f.name).flatmap(build)


#: The write-body classes whose document is a JSON object: what an application hands a serializer as ``data``
#: (the others are bytes no JSON parser turns into an object, or cost megabytes per example).
DIRECT_BODY_CLASSES = ("valid", "restricted_key", "unknown_key", "nested_denied", "type_confusion", "null_all",
                       "boundary", "bad_text")


@dataclass(frozen=True)
class DirectCase:
    """One use of a serializer's documented API outside the generated routes: validate each of ``bodies``,
    then all of them with ``many=True``, and represent up to ``rows`` stored rows one by one and together."""

    serializer: str  # SerializerSpec.name
    bodies: tuple[Mapping[str, Any], ...]
    rows: int = 2


def serializer_specs(info: TargetInfo, resource_name: str) -> list[SerializerSpec]:
    """Every serializer the app declares for ``resource_name``'s model, once (several viewsets may share one)."""
    seen: dict[str, SerializerSpec] = {}
    for resource in info.resources:
        if resource.name == resource_name:
            for spec in resource.serializers:
                seen.setdefault(spec.name, spec)
    return list(seen.values())


def direct_bodies(resource: ResourceSpec, spec: SerializerSpec) -> st.SearchStrategy[dict]:
    """A JSON object an application might validate: a write body of any object-shaped hostile class, or a valid
    body carrying canary values for the serializer's read-only fields."""
    classes = body_classes(resource, {}, partial=False)
    documents = st.one_of(*(classes[name] for name in DIRECT_BODY_CLASSES)) \
        .map(lambda body: body.document).filter(lambda doc: isinstance(doc, dict))
    read_only = [f for f in resource.fields if f.input_key in spec.read_only or f.name in spec.read_only]
    if not read_only:
        return documents
    canaries = st.tuples(_body(resource, partial=False, exclude=[f.name for f in read_only]),
                         st.fixed_dictionaries({f.input_key: canary_values(f) for f in read_only})) \
        .map(lambda t: {**t[0], **t[1]})
    return st.one_of(documents, canaries)


def direct_cases(resource: ResourceSpec, spec: SerializerSpec) -> st.SearchStrategy[DirectCase]:
    """One to three bodies for ``spec`` and how many stored rows to represent."""
    return st.builds(DirectCase, st.just(spec.name),
                     st.lists(direct_bodies(resource, spec), min_size=1, max_size=3).map(tuple),
                     st.integers(1, 3))


def fresh_id() -> str:
    return str(uuid.uuid4())
