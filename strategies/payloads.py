"""Write bodies for create, update and custom-action routes, built from a resource's metadata.

Every body is a :class:`WriteBody`: the exact bytes sent, the content type, the JSON
document a conforming parser yields from them (or :data:`NO_DOCUMENT`), the hostile
class it belongs to and whether every value is valid for its field (``clean``).

Reaches these hostile classes (the keys of :func:`body_classes`):
``valid`` (required fields plus any optional client-writable ones);
``restricted_key`` (server-controlled ``id``/``tenant_id``/timestamps, read-only,
AI-hidden and AI-write-denied fields, and their column-name aliases, with values of
the right type); ``unknown_key`` (names of no field, case and whitespace variants,
field names whose payload name is the column, prototype keys); ``nested_denied``
(a restricted field name as an object key inside a JSON field's value, at any depth
and array position — see :func:`strategies.json_values.json_paths`); ``type_confusion``
(bool for int, numbers as strings, objects and arrays for scalars, strings for
booleans); ``null_all`` (``null`` for every client field); ``boundary`` (integer
width edges, NaN/Infinity, huge and over-precise decimals, impossible dates,
naive timestamps); ``bad_text`` (NUL bytes, lone surrogates, strings past
``max_length`` and up to 64 KiB); ``deep`` (JSON nested 31 to 5000 levels);
``wide`` (JSON objects/arrays of up to 100 000 members); ``malformed_json``
(truncated, trailing garbage, single quotes, bare NaN, empty, non-object bodies,
BOM, UTF-16); ``non_utf8`` (invalid UTF-8 inside strings); ``duplicate_keys`` (a
key twice, restricted value first or last); ``content_type`` (missing, text/plain,
form, multipart, charset variants, ``+json``). :func:`oversized_bodies` adds
``oversized`` (1 MiB + 1 byte up to 50 MB), kept apart because each example costs
megabytes.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Sequence

from hypothesis import strategies as st

from strategies import json_values as jv
from targets.base import INTEGER_BOUNDS

NO_DOCUMENT = type("NoDocument", (), {"__repr__": lambda self: "NO_DOCUMENT"})()
MIB = 1024 * 1024
OVERSIZED_SIZES = (MIB + 1, 2 * MIB, 10 * 1000 * 1000, 50 * 1000 * 1000)
JSON_CT = "application/json"
SAFE_TEXT = st.characters(codec="utf-8", exclude_characters="\x00")
UNKNOWN_KEYS = ("is_admin", "role", "owner_id", "password", "__proto__", "constructor", "pk", "_id",
                "tenant", "deleted_at", "extra", "")
CONTENT_TYPES = (None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                 "application/json; charset=latin-1", "application/json; charset=utf-16",
                 "application/vnd.api+json", "APPLICATION/JSON", "application/xml", "*/*")


@dataclass(frozen=True, eq=False)
class WriteBody:
    """One request body for a write route, with what the suite knows about it."""

    hostile_class: str
    document: Any = NO_DOCUMENT
    raw: bytes | None = None
    content_type: str | None = JSON_CT
    clean: bool = False
    depth: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def body_bytes(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.document, allow_nan=True).encode("utf-8", "surrogatepass")

    @property
    def size(self) -> int:
        return len(self.body_bytes())

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.document) if isinstance(self.document, dict) else ()

    def __repr__(self) -> str:
        if self.depth > 20 or (self.raw is not None and len(self.raw) > 300):
            shown = f"<{len(self.body_bytes())} bytes, depth {self.depth}>"
        else:
            shown = repr(self.body_bytes()[:300])
        return (f"WriteBody({self.hostile_class}, clean={self.clean}, keys={list(self.keys)[:12]}, "
                f"ct={self.content_type!r}, body={shown}{', ' + ', '.join(self.notes) if self.notes else ''})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis prints examples with this
        printer.text(repr(self))


# -- field metadata ------------------------------------------------------------------------

def client_fields(resource: Any) -> list[Any]:
    """Fields a client may send at all: not server-controlled, not the tenant, not read-only."""
    return [f for f in resource.fields if f.writable_by_clients]


def restricted_fields(resource: Any) -> list[Any]:
    """Fields some principal may not write: server-controlled, tenant, read-only, AI-hidden, AI-write-denied."""
    return [f for f in resource.fields
            if f.server_controlled or f.tenant or f.read_only or not f.ai_writable or f.ai_sensitive]


def json_fields(resource: Any) -> list[Any]:
    return [f for f in client_fields(resource) if f.kind == "json"]


def restricted_names(resource: Any) -> list[str]:
    """Every name (field name and column alias) of a field with restrictive write metadata."""
    names: list[str] = []
    for f in resource.fields:
        if f.tenant or f.read_only or not f.ai_writable:
            names += [n for n in dict.fromkeys((f.name, f.column, f.input_key)) if n not in names]
    return names


def fk_target(spec: Any, known: Mapping[str, Any]) -> str | None:
    """The resource a foreign key points at: its metadata, else the resource named like the field."""
    if spec.fk_target:
        return spec.fk_target
    wanted = spec.name.replace("_", "").lower()
    return next((name for name in known if name.lower() == wanted), None)


# -- valid values --------------------------------------------------------------------------

INT_RANGES = {kind: (-bound, bound - 1) for kind, bound in INTEGER_BOUNDS.items()}
clean_documents = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15)
    | st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False) | st.text(SAFE_TEXT, max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(SAFE_TEXT, max_size=6), inner, max_size=3),
    max_leaves=8,
)


def _decimal_values(spec: Any) -> st.SearchStrategy:
    places = spec.decimal_places if spec.decimal_places is not None else 2
    digits = spec.max_digits if spec.max_digits is not None else 12
    bound = Decimal(10) ** (digits - places) - Decimal(1) / (Decimal(10) ** places)
    return st.decimals(min_value=-bound, max_value=bound, places=places, allow_nan=False,
                       allow_infinity=False).map(str)


def valid_values(spec: Any, fk_ids: Mapping[str, Sequence[str]]) -> st.SearchStrategy:
    """Values every principal allowed to write ``spec`` may store (so a rejection is the policy's)."""
    if spec.choices:
        return st.sampled_from(list(spec.choices))
    kind = spec.kind
    if kind in ("string", "text", "slug", "email", "url"):
        limit = spec.max_length if spec.max_length else 200
        if kind == "slug":
            return st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=min(limit, 30))
        if kind == "email":
            return st.from_regex(r"\A[a-z]{1,10}@example\.(com|org)\Z").filter(lambda s: len(s) <= limit)
        if kind == "url":
            return st.from_regex(r"\Ahttps://example\.com/[a-z0-9]{0,20}\Z").filter(lambda s: len(s) <= limit)
        return st.text(SAFE_TEXT, min_size=1, max_size=min(limit, 200))
    if kind in INT_RANGES:
        return st.integers(0, 1000) | st.sampled_from(INT_RANGES[kind])
    if kind == "decimal":
        return _decimal_values(spec)
    if kind == "float":
        return st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "date":
        return st.dates().map(lambda d: d.isoformat()).filter(lambda s: len(s) == 10)
    if kind == "datetime":
        import datetime as dt

        return st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1),
                            timezones=st.just(dt.timezone.utc)).map(lambda d: d.isoformat())
    if kind == "time":
        return st.times().map(lambda t: t.isoformat())
    if kind == "uuid":
        return st.uuids().map(str)
    if kind == "json":
        return clean_documents
    if kind == "fk":
        ids = list(fk_ids.get(fk_target(spec, fk_ids) or "", ()))
        return st.sampled_from(ids) if ids else st.uuids().map(str)
    if kind == "array":
        return st.lists(st.text(SAFE_TEXT, max_size=8), max_size=4)
    return clean_documents


