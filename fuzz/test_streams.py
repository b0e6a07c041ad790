"""Server-sent model event streams (``GET {prefix}/stream``) as the target serves them.

- every principal subscribes at once while principals of each tenant create, update and delete through the
  API: each receives only its own tenant's events, and only if it may read the list (cross-tenant access);
- as many subscribers as the connection pool holds, and one more: ordinary requests are still answered
  (malformed or oversized input: resource exhaustion);
- stalled subscribers do not delay the events of an attentive one.
Each scenario is a few seconds of real streaming: a sweep of one scenario per stream, then a little
exploration of write sequences.
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.profiles import scaled
from fuzz.properties import streams as props
from fuzz.sweep import swept, sweeps
from targets import features

pytestmark = pytest.mark.aksara_features("model_stream")


@pytest.fixture(scope="module")
def streams(live_target):
    found = props.stream_routes(live_target)
    if not found:
        pytest.skip("the target serves no model event stream (every viewset has stream_enabled = False)")
    return found


def _write_sweep(live_target, streams, **_):
    """Each stream once per group of subscribers, with every writer creating, updating and deleting."""
    return [(path, batch, tuple(props.sample_writes(live_target, resource)))
            for path, resource in streams for batch in props.subscriber_batches(live_target)]


_EXPLORE: dict[int, st.SearchStrategy] = {}


def _explore(live_target, streams):
    key = id(streams)
    if key not in _EXPLORE:
        writers = sorted({w for _, resource in streams for w in props.writers(live_target, resource)})
        _EXPLORE[key] = st.tuples(st.sampled_from([path for path, _ in streams]),
                                  st.sampled_from(props.subscriber_batches(live_target)),
                                  st.lists(st.tuples(st.sampled_from(writers), st.sampled_from(props.WRITE_OPS)),
                                           min_size=1, max_size=4).map(tuple))
    return _EXPLORE[key]


@judges(catalog.STREAMS_OWN_EVENTS)
@sweeps(catalog.STREAMS_OWN_EVENTS, _write_sweep)
@scaled(0.02)
@given(data=st.data())
def test_subscribers_receive_only_their_tenants_events(live_target, streams, data):
    path, subscribers, writes = data.draw(swept(_explore(live_target, streams)), label="stream, subscribers, writes")
    judge(props.own_events_case(live_target, path, subscribers, writes))


@judges(catalog.STREAMS_POOL_NOT_EXHAUSTED)
def test_open_streams_do_not_exhaust_the_pool(live_target, streams):
    path, _ = streams[0]
    subscriber = next(iter(props.stream_principals(live_target)), None)
    if subscriber is None:
        pytest.skip("the target has no tenant user principal to subscribe with")
    judge(props.pool_case(live_target, path, subscriber))


@judges(catalog.STREAMS_SLOW_CONSUMER_ISOLATED)
def test_a_stalled_subscriber_does_not_delay_the_others(live_target, streams):
    findings = []
    for path, _ in streams:
        for listener in props.stream_principals(live_target)[:1]:
            findings += props.slow_consumer_case(live_target, path, listener)
    judge(findings)
