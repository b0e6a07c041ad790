"""Security matrices (``security_matrix.yml``) for the doctor's matrix check.

A matrix is drawn as a valid document (surfaces, actors, risks and scenarios that
reference each other) and then, in hostile mode, broken in exactly one way. The
``mutation`` label names the hostile class reached:

- ``valid_complete`` / ``valid_incomplete`` (a ``planned`` or ``partial`` scenario, or
  an implemented surface without a ``covered`` scenario)
- ``missing_key`` (top level or inside an item), ``wrong_type:<where>`` (version as
  text, float or boolean; metadata not a mapping; a section that is not a list; an item
  that is not a mapping; an item or metadata field of the wrong type), ``empty_field`` (blank metadata field, id, reference or enum value)
- ``dangling_reference`` (a scenario naming an unknown surface, actor or risk),
  ``duplicate_id`` (in every section), ``bad_enum`` (severity, expected, status:
  unknown, case variant, empty)
- ``not_yaml`` (syntax error), ``not_mapping`` (a list or scalar at top level),
  ``empty_document``
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from hypothesis import strategies as st

SEVERITIES = ("low", "medium", "high", "critical")
EXPECTED = ("allow", "deny", "warn", "block", "warn_or_block")
STATUSES = ("covered", "partial", "planned", "not_applicable")
SECTIONS = ("surfaces", "actors", "risks", "scenarios")
ITEM_FIELDS = {
    "surfaces": ("id", "name", "category", "implemented", "description"),
    "actors": ("id", "description"),
    "risks": ("id", "severity", "description"),
    "scenarios": ("id", "surface", "actor", "risk", "expected", "status", "description"),
}
METADATA_FIELDS = ("name", "description", "owner", "status")


@dataclass(frozen=True)
class MatrixDoc:
    """A matrix file's text and the hostile class it belongs to."""

    text: str
    mutation: str


_ident = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda s: s.strip() != ""
)


@st.composite
def matrix_objects(draw, complete: bool | None = None) -> dict:
    """A structurally valid matrix as Python data; ``complete`` forces release completeness."""
    surface_ids = draw(st.lists(_ident, min_size=1, max_size=4, unique=True))
    actor_ids = draw(st.lists(_ident, min_size=1, max_size=3, unique=True))
    risk_ids = draw(st.lists(_ident, min_size=1, max_size=3, unique=True))
    surfaces = [
        {
            "id": sid,
            "name": draw(_text),
            "category": draw(st.sampled_from(["rest", "mcp", "studio", "admin"])),
            "implemented": draw(st.booleans()),
            "description": draw(_text),
        }
        for sid in surface_ids
    ]
    risks = [{"id": rid, "severity": draw(st.sampled_from(SEVERITIES)), "description": draw(_text)} for rid in risk_ids]
    actors = [{"id": aid, "description": draw(_text)} for aid in actor_ids]
    statuses = ("covered", "not_applicable") if complete else STATUSES
    scenarios = []
    scenario_surfaces = list(surface_ids) if complete else draw(st.lists(st.sampled_from(surface_ids), max_size=5))
    for index, sid in enumerate(scenario_surfaces):
        scenarios.append(
            {
                "id": f"sc{index}_{sid}",
                "surface": sid,
                "actor": draw(st.sampled_from(actor_ids)),
                "risk": draw(st.sampled_from(risk_ids)),
                "expected": draw(st.sampled_from(EXPECTED)),
                "status": "covered" if complete else draw(st.sampled_from(statuses)),
                "description": draw(_text),
            }
        )
    matrix = {
        "version": draw(st.integers(1, 3)),
        "metadata": {k: draw(_text) for k in METADATA_FIELDS},
        "surfaces": surfaces,
        "actors": actors,
        "risks": risks,
        "scenarios": scenarios,
    }
    if complete is False and not _is_complete(matrix):
        return matrix
    if complete is False:
        # force incompleteness: one planned scenario on the first surface
        matrix["scenarios"].append(dict(matrix["scenarios"][0] if matrix["scenarios"] else {
            "surface": surface_ids[0], "actor": actor_ids[0], "risk": risk_ids[0],
            "expected": "deny", "description": "x"}, id="forced_planned", status=draw(st.sampled_from(["planned", "partial"]))))
    return matrix


def _is_complete(matrix: dict) -> bool:
    scenarios = matrix["scenarios"]
    if any(s["status"] in ("planned", "partial") for s in scenarios):
        return False
    covered = {s["surface"] for s in scenarios if s["status"] == "covered"}
    return all(s["id"] in covered for s in matrix["surfaces"] if s["implemented"] is True)


def _dump(obj) -> str:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True)


_WRONG_SCALARS = st.one_of(
    st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(_ident, st.integers(0, 3), max_size=2),
)


