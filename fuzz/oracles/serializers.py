"""Oracles for writes through Aksara's ``ModelSerializer`` (create/update serializers on a viewset).

- ``serializers.round_trip_parity``: the same create body, accepted by a viewset with a
  create serializer and by a viewset of the same model without one, stores the same row
  (every field the client may write through both; server-chosen and read-only ones aside).
- ``serializers.patch_keeps_omitted``: a PATCH through an update serializer changes only the
  fields it sent (Aksara's serializer guide warns that its input model dumps defaults).
- ``serializers.read_only_never_applied``: a value sent for a field in the serializers'
  ``read_only_fields`` is refused: never stored (``read_only_applied``), and not silently dropped
  from an accepted write (``read_only_ignored``: the client is never told its value was not taken).
  Aksara's guide documents the dropping ("Read-only input fields are omitted from the serializer's
  input model; this does not mean every extra client key is rejected"): the ledger records it as
  documented behaviour (AKSARA-SERIALIZER-001), so only a stored value is new on a release that
  documents it.
- ``serializers.validation_contract``: a serializer's documented validation API, called as an
  application calls it (the guide's "Validation and persistence"): ``is_valid()`` answers a bool
  (Pydantic errors and ``ValueError`` become ``False``; only Aksara's own ``ValidationError``
  propagates), ``errors`` is a non-empty mapping exactly when it answered ``False``, ``validated_data``
  is refused until it answered ``True``, ``is_valid(raise_exception=True)`` raises exactly when it
  would answer ``False``, no data is never valid, ``many=True`` over several bodies is valid exactly
  when each is and validates each as alone (one object with ``many=True`` is no list: ``False``), and a
  value sent for a key the input model omits (``read_only_fields``, undeclared keys) never reaches
  ``validated_data``.
- ``serializers.representation_contract``: ``.data`` of a stored row carries exactly the declared
  fields (``Meta.fields`` minus ``Meta.exclude``, a foreign key under its column; expanded relations
  and many-to-many ids may be added), ``to_representation()`` and the module's ``serialize_instance``
  give the same, ``many=True`` (over a list or any iterable of rows, and ``serialize_many``) gives each
  row's representation in order, and a serializer given no instance represents nothing (``{}``, or ``[]``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from fuzz import catalog
from fuzz.findings import Finding
from fuzz.judging import judged
from fuzz.oracles.context import exchange_facts
from fuzz.oracles.writes import UNDOCUMENTED, normalise, payload_names, same_value, stored_form
from targets.base import SerializerSpec
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
    """A value sent for a serializer read_only field is refused: never stored, and not silently dropped."""
    keys = [k for k in read_only_keys if k in sent]
    if not keys or exchange.status >= 500:
        return []
    judged(catalog.SERIALIZERS_READ_ONLY_NEVER_APPLIED)
    if not _accepted(exchange) or after is None:
        return []  # refused: what the property asks
    findings: list[Finding] = []
    ignored: list[str] = []
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
        if before is not None and same_value(had, wanted):
            continue  # the row already held the value sent: applied and ignored look alike
        if same_value(stored, wanted):
            findings.append(Finding(
                catalog.SERIALIZERS_READ_ONLY_NEVER_APPLIED,
                f"{exchange.method} {exchange.route}: read-only {key} sent {_short(sent[key])} and stored",
                observed=_short(stored), expected="refused", exchanges=(exchange,),
                facts=exchange_facts(exchange, with_method=True, problem="read_only_applied", field=key,
                                     field_kind=spec.kind),
            ))
        else:
            ignored.append(key)
    if ignored:
        findings.append(Finding(
            catalog.SERIALIZERS_READ_ONLY_NEVER_APPLIED,
            f"{exchange.method} {exchange.route}: read-only {', '.join(sorted(ignored))} accepted and silently dropped",
            observed=exchange.status, expected="refused (4xx) naming the field", exchanges=(exchange,),
            facts=exchange_facts(exchange, with_method=True, problem="read_only_ignored",
                                 field=",".join(sorted(ignored))),
        ))
    return findings


@dataclass(frozen=True)
class Validation:
    """What a serializer's validation API answered for one ``data`` (the property records it, the oracle judges)."""

    valid: bool | None  # is_valid()'s answer; None when it raised (or the app refused with Aksara's ValidationError)
    errors: Any = None  # .errors after the answer
    validated: Any = None  # .validated_data after True
    validated_refused: bool = False  # .validated_data raised AssertionError after False
    strict_raised: bool | None = None  # is_valid(raise_exception=True) on a fresh serializer raised
    raised: Mapping[str, str] | None = None  # crash facts of an undocumented exception of either call


