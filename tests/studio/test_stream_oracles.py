"""The stream oracles catch planted faults and stay quiet on correct streams."""

from __future__ import annotations

import pytest

from fuzz.properties import streams as props
from targets import features
from tests.support.planted import started_planted
from tests.support.plants import streams as plants

pytestmark = pytest.mark.skipif(not features.has("model_stream"), reason=features.missing("model_stream") or "")


@pytest.fixture(scope="module")
def planted(pg_server):
    with started_planted(pg_server, "hardened", plants.extend, "streams_planted") as live:
        yield live


@pytest.fixture(scope="module")
def planted_bare(pg_server):
    """The planted app with no middleware between the stream and the client but the bearer one (``defaults``): the
    hardened stack's request-context middleware hand each message on through their own task, which hides a
    stream that serializes its sends (the slow-consumer oracle then rightly sees no delay)."""
    with started_planted(pg_server, "defaults", plants.extend, "streams_planted_bare") as live:
        yield live


def _writes(live):
    return props.sample_writes(live, live.info.resource("Comment"))


def test_own_events_oracle_catches_a_stream_without_the_tenant_filter(planted):
    findings = props.own_events_case(planted, "/planted/all-tenants-comments/stream", ("user_a", "user_no_tenant"),
                                     _writes(planted), resource="Comment")
    assert {f.facts["problem"] for f in findings} == {"foreign_tenant_event", "tenantless_event"}


def test_own_events_oracle_catches_a_stream_without_the_permission_check(planted):
    findings = props.own_events_case(planted, "/planted/unchecked-comments/stream", ("anonymous", "user_a"),
                                     _writes(planted), resource="Comment")
    assert [f.facts["problem"] for f in findings] == ["stream_admits_refused_reader"]
    assert findings[0].exchanges[0].principal == "anonymous"


@pytest.mark.parametrize("subscribers", [("anonymous", "user_a"), ("user_b", "user_no_tenant")])
def test_own_events_oracle_is_quiet_on_aksaras_stream(planted, subscribers):
    assert props.own_events_case(planted, "/comments/stream", subscribers, _writes(planted)) == []


def test_pool_oracle_catches_streams_that_hold_pooled_connections(planted):
    findings = props.pool_case(planted, "/comments/stream", "user_a")
    assert findings and {f.facts["problem"] for f in findings} == {"starved"}


def test_pool_oracle_is_quiet_on_streams_with_their_own_connection(planted):
    assert props.pool_case(planted, "/planted/dedicated-comments/stream", "user_a", resource="Comment") == []


def test_slow_consumer_oracle_catches_sends_serialized_across_subscribers(planted_bare):
    findings = props.slow_consumer_case(planted_bare, "/planted/serialized-comments/stream", "user_a",
                                        resource="Comment")
    assert [f.facts["problem"] for f in findings] == ["delayed"]


@pytest.mark.parametrize("profile", ["hardened", "defaults"])
def test_slow_consumer_oracle_is_quiet_on_aksaras_stream(planted, planted_bare, profile):
    live = planted if profile == "hardened" else planted_bare
    assert props.slow_consumer_case(live, "/comments/stream", "user_a") == []


def test_only_writes_answered_well_inside_the_window_are_due():
    """On a slow machine the last writes may be answered as the window closes: their events are nobody's due (a
    dev run under coverage on a loaded machine called that a stalled subscriber's delay)."""
    done = [("w", "a", 201, 0.6), ("w", "b", 201, props.WINDOW - props.GRACE), ("w", "c", 201, props.WINDOW - 0.5),
            ("w", "d", 403, 0.7), ("w", None, 201, 0.8)]
    assert props.due_rows(done) == ["a", "b"]
    assert props.due_rows(done, window=10.0) == ["a", "b", "c"]
