"""Oracles for server-sent model event streams (a viewset's ``GET {prefix}/stream``).

Readings (Aksara's api/viewsets.md: the stream "is an SSE lifecycle-event surface. Its permission and
tenant requirements deserve a separate review"; the Threat Model's cross-tenant access risk; and what a
security reviewer expects of a shared event bus):

- ``streams.own_events``: a subscriber receives only events of its own tenant's rows (an event that
  names another tenant, or any tenant-scoped event for a subscriber without a tenant, is a leak), and a
  principal the resource's list refuses is refused the stream too (and so receives nothing).
- ``streams.pool_not_exhausted``: while as many subscribers as the connection pool holds (and one more)
  are listening, ordinary requests keep being answered within the time bound: open streams do not
  starve the application of database connections.
- ``streams.slow_consumer_isolated``: a subscriber that stops reading does not delay the delivery of
  events to the others: each attentive subscriber receives its tenant's events of the writes made while
  it listened.
"""

from __future__ import annotations

from typing import Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from targets.streams import Event
from targets.transcript import Exchange

REFUSED = frozenset({401, 403, 404, 405})


def _facts(exchange: Exchange, **more: str) -> dict[str, str]:
    return exchange_facts(exchange, with_method=True, **more)


def lifecycle(events: Sequence[Event]) -> list[Event]:
    """The model lifecycle events of a stream (not its ``ready`` greeting or comments)."""
    return [e for e in events if e.name == "message" and isinstance(e.data, dict) and "action" in e.data]


def check_own_events(stream: Exchange, events: Sequence[Event], tenant: str | None, list_status: int,
                     tenant_scoped: bool) -> list[Finding]:
    """A subscriber receives only its own tenant's events, and only when it may read the list."""
    judged(catalog.STREAMS_OWN_EVENTS)
    findings = []
    received = lifecycle(events)
    if list_status in REFUSED and stream.status not in REFUSED:
        findings.append(Finding(
            catalog.STREAMS_OWN_EVENTS,
            f"{stream.principal} is refused the list ({list_status}) but the stream {stream.route} answered "
            f"{stream.status}", observed=stream.status, expected=f"refused like the list ({list_status})",
            exchanges=(stream,), facts=_facts(stream, problem="stream_admits_refused_reader")))
    if not tenant_scoped:
        return findings
    foreign = [e for e in received if e.data.get("tenant_id") is not None and str(e.data.get("tenant_id")) != str(tenant)]
    untagged = [e for e in received if "tenant_id" not in e.data or e.data.get("tenant_id") is None]
    if foreign:
        findings.append(Finding(
            catalog.STREAMS_OWN_EVENTS,
            f"{stream.principal} (tenant {tenant}) received {len(foreign)} event(s) of another tenant on {stream.route}",
            observed=[e.data for e in foreign[:5]], expected=f"only events of tenant {tenant}",
            exchanges=(stream,), facts=_facts(stream, problem="foreign_tenant_event" if tenant else "tenantless_event")))
    if untagged:
        findings.append(Finding(
            catalog.STREAMS_OWN_EVENTS,
            f"{stream.principal} received {len(untagged)} event(s) of a tenant-scoped model without a tenant "
            f"on {stream.route}", observed=[e.data for e in untagged[:5]], expected="every event names its tenant",
            exchanges=(stream,), facts=_facts(stream, problem="untagged_event")))
    return findings


def check_pool_not_exhausted(probes: Sequence[Exchange], subscribers: int, bound: float) -> list[Finding]:
    """Ordinary requests are answered in time while ``subscribers`` streams are open."""
    judged(catalog.STREAMS_POOL_NOT_EXHAUSTED)
    findings = []
    for probe in probes:
        late = probe.extra.get("timed_out") is not None or probe.elapsed_ms > bound * 1000
        if late or probe.status >= 500:
            problem = "starved" if late else "error"
            findings.append(Finding(
                catalog.STREAMS_POOL_NOT_EXHAUSTED,
                f"with {subscribers} stream subscribers open, {probe.method} {probe.route} answered {probe.status} "
                f"after {probe.elapsed_ms / 1000:.1f}s ({problem})",
                observed=f"{probe.status} after {probe.elapsed_ms / 1000:.1f}s",
                expected=f"an answer within {bound:g}s", exchanges=(probe,),
                facts=_facts(probe, problem=problem, subscribers=str(subscribers))))
    return findings


def check_slow_consumer_isolated(stream: Exchange, events: Sequence[Event], expected_ids: Sequence[str],
                                 stalled: int) -> list[Finding]:
    """An attentive subscriber receives the events of its tenant's writes while ``stalled`` others stop reading."""
    if stream.status != 200 or not expected_ids:
        return []
    judged(catalog.STREAMS_SLOW_CONSUMER_ISOLATED)
    seen = {str(e.data.get("id")) for e in lifecycle(events)}
    missing = [i for i in expected_ids if i not in seen]
    if not missing:
        return []
    return [Finding(
        catalog.STREAMS_SLOW_CONSUMER_ISOLATED,
        f"{stream.principal} missed {len(missing)} of {len(expected_ids)} event(s) of its tenant's writes on "
        f"{stream.route} while {stalled} subscriber(s) stalled",
        observed=f"received ids {sorted(seen)}", expected=f"events for {list(expected_ids)}", exchanges=(stream,),
        facts=_facts(stream, problem="delayed", stalled=str(stalled)))]
