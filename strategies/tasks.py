"""Background tasks and durable workflows: hostile payloads, operation sequences and faults.

- :func:`hostile_claims`: the extra keys of a job or command body that claim a tenant or principal other
  than the caller's (another tenant's id, another user, the system, a malformed or empty identity), under
  the names an app might be tempted to read (``tenant_id``, ``tenant``, ``principal``, ``user_id``,
  ``owner``, ``actor``, ``on_behalf_of``), nested or not. Labels: ``foreign_tenant``, ``foreign_user``,
  ``system``, ``empty``, ``malformed``, ``nested``.
- :func:`faults`: what the next execution of a job does besides its work: ``fail`` (raise before the
  effect, 1-3 times), ``crash`` (the worker dies right after the effect: lease recovery must hand the task
  to another worker), ``stall`` (the execution waits before its effect while its lease expires and another
  worker takes the task over: a late heartbeat and a late completion from the old owner).
- :func:`idempotency_keys`: none, or a key from a small pool so that a later dispatch reuses it (with the
  same or another command, by the same or another principal).
- :func:`fault_sweep`: the sweep ahead of the random machine: every job kind x every fault it takes (a failure
  once, failures for its whole budget, a crash after its effect, a stall for tasks) x, for operations, cancelled
  while the fault holds it or not; each case a :class:`FaultCase`, its body claiming another tenant and user
  (:func:`representative_claims`).

Everything is drawn from these descriptions and the machine's own model, never from live rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from hypothesis import strategies as st

CLAIM_KEYS = ("tenant_id", "tenant", "principal", "user_id", "owner", "actor", "on_behalf_of")
KEY_POOL = ("key-1", "key-2", "key-3")
FAULT_KINDS = ("fail", "crash", "stall")
#: faults a postgres_atomic operation can take in this machine (a stalled handler would hold its row lock)
OPERATION_FAULT_KINDS = ("fail", "crash")


def hostile_claims(users: dict[str, tuple[str, Any]], caller: str) -> st.SearchStrategy[dict[str, Any]]:
    """Extra body keys claiming another tenant or principal than ``caller``'s (``users``: user -> (tenant, ...))."""
    own_tenant = users[caller][0]
    foreign_tenants = sorted({t for t, *_ in users.values() if t != own_tenant}) or ["t-other"]
    foreign_users = sorted(u for u in users if u != caller) or ["mallory"]
    value = st.one_of(
        st.sampled_from(foreign_tenants).map(lambda v: ("foreign_tenant", v)),
        st.sampled_from(foreign_users).map(lambda v: ("foreign_user", v)),
        st.sampled_from(["system", "__system__", "__aksara_global__", "*"]).map(lambda v: ("system", v)),
        st.sampled_from(["", " ", None]).map(lambda v: ("empty", v)),
        st.sampled_from([0, -1, ["t1", "t2"], {"id": "t2"}, "t2' OR '1'='1", "T1", "t1\x00"]).map(
            lambda v: ("malformed", v)),
    )

    def build(pairs: list[tuple[str, tuple[str, Any]]], nest: bool) -> dict[str, Any]:
        claims = {key: v for key, (_, v) in pairs}
        return {"context": claims, **claims} if nest else claims

    return st.builds(build, st.lists(st.tuples(st.sampled_from(CLAIM_KEYS), value), min_size=1, max_size=4,
                                     unique_by=lambda p: p[0]), st.booleans())


def claim_labels(claims: dict[str, Any], users: dict[str, tuple[str, Any]], caller: str) -> set[str]:
    """The hostile classes a claims dict reaches (for the strategy's own tests)."""
    own_tenant = users[caller][0]
    labels = {"nested"} if isinstance(claims.get("context"), dict) else set()
    for key, v in claims.items():
        if key == "context":
            continue
        if isinstance(v, str) and v in {t for t, *_ in users.values()} and v != own_tenant:
            labels.add("foreign_tenant")
        elif isinstance(v, str) and v in users and v != caller:
            labels.add("foreign_user")
        elif v in ("system", "__system__", "__aksara_global__", "*"):
            labels.add("system")
        elif v in ("", " ", None):
            labels.add("empty")
        else:
            labels.add("malformed")
    return labels


def faults(kinds: Sequence[str] = FAULT_KINDS) -> st.SearchStrategy[tuple[str, int]]:
    """A fault and its count (the count matters for ``fail`` only)."""
    return st.tuples(st.sampled_from(list(kinds)), st.integers(1, 3)).map(
        lambda f: f if f[0] == "fail" else (f[0], 1))


def idempotency_keys() -> st.SearchStrategy[str | None]:
    """No key, or one of a small pool (so later dispatches reuse it)."""
    return st.one_of(st.none(), st.sampled_from(KEY_POOL))


#: the faults the sweep arms, with their counts: once, and (failures) for a whole budget of three attempts
SWEPT_FAULTS = (("fail", 1), ("fail", 3), ("crash", 1), ("stall", 1))


@dataclass(frozen=True)
class FaultCase:
    """One combination of the fault sweep: a job of ``kind`` (``task`` or an operation kind) by ``user`` with
    ``fault`` (name, count) armed on it; an operation needing approval is approved by ``approver`` first, and
    with ``cancel`` its requester cancels it after the first poll, while the fault holds it."""

    kind: str
    fault: tuple[str, int]
    user: str
    cancel: bool = False
    approver: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.fault[0]}x{self.fault[1]}{'/cancel' if self.cancel else ''} as {self.user}"


def representative_claims(users: dict[str, tuple[str, Any]], caller: str) -> dict[str, Any]:
    """One hostile body for ``caller``: another tenant under ``tenant_id``, another user under ``principal`` and
    ``user_id`` (the sweep's fixed choice among :func:`hostile_claims`' classes)."""
    own_tenant = users[caller][0]
    tenant = next((t for t, *_ in sorted(users.values()) if t != own_tenant), "t-other")
    user = next((u for u in sorted(users) if u != caller), "mallory")
    return {"tenant_id": tenant, "principal": user, "user_id": user}


def fault_sweep(operation_kinds: Sequence[str], users: dict[str, tuple[str, Sequence[str]]],
                approval_kinds: Sequence[str] = (), operation_faults: Sequence[str] = OPERATION_FAULT_KINDS
                ) -> list[FaultCase]:
    """Every job kind x every fault it takes x (operations) cancelled or not; requesters rotate over ``users``
    (user -> (tenant, roles)); an approval kind's requester has an approver in its tenant."""
    names = sorted(users)
    approver_of = {u: next((a for a in names if users[a][0] == users[u][0] and "approver" in users[a][1]), None)
                   for u in names}
    cases: list[FaultCase] = []

    def user_for(kind: str) -> str:
        pool = [u for u in names if kind not in approval_kinds or approver_of[u]]
        return pool[len(cases) % len(pool)]

    for fault in SWEPT_FAULTS:
        cases.append(FaultCase("task", fault, user_for("task")))
    for kind in operation_kinds:
        for fault in (f for f in SWEPT_FAULTS if f[0] in operation_faults):
            for cancel in (False, True):
                user = user_for(kind)
                cases.append(FaultCase(kind, fault, user, cancel,
                                       approver_of[user] if kind in approval_kinds else None))
    return cases
