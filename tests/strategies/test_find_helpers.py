"""The strategy helpers of tests/support/find.py pass on true facts and fail, naming the offender, on false ones."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from tests.support.find import assert_all_examples, assert_no_examples, find_any


def test_find_any_returns_a_satisfying_example_and_fails_when_none_exists():
    assert find_any(st.integers(0, 100), lambda n: n > 90) > 90
    with pytest.raises(AssertionError, match="no example satisfying"):
        find_any(st.integers(0, 10), lambda n: n > 10, max_examples=50)


def test_assert_all_examples_passes_on_a_fact_and_shows_the_smallest_offender_otherwise():
    assert_all_examples(st.integers(0, 10), lambda n: 0 <= n <= 10)

    def below_five(n):
        return n < 5

    with pytest.raises(AssertionError, match=r"^5 does not satisfy 'below_five'"):
        assert_all_examples(st.integers(0, 10), below_five)


def test_assert_no_examples_passes_on_a_fact_and_shows_the_smallest_offender_otherwise():
    assert_no_examples(st.integers(0, 10), lambda n: n > 10)
    assert_no_examples(st.nothing())  # the default predicate: the strategy produces nothing
    assert_no_examples(st.integers().filter(lambda n: False))

    def even(n):
        return n % 2 == 0

    with pytest.raises(AssertionError, match=r"^0 satisfies 'even'"):
        assert_no_examples(st.integers(0, 10), even)
    with pytest.raises(AssertionError, match="satisfies"):
        assert_no_examples(st.just("something"))
