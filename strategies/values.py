"""Hostile scalar values, as the strings a query parameter or path segment carries.

Reaches these hostile classes (each is a named strategy in :data:`HOSTILE_CLASSES`):
``sql_injection`` (a payload corpus: tautologies, stacked queries, comments,
UNION, casts, time delays), ``like_wildcards`` (``%``, ``_``, ``\\``),
``nul_and_surrogates`` (NUL bytes, lone surrogates, other control characters),
``int_edges`` (int16/int32/int64 limits and one past them), ``float_edges``
(NaN, Infinity, exponents, huge and tiny), ``numeric_garbage`` (numbers with
junk, hex, unicode digits), ``long_strings`` (up to 8192 characters),
``quotes_and_backslashes``, ``reserved_words``, ``unicode`` (any text),
``dates`` (valid, impossible and out-of-range dates and timestamps),
``uuids`` (valid, truncated and malformed), ``booleans`` (every spelling)
and ``empty``.
"""

from __future__ import annotations

from hypothesis import strategies as st

SQL_INJECTION = [
    "' OR '1'='1", "' OR 1=1--", "\" OR \"\"=\"", "1; DROP TABLE tickets;--", "1'; DROP TABLE tickets;--",
    "') OR ('a'='a", "1 OR 1=1", "' UNION SELECT NULL--", "' UNION SELECT version()--",
    "1' AND pg_sleep(2)--", "'; SELECT pg_sleep(2);--", "$$; DROP TABLE tickets; $$", "E'\\x27'",
    "1::text", "'::uuid", "') ; COMMIT; DROP TABLE categories; --", "/**/OR/**/1=1", "1)) OR ((1=1",
    "%' AND 1=0 UNION SELECT table_name FROM information_schema.tables--", "\\'; DELETE FROM comments;--",
    "admin'--", "' OR ''='", "1 AND 1=CAST((SELECT version()) AS int)", "';COPY tickets TO '/tmp/x';--",
    "current_setting('aksara.current_tenant_id')", "' || (SELECT secret FROM x) || '",
]
RESERVED_WORDS = ["select", "SELECT", "from", "where", "order", "group", "user", "table", "null", "NULL",
                  "true", "false", "default", "limit", "offset", "id", "tenant_id", "__all__", "pk"]
QUOTES = ["'", "''", '"', '""', "\\", "\\\\", "`", "$$", "$tag$", "'\\''", "\\x00", "\\u0000", "%27", "%00"]
LIKE = ["%", "_", "\\", "%%", "_%", "a%b", "a_b", "100%", "\\%", "\\_", "[a-z]", "*", "?", "^$"]
INT_EDGES = [0, 1, -1, 32767, 32768, -32768, -32769, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1,
             2**53, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**20, 10**100]
FLOAT_EDGES = ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "1e308", "1e309", "-1e309", "1e-400",
               "0.0", "-0.0", "1.5", "1e3", "1E+3", ".5", "5.", "0x10", "1_000", "١٢٣", "+1", "--1", "1e", "e1"]
BOOLEANS = ["true", "false", "True", "FALSE", "1", "0", "yes", "no", "on", "off", "t", "f", "null", "None", ""]
DATES = ["2026-01-01", "2026-02-30", "0000-00-00", "9999-12-31", "10000-01-01", "-0001-01-01",
         "2026-01-01T00:00:00Z", "2026-01-01T00:00:00+14:00", "2026-01-01T24:00:00", "2026-13-01",
         "1970-01-01T00:00:00.000000001Z", "now", "today", "infinity", "-infinity", "epoch", "2026-W01"]
UUIDS = ["00000000-0000-0000-0000-000000000000", "a0000000-0000-4000-8000-00000000000a",
         "b0000000-0000-4000-8000-00000000000b", "a0000000-0000-4000-8000-00000000000", "not-a-uuid",
         "{a0000000-0000-4000-8000-00000000000a}", "A0000000000040008000000000000000A", "urn:uuid:x"]

sql_injection = st.sampled_from(SQL_INJECTION)
like_wildcards = st.sampled_from(LIKE) | st.builds(
    lambda a, w, b: a + w + b, st.text(max_size=3), st.sampled_from(["%", "_", "\\"]), st.text(max_size=3)
)
nul_and_surrogates = st.builds(
    lambda a, bad, b: a + bad + b,
    st.text(max_size=5),
    st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83d", "\x01", "\x1b", "\u202e", "\ufeff", "\r\n"]),
    st.text(max_size=5),
)
int_edges = st.sampled_from(INT_EDGES).map(str) | st.integers().map(str)
float_edges = st.sampled_from(FLOAT_EDGES) | st.floats(allow_nan=True, allow_infinity=True).map(repr)
numeric_garbage = st.builds(lambda n, junk: f"{n}{junk}", st.integers(-5, 5),
                            st.sampled_from(["abc", " ", "%20", ",", ";", "'", "e", ".0.0", "\x00"]))
long_strings = st.integers(256, 8192).flatmap(
    lambda n: st.sampled_from(["a", "%", "'", "é", "🚀", "x" * 7]).map(lambda c: (c * n)[:n])
)
quotes_and_backslashes = st.sampled_from(QUOTES) | st.builds(
    lambda a, q, b: a + q + b, st.text(max_size=4), st.sampled_from(QUOTES), st.text(max_size=4)
)
reserved_words = st.sampled_from(RESERVED_WORDS)
unicode = st.text(max_size=40)
dates = st.sampled_from(DATES) | st.datetimes().map(lambda d: d.isoformat()) | st.dates().map(str)
uuids = st.sampled_from(UUIDS) | st.uuids().map(str)
booleans = st.sampled_from(BOOLEANS)
empty = st.just("")

HOSTILE_CLASSES = {
    "sql_injection": sql_injection,
    "like_wildcards": like_wildcards,
    "nul_and_surrogates": nul_and_surrogates,
    "int_edges": int_edges,
    "float_edges": float_edges,
    "numeric_garbage": numeric_garbage,
    "long_strings": long_strings,
    "quotes_and_backslashes": quotes_and_backslashes,
    "reserved_words": reserved_words,
    "unicode": unicode,
    "dates": dates,
    "uuids": uuids,
    "booleans": booleans,
    "empty": empty,
}


def hostile_scalars() -> st.SearchStrategy[str]:
    """Any hostile scalar string, drawn from one of the hostile classes."""
    return st.one_of(*HOSTILE_CLASSES.values())

#: One value of each hostile class, for sweeps that send every class once (strategies/sweeps.py).
HOSTILE_REPRESENTATIVES = {
    "sql_injection": "' OR '1'='1",
    "like_wildcards": "a%b",
    "nul_and_surrogates": "\x00",
    "int_edges": str(2**31),
    "float_edges": "NaN",
    "numeric_garbage": "1abc",
    "long_strings": "a" * 256,
    "quotes_and_backslashes": "'\\''",
    "reserved_words": "select",
    "unicode": "é🚀ß",
    "dates": "2026-02-30",
    "uuids": "not-a-uuid",
    "booleans": "yes",
    "empty": "",
}