def restricted_values(spec: Any) -> st.SearchStrategy:
    """A well-typed value for a restricted field (server-controlled fields included)."""
    if spec.kind in ("uuid", "fk") or spec.name in ("id", "tenant_id"):
        return st.uuids().map(str) | st.sampled_from(["a0000000-0000-4000-8000-00000000000a",
                                                      "b0000000-0000-4000-8000-00000000000b"])
    if spec.kind == "datetime":
        return st.sampled_from(["2020-01-01T00:00:00+00:00", "2099-12-31T23:59:59+00:00"])
    return valid_values(spec, {})


# -- hostile values -------------------------------------------------------------------------

def type_confused_values(spec: Any) -> st.SearchStrategy:
    """A value of the wrong JSON type for ``spec``."""
    objects = st.just({"a": 1}) | st.just([1, 2]) | st.just({}) | st.just([])
    kind = spec.kind
    if kind in INT_RANGES or kind in ("decimal", "float"):
        return st.booleans() | st.integers(-5, 5).map(str) | st.just("1e3") | st.just(" 7 ") | objects \
            | st.just(7.5)
    if kind == "boolean":
        return st.sampled_from(["yes", "no", "true", "0", "1", "on", "maybe", 2, 0, 1.0]) | objects
    if kind in ("string", "text", "slug", "email", "url"):
        return st.integers() | st.booleans() | objects | st.floats(allow_nan=False)
    if kind in ("date", "datetime", "time"):
        return st.integers() | st.booleans() | objects | st.sampled_from(["now", "yesterday", "1700000000"])
    if kind in ("uuid", "fk"):
        return st.integers() | objects | st.sampled_from(["not-a-uuid", "0", "{}"])
    return st.sampled_from([float("nan"), "\x00"]) | objects


