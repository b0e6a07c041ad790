"""The mutation benchmark's operators change exactly one segment of a file, and its mutants compile."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mutation():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import mutation
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return mutation


SOURCE = '''"""Doc."""


def check(user, limit=3):
    if user is None:
        raise PermissionError("no user")
    if user.count > limit and not user.staff:  # a comment stays
        return False
    return compare(user.name, "admin") or True
'''


def test_every_operator_yields_one_change_and_the_rest_stays_byte_for_byte(mutation, tmp_path):
    (tmp_path / "m.py").write_text(SOURCE, encoding="utf-8")
    mutants = mutation.mutants_of(tmp_path, "m.py")
    produced = {(m.operator, m.original, m.replacement) for m in mutants}
    assert ("comparison", "user is None", "(user is not None)") in produced
    assert ("comparison", "user.count > limit", "(user.count <= limit)") in produced
    assert ("boolean", "user.count > limit and not user.staff", "(user.count > limit or not user.staff)") in produced
    assert ("boolean", "not user.staff", "(user.staff)") in produced
    assert ("boolean", "False", "True") in produced
    assert ("off_by_one", "3", "4") in produced
    assert ("swapped_arguments", 'compare(user.name, "admin")', "(compare('admin', user.name))") in produced
    removed = [m for m in mutants if m.operator == "removed_check"]
    assert [m.line for m in removed] == [5, 7]
    assert not any(m.original == '"""Doc."""' for m in mutants)
    for m in mutants:
        mutated = mutation.apply(SOURCE, m)
        compile(mutated, "m.py", "exec")
        assert mutated != SOURCE
        assert mutated.startswith('"""Doc."""') and mutated.endswith("\n")
        assert m.operator == "removed_check" or "# a comment stays" in mutated
    [check] = [m for m in removed if m.line == 5]
    assert 'raise PermissionError' not in mutation.apply(SOURCE, check)


def test_mutants_of_the_installed_modules_compile(mutation):
    package = mutation.installed_package()
    operators = set()
    for relative in ("permissions.py", "security/mcp.py", "api/pagination.py"):
        source = (package / relative).read_text(encoding="utf-8")
        for m in mutation.mutants_of(package, relative):
            operators.add(m.operator)
            compile(mutation.apply(source, m), relative, "exec")
    assert operators == set(mutation.OPERATORS)
