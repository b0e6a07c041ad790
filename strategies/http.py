"""Hostile requests to a resource's list and detail routes: who sends, which route, which query.

:func:`hostile_requests` draws a :class:`HostileRequest` for one resource: any principal of the
target, the list route or a detail route (a seeded id, a random one or a hostile one, see
:func:`strategies.query.path_ids`), and a hostile query string (:func:`strategies.query.query_strings`,
cursors forged from every resource's seeded ids). ``fuzz/properties/http.py`` sends it and applies
the generic HTTP oracles.

:func:`raised_cases` draws an exception for a route of an app of its own to raise
(:class:`RaisedCase`): every class of :data:`RAISED_EXCEPTIONS`, any message and field name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from hypothesis import strategies as st

from strategies.compact import CompactDict
from strategies.query import path_ids, query_strings

if TYPE_CHECKING:
    from targets.base import TargetInfo
    from targets.client import LiveTarget


class KnownIds(CompactDict):
    """Ids of every seeded row per resource."""


def known_ids(live: LiveTarget) -> KnownIds:
    """The ids of every seeded row of the live target, per resource."""
    return KnownIds({
        r.name: [str(row["id"]) for row in live.run(live.db.fetch_rows(r.table))]
        for r in live.info.resources
    })


@dataclass(frozen=True)
class HostileRequest:
    """What one example sends: who, to which route, with which query."""

    principal: str
    resource: str
    pk: str | None
    query: Sequence[tuple[str, str]]


def hostile_requests(info: TargetInfo, ids: KnownIds, resource_name: str) -> st.SearchStrategy[HostileRequest]:
    """Any principal, list or detail route (existing, random or hostile id), hostile query."""
    resource = info.resource(resource_name)
    return st.builds(
        HostileRequest,
        principal=st.sampled_from([p.name for p in info.principals]),
        resource=st.just(resource_name),
        pk=st.none() | path_ids(ids.get(resource_name, [])),
        # cursors are forged from every resource's ids: other tenants' rows and other endpoints' rows
        query=query_strings(resource, known_ids=sorted({i for rows in ids.values() for i in rows})),
    )


#: What application code may raise in a route of a standard Aksara app (docs/reference/exceptions.md, "HTTP
#: handlers on Aksara"): Aksara's ORM exceptions, its ValidationError, and FastAPI's HTTPException.
RAISED_EXCEPTIONS = ("DoesNotExist", "MultipleObjectsReturned", "UniqueConstraintError", "ValidationError",
                     "RestrictedError", "HTTPException")
HTTP_ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 410, 418, 422, 429)


@dataclass(frozen=True)
class RaisedCase:
    """An exception a route raises: its class, message, the field it names, and a count (RestrictedError's
    related_count) or status (HTTPException's)."""

    exception: str
    message: str
    field: str
    number: int


def raised_cases(exception: str) -> st.SearchStrategy[RaisedCase]:
    """Instances of ``exception`` with any printable message and field name, and any count or error status."""
    text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=80)
    numbers = st.sampled_from(HTTP_ERROR_STATUSES) if exception == "HTTPException" else st.integers(0, 10**6)
    return st.builds(RaisedCase, st.just(exception), text, text, numbers)