def boundary_values(spec: Any) -> st.SearchStrategy:
    """Values at or past the edges of ``spec``'s type."""
    kind = spec.kind
    if kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        return st.sampled_from([lo, hi, lo - 1, hi + 1, 2**63, -(2**63) - 1, 10**30]) | jv.non_finite
    if kind == "decimal":
        return st.sampled_from(["1e400", "9" * 60, "0." + "1" * 40, "-0", "NaN", "Infinity", "1E-7",
                                "123456789.12", 1e20, 10**40]) | jv.non_finite
    if kind == "float":
        return jv.non_finite | st.sampled_from([1e308, -1e308, 5e-324, 10**400, "1e309", -0.0])
    if kind == "date":
        return st.sampled_from(["2024-02-30", "0000-01-01", "9999-12-31", "10000-01-01", "2024-13-01", "-0001-01-01"])
    if kind == "datetime":
        return st.sampled_from(["2024-01-01T00:00:00", "2024-01-01T24:00:00Z", "0001-01-01T00:00:00Z",
                                "9999-12-31T23:59:59.999999+14:00", "2024-01-01T00:00:00+25:00"])
    if kind == "json":
        return jv.hostile_scalars
    return st.nothing()


def bad_text_values(spec: Any) -> st.SearchStrategy:
    """NUL bytes, lone surrogates and over-long strings for a text-carrying field."""
    too_long = st.just("x" * ((spec.max_length or 255) + 1))
    return jv.nul_and_surrogates | jv.long_strings | too_long


# -- body builders ---------------------------------------------------------------------------

def _base(resource: Any, fk_ids: Mapping[str, Sequence[str]], partial: bool) -> st.SearchStrategy:
    """A valid document: every required client field (create) plus a random subset of the others."""
    fields = client_fields(resource)
    required = [] if partial else [f for f in fields if not f.nullable and not f.has_default]
    optional = [f for f in fields if f not in required]
    required_values = st.fixed_dictionaries({f.input_key: valid_values(f, fk_ids) for f in required})
    optional_values = st.fixed_dictionaries({}, optional={f.input_key: valid_values(f, fk_ids) for f in optional})
    return st.tuples(required_values, optional_values).map(lambda t: {**t[0], **t[1]})


