"""MCP JSON-RPC inputs: tool-call arguments from a tool's ``inputSchema``, and malformed messages.

Hostile classes reached:

- arguments *valid* for the tool's published ``inputSchema`` (scalars from hypothesis-jsonschema,
  objects composed here, then filtered through the schema's own validator; ``format: uuid`` fields
  also draw known row ids);
- arguments *hostile* to it: a wrong-typed property, an unknown property, an oversized string, a NUL
  byte or lone surrogate, deep nesting, a value outside ``enum``/``minimum``/``maximum``, the
  approval-token key, a path-like ``pk`` (empty, dot segments, slash, query, fragment), a non-object
  ``arguments`` value (tagged by :class:`ToolArguments.kind`);
- malformed JSON-RPC: invalid JSON, truncated JSON, a non-object body, an empty body, a batch
  array, a wrong or missing ``jsonrpc`` version, a missing/wrong-typed ``method``, an unknown
  method, wrong-typed ``params``/``id``, ``tools/call`` without ``name``, with a non-string or
  unknown tool name, or with non-object ``arguments``, NaN literals, and oversized bodies.

hypothesis-jsonschema's object strategy does not run on this Hypothesis release, so objects,
arrays and ``anyOf`` are composed here from per-value ``from_schema`` strategies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema.validators import validator_for

JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63) | st.floats(allow_nan=False) | st.text(
    max_size=20)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def value_strategy(schema: Any, known_ids: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """Values intended to satisfy ``schema`` (callers filter with the validator to be exact)."""
    if not isinstance(schema, dict) or not schema or schema == {"items": {}}:
        return JSON_VALUES
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([value_strategy(option, known_ids) for option in schema[key]])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return object_strategy(schema, known_ids)
    if kind == "array":
        return st.lists(value_strategy(schema.get("items", {}), known_ids), max_size=3)
    if kind == "string" and schema.get("format") == "uuid":
        uuids = st.uuids().map(str)
        return st.sampled_from(list(known_ids)) | uuids if known_ids else uuids
    if kind == "string" and schema.get("format") == "date-time" and "enum" not in schema:
        return st.datetimes().map(lambda d: d.isoformat() + "Z")
    if kind is None and "enum" not in schema and "const" not in schema:
        return JSON_VALUES
    return from_schema(schema)


def object_strategy(schema: Mapping[str, Any], known_ids: Sequence[str] = ()) -> st.SearchStrategy[dict]:
    properties = schema.get("properties", {}) or {}
    required = set(schema.get("required", []) or [])
    return st.fixed_dictionaries(
        {name: value_strategy(sub, known_ids) for name, sub in properties.items() if name in required},
        optional={name: value_strategy(sub, known_ids) for name, sub in properties.items() if name not in required},
    )


def is_valid(schema: Mapping[str, Any], value: Any) -> bool:
    return validator_for(schema)(schema).is_valid(value)


@dataclass(frozen=True)
class ToolArguments:
    """Arguments for one ``tools/call``; ``kind`` says which hostile class (``valid`` for none)."""

    kind: str
    arguments: Any


def valid_arguments(schema: Mapping[str, Any], known_ids: Sequence[str] = ()) -> st.SearchStrategy[ToolArguments]:
    """Arguments the tool's own ``inputSchema`` accepts."""
    return object_strategy(schema, known_ids).filter(lambda v: is_valid(schema, v)).map(
        lambda v: ToolArguments("valid", v))


def _wrong_type(sub: Any) -> st.SearchStrategy[Any]:
    kinds = {"string": st.integers(), "integer": st.text(max_size=5) | st.floats(0.5, 9.5),
             "number": st.text(max_size=5), "boolean": st.sampled_from(["true", 1, "yes"]),
             "object": st.lists(st.integers(), max_size=2), "array": st.text(max_size=3)}
    kind = sub.get("type") if isinstance(sub, dict) else None
    return kinds.get(kind, st.just({"$unexpected": [1, {"deep": None}]}))


def hostile_arguments(schema: Mapping[str, Any], known_ids: Sequence[str] = ()) -> st.SearchStrategy[ToolArguments]:
    """Arguments outside the published schema, or valid ones carrying hostile strings."""
    properties = dict(schema.get("properties", {}) or {})
    base = object_strategy(schema, known_ids)
    names = sorted(properties)
    alternatives: list[st.SearchStrategy[ToolArguments]] = [
        st.tuples(base, st.sampled_from(["tenant_id", "id", "internal_notes", "__proto__", "x" * 70, "is_admin"]),
                  JSON_SCALARS).map(lambda t: ToolArguments("unknown_property", {**t[0], t[1]: t[2]})),
        st.sampled_from([[], [1, 2], "arguments", 7, True]).map(lambda v: ToolArguments("non_object", v)),
        base.map(lambda v: ToolArguments("approval_token", {**v, "_approval_token": "forged.token"})),
    ]
    if "pk" in properties:
        alternatives.append(st.tuples(base, st.sampled_from(["", ".", "..", "%2e%2e", "a/b", "?limit=1", "#x"])).map(
            lambda t: ToolArguments("path_segment", {**t[0], "pk": t[1]})))
    if names:
        name = st.sampled_from(names)
        alternatives += [
            st.tuples(base, name).flatmap(lambda t: _wrong_type(properties[t[1]]).map(
                lambda bad: ToolArguments("wrong_type", {**t[0], t[1]: bad}))),
            st.tuples(base, name, st.integers(70_000, 200_000)).map(
                lambda t: ToolArguments("oversized_string", {**t[0], t[1]: "x" * t[2]})),
            st.tuples(base, name, st.sampled_from(["a\x00b", "\ud800", "' OR 1=1 --", "%", "\\"])).map(
                lambda t: ToolArguments("hostile_string", {**t[0], t[1]: t[2]})),
            st.tuples(base, name, st.integers(60, 400)).map(
                lambda t: ToolArguments("deep_nesting", {**t[0], t[1]: _nest(t[2])})),
        ]
    bounded = [n for n in names if isinstance(properties[n], dict)
               and ({"minimum", "maximum", "enum", "maxLength"} & set(properties[n]))]
    if bounded:
        alternatives.append(st.tuples(base, st.sampled_from(bounded)).map(
            lambda t: ToolArguments("out_of_bounds", {**t[0], t[1]: _out_of_bounds(properties[t[1]])})))
    return st.one_of(alternatives)