@st.composite
def _mutated(draw) -> MatrixDoc:
    matrix = draw(matrix_objects(complete=draw(st.booleans())))
    kind = draw(st.sampled_from([
        "missing_key", "wrong_type", "empty_field", "dangling_reference", "duplicate_id", "bad_enum",
    ]))
    if kind == "missing_key":
        if draw(st.booleans()):
            del matrix[draw(st.sampled_from(["version", "metadata", *SECTIONS]))]
        else:
            section = draw(st.sampled_from(["metadata", *SECTIONS]))
            if section == "metadata":
                del matrix["metadata"][draw(st.sampled_from(METADATA_FIELDS))]
            elif matrix[section]:
                item = draw(st.sampled_from(matrix[section]))
                del item[draw(st.sampled_from(ITEM_FIELDS[section]))]
            else:
                del matrix[section]
    elif kind == "wrong_type":
        where = draw(st.sampled_from(["version", "metadata", "section", "item", "field", "metadata_field"]))
        if where == "version":
            matrix["version"] = draw(st.sampled_from(["1", "one", 1.5, True, None, [1]]))
        elif where == "metadata":
            matrix["metadata"] = draw(st.sampled_from(["meta", [1, 2], 3, None]))
        elif where == "section":
            matrix[draw(st.sampled_from(SECTIONS))] = draw(st.sampled_from(["x", 7, {"a": 1}, None, True]))
        elif where == "metadata_field":
            matrix["metadata"][draw(st.sampled_from(METADATA_FIELDS))] = draw(
                _WRONG_SCALARS.filter(lambda v: not isinstance(v, str)))
        else:
            section = draw(st.sampled_from([s for s in SECTIONS if matrix[s]]))
            index = draw(st.integers(0, len(matrix[section]) - 1))
            if where == "item":
                matrix[section][index] = draw(st.sampled_from(["item", 3, [1], None]))
            else:
                name = draw(st.sampled_from(ITEM_FIELDS[section]))
                bad = _WRONG_SCALARS.filter(lambda v: not isinstance(v, bool)) if name == "implemented" else \
                    _WRONG_SCALARS.filter(lambda v: not isinstance(v, str))
                matrix[section][index][name] = draw(bad)
    elif kind == "empty_field":
        if draw(st.booleans()):
            matrix["metadata"][draw(st.sampled_from(METADATA_FIELDS))] = draw(st.sampled_from(["", "   ", "\t"]))
        else:
            section = draw(st.sampled_from([s for s in SECTIONS if matrix[s]]))
            item = draw(st.sampled_from(matrix[section]))
            name = draw(st.sampled_from([f for f in ITEM_FIELDS[section] if f not in ("implemented", "description",
                                                                                   "name", "category")]))
            item[name] = draw(st.sampled_from(["", "  "]))
    elif kind == "dangling_reference":
        if not matrix["scenarios"]:
            matrix["scenarios"].append({"id": "dangling", "surface": matrix["surfaces"][0]["id"],
                                        "actor": matrix["actors"][0]["id"], "risk": matrix["risks"][0]["id"],
                                        "expected": "deny", "status": "covered", "description": "d"})
        scenario = draw(st.sampled_from(matrix["scenarios"]))
        scenario[draw(st.sampled_from(["surface", "actor", "risk"]))] = "no_such_" + draw(_ident)
    elif kind == "duplicate_id":
        section = draw(st.sampled_from([s for s in SECTIONS if matrix[s]]))
        matrix[section].append(dict(draw(st.sampled_from(matrix[section]))))
    else:  # bad_enum
        where = draw(st.sampled_from(["severity", "expected", "status"]))
        valid = {"severity": SEVERITIES, "expected": EXPECTED, "status": STATUSES}[where]
        bad = draw(st.one_of(st.sampled_from(["", "unknown", "done", "none"]), st.sampled_from(valid).map(str.upper),
                             st.sampled_from(valid).map(lambda v: " " + v)))
        section = "risks" if where == "severity" else "scenarios"
        if not matrix[section]:
            return MatrixDoc(_dump(matrix), "valid_complete" if _is_complete(matrix) else "valid_incomplete")
        draw(st.sampled_from(matrix[section]))[where] = bad
    if kind == "wrong_type":
        kind = f"wrong_type:{where}"
    return MatrixDoc(_dump(matrix), kind)


def valid_matrices() -> st.SearchStrategy[MatrixDoc]:
    """Schema-valid matrices, complete or not."""
    return st.one_of(
        matrix_objects(complete=True).map(lambda m: MatrixDoc(_dump(m), "valid_complete")),
        matrix_objects(complete=False).map(lambda m: MatrixDoc(_dump(m), "valid_incomplete")),
    )


def unparsable_matrices() -> st.SearchStrategy[MatrixDoc]:
    """Files that are not a YAML mapping at all."""
    return st.one_of(
        st.sampled_from(["version: [1\n", "surfaces: {a: b\n", "\tversion: 1\n", ": : :\n"]).map(
            lambda t: MatrixDoc(t, "not_yaml")),
        st.sampled_from(["- 1\n- 2\n", "42\n", "just text\n", "null\n"]).map(lambda t: MatrixDoc(t, "not_mapping")),
        st.sampled_from(["", "\n", "# only a comment\n"]).map(lambda t: MatrixDoc(t, "empty_document")),
    )


def matrices() -> st.SearchStrategy[MatrixDoc]:
    """Any matrix document: valid, structurally broken in one field, or not a mapping."""
    return st.one_of(valid_matrices(), _mutated(), _mutated(), _mutated(), unparsable_matrices())
