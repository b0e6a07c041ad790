"""The AI query plan executor as a second query executor: ``ai_query.plan_differential``.

``POST /ai/query/execute`` (every Aksara app mounts it) runs an ``AiQueryPlan``: filters with the
documented lookups, sorting, ``limit``/``offset`` and ``select_fields`` over one model. A plan that
asks what a valid REST list query asks (the same conditions, the list route's row scope made
explicit, a total ordering) must be accepted and answer that query's rows: exactly the window
``[offset, offset + limit)`` of the rows the independent model selects and orders (the model the
REST list is held to by ``query.filter_differential``), each row with exactly ``id`` and the selected
fields, whose values are the stored ones in the documented JSON forms (UUID and decimal as text,
dates and times in ISO form); ``count`` is the number of rows, and ``limited`` is true whenever rows
past the window exist and false whenever the window is not full.
Without a total ordering (a route with no ordering fields) the whole result is compared as a set.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from targets.transcript import Exchange

#: field kinds whose stored value has one documented JSON form the oracle compares
COMPARED_KINDS = frozenset({"string", "text", "email", "url", "slug", "integer", "bigint", "smallint",
                            "boolean", "uuid", "decimal", "date", "datetime", "float"})


def json_form(value: Any) -> Any:
    """A stored value in the JSON form the plan executor documents for its rows."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _short(ids: Sequence[str], limit: int = 8) -> list[str]:
    return [i[:8] for i in list(ids)[:limit]]


def check_plan_differential(exchange: Exchange, plan: Mapping[str, Any], expected_rows: Sequence[Mapping[str, Any]],
                            ordered: bool, compared: Mapping[str, str], expected_keys: Sequence[str],
                            facts: Mapping[str, str]) -> list[Finding]:
    """A plan equivalent to a valid REST list query is accepted and answers exactly that query's rows, window,
    order, fields and values (``expected_rows``: the model's rows of the whole query, in order)."""
    facts = dict(facts)
    if exchange.status != 200:
        return [Finding(catalog.AI_QUERY_PLAN_DIFFERENTIAL,
                        f"a valid query plan was refused with {exchange.status}",
                        observed=exchange.status, expected=200, exchanges=(exchange,),
                        facts=exchange_facts(exchange, error_chars=300, problem="refused", **facts))]
    body = exchange.response_json()
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return [Finding(catalog.AI_QUERY_PLAN_DIFFERENTIAL, "the plan's answer has no list of rows",
                        observed=exchange.response_text[:300], expected='{"rows": [...], "count": n, ...}',
                        exchanges=(exchange,), facts=exchange_facts(exchange, problem="shape", **facts))]
    judged(catalog.AI_QUERY_PLAN_DIFFERENTIAL)
    pagination = plan.get("pagination") or {}
    offset, limit = int(pagination.get("offset", 0)), int(pagination.get("limit", 50))
    window = list(expected_rows)[offset:offset + limit] if ordered else list(expected_rows)
    got_ids = [str(r.get("id")) for r in rows]
    want_ids = [str(r["id"]) for r in window]
    findings: list[Finding] = []

    def finding(problem: str, message: str, observed: Any, expected: Any, **more: str) -> None:
        findings.append(Finding(catalog.AI_QUERY_PLAN_DIFFERENTIAL, message, observed=observed, expected=expected,
                                exchanges=(exchange,), facts=exchange_facts(exchange, problem=problem,
                                                                            **facts, **more)))

    got, want = set(got_ids), set(want_ids)
    for problem, ids in (("extra", got - want), ("missing", want - got)):  # each direction judged alone
        if ids:
            finding(problem, f"the plan returned {len(got)} rows, the equivalent query {len(want)} "
                             f"({len(ids)} {problem})", {problem: _short(sorted(ids))}, f"{len(want)} rows")
    if ordered and got == want and got_ids != want_ids:
        finding("order", "the plan's rows are not in the order its sorting asks for",
                _short(got_ids), _short(want_ids))
    if body.get("count") != len(rows):
        finding("count", f"count says {body.get('count')!r}, the answer has {len(rows)} rows",
                body.get("count"), len(rows))
    if ordered:
        beyond = len(expected_rows) > offset + limit
        limited = body.get("limited")
        if (beyond and limited is not True) or (len(rows) < limit and limited is not False):
            finding("limited", f"limited is {limited!r} with {len(expected_rows)} matching rows and the window "
                               f"[{offset}, {offset + limit})", limited, beyond)
    keys = set(expected_keys)
    by_id = {str(r["id"]): r for r in expected_rows}
    for row in rows:
        if set(row) != keys:
            finding("fields", "a row's fields are not id and the selected fields",
                    sorted(set(row) ^ keys), sorted(keys), fields=" ".join(sorted(set(row) ^ keys)))
            break
    for row in rows:
        stored = by_id.get(str(row.get("id")))
        if stored is None:
            continue
        wrong = [name for name, column in compared.items()
                 if name in row and json_form(stored.get(column)) != row[name]]
        if wrong:
            finding("value", f"the plan returned {', '.join(wrong)} unlike the stored row",
                    {n: row[n] for n in wrong}, {n: json_form(stored.get(compared[n])) for n in wrong},
                    fields=" ".join(sorted(wrong)))
            break
    return findings
