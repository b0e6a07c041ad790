"""The order a run takes the property files: cheap families first, every file's own order kept."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from fuzz import plugin


def test_run_order_names_existing_property_files():
    files = {p.stem for p in plugin.FUZZ_DIR.glob("test_*.py")}
    listed = [name for name in plugin.RUN_ORDER if name is not None]
    assert len(listed) == len(set(listed))
    assert set(listed) <= files
    assert plugin.RUN_ORDER.count(None) == 1


def test_property_files_are_sorted_stably_and_self_tests_stay_first():
    fuzz_dir, tests_dir = plugin.FUZZ_DIR, plugin.FUZZ_DIR.parent / "tests"
    items = [SimpleNamespace(path=fuzz_dir / "test_openapi.py", name="o1"),
             SimpleNamespace(path=fuzz_dir / "test_queries.py", name="q1"),
             SimpleNamespace(path=fuzz_dir / "test_new_family.py", name="n1"),
             SimpleNamespace(path=tests_dir / "foundation" / "test_x.py", name="t1"),
             SimpleNamespace(path=fuzz_dir / "test_queries.py", name="q2"),
             SimpleNamespace(path=fuzz_dir / "test_tokens.py", name="k1")]
    plugin.pytest_collection_modifyitems(items)
    assert [i.name for i in items] == ["t1", "k1", "q1", "q2", "n1", "o1"]
    assert all(isinstance(i.path, Path) for i in items)
