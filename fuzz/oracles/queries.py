"""Semantic oracles for list routes: filters, partitions, pivots, ordering, pages, taint.

Each takes what a property observed and returns findings:

- ``query.filter_differential``: the ids (and ``count``) a valid filter returns equal an
  independent evaluation of the same predicate over the principal's visible rows
  (:mod:`fuzz.oracles.pg_model`).
- ``query.partition`` (ternary logic partitioning): for a comparison ``f`` vs ``v``, the results
  of ``f__gt=v``, ``f__lte=v`` and ``f__isnull=true`` are disjoint and together are the
  unfiltered list — no model needed.
- ``query.pivot`` (pivoted query synthesis): a filter built from one visible row's own values
  returns that row.
- ``query.ordering``: with a total ordering (it ends in ``id``) the id sequence is exactly the
  model's order; the set and count are the unordered ones.
- ``query.page_walk``: walking every page of the route's paginator (following ``next_cursor``)
  yields every row exactly once, in order, no page exceeds its size, and ``count`` is right
  (for cursors Aksara documents ``count`` as the rows remaining after the cursor).
- ``query.injection_taint``: no client-supplied filter value, search term or rejected ordering
  term appears in the text of any SQL statement the request caused (values travel as bound
  parameters), and the canary table is untouched.
- ``query.hidden_field_side_channel``: for a principal that must not see a field, the status,
  count and ids of a response do not depend on that field's values in a filter or ordering.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from targets.transcript import Exchange


def _short(ids: Sequence[str], limit: int = 12) -> list[str]:
    return [i[:8] for i in list(ids)[:limit]]


def check_filter_differential(exchange: Exchange, got_ids: Sequence[str] | None, count: int | None,
                              expected_ids: Sequence[str], filters: Sequence[tuple[str, str]]) -> list[Finding]:
    """A valid filter is accepted and returns exactly the rows the model says, with that count."""
    params = " ".join(k for k, _ in filters)
    if exchange.status != 200 or got_ids is None:
        return [Finding(catalog.QUERY_FILTER_DIFFERENTIAL,
                        f"a valid filter was refused with {exchange.status}",
                        observed=exchange.status, expected=200, exchanges=(exchange,),
                        facts=exchange_facts(exchange, problem="refused", filters=params))]
    judged(catalog.QUERY_FILTER_DIFFERENTIAL)
    got, want = set(got_ids), set(expected_ids)
    findings = []
    for problem, ids in (("extra", got - want), ("missing", want - got)):  # each direction judged alone
        if ids:
            findings.append(Finding(
                catalog.QUERY_FILTER_DIFFERENTIAL,
                f"filter returned {len(got)} rows, the model {len(want)} ({len(ids)} {problem})",
                observed={problem: _short(sorted(ids))}, expected=f"{len(want)} rows", exchanges=(exchange,),
                facts=exchange_facts(exchange, problem=problem, filters=params),
            ))
    # a count that agrees with the returned rows is explained by a wrong row set; any other is its own fault
    if count is not None and count != len(want) and (got == want or count != len(got)):
        findings.append(Finding(catalog.QUERY_FILTER_DIFFERENTIAL, f"count {count} but {len(want)} rows match",
                                observed=count, expected=len(want), exchanges=(exchange,),
                                facts=exchange_facts(exchange, problem="count", filters=params)))
    return findings


def check_partition(exchanges: Sequence[Exchange], parts: Sequence[Sequence[str] | None],
                    everything: Sequence[str], key: str) -> list[Finding]:
    """``gt``, ``lte`` and ``isnull`` of one comparison partition the unfiltered list."""
    if any(p is None for p in parts):  # without every part there is no partition to judge
        return [Finding(catalog.QUERY_PARTITION, f"a partition query was refused with {bad.status}",
                        observed=bad.status, expected=200, exchanges=tuple(exchanges),
                        facts=exchange_facts(bad, problem="refused", field=key))
                for bad, part in zip(exchanges, parts) if part is None]
    judged(catalog.QUERY_PARTITION)
    sets = [set(p) for p in parts]  # type: ignore[arg-type]
    union = set().union(*sets)
    overlap = (sets[0] & sets[1]) | (sets[0] & sets[2]) | (sets[1] & sets[2])
    gap = set(everything) - union
    extra = union - set(everything)
    findings = []
    for problem, ids in (("overlap", overlap), ("gap", gap), ("extra", extra)):
        if ids:
            findings.append(Finding(
                catalog.QUERY_PARTITION,
                f"{key}: gt/lte/isnull parts cover {len(union)} of {len(set(everything))} rows "
                f"({len(ids)} {problem})",
                observed={problem: _short(sorted(ids))},
                expected="a partition of the unfiltered list", exchanges=tuple(exchanges),
                facts=exchange_facts(exchanges[0], problem=problem, field=key),
            ))
    return findings


def check_pivot(exchange: Exchange, got_ids: Sequence[str] | None, pivot_id: str,
                filters: Sequence[tuple[str, str]]) -> list[Finding]:
    """The pivot row satisfies the filter built from its own values, so it is returned."""
    if got_ids is not None:
        judged(catalog.QUERY_PIVOT)
    if got_ids is not None and pivot_id in got_ids:
        return []
    problem = "refused" if got_ids is None else "missing"
    return [Finding(catalog.QUERY_PIVOT, f"pivot row {pivot_id[:8]} not returned ({problem})",
                    observed=exchange.status if got_ids is None else _short(got_ids), expected=pivot_id,
                    exchanges=(exchange,),
                    facts=exchange_facts(exchange, problem=problem, filters=" ".join(k for k, _ in filters)))]


def check_ordering(exchange: Exchange, got_ids: Sequence[str] | None, expected_ids: Sequence[str],
                   terms: Sequence[str]) -> list[Finding]:
    """A total ordering returns exactly the model's sequence."""
    if got_ids is None:
        return [Finding(catalog.QUERY_ORDERING, f"an allowed ordering was refused with {exchange.status}",
                        observed=exchange.status, expected=200, exchanges=(exchange,),
                        facts=exchange_facts(exchange, problem="refused", ordering=",".join(terms)))]
    judged(catalog.QUERY_ORDERING)
    if list(got_ids) == list(expected_ids):
        return []
    if set(got_ids) != set(expected_ids):
        problem = "rows"
    else:
        problem = "order"
    first = next((i for i, (a, b) in enumerate(zip(got_ids, expected_ids)) if a != b), None)
    return [Finding(catalog.QUERY_ORDERING, f"ordering {','.join(terms)}: {problem} differ from the model "
                    f"(first difference at position {first})",
                    observed=_short(got_ids), expected=_short(expected_ids), exchanges=(exchange,),
                    facts=exchange_facts(exchange, problem=problem, ordering=",".join(terms)))]


