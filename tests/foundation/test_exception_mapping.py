"""http.exception_mapping: Aksara's exception reference table, quiet on real Aksara for every exception it lists,
and a handler planted in Aksara (tests/support/plants/exceptions.py) caught for the exception it changes only."""

from __future__ import annotations

import pytest

from fuzz.oracles.http import expected_exception_body
from fuzz.properties.http import raised_in_route
from strategies.http import RAISED_EXCEPTIONS, RaisedCase, raised_cases
from tests.support.find import find_any
from tests.support.plants import exceptions as plants

CASES = [RaisedCase(name, "Ticket not found ü", "reference", 409 if name == "HTTPException" else 3)
         for name in RAISED_EXCEPTIONS]


def problems(cases):
    return sorted((f.facts["raised"], f.facts["problem"], f.facts["wrong"]) for c in cases for f in raised_in_route(c))


def test_the_reference_table():
    case = RaisedCase("ValidationError", "Invalid ticket", "subject", 0)
    assert expected_exception_body(case, "Invalid ticket (subject: Invalid ticket)") == (
        422, {"detail": "Invalid ticket (subject: Invalid ticket)", "code": "validation_error",
              "errors": {"subject": "Invalid ticket"}})
    assert expected_exception_body(RaisedCase("MultipleObjectsReturned", "m", "f", 0), "m") == (500, {"detail": "m"})
    assert expected_exception_body(RaisedCase("HTTPException", "no", "f", 403), "no")[0] == 403


@pytest.mark.parametrize("exception", RAISED_EXCEPTIONS)
def test_cases_reach_unicode_and_edges(exception):
    find_any(raised_cases(exception), lambda c: not c.message.isascii())
    find_any(raised_cases(exception), lambda c: c.number == 0 or c.number == 400)


def test_quiet_on_real_aksara():
    assert problems(CASES) == []


def test_a_missing_row_answered_500_is_caught(monkeypatch):
    plants.plant(monkeypatch)
    assert problems(CASES) == [("DoesNotExist", "wrong_status", "status")]


def test_a_conflict_without_its_code_is_caught(monkeypatch):
    plants.plant_conflict_without_code(monkeypatch)
    assert problems(CASES) == [("UniqueConstraintError", "wrong_code", "code")]
