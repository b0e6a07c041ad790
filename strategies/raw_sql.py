"""Spellings of the raw SQL statements Aksara's ``RunSQL`` guardrail claims to block.

``RunSQL`` flags DROP TABLE, DROP DATABASE, TRUNCATE, DELETE FROM and DROP SCHEMA as dangerous. Hostile
classes reached (:func:`variant_classes` names them): ``case`` (lower, mixed), ``whitespace`` (doubled
spaces, tabs, newlines, CRLF between keywords), ``comment`` (``/**/``, ``/* x */``, ``-- x\\n`` between or
before keywords), ``quoting`` (quoted and schema-qualified object names), plus ``IF EXISTS``/``CASCADE``
and trailing semicolons. Every variant is a statement PostgreSQL runs like the canonical one; the objects
it names (``victim``, ``victim_schema``) are created by the property.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

STATEMENTS = {
    # statement -> (keywords, object variants)
    "DROP TABLE": (("DROP", "TABLE"), ("victim", '"victim"', 'fuzz_example."victim"', "IF EXISTS victim")),
    "DROP DATABASE": (("DROP", "DATABASE"), ("IF EXISTS fuzz_absent_db", 'IF EXISTS "fuzz_absent_db"')),
    "TRUNCATE": (("TRUNCATE",), ("victim", '"victim"', "TABLE victim", 'fuzz_example."victim"')),
    "DELETE FROM": (("DELETE", "FROM"), ("victim", '"victim"', 'fuzz_example."victim"', "victim WHERE true")),
    "DROP SCHEMA": (("DROP", "SCHEMA"), ("victim_schema", '"victim_schema"', "IF EXISTS victim_schema CASCADE")),
}
SEPARATORS = (" ", "  ", "\t", "\n", "\r\n", "/**/", " /* x */ ", " -- x\n", "\n\t ")
PREFIXES = ("", " ", "\n", "/* x */ ", "-- x\n")
SUFFIXES = ("", ";", " ;", "\n")


@dataclass(frozen=True)
class RawStatement:
    statement: str   # the claimed statement, e.g. "DROP TABLE"
    sql: str         # this spelling
    canonical: str   # the plain upper-case, single-space spelling of the same statement


def _case(word: str, how: str) -> str:
    if how == "upper":
        return word
    if how == "lower":
        return word.lower()
    if how == "title":
        return word.title()
    return "".join(c.lower() if i % 2 else c for i, c in enumerate(word))


@st.composite
def dangerous_statements(draw) -> RawStatement:
    """A case/whitespace/comment/quoting variant of one statement the guardrail claims to block."""
    statement = draw(st.sampled_from(sorted(STATEMENTS)))
    keywords, objects = STATEMENTS[statement]
    target = draw(st.sampled_from(objects))
    words = [_case(k, draw(st.sampled_from(("upper", "lower", "title", "alternating")))) for k in keywords]
    sql = draw(st.sampled_from(PREFIXES)) + words[0]
    for word in words[1:]:
        sql += draw(st.sampled_from(SEPARATORS)) + word
    sql += draw(st.sampled_from(SEPARATORS)) + target + draw(st.sampled_from(SUFFIXES))
    canonical = " ".join(keywords) + " " + target
    return RawStatement(statement, sql, canonical)


def variant_classes(item: RawStatement) -> frozenset[str]:
    sql = item.sql
    classes = set()
    if sql != sql.upper():
        classes.add("case")
    if any(s in sql for s in ("\t", "\n", "  ")):
        classes.add("whitespace")
    if "/*" in sql or "--" in sql:
        classes.add("comment")
    if '"' in sql:
        classes.add("quoting")
    return frozenset(classes)