def check_page_walk(exchanges: Sequence[Exchange], pages: Sequence[Sequence[str]], counts: Sequence[int | None],
                    expected_ids: Sequence[str], page_size: int, paginator: str, ordered: bool) -> list[Finding]:
    """Every row exactly once, in order; no page larger than asked; counts as documented."""
    findings = []
    walked = [i for page in pages for i in page]
    facts = dict(paginator=paginator, page_size=page_size)
    last = exchanges[-1] if exchanges else None
    if any(e.status != 200 for e in exchanges):  # an interrupted walk has no completeness to judge
        return [Finding(catalog.QUERY_PAGE_WALK, f"page request answered {bad.status}", observed=bad.status,
                        expected=200, exchanges=tuple(exchanges[-3:]), facts=exchange_facts(bad, problem="refused", **facts))
                for bad in exchanges if bad.status != 200]
    judged(catalog.QUERY_PAGE_WALK)
    duplicates = sorted({i for i in walked if walked.count(i) > 1})
    missing = sorted(set(expected_ids) - set(walked))
    extra = sorted(set(walked) - set(expected_ids))
    for problem, ids in (("duplicate", duplicates), ("missing", missing), ("extra", extra)):
        if ids:
            findings.append(Finding(
                catalog.QUERY_PAGE_WALK, f"{paginator} walk with page size {page_size}: {len(ids)} {problem} "
                f"of {len(expected_ids)}",
                observed={problem: _short(ids)}, expected="every row exactly once", exchanges=tuple(exchanges[-3:]),
                facts=exchange_facts(last, problem=problem, **facts)))
    if not (duplicates or missing or extra) and ordered and walked != list(expected_ids):
        findings.append(Finding(catalog.QUERY_PAGE_WALK, f"{paginator} walk returns rows out of order",
                                observed=_short(walked), expected=_short(expected_ids),
                                exchanges=tuple(exchanges[-3:]), facts=exchange_facts(last, problem="order", **facts)))
    for index, page in enumerate(pages):  # every page judged
        if len(page) > page_size:
            findings.append(Finding(catalog.QUERY_PAGE_WALK, f"page {index} has {len(page)} rows > page size {page_size}",
                                    observed=len(page), expected=page_size, exchanges=(exchanges[index],),
                                    facts=exchange_facts(exchanges[index], problem="oversized", **facts)))
    seen = 0
    for index, (exchange, count, page) in enumerate(zip(exchanges, counts, pages)):
        wanted = len(expected_ids) - seen if paginator == "cursor" else len(expected_ids)
        if count is not None and count != wanted:
            findings.append(Finding(catalog.QUERY_PAGE_WALK, f"page {index}: count {count}, expected {wanted}",
                                    observed=count, expected=wanted, exchanges=(exchange,),
                                    facts=exchange_facts(exchange, problem="count", **facts)))
        seen += len(page)
    return findings


