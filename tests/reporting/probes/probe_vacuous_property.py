"""Run by tests/reporting/test_catalog.py: a planted property whose oracle never sees a success.

The oracle judges a list only when it answered 200; every request goes to a route the app does
not serve, so no example is ever judged. The test must end skipped with that reason, never passed.
"""

from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judged, judges


def check_listed_rows(exchange):
    """Planted oracle: a 200 list response is judged (never reached here)."""
    if exchange.status != 200:
        return []
    judged(catalog.QUERY_FILTER_DIFFERENTIAL)
    return []


@judges(catalog.QUERY_FILTER_DIFFERENTIAL)
@given(n=st.integers(0, 5))
def test_property_that_never_sees_a_success(live_target, n):
    exchange = live_target.request("anonymous", "GET", f"/no-such-route-{n}/")
    judge(check_listed_rows(exchange))
