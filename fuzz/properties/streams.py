"""Property bodies for server-sent model event streams, bound to ``fuzz/oracles/streams.py``.

Streams are found in the app's routing table (route kind ``stream``: ``GET {prefix}/stream`` of a described
resource). A scenario opens subscribers as several principals at once (bounded reads through ASGI, on the
target's event loop), drives writes through the REST API as principals of each tenant while they listen,
then judges what each subscriber received. Every scenario resets the database afterwards.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Sequence

from fuzz import catalog
from fuzz.findings import Finding, with_replay
from fuzz.oracles import streams as oracles
from fuzz.properties.authz import TenantModel, create_body, tenant_of, update_field
from targets.base import ResourceSpec
from targets.routes import inventory
from targets.streams import events, stalled_subscriber
from targets.transcript import Exchange

if TYPE_CHECKING:
    from targets.client import LiveTarget

SETTLE = 0.5  # seconds for subscribers to start listening before the first write
WINDOW = 2.5  # seconds a subscriber reads
GRACE = 1.0  # seconds before a subscriber's window closes by which a write must be done for its event to be due
PROBE_BOUND = 5.0  # seconds an ordinary request may take while streams are open
WRITE_OPS = ("create", "update", "delete")


def stream_routes(live: LiveTarget) -> list[tuple[str, ResourceSpec]]:
    """(stream path, its resource) for every stream the app serves."""
    out = []
    for route in inventory(live.app, live.info):
        if route.kind == "stream" and route.method == "GET":
            resource = live.info.resource_at(route.path)
            if resource is not None:
                out.append((route.path, resource))
    return out


def writers(live: LiveTarget, resource: ResourceSpec) -> list[str]:
    """One ordinary user principal per tenant (they drive the writes)."""
    out: dict[str, str] = {}
    for spec in live.info.principals:
        if spec.kind == "user" and spec.tenant and spec.tenant not in out:
            out[spec.tenant] = spec.name
    return list(out.values())


def _references(live: LiveTarget, model: TenantModel, resource: ResourceSpec, tenant: str | None) -> dict[str, str]:
    refs = {}
    for spec in resource.fields:
        if spec.kind == "fk" and spec.fk_target in model.rows:
            rows = model.ordered(spec.fk_target)
            pick = next((i for i, t in rows if t == tenant), None) or next((i for i, _ in rows), None)
            if pick:
                refs[spec.fk_target] = pick
    return refs


async def _write(live: LiveTarget, principal: str, resource: ResourceSpec, op: str, model: TenantModel,
                 label: str) -> tuple[Exchange, str | None]:
    """One write through the API; the id of the row it created or touched (None when refused)."""
    tenant = tenant_of(live, principal)
    body = create_body(resource, model, _references(live, model, resource, tenant), label)
    created = await live.arequest(principal, "POST", resource.list_path, json_body=body, route=resource.list_path)
    row = created.response_json() if created.status in (200, 201) else None
    row_id = str(row.get("id")) if isinstance(row, dict) and row.get("id") else None
    if row_id is None or op == "create":
        return created, row_id
    detail = resource.detail_path(row_id)
    if op == "update":
        spec = update_field(resource)
        exchange = await live.arequest(principal, "PATCH", detail, json_body={spec.name: "stream"} if spec else {},
                                       route=resource.detail_path("{pk}"))
    else:
        exchange = await live.arequest(principal, "DELETE", detail, route=resource.detail_path("{pk}"))
    return exchange, row_id


async def _listen_and_write(live: LiveTarget, path: str, subscribers: Sequence[str], writes: Sequence[tuple[str, str]],
                            resource: ResourceSpec, model: TenantModel,
                            window: float = WINDOW) -> tuple[list[Exchange], list[tuple[str, str | None, int]]]:
    """Subscribers listen for ``window`` seconds while ``writes`` run one after another; returns their streams and,
    per write, (writer, row id, status, seconds from the subscribers' start to the write's answer)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = [asyncio.ensure_future(live.arequest(p, "GET", path, route=path, stream_window=window,
                                                 timeout=window + PROBE_BOUND)) for p in subscribers]
    await asyncio.sleep(SETTLE)
    done = []
    for i, (principal, op) in enumerate(writes):
        exchange, row_id = await _write(live, principal, resource, op, model, f"s{i}")
        done.append((principal, row_id, exchange.status, loop.time() - started))
    return list(await asyncio.gather(*tasks)), done


def due_rows(done: Sequence[tuple[str, str | None, int, float]], window: float = WINDOW) -> list[str]:
    """The rows of successful writes answered at least :data:`GRACE` seconds before the subscribers' window closed
    (a window is read from its response head, so it closes no sooner than ``window`` after the start): on a slow
    machine the last writes of a scenario may still be running when the window ends, and their events are no
    subscriber's due."""
    return [row for _, row, status, at in done if row and status < 400 and at <= window - GRACE]


def stream_resource(live: LiveTarget, path: str, resource: str | None = None) -> ResourceSpec:
    """The resource a stream belongs to: ``resource`` by name, else the one whose prefix owns ``path``."""
    spec = live.info.resource(resource) if resource else live.info.resource_at(path)
    if spec is None:
        raise KeyError(f"no described resource owns the stream {path}")
    return spec