SQL_WORDS = re.compile(
    r"\b(SELECT|FROM|WHERE|AND|OR|NOT|IN|IS|NULL|ORDER|BY|ASC|DESC|NULLS|FIRST|LAST|LIMIT|OFFSET|COUNT|OVER|AS|"
    r"I?LIKE|ESCAPE|LOWER|UPPER|CAST|TRUE|FALSE|INSERT|INTO|VALUES|UPDATE|SET|DELETE|RETURNING|JOIN|ON|LEFT|"
    r"DISTINCT|GROUP|HAVING|EXISTS|ANY|ALL|BETWEEN|COALESCE|jsonb|text|uuid|numeric|integer|bigint|boolean|date|"
    r"timestamptz|timestamp)\b", re.I)


def sql_residue(sql: str) -> str:
    """SQL text minus what the framework itself writes: quoted identifiers, parameters, keywords."""
    residue = re.sub(r'"(?:[^"]|"")*"', " ", sql)
    residue = re.sub(r"\$\d+", " ", residue)
    return SQL_WORDS.sub(" ", residue)


def check_injection_taint(exchange: Exchange, statements: Sequence[str], client_values: Sequence[str],
                          canary_intact: bool, baseline: Sequence[str] = ()) -> list[Finding]:
    """Client values never appear in SQL text (outside the framework's own identifiers and
    keywords); the canary table is untouched. Judged only for a request that reached SQL.

    A statement whose exact text the same request without any client value also sent (``baseline``:
    the session lookup of an authentication middleware, say) cannot carry a client value and is not searched.
    """
    if statements:
        judged(catalog.QUERY_INJECTION_TAINT)
    findings = []
    unchanged = set(baseline)
    statements = [sql for sql in statements if sql not in unchanged]
    residues = [sql_residue(sql) for sql in statements]
    for value in client_values:  # every tainting value is its own finding (its first statement shown)
        if len(value.strip()) < 3:
            continue
        sql = next((sql for sql, residue in zip(statements, residues) if value in residue), None)
        if sql is not None:
            findings.append(Finding(
                catalog.QUERY_INJECTION_TAINT, "a client-supplied value appears in SQL text",
                observed=sql[:400], expected="the value only as a bound parameter", exchanges=(exchange,),
                facts=exchange_facts(exchange, problem="tainted_sql", value=value[:80])))
    if not canary_intact:
        findings.append(Finding(catalog.QUERY_INJECTION_TAINT, "the canary table changed or disappeared",
                                observed="canary changed", expected="canary intact", exchanges=(exchange,),
                                facts=exchange_facts(exchange, problem="canary")))
    return findings


def check_side_channel(field: str, baseline: Exchange, probes: Sequence[Exchange],
                       summarise: Any) -> list[Finding]:
    """Responses to requests differing only in a hidden field's value are indistinguishable."""
    if baseline.status == 200:
        judged(catalog.QUERY_HIDDEN_FIELD_SIDE_CHANNEL)
    reference = summarise(baseline)
    return [Finding(
        catalog.QUERY_HIDDEN_FIELD_SIDE_CHANNEL,
        f"a filter or ordering on hidden field {field!r} changes the response",
        observed=summarise(probe), expected=reference, exchanges=(baseline, probe),
        facts=exchange_facts(probe, field=field, problem="observable", probe=_probe_keys(probe)))
        for probe in probes if summarise(probe) != reference]  # each probe (filter, lookup, ordering) judged


def _probe_keys(exchange: Exchange) -> str:
    return ",".join(key for key, _ in exchange.query)