def _with(base: st.SearchStrategy, extra: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(base, extra).map(lambda t: {**t[0], **t[1]})


def valid_bodies(resource: Any, fk_ids: Mapping[str, Sequence[str]], partial: bool = False) -> st.SearchStrategy:
    return _base(resource, fk_ids, partial).map(lambda d: WriteBody("valid", d, clean=True))


def restricted_key_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    fields = restricted_fields(resource)
    if not fields:
        return st.nothing()
    keys = st.sampled_from(fields).flatmap(
        lambda f: st.tuples(st.sampled_from(sorted({f.name, f.input_key, f.column})), restricted_values(f)))
    extra = st.lists(keys, min_size=1, max_size=3).map(dict)
    return _with(_base(resource, fk_ids, partial), extra).map(lambda d: WriteBody("restricted_key", d, clean=True))


def unknown_key_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    names = {f.input_key for f in resource.fields}
    variants = [f.name.upper() for f in resource.fields] + [f" {f.name}" for f in resource.fields]
    aliases = [f.name for f in resource.fields if f.input_key != f.name]
    pool = [k for k in (*UNKNOWN_KEYS, *variants, *aliases) if k not in names]  # aliases: not the payload key
    extra = st.dictionaries(st.sampled_from(pool) | st.text(string.ascii_letters, min_size=1, max_size=8).filter(
        lambda k: k not in names), st.integers(0, 9) | st.text(max_size=5), min_size=1, max_size=3)
    return _with(_base(resource, fk_ids, partial), extra).map(lambda d: WriteBody("unknown_key", d, clean=True))


def _splice(base: dict, key: str, raw_value: bytes) -> bytes:
    """``base`` as JSON with ``key`` set to the exact bytes ``raw_value`` (which may be too deep to dump)."""
    rest = {k: v for k, v in base.items() if k != key}
    head = json.dumps(rest, allow_nan=True).encode("utf-8", "surrogatepass")[:-1]
    return head + (b", " if rest else b"") + json.dumps(key).encode() + b": " + raw_value + b"}"


def nested_denied_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    """A restricted name as an object key inside a JSON field, at any depth and array position."""
    targets, names = json_fields(resource), restricted_names(resource)
    if not targets or not names:
        return st.nothing()

    def build(args: tuple) -> WriteBody:
        base, target, name, path, leaf = args
        placed = jv.place_at(path, {name: leaf})
        key = target.input_key
        document = {**{k: v for k, v in base.items() if k != key}, key: placed.document}
        return WriteBody("nested_denied", document, raw=_splice(base, key, placed.raw), clean=True,
                         depth=placed.depth + 2, notes=(f"path={key}{_path_text(path)}.{name}",))

    leaf = st.integers(0, 9) | st.just("a0000000-0000-4000-8000-00000000000a") | st.booleans()
    return st.tuples(_base(resource, fk_ids, partial), st.sampled_from(targets), st.sampled_from(names),
                     jv.json_paths(), leaf).map(build)


def _path_text(path: Sequence[Any]) -> str:
    if len(path) > 8:
        return f"<{len(path)} steps>"
    return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)


def _replace_some(resource: Any, fk_ids: Mapping, partial: bool, values: Any, kind: str, pick: Any) -> st.SearchStrategy:
    fields = [f for f in client_fields(resource) if pick(f)]
    if not fields:
        return st.nothing()
    extra = st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique_by=lambda f: f.name).flatmap(
        lambda fs: st.fixed_dictionaries({f.input_key: values(f) for f in fs}))
    return _with(_base(resource, fk_ids, partial), extra).map(lambda d: WriteBody(kind, d))


def type_confused_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    return _replace_some(resource, fk_ids, partial, type_confused_values, "type_confusion", lambda f: True)


def boundary_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    kinds = {*INT_RANGES, "decimal", "float", "date", "datetime", "json"}
    return _replace_some(resource, fk_ids, partial, boundary_values, "boundary", lambda f: f.kind in kinds)