@dataclass(frozen=True)
class Representation:
    """What a serializer's representation API gave for some stored rows (None where the release lacks a helper)."""

    rows: tuple[Any, ...] = ()  # .data of each row on its own
    again: tuple[Any, ...] = ()  # to_representation() of each
    helper: tuple[Any, ...] | None = None  # serialize_instance(row, serializer) of each
    together: Any = None  # .data with many=True over the rows
    together_helper: Any = None  # serialize_many(rows, serializer)
    from_iterator: Any = None  # .data with many=True over an iterator of the rows
    nothing: Any = None  # .data of a serializer given no instance
    nothing_many: Any = None  # the same with many=True
    raised: Mapping[str, str] | None = None


def _same(left: Any, right: Any) -> bool:
    """Equal as represented (``repr``: NaN equals itself, a UUID differs from its text)."""
    return repr(left) == repr(right)


def _finding(pid: str, spec: SerializerSpec, problem: str, message: str, *, observed: Any = None,
             expected: Any = None, **facts: Any) -> Finding:
    return Finding(pid, f"{spec.name}: {message}", observed=observed, expected=expected,
                   facts={"problem": problem, "serializer": spec.name, **facts})


def _raised(pid: str, spec: SerializerSpec, call: str, crash: Mapping[str, str]) -> Finding:
    return _finding(pid, spec, "raised", f"{call} raised {crash.get('exception', '?')}: "
                    f"{_short(crash.get('crash_message', ''), 120)}", observed=crash.get("exception"),
                    expected="an answer", call=call, **crash)


def _answer_consistent(spec: SerializerSpec, what: str, v: Validation) -> list[Finding]:
    """The answer, ``errors``, ``validated_data`` and the raising form agree with each other."""
    pid, problems = catalog.SERIALIZERS_VALIDATION_CONTRACT, []
    if v.valid and v.errors is not None:
        problems.append(("errors_after_valid", f"is_valid() is True for {what} but errors is {_short(v.errors)}"))
    if v.valid and not isinstance(v.validated, (dict, list)):
        problems.append(("no_validated_data", f"is_valid() is True for {what} but validated_data is "
                                              f"{_short(v.validated)}"))
    if v.valid is False and not (isinstance(v.errors, Mapping) and v.errors):
        problems.append(("invalid_without_errors", f"is_valid() is False for {what} with errors {_short(v.errors)}"))
    if v.valid is False and not v.validated_refused:
        problems.append(("validated_after_invalid", f"validated_data is served after is_valid() was False for {what}"))
    if v.strict_raised is not None and v.strict_raised != (v.valid is False):
        problems.append(("strict_disagrees", f"is_valid() is {v.valid} for {what} but is_valid(raise_exception=True) "
                                             f"{'raised' if v.strict_raised else 'did not raise'}"))
    return [_finding(pid, spec, problem, message, observed=v.valid) for problem, message in problems]


