"""Cases for the soft-delete properties (fuzz/oracles/soft_delete.py).

Subjects come from :class:`targets.base.ResourceSpec`: ``soft_delete`` (an
``aksara.contrib.soft_delete.SoftDeleteModel``) and ``trash_path`` (the route listing the
caller's deleted rows, declared by the target). A case deletes some rows (the caller's own,
another tenant's, a missing id) as some principal, then lists a principal's trash with a
query that may try to widen it (the tenant column, ``deleted_at`` lookups, filters on
ordinary fields, paging).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hypothesis import strategies as st

from targets.base import ResourceSpec, TargetInfo

HOSTILE_KEYS = ("tenant_id", "org_id", "deleted_at", "deleted_at__isnull", "deleted_at__gt", "id", "id__in")


@dataclass(frozen=True)
class TrashCase:
    """Deletes (principal, row id), then one trash listing as ``viewer`` with ``query``."""

    deletes: tuple[tuple[str, str], ...]
    viewer: str
    query: tuple[tuple[str, str], ...]


def soft_delete_subjects(info: TargetInfo) -> list[ResourceSpec]:
    """Resources whose rows are soft-deleted and which declare a trash listing."""
    return [r for r in info.resources if r.soft_delete and r.trash_path]


def _query(resource: ResourceSpec, row_ids: Sequence[str], tenants: Sequence[str]) -> st.SearchStrategy:
    keys = list(HOSTILE_KEYS) + list(resource.filterable_fields)
    values = st.sampled_from(list(tenants) + list(row_ids[:4]) + ["true", "false", "2000-01-01T00:00:00Z", "",
                                                                   ",".join(row_ids[:3])])
    pair = st.tuples(st.sampled_from(keys), values)
    paging = st.tuples(st.just("limit"), st.sampled_from(["100", "1", "0"]))
    return st.lists(pair | paging, max_size=3, unique_by=lambda kv: kv[0]).map(tuple)


def trash_cases(info: TargetInfo, resource: ResourceSpec, row_ids: Sequence[str]) -> st.SearchStrategy[TrashCase]:
    """Up to three deletes by anyone (ids of any tenant, or a random one), then any principal's trash listing."""
    names = [p.name for p in info.principals]
    ids = st.sampled_from(list(row_ids)) if row_ids else st.uuids().map(str)
    deletes = st.lists(st.tuples(st.sampled_from(names), ids | st.uuids().map(str)), max_size=3).map(tuple)
    return st.builds(TrashCase, deletes, st.sampled_from(names), _query(resource, list(row_ids),
                                                                         list(info.tenants.values())))
