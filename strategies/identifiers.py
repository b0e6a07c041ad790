"""Hostile SQL identifiers (table, column, index and constraint names).

Hostile classes reached (see :func:`identifier_classes`, which names them):

- ``double_quote``, ``single_quote``, ``backslash``, ``dollar`` (``$$`` and ``$tag$``), ``semicolon``,
  ``comment`` (``--`` and ``/* */``): quoting breakers, including payloads that try to drop
  :data:`CANARY_TABLE`;
- ``mixed_case``: names that differ from their case-folded form;
- ``multibyte``: non-ASCII names, among them names of 2-, 3- and 4-byte characters built to land just
  below, on and just above the PostgreSQL identifier limit (:data:`PG_IDENTIFIER_LIMIT` bytes);
- ``at_limit`` (61..63 bytes), ``over_limit`` (more than 63 bytes), ``long`` (more than 100 bytes);
- ``reserved``: SQL reserved and keyword-like words (``select``, ``user``, ``order`` ...) in any case;
- ``leading_digit``, ``whitespace`` (space, tab, newline);
- pairs that collide after PostgreSQL's truncation (:func:`truncation_collision_pairs`) or after case
  folding (:func:`case_fold_pairs`).

No strategy emits NUL, lone surrogates or the empty string: PostgreSQL cannot store those at all.
:func:`python_identifiers` keeps only names that are also valid Python attribute names (what a model
author can type as a field), :func:`hostile_identifiers` anything (what ``Meta.table_name``, an FK
``column_name`` or a dynamically built model can carry).
"""

from __future__ import annotations

import keyword

from hypothesis import strategies as st

from targets.pg_identifiers import CANARY_TABLE, PG_IDENTIFIER_LIMIT, RESERVED_WORDS, byte_length

QUOTING_FRAGMENTS = (
    '"', '""', "'", "''", "\\", "\\'", '\\"', "$$", "$tag$", ";", "--", "/*", "*/", "\\n",
    f'"; DROP TABLE {CANARY_TABLE}; --',
    f"'; DROP TABLE {CANARY_TABLE}; --",
    f'") ; DROP TABLE {CANARY_TABLE} CASCADE; /*',
    f"$$; DROP TABLE {CANARY_TABLE}; $$",
    '", "x',
    "') + __import__('os').getpid() + ('",
    '") + __import__("os").getpid() + ("',
)

# One character of each UTF-8 width, used to sit a name across the byte limit.
MULTIBYTE_CHARS = ("é", "ß", "ж", "日", "字", "€", "😀", "𝒳")
WHITESPACE = (" ", "\t", "\n", "  ")

_SAFE_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"


def identifier_classes(name: str) -> frozenset[str]:
    """The hostile classes ``name`` belongs to (empty for a plain lower-case ASCII name)."""
    classes = set()
    checks = {
        "double_quote": '"' in name,
        "single_quote": "'" in name,
        "backslash": "\\" in name,
        "dollar": "$" in name,
        "semicolon": ";" in name,
        "comment": "--" in name or "/*" in name or "*/" in name,
        "mixed_case": name != name.lower(),
        "multibyte": any(ord(c) > 127 for c in name),
        "reserved": name.lower() in RESERVED_WORDS,
        "leading_digit": name[:1].isdigit(),
        "whitespace": any(c.isspace() for c in name),
        "at_limit": PG_IDENTIFIER_LIMIT - 2 <= byte_length(name) <= PG_IDENTIFIER_LIMIT,
        "over_limit": byte_length(name) > PG_IDENTIFIER_LIMIT,
        "long": byte_length(name) > 100,
    }
    classes.update(k for k, hit in checks.items() if hit)
    return frozenset(classes)


def primary_class(name: str) -> str:
    """One stable class label for ledger facts (the most specific class, ``plain`` when none)."""
    order = (
        "double_quote", "single_quote", "backslash", "dollar", "semicolon", "comment", "whitespace",
        "over_limit", "at_limit", "multibyte", "leading_digit", "reserved", "mixed_case", "long",
    )
    classes = identifier_classes(name)
    return next((c for c in order if c in classes), "plain")