def check_validation_contract(spec: SerializerSpec, bodies: Sequence[Mapping[str, Any]], singles: Sequence[Validation],
                              together: Validation | None, no_data: Validation | None,
                              object_as_many: Validation | None = None) -> list[Finding]:
    """A serializer's validation API answers as documented, alone and with ``many=True``, and never passes a value
    sent for a key its input model omits."""
    pid = catalog.SERIALIZERS_VALIDATION_CONTRACT
    judged(pid)
    findings: list[Finding] = []
    for index, (body, v) in enumerate(zip(bodies, singles)):
        what = f"body {index}"
        if v.raised:
            findings.append(_raised(pid, spec, "is_valid()", v.raised))
            continue
        findings += _answer_consistent(spec, what, v)
        if v.valid and isinstance(v.validated, Mapping):
            for key in sorted(k for k in body if k not in spec.input_fields):
                sent = body[key]
                if sent is not None and key in v.validated and _same(v.validated[key], sent):
                    findings.append(_finding(
                        pid, spec, "omitted_key_passed",
                        f"{key} is not in the input model (read-only or undeclared) but the value sent, "
                        f"{_short(sent)}, is in validated_data", observed=_short(sent), expected="absent",
                        field=key, read_only="yes" if key in spec.read_only else "no"))
    if together is not None and all(v.raised is None and v.valid is not None for v in singles):
        if together.raised:
            findings.append(_raised(pid, spec, "is_valid() with many=True", together.raised))
        elif together.valid is not None:
            findings += _answer_consistent(spec, "the bodies with many=True", together)
            each = all(v.valid for v in singles)
            if together.valid != each:
                findings.append(_finding(pid, spec, "many_disagrees",
                                         f"is_valid() with many=True is {together.valid}, but the bodies alone are "
                                         f"{[v.valid for v in singles]}", observed=together.valid, expected=each))
            elif each and not _same(together.validated, [v.validated for v in singles]):
                findings.append(_finding(pid, spec, "many_disagrees",
                                         "validated_data with many=True differs from each body's validated alone",
                                         observed=_short(together.validated, 200),
                                         expected=_short([v.validated for v in singles], 200)))
    if object_as_many is not None:
        if object_as_many.raised:
            findings.append(_raised(pid, spec, "is_valid() with many=True over one object", object_as_many.raised))
        elif object_as_many.valid is not None:
            findings += _answer_consistent(spec, "one object with many=True", object_as_many)
            if object_as_many.valid:
                findings.append(_finding(pid, spec, "object_as_many_accepted",
                                         "is_valid() with many=True accepts one object, which is no list",
                                         observed=True, expected=False))
    if no_data is not None:
        if no_data.raised:
            findings.append(_raised(pid, spec, "is_valid() without data", no_data.raised))
        elif no_data.valid is not False or not no_data.errors:
            findings.append(_finding(pid, spec, "no_data_accepted",
                                     f"is_valid() without data is {no_data.valid} with errors {_short(no_data.errors)}",
                                     observed=no_data.valid, expected=False))
    return findings


def check_representation_contract(spec: SerializerSpec, rep: Representation) -> list[Finding]:
    """``.data`` of a stored row carries exactly the declared fields; the other spellings of it agree."""
    pid = catalog.SERIALIZERS_REPRESENTATION_CONTRACT
    if rep.raised:
        judged(pid)
        return [_raised(pid, spec, "representation", rep.raised)]
    if not rep.rows:
        return []
    judged(pid)
    findings: list[Finding] = []
    required, allowed = set(spec.output_keys), set(spec.output_keys) | set(spec.optional_keys)
    for index, data in enumerate(rep.rows):
        keys = set(data) if isinstance(data, Mapping) else set()
        if not isinstance(data, Mapping):
            findings.append(_finding(pid, spec, "not_a_mapping", f".data of row {index} is {_short(data)}"))
            continue
        for key in sorted(required - keys):
            findings.append(_finding(pid, spec, "missing_key", f".data lacks the declared field {key}",
                                     observed=sorted(keys), expected=key, field=key))
        for key in sorted(keys - allowed):
            findings.append(_finding(pid, spec, "undeclared_key", f".data carries {key}, which Meta does not select",
                                     observed=key, expected=sorted(allowed), field=key))
        if index < len(rep.again) and not _same(rep.again[index], data):
            findings.append(_finding(pid, spec, "spellings_disagree", "to_representation() differs from .data",
                                     observed=_short(rep.again[index]), expected=_short(data), call="to_representation"))
        if rep.helper is not None and index < len(rep.helper) and not _same(rep.helper[index], data):
            findings.append(_finding(pid, spec, "spellings_disagree", "serialize_instance() differs from .data",
                                     observed=_short(rep.helper[index]), expected=_short(data),
                                     call="serialize_instance"))
    alone = list(rep.rows)
    if rep.nothing != {} or rep.nothing_many != []:
        findings.append(_finding(pid, spec, "nothing_represented", "a serializer given no instance represents "
                                 f"{_short(rep.nothing)} (many=True: {_short(rep.nothing_many)})",
                                 observed=_short((rep.nothing, rep.nothing_many)), expected="{} and []"))
    if rep.from_iterator is not None and not _same(rep.from_iterator, alone):
        findings.append(_finding(pid, spec, "many_disagrees", ".data with many=True over an iterator of the rows "
                                 "differs from each row's .data", observed=_short(rep.from_iterator, 200),
                                 expected=_short(alone, 200), call="many_iterator"))
    if not _same(rep.together, alone):
        findings.append(_finding(pid, spec, "many_disagrees", ".data with many=True differs from each row's .data",
                                 observed=_short(rep.together, 200), expected=_short(alone, 200), call="many"))
    if rep.together_helper is not None and not _same(rep.together_helper, alone):
        findings.append(_finding(pid, spec, "many_disagrees", "serialize_many() differs from each row's .data",
                                 observed=_short(rep.together_helper, 200), expected=_short(alone, 200),
                                 call="serialize_many"))
    return findings