def bad_text_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    kinds = {"string", "text", "slug", "email", "url", "json"}
    return _replace_some(resource, fk_ids, partial, bad_text_values, "bad_text",
                         lambda f: f.kind in kinds and not f.choices)


def null_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    """``null`` for every client field (clean only when every one of them is nullable)."""
    fields = client_fields(resource)
    document = {f.input_key: None for f in fields}
    some = st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique_by=lambda f: f.name)
    return st.just(document).map(lambda d: WriteBody("null_all", d, clean=all(f.nullable for f in fields))) | \
        _with(_base(resource, fk_ids, partial), some.map(lambda fs: {f.input_key: None for f in fs})).map(
            lambda d: WriteBody("null_all", d, clean=all(
                resource.field(n).nullable for n in [f.name for f in fields if d.get(f.input_key, 0) is None])))


def _container_body(resource: Any, fk_ids: Mapping, partial: bool, kind: str, raw_value: bytes, depth: int,
                    document: Any) -> st.SearchStrategy:
    targets = json_fields(resource)
    key_choices = [f.input_key for f in targets] or ["nested"]

    def build(args: tuple) -> WriteBody:
        base, key = args
        doc = {**{k: v for k, v in base.items() if k != key}, key: document}
        return WriteBody(kind, doc, raw=_splice(base, key, raw_value), clean=bool(targets), depth=depth + 1)

    return st.tuples(_base(resource, fk_ids, partial), st.sampled_from(key_choices)).map(build)


def _deep_document(depth: int, container: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value} if container == "object" else [value]
    return value


def deep_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    return st.tuples(jv.deep_sizes, st.sampled_from(["object", "array"])).flatmap(
        lambda t: _container_body(resource, fk_ids, partial, "deep", jv.deep_bytes(t[0], t[1]), t[0],
                                  _deep_document(t[0], t[1])))


def wide_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    def document(width: int, container: str) -> Any:
        return {f"k{i}": 0 for i in range(width)} if container == "object" else [0] * width

    return st.tuples(jv.wide_sizes, st.sampled_from(["object", "array"])).flatmap(
        lambda t: _container_body(resource, fk_ids, partial, "wide", jv.wide_bytes(t[0], t[1]), 1,
                                  document(t[0], t[1])))


def malformed_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    """Bytes that are not one JSON object in UTF-8, or not JSON at all."""
    def variants(doc: dict) -> list[tuple[str, bytes, Any]]:
        good = json.dumps(doc).encode()
        return [
            ("malformed_json", good[:-1], NO_DOCUMENT),
            ("malformed_json", good + b"}", NO_DOCUMENT),
            ("malformed_json", good + b" trailing", NO_DOCUMENT),
            ("malformed_json", good.replace(b'"', b"'"), NO_DOCUMENT),
            ("malformed_json", b"", NO_DOCUMENT),
            ("malformed_json", b"NaN", float("nan")),
            ("malformed_json", b"null", None),
            ("malformed_json", b"[" + good + b"]", [doc]),
            ("malformed_json", b"12", 12),
            ("malformed_json", b'"' + good.replace(b'"', b'\\"') + b'"', good.decode()),
            ("malformed_json", b"\xef\xbb\xbf" + good, doc),  # Python's json.loads skips a UTF-8 BOM
            ("malformed_json", json.dumps(doc).encode("utf-16"), doc),
            ("non_utf8", good[:-1] + b', "zz\xff\xfe": "\xc3\x28"}' if doc else b'{"\xff": 1}', NO_DOCUMENT),
            ("non_utf8", good.replace(b'"', b'"\x80', 1), NO_DOCUMENT),
        ]

    return _base(resource, fk_ids, partial).flatmap(lambda d: st.sampled_from(variants(d))).map(
        lambda v: WriteBody(v[0], v[2], raw=v[1]))


