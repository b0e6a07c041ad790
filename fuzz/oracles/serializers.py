"""Oracles for writes through Aksara's ``ModelSerializer`` (create/update serializers on a viewset).

- ``serializers.round_trip_parity``: the same create body, accepted by a viewset with a
  create serializer and by a viewset of the same model without one, stores the same row
  (every field the client may write through both; server-chosen and read-only ones aside).
- ``serializers.patch_keeps_omitted``: a PATCH through an update serializer changes only the
  fields it sent (Aksara's serializer guide warns that its input model dumps defaults).
- ``serializers.read_only_never_applied``: a value sent for a field in the serializers'
  ``read_only_fields`` is never stored. Aksara's guide documents such input as omitted from
  validation, not rejected ("this does not mean every extra client key is rejected"), so a
  refusal and silent ignoring both pass; only storing it fails.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from fuzz.oracles.writes import UNDOCUMENTED, normalise, payload_names, same_value, stored_form
from targets.transcript import Exchange


def _accepted(exchange: Exchange | None) -> bool:
    return exchange is not None and 200 <= exchange.status < 300


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def check_round_trip_parity(resource: Any, sent: Mapping[str, Any], via_serializer: Exchange,
                            serializer_row: Mapping[str, Any] | None, via_model: Exchange,
                            model_row: Mapping[str, Any] | None) -> list[Finding]:
    """A create accepted through the serializer and through the model's other viewset stores the same row."""
    if not (_accepted(via_serializer) and _accepted(via_model)) or serializer_row is None or model_row is None:
        return []
    judged(catalog.SERIALIZERS_ROUND_TRIP_PARITY)
    findings = []
    for spec in resource.fields:
        if spec.server_controlled or spec.tenant or spec.serializer_read_only or spec.read_only:
            continue
        left = stored_form(spec, serializer_row.get(spec.column))
        right = stored_form(spec, model_row.get(spec.column))
        if same_value(left, right):
            continue
        was_sent = any(k in sent for k in payload_names(spec))
        findings.append(Finding(
            catalog.SERIALIZERS_ROUND_TRIP_PARITY,
            f"{spec.name} ({'sent' if was_sent else 'omitted'}) is stored as {_short(left)} through "
            f"{via_serializer.route} but {_short(right)} through {via_model.route}",
            observed={"serializer": _short(left), "model": _short(right)}, expected="equal",
            exchanges=(via_model, via_serializer),
            facts=exchange_facts(via_serializer, with_method=True, problem="rows_differ", field=spec.name,
                                 field_kind=spec.kind, sent="yes" if was_sent else "no",
                                 has_default=spec.has_default),
        ))
    return findings


def check_patch_keeps_omitted(exchange: Exchange, resource: Any, sent: Mapping[str, Any],
                              before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[Finding]:
    """A PATCH through an update serializer changes only the fields it sent; every omitted field keeps its value."""
    if not _accepted(exchange) or before is None or after is None:
        return []
    judged(catalog.SERIALIZERS_PATCH_KEEPS_OMITTED)
    findings = []
    for spec in resource.fields:
        if spec.name == "updated_at" or any(k in sent for k in payload_names(spec)):
            continue
        old, new = stored_form(spec, before.get(spec.column)), stored_form(spec, after.get(spec.column))
        if same_value(old, new):
            continue
        findings.append(Finding(
            catalog.SERIALIZERS_PATCH_KEEPS_OMITTED,
            f"PATCH {exchange.route} without {spec.name} changed it: {_short(old)} -> {_short(new)}",
            observed=_short(new), expected=_short(old), exchanges=(exchange,),
            facts=exchange_facts(exchange, with_method=True, problem="omitted_field_changed", field=spec.name,
                                 field_kind=spec.kind, has_default=spec.has_default),
        ))
    return findings


def check_read_only_never_applied(exchange: Exchange, resource: Any, sent: Mapping[str, Any],
                                  read_only_keys: Sequence[str], before: Mapping[str, Any] | None,
                                  after: Mapping[str, Any] | None) -> list[Finding]:
    """A value sent for a serializer read_only field is never stored: the write is refused or the value ignored."""
    keys = [k for k in read_only_keys if k in sent]
    if not keys or exchange.status >= 500:
        return []
    judged(catalog.SERIALIZERS_READ_ONLY_NEVER_APPLIED)
    if not _accepted(exchange) or after is None:
        return []  # refused: allowed (and what the issue would prefer)
    findings = []
    by_key = {name: spec for spec in resource.fields for name in payload_names(spec)}
    for key in keys:
        spec = by_key.get(key)
        if spec is None:
            continue
        wanted = normalise(spec, sent[key])
        if wanted is UNDOCUMENTED:
            continue
        stored = stored_form(spec, after.get(spec.column))
        had = stored_form(spec, before.get(spec.column)) if before is not None else None
        if same_value(stored, wanted) and not (before is not None and same_value(had, wanted)):
            findings.append(Finding(
                catalog.SERIALIZERS_READ_ONLY_NEVER_APPLIED,
                f"{exchange.method} {exchange.route}: read-only {key} sent {_short(sent[key])} and stored",
                observed=_short(stored), expected="refused or ignored", exchanges=(exchange,),
                facts=exchange_facts(exchange, with_method=True, problem="read_only_applied", field=key,
                                     field_kind=spec.kind),
            ))
    return findings
