"""Write cases: who writes, which operation (create, update, custom action) on which row, with which body.

:func:`write_cases` draws a :class:`WriteCase` for one resource: any principal of the target, any
write operation the resource routes, a row to update (one created earlier in the sequence, one of the
principal's tenant, any seeded one, or a random id) and a write body (:mod:`strategies.payloads`).
:func:`relation_bodies` draws the bodies of a route that replaces a many-to-many relation (a
:class:`targets.base.RelationWrite` the target declares): lists of the related resource's known ids,
empty lists, duplicates, unknown and malformed ids, over-long lists and non-lists; such a route gets
them as often as the generic write bodies.
:func:`oversized_cases` draws the oversized creates and updates, :func:`bulk_cases` a batch for a
resource's bulk create route, :func:`sequence_step_cases` each step of
a write sequence and :func:`create_sweep` lists the creates (then :func:`relation_sweep` the relation writes)
the body sweep sends first.
``fuzz/properties/writes.py`` sends a case and applies the write oracles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from hypothesis import strategies as st

from strategies.compact import CompactDict
from strategies.payloads import (WriteBody, nested_denied_bodies, oversized_bodies, restricted_key_bodies,
                                 unknown_key_bodies, valid_bodies, write_bodies)
from strategies.sweeps import write_bodies_swept

if TYPE_CHECKING:
    from targets.base import TargetInfo
    from targets.client import LiveTarget

WRITE_METHODS = ("POST", "PUT", "PATCH")


class KnownRows(CompactDict):
    """Seeded row ids per resource, each with its tenant label (None for global rows)."""


def known_rows(live: LiveTarget) -> KnownRows:
    """The seeded rows of the live target, per resource, with their tenant labels."""
    labels = {v: k for k, v in live.info.tenants.items()}
    rows = KnownRows()
    for resource in live.info.resources:
        tenant_col = next((f.column for f in resource.fields if f.tenant), None)
        rows[resource.name] = [
            (str(r["id"]), labels.get(str(r[tenant_col])) if tenant_col else None)
            for r in live.run(live.db.fetch_rows(resource.table))
        ]
    return rows


def fk_ids_for(rows: Mapping[str, Sequence[tuple[str, str | None]]], tenant: str | None) -> dict[str, list[str]]:
    """Ids a principal of ``tenant`` may point a foreign key at (its tenant's rows, or global rows)."""
    return {name: [pk for pk, label in pairs if label is None or label == tenant] for name, pairs in rows.items()}


@dataclass(frozen=True)
class WriteCase:
    """What one write sends: who, which operation on which resource/row, which body."""

    principal: str
    resource: str
    operation: str              # create | update | action
    body: WriteBody
    pk: str | None = None
    action_path: str | None = None

    def method_and_path(self, resource: Any) -> tuple[str, str, str]:
        if self.operation == "create":
            return "POST", resource.list_path, resource.list_path
        if self.operation == "update":
            return "PATCH", resource.detail_path(self.pk or ""), resource.detail_path("{pk}")
        template = self.action_path or ""
        method = "POST"
        return method, template.replace("{pk}", self.pk or ""), template


#: Strings that are no UUID a relation write may carry (an id route parameter's hostile classes, in short).
MALFORMED_IDS = ("", "not-a-uuid", "00000000-0000-0000-0000-00000000000g", "1 OR 1=1", "' OR '1'='1",
                 "a0000000-0000-4000-8000-0000000000aa\x00", "%", "../../etc/passwd", "\u00e9t\u00e9")


def relation_bodies(relation: Any, related_ids: Sequence[str]) -> st.SearchStrategy[WriteBody]:
    """Bodies ``{field: [...]}`` for a relation write: ``relation_valid`` (known related ids, possibly none or
    repeated), ``relation_unknown`` (known ids and ids no row has), ``relation_malformed`` (non-UUID strings,
    numbers, nulls, nested lists, more ids than a request should carry, or no list at all)."""
    key = relation.field
    known = st.sampled_from(list(related_ids)) if related_ids else st.nothing()
    valid = st.lists(known, max_size=6) if related_ids else st.just([])
    unknown = st.tuples(st.lists(known, max_size=3) if related_ids else st.just([]),
                        st.lists(st.uuids().map(str), min_size=1, max_size=2)).map(lambda t: t[0] + t[1])
    bad_item = st.one_of(st.sampled_from(MALFORMED_IDS), st.integers(), st.none(), st.just([]), st.booleans(),
                         st.uuids().map(lambda u: str(u).upper().replace("-", "")))
    malformed = st.one_of(
        st.tuples(st.lists(known, max_size=2) if related_ids else st.just([]), st.lists(bad_item, min_size=1,
                                                                                        max_size=3))
        .map(lambda t: t[0] + t[1]),
        st.lists(st.uuids().map(str), min_size=21, max_size=60),
        st.one_of(st.none(), st.text(max_size=20), st.integers(), st.dictionaries(st.text(max_size=5), st.none(),
                                                                                   max_size=2)),
    )

    def body(hostile_class: str, clean: bool) -> Any:
        return lambda ids: WriteBody(hostile_class, {key: ids}, clean=clean)

    return st.one_of(valid.map(body("relation_valid", True)), unknown.map(body("relation_unknown", False)),
                     malformed.map(body("relation_malformed", False)))


def write_actions(resource: Any) -> list[Any]:
    """The resource's custom actions a write method reaches."""
    return [a for a in resource.actions if set(a.methods) & set(WRITE_METHODS)]


def target_ids(rows: KnownRows, resource_name: str, tenant: str | None, created: Sequence[str] = ()) -> st.SearchStrategy:
    """A row to update: one created earlier, one of the principal's tenant, any seeded one, or none."""
    pairs = rows.get(resource_name, [])
    own = [pk for pk, label in pairs if label == tenant or label is None]
    choices: list[st.SearchStrategy] = [st.uuids().map(str)]
    if own:
        choices += [st.sampled_from(own)] * 3
    if pairs:
        choices.append(st.sampled_from([pk for pk, _ in pairs]))
    if created:
        choices = [st.sampled_from(list(created))] * 6 + choices
    return st.one_of(*choices)


def write_cases(info: TargetInfo, rows: KnownRows, resource_name: str, *, created: Sequence[str] = (),
                operations: Sequence[str] = ("create", "update", "action"),
                principals: Sequence[str] | None = None) -> st.SearchStrategy[WriteCase]:
    """Any principal, any write operation of ``resource_name``, any write body."""
    resource = info.resource(resource_name)
    names = list(principals or [p.name for p in info.principals])
    ops = [op for op in operations if op != "action" or write_actions(resource)]

    def for_principal(principal: str) -> st.SearchStrategy:
        tenant = info.principal(principal).tenant
        fk_ids = fk_ids_for(rows, tenant)

        def for_op(op: str) -> st.SearchStrategy:
            body = write_bodies(resource, fk_ids, partial=op != "create")
            if op == "create":
                return st.builds(WriteCase, st.just(principal), st.just(resource_name), st.just(op), body)
            pk = target_ids(rows, resource_name, tenant, created)
            if op == "update":
                return st.builds(WriteCase, st.just(principal), st.just(resource_name), st.just(op), body, pk)
            actions = write_actions(resource)

            def action_body(a: Any) -> st.SearchStrategy:
                relation = resource.relation_write_at(a.path)
                if relation is None:
                    return body
                related = [pk for pk, label in rows.get(relation.related, []) if label in (tenant, None)]
                return st.one_of(relation_bodies(relation, related), body)

            return st.sampled_from(actions).flatmap(lambda a: st.builds(
                WriteCase, st.just(principal), st.just(resource_name), st.just(op), action_body(a),
                pk if a.detail else st.none(), st.just(a.path)))

        return st.sampled_from(ops).flatmap(for_op)

    return st.sampled_from(names).flatmap(for_principal)


def sweep_writer(info: TargetInfo, resource: Any) -> Any:
    """The principal the body sweep writes as: staff, else a user, of a tenant when the resource is tenant-scoped."""
    for kind in ("staff", "user"):
        for spec in info.principals:
            if spec.kind == kind and (spec.tenant or not resource.tenant_scoped):
                return spec
    return None


def create_sweep(info: TargetInfo, rows: KnownRows, resource_name: str) -> list[WriteCase]:
    """Creates: every write-body class × field kind and restricted field, each other class, a valid body as everyone."""
    resource = info.resource(resource_name)
    writer = sweep_writer(info, resource)
    if writer is None:
        return []
    bodies = write_bodies_swept(resource, fk_ids_for(rows, writer.tenant), writer.name,
                                [p.name for p in info.principals])
    creates = [WriteCase(principal, resource_name, "create", body) for principal, body in bodies]
    return creates + relation_sweep(info, rows, resource_name)


def relation_sweep(info: TargetInfo, rows: KnownRows, resource_name: str) -> list[WriteCase]:
    """Each declared relation write once per body class, as the sweep's writer on a row of its tenant: two known
    related ids, none (clears the relation), a known and an unknown id, a malformed id."""
    from strategies.payloads import WriteBody

    resource = info.resource(resource_name)
    writer = sweep_writer(info, resource)
    own = [pk for pk, label in rows.get(resource_name, []) if writer is not None and label in (writer.tenant, None)]
    if writer is None or not own:
        return []
    cases = []
    for relation in resource.relation_writes:
        related = [pk for pk, label in rows.get(relation.related, []) if label in (writer.tenant, None)]
        for hostile_class, ids in (("relation_valid", related[:2]), ("relation_valid", []),
                                   ("relation_unknown", related[:1] + ["00000000-0000-4000-8000-00000000f00d"]),
                                   ("relation_malformed", related[:1] + ["not-a-uuid"])):
            body = WriteBody(hostile_class, {relation.field: ids}, clean=hostile_class == "relation_valid")
            cases.append(WriteCase(writer.name, resource_name, "action", body, own[0], relation.path))
    return cases


def sequence_lengths() -> st.SearchStrategy[int]:
    """How many writes one write sequence makes: 2 to 4."""
    return st.integers(2, 4)


def sequence_step_cases(info: TargetInfo, rows: KnownRows, resource_name: str, step: int,
                        created: Sequence[str]) -> st.SearchStrategy[WriteCase]:
    """Step ``step`` of a write sequence: a create first, then a create or (three times as often) an update that
    may target a row the sequence created (``created`` is read when the case is drawn)."""
    operations = ("create",) if step == 0 else ("create", "update", "update", "update")
    return write_cases(info, rows, resource_name, created=created, operations=operations)


def oversized_resources(info: TargetInfo) -> st.SearchStrategy[str]:
    """Any resource of the target, for an oversized write."""
    return st.sampled_from([r.name for r in info.resources])


def oversized_cases(info: TargetInfo, rows: KnownRows, resource_name: str) -> st.SearchStrategy[WriteCase]:
    """An oversized create or update from a principal that may write the resource's fields."""
    resource = info.resource(resource_name)

    def build(principal: str) -> st.SearchStrategy:
        tenant = info.principal(principal).tenant
        fk_ids = fk_ids_for(rows, tenant)
        create = st.builds(WriteCase, st.just(principal), st.just(resource_name), st.just("create"),
                           oversized_bodies(resource, fk_ids))
        update = st.builds(WriteCase, st.just(principal), st.just(resource_name), st.just("update"),
                           oversized_bodies(resource, fk_ids, partial=True), target_ids(rows, resource_name, tenant))
        return create | update

    return st.sampled_from([p.name for p in info.principals]).flatmap(build)


BULK_ITEMS = 4  # items a bulk case sends at most


@dataclass(frozen=True)
class BulkCase:
    """One bulk create: who, which resource, and the items (each a create body of its own)."""

    principal: str
    resource: str
    items: tuple[WriteBody, ...]

    def body_bytes(self) -> bytes:
        return b"[" + b", ".join(item.body_bytes() for item in self.items) + b"]"


def bulk_item_bodies(resource: Any, fk_ids: Mapping[str, Sequence[str]]) -> st.SearchStrategy[WriteBody]:
    """One item of a batch: a valid create body, or one with restricted, nested-denied or unknown keys."""
    return st.one_of(valid_bodies(resource, fk_ids), valid_bodies(resource, fk_ids),
                     restricted_key_bodies(resource, fk_ids), nested_denied_bodies(resource, fk_ids),
                     unknown_key_bodies(resource, fk_ids))


def bulk_cases(info: TargetInfo, rows: KnownRows, resource_name: str) -> st.SearchStrategy[BulkCase]:
    """Any principal sending 1 to :data:`BULK_ITEMS` create bodies to the resource's bulk create route."""
    resource = info.resource(resource_name)

    def for_principal(principal: str) -> st.SearchStrategy:
        items = st.lists(bulk_item_bodies(resource, fk_ids_for(rows, info.principal(principal).tenant)),
                         min_size=1, max_size=BULK_ITEMS)
        return st.builds(BulkCase, st.just(principal), st.just(resource_name), items.map(tuple))

    return st.sampled_from([p.name for p in info.principals]).flatmap(for_principal)