def duplicate_key_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    """A key twice: a restricted or invalid value and a valid one, in either order (last one wins)."""
    restricted = restricted_fields(resource)
    candidates = [f for f in resource.fields if f in restricted or f.writable_by_clients]
    if not candidates:
        return st.nothing()

    def build(args: tuple) -> WriteBody:
        base, spec, first, second = args
        key = spec.input_key
        rest = {k: v for k, v in base.items() if k != key}
        head = json.dumps(rest).encode()[:-1] + (b", " if rest else b"")
        pair = lambda v: json.dumps(key).encode() + b": " + json.dumps(v).encode()  # noqa: E731
        raw = head + pair(first) + b", " + pair(second) + b"}"
        return WriteBody("duplicate_keys", {**rest, key: second}, raw=raw, clean=True)

    return st.tuples(_base(resource, fk_ids, partial), st.sampled_from(candidates)).flatmap(
        lambda t: st.tuples(st.just(t[0]), st.just(t[1]), restricted_values(t[1]), restricted_values(t[1]))
    ).map(build)


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a server reads a body of this content type as JSON (``application/json`` or ``+json``)."""
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def content_type_bodies(resource: Any, fk_ids: Mapping, partial: bool = False) -> st.SearchStrategy:
    """A valid JSON document sent with a missing, wrong or unusual content type."""
    def build(args: tuple) -> WriteBody:
        document, content_type = args
        raw = json.dumps(document).encode()
        if is_json_media_type(content_type):
            return WriteBody("content_type", document, raw=raw, content_type=content_type, clean=True)
        return WriteBody("content_type", NO_DOCUMENT, raw=raw, content_type=content_type)

    return st.tuples(_base(resource, fk_ids, partial), st.sampled_from(CONTENT_TYPES)).map(build)


def body_classes(resource: Any, fk_ids: Mapping[str, Sequence[str]], partial: bool = False) -> dict[str, st.SearchStrategy]:
    """Every hostile class of write body for ``resource`` (``partial``: an update body, nothing required)."""
    builders = {
        "valid": valid_bodies, "restricted_key": restricted_key_bodies, "unknown_key": unknown_key_bodies,
        "nested_denied": nested_denied_bodies, "type_confusion": type_confused_bodies, "null_all": null_bodies,
        "boundary": boundary_bodies, "bad_text": bad_text_bodies, "deep": deep_bodies, "wide": wide_bodies,
        "malformed_json": malformed_bodies, "duplicate_keys": duplicate_key_bodies,
        "content_type": content_type_bodies,
    }
    return {name: build(resource, fk_ids, partial) for name, build in builders.items()}


def write_bodies(resource: Any, fk_ids: Mapping[str, Sequence[str]], partial: bool = False) -> st.SearchStrategy:
    """Any write body for ``resource``: valid and restricted ones most often, every hostile class sometimes."""
    classes = body_classes(resource, fk_ids, partial)
    weighted = [classes["valid"], classes["restricted_key"], classes["nested_denied"], classes["restricted_key"]]
    return st.one_of(*weighted, *classes.values())


def oversized_bodies(resource: Any, fk_ids: Mapping[str, Sequence[str]], partial: bool = False) -> st.SearchStrategy:
    """Bodies of 1 MiB + 1 byte to 50 MB: one huge string (text field or unknown key) or a huge JSON array."""
    texts = [f for f in client_fields(resource) if f.kind in ("text", "string") and not f.max_length and not f.choices]
    keys = [f.input_key for f in texts] + [f.input_key for f in json_fields(resource)] + ["padding"]

    def build(args: tuple) -> WriteBody:
        base, key, size = args
        head = _splice(base, key, b'"')[:-1]
        filler = size - len(head) - 2
        raw = head + b"x" * max(filler, 0) + b'"}'
        spec = next((f for f in resource.fields if f.input_key == key), None)
        document = {**{k: v for k, v in base.items() if k != key}, key: "x" * max(filler, 0)}
        return WriteBody("oversized", document, raw=raw, clean=spec is not None, notes=(f"{len(raw)} bytes",))

    return st.tuples(_base(resource, fk_ids, partial), st.sampled_from(keys), st.sampled_from(OVERSIZED_SIZES)).map(build)