def safe_identifiers(min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    """Plain lower-case ASCII names that need no quoting (the control group)."""
    return st.builds(
        lambda head, tail: head + tail,
        st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
        st.text(alphabet=_SAFE_ALPHABET, min_size=min_size - 1, max_size=max_size - 1),
    )


def quoting_identifiers() -> st.SearchStrategy[str]:
    """Names carrying quotes, backslashes, dollar quotes, semicolons, comments or injection payloads."""
    return st.builds(
        lambda head, frag, tail: head + frag + tail,
        safe_identifiers(max_size=6),
        st.sampled_from(QUOTING_FRAGMENTS),
        st.one_of(st.just(""), safe_identifiers(max_size=4)),
    )


def reserved_identifiers() -> st.SearchStrategy[str]:
    """SQL reserved words, lower, upper or capitalised."""
    return st.builds(
        lambda word, case: {"lower": word, "upper": word.upper(), "title": word.title()}[case],
        st.sampled_from(RESERVED_WORDS),
        st.sampled_from(("lower", "upper", "title")),
    )


def mixed_case_identifiers() -> st.SearchStrategy[str]:
    """Names with upper-case letters (distinct from their folded form when quoted)."""
    return safe_identifiers(min_size=2).map(lambda s: s[0].upper() + s[1:] if s[0].isalpha() else "X" + s)


def leading_digit_identifiers() -> st.SearchStrategy[str]:
    return st.builds(lambda d, s: d + s, st.sampled_from("0123456789"), safe_identifiers())


def whitespace_identifiers() -> st.SearchStrategy[str]:
    return st.builds(lambda a, w, b: a + w + b, safe_identifiers(max_size=6), st.sampled_from(WHITESPACE),
                     safe_identifiers(max_size=6))


def boundary_identifiers() -> st.SearchStrategy[str]:
    """ASCII and multibyte names whose UTF-8 length is near, on or over the 63-byte limit."""

    def build(char: str, target: int, prefix: str) -> str:
        name = prefix
        while byte_length(name + char) <= target:
            name += char
        return name + "x" * (target - byte_length(name))

    return st.builds(
        build,
        st.sampled_from(("a",) + MULTIBYTE_CHARS),
        st.integers(PG_IDENTIFIER_LIMIT - 3, PG_IDENTIFIER_LIMIT + 4),
        st.sampled_from(("", "n", "Col_")),
    )


def multibyte_identifiers() -> st.SearchStrategy[str]:
    """Short names mixing ASCII and multibyte letters."""
    return st.lists(st.sampled_from(MULTIBYTE_CHARS + tuple("abcxyz")), min_size=1, max_size=8).map("".join)


def long_identifiers() -> st.SearchStrategy[str]:
    """Names far over the limit (100 to 300 bytes)."""
    return st.builds(lambda s, n, c: (s + c * n)[:n], safe_identifiers(max_size=4), st.integers(101, 300),
                     st.sampled_from(("a", "é", "日")))


#: every identifier class, plain names first so collisions with them are reachable too
IDENTIFIER_CLASSES = (
    safe_identifiers, quoting_identifiers, reserved_identifiers, mixed_case_identifiers, leading_digit_identifiers,
    whitespace_identifiers, boundary_identifiers, multibyte_identifiers, long_identifiers,
)
#: one fixed name of each identifier class, for sweeps that must meet every class on every seed
IDENTIFIER_SWEEP = (
    ("safe", "plain_name"),
    ("quoting", f'x"; DROP TABLE {CANARY_TABLE}; --'),
    ("reserved", "order"),
    ("mixed_case", "MixedCase"),
    ("leading_digit", "1col"),
    ("whitespace", "two words"),
    ("boundary", "b" * PG_IDENTIFIER_LIMIT),
    ("multibyte", "é日x"),
    ("long", "l" * 120),
)
#: the classes that never spell a Python attribute name
NOT_PYTHON_CLASSES = frozenset({quoting_identifiers, leading_digit_identifiers, whitespace_identifiers})


def hostile_identifiers() -> st.SearchStrategy[str]:
    """Any hostile identifier, plain names included so collisions with them are reachable too."""
    return st.one_of(*(cls() for cls in IDENTIFIER_CLASSES))


def _is_python_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")


def python_identifiers() -> st.SearchStrategy[str]:
    """Hostile names that are also valid Python attribute names (what a field declaration can be)."""
    return st.one_of(*(cls() for cls in IDENTIFIER_CLASSES if cls not in NOT_PYTHON_CLASSES)).filter(_is_python_name)


def truncation_collision_pairs() -> st.SearchStrategy[tuple[str, str]]:
    """Two distinct names that PostgreSQL truncates to the same stored identifier."""

    def build(char: str, suffix_a: str, suffix_b: str) -> tuple[str, str]:
        stem = ""
        while byte_length(stem + char) <= PG_IDENTIFIER_LIMIT:
            stem += char
        stem += "x" * (PG_IDENTIFIER_LIMIT - byte_length(stem))
        return stem + suffix_a, stem + suffix_b

    return st.builds(build, st.sampled_from(("a",) + MULTIBYTE_CHARS), st.sampled_from(("_one", "1", "é")),
                     st.sampled_from(("_two", "2", "ß")))


def case_fold_pairs() -> st.SearchStrategy[tuple[str, str]]:
    """Two names equal after case folding, distinct when quoted (``Name`` / ``name``)."""
    return safe_identifiers(min_size=2).filter(lambda s: s[0].isalpha()).map(lambda s: (s.title(), s.lower()))