def _nest(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"n": value}
    return value


def _out_of_bounds(sub: Mapping[str, Any]) -> Any:
    if "enum" in sub:
        return "not-one-of-" + "-".join(map(str, sub["enum"]))[:40]
    if "maximum" in sub:
        return sub["maximum"] + 1
    if "minimum" in sub:
        return sub["minimum"] - 1
    return "y" * (int(sub["maxLength"]) + 1)


def tool_arguments(schema: Mapping[str, Any], known_ids: Sequence[str] = ()) -> st.SearchStrategy[ToolArguments]:
    """Valid or hostile arguments, about half each."""
    return valid_arguments(schema, known_ids) | hostile_arguments(schema, known_ids)


# -- malformed JSON-RPC -----------------------------------------------------------------------

@dataclass(frozen=True)
class RawMessage:
    """Bytes to POST to the MCP endpoint, labelled by malformation class."""

    kind: str
    content: bytes


def _dump(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def malformed_messages(tool_names: Sequence[str] = ("unknown",)) -> st.SearchStrategy[RawMessage]:
    """Every malformed JSON-RPC class."""
    ids = st.integers(1, 10 ** 6)
    call = st.builds(lambda i, n: {"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                   "params": {"name": n, "arguments": {}}}, ids, st.sampled_from(list(tool_names)))
    return st.one_of(
        st.sampled_from([b"{", b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ", b"not json", b"\xff\xfe",
                         b"{\"a\":1}}"]).map(lambda c: RawMessage("invalid_json", c)),
        call.map(lambda m: RawMessage("truncated", _dump(m)[:-3])),
        st.sampled_from([b"[]", b"1", b"\"text\"", b"null", b"true"]).map(lambda c: RawMessage("non_object", c)),
        st.just(RawMessage("empty", b"")),
        st.lists(call, min_size=1, max_size=3).map(lambda ms: RawMessage("batch", _dump(ms))),
        st.tuples(call, st.sampled_from(["1.0", "3.0", 2, None, ""])).map(
            lambda t: RawMessage("bad_version", _dump({**t[0], "jsonrpc": t[1]}))),
        call.map(lambda m: RawMessage("no_version", _dump({k: v for k, v in m.items() if k != "jsonrpc"}))),
        call.map(lambda m: RawMessage("no_method", _dump({k: v for k, v in m.items() if k != "method"}))),
        st.tuples(call, st.sampled_from([1, None, ["tools/call"], {}])).map(
            lambda t: RawMessage("bad_method_type", _dump({**t[0], "method": t[1]}))),
        st.tuples(call, st.sampled_from(["tools/destroy", "admin/shell", "resources/read", "", "TOOLS/CALL"])).map(
            lambda t: RawMessage("unknown_method", _dump({**t[0], "method": t[1]}))),
        st.tuples(call, st.sampled_from([[], "params", 5, None])).map(
            lambda t: RawMessage("bad_params", _dump({**t[0], "params": t[1]}))),
        st.tuples(call, st.sampled_from([{}, [1], 1.5, True])).map(
            lambda t: RawMessage("bad_id", _dump({**t[0], "id": t[1]}))),
        call.map(lambda m: RawMessage("no_name", _dump({**m, "params": {"arguments": {}}}))),
        st.tuples(call, st.sampled_from([1, None, ["x"], {"n": 1}])).map(
            lambda t: RawMessage("bad_name", _dump({**t[0], "params": {"name": t[1], "arguments": {}}}))),
        st.tuples(call, st.sampled_from(["../../etc/passwd", "ticket_list\x00", "x" * 5000, "Ticket_List", " "])
                  ).map(lambda t: RawMessage("unknown_tool", _dump({**t[0], "params": {"name": t[1],
                                                                                      "arguments": {}}}))),
        st.tuples(call, st.sampled_from([[], "a=b", 3, None])).map(
            lambda t: RawMessage("bad_arguments", _dump({**t[0], "params": {**t[0]["params"], "arguments": t[1]}}))),
        call.map(lambda m: RawMessage("nan_literal", _dump(m).replace(b'"id": ', b'"x": NaN, "id": '))),
        st.tuples(call, st.integers(1_100_000, 3_000_000)).map(
            lambda t: RawMessage("oversized", _dump({**t[0], "params": {**t[0]["params"],
                                                                         "arguments": {"pad": "x" * t[1]}}}))),
    )