def own_events_case(live: LiveTarget, path: str, subscribers: Sequence[str],
                    writes: Sequence[tuple[str, str]], resource: str | None = None) -> list[Finding]:
    """``subscribers`` listen at once while ``writes`` ((writer, op)) run; each receives only what it may see.

    A scenario in which no subscriber received any event of a successful write judges nothing (the
    streams were not delivering, e.g. starved of connections: that is ``streams.pool_not_exhausted``)."""
    name, resource = resource, stream_resource(live, path, resource)
    live.reset()
    model = TenantModel.from_db(live)
    lists = {p: live.request(p, "GET", resource.list_path, route=resource.list_path).status for p in subscribers}
    streams, done = live.run(_listen_and_write(live, path, subscribers, writes, resource, model))
    live.reset()
    delivered = any(oracles.lifecycle(events(stream)) for stream in streams)
    if not delivered:
        return []
    findings: list[Finding] = []
    for stream in streams:
        findings += oracles.check_own_events(stream, events(stream), tenant_of(live, stream.principal),
                                             lists[stream.principal], resource.tenant_scoped)
    return with_replay(findings, "streams", "own_events_case", path=path, subscribers=list(subscribers),
                       writes=[list(w) for w in writes], resource=name)


def subscriber_batches(live: LiveTarget) -> list[tuple[str, ...]]:
    """Every principal, in groups small enough to leave the pool a connection for the writes."""
    size = max(1, pool_size(live) - 2)
    names = [p.name for p in live.info.principals]
    return [tuple(names[i:i + size]) for i in range(0, len(names), size)]


def pool_case(live: LiveTarget, path: str, subscriber: str, extra: int = 1, resource: str | None = None) -> list[Finding]:
    """As many subscribers as the pool holds, plus ``extra``; meanwhile ordinary requests must be answered."""
    name, resource = resource, stream_resource(live, path, resource)
    live.reset()
    size = pool_size(live)
    n = size + extra

    async def scenario() -> list[Exchange]:
        tasks = [asyncio.ensure_future(live.arequest(subscriber, "GET", path, route=path, stream_window=PROBE_BOUND + 2,
                                                     timeout=PROBE_BOUND * 3)) for _ in range(n)]
        await asyncio.sleep(SETTLE * 2)
        probes = [await live.arequest(subscriber, "GET", resource.list_path, route=resource.list_path,
                                      timeout=PROBE_BOUND * 2),
                  await live.arequest("anonymous", "GET", live.info.health_path, route=live.info.health_path,
                                      timeout=PROBE_BOUND * 2)]
        await asyncio.gather(*tasks)
        return probes

    probes = live.run(scenario())
    live.reset()
    findings = oracles.check_pool_not_exhausted(probes, n, PROBE_BOUND)
    return with_replay(findings, "streams", "pool_case", path=path, subscriber=subscriber, extra=extra,
                       resource=name)


def pool_size(live: LiveTarget) -> int:
    """The app's connection pool's maximum size (asyncpg), or 10 when it cannot be read."""
    pool = getattr(getattr(live.app, "db", None), "pool", None)
    getter = getattr(pool, "get_max_size", None)
    try:
        return int(getter()) if getter else 10
    except Exception:  # noqa: BLE001 - a pool that does not say
        return 10


def slow_consumer_case(live: LiveTarget, path: str, listener: str, stalled: int = 2,
                       resource: str | None = None) -> list[Finding]:
    """``stalled`` subscribers stop reading; ``listener`` must still get its tenant's events."""
    name, resource = resource, stream_resource(live, path, resource)
    tenant = tenant_of(live, listener)
    writer = next((w for w in writers(live, resource) if tenant_of(live, w) == tenant), None)
    if writer is None:
        return []
    live.reset()
    model = TenantModel.from_db(live)
    writes = [(writer, "create")] * 6  # more events than the layers between app and client buffer

    # control: without stalled subscribers, does the listener get the events at all?
    (control,), done = live.run(_listen_and_write(live, path, [listener], writes, resource, model))
    live.reset()
    expected = due_rows(done)
    if oracles.check_slow_consumer_isolated(control, events(control), expected, 0):
        return []  # the stream does not deliver them even without stalled subscribers: not this property
    # the scenario's window grows with the machine's pace, as the control measured it (its writes, twice over)
    window = max(WINDOW, 2 * max((at for *_, at in done), default=0.0) + GRACE)

    async def scenario() -> tuple[Exchange, list[tuple[str, str | None, int]]]:
        release = asyncio.Event()
        starts = [asyncio.Event() for _ in range(stalled)]
        headers = [("accept", "text/event-stream"), *live.headers_for(listener)]
        stuck = [asyncio.ensure_future(stalled_subscriber(live.app, headers, path, s, release)) for s in starts]
        await asyncio.wait_for(asyncio.gather(*(s.wait() for s in starts)), PROBE_BOUND)
        try:
            (stream,), done = await _listen_and_write(live, path, [listener], writes, resource, model, window)
        finally:
            release.set()
            await asyncio.gather(*stuck, return_exceptions=True)
        return stream, done

    stream, done = live.run(scenario())
    live.reset()
    expected = due_rows(done, window)
    findings = oracles.check_slow_consumer_isolated(stream, events(stream), expected, stalled)
    return with_replay(findings, "streams", "slow_consumer_case", path=path, listener=listener, stalled=stalled,
                       resource=name)


def stream_principals(live: LiveTarget) -> list[str]:
    """Principals with a tenant whose list of the streamed resource is served (subscribers that should hear)."""
    return [p.name for p in live.info.principals if p.tenant and p.kind in ("user", "staff")]


def sample_writes(live: LiveTarget, resource: ResourceSpec) -> list[tuple[str, str]]:
    """Each writer creates, updates and deletes once."""
    return [(w, op) for w in writers(live, resource) for op in WRITE_OPS]

