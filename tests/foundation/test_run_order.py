"""How soon a run looks everywhere: families interleaved at an even pace, cheap families first at each step,
every file's own order kept."""

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


def test_families_advance_at_an_even_pace_and_self_tests_stay_first():
    fuzz_dir, tests_dir = plugin.FUZZ_DIR, plugin.FUZZ_DIR.parent / "tests"
    items = [SimpleNamespace(path=fuzz_dir / "test_openapi.py", name="o1"),
             SimpleNamespace(path=fuzz_dir / "test_queries.py", name="q1"),
             SimpleNamespace(path=fuzz_dir / "test_new_family.py", name="n1"),
             SimpleNamespace(path=tests_dir / "foundation" / "test_x.py", name="t1"),
             SimpleNamespace(path=fuzz_dir / "test_queries.py", name="q2"),
             SimpleNamespace(path=fuzz_dir / "test_tokens.py", name="k1")]
    plugin.pytest_collection_modifyitems(items)
    # at 0: tokens, queries, the unlisted family, openapi; at 1/2: the second queries test
    assert [i.name for i in items] == ["t1", "k1", "q1", "n1", "o1", "q2"]
    four = [SimpleNamespace(path=fuzz_dir / "test_queries.py", name=f"q{i}") for i in range(4)]
    two = [SimpleNamespace(path=fuzz_dir / "test_writes.py", name=f"w{i}") for i in range(2)]
    items = [*four, *two]
    plugin.pytest_collection_modifyitems(items)
    assert [i.name for i in items] == ["q0", "w0", "q1", "q2", "w1", "q3"]
    assert all(isinstance(i.path, Path) for i in items)


def test_xdist_hands_out_one_test_at_a_time_unless_the_user_chose():
    chosen, default, no_xdist = (SimpleNamespace(option=SimpleNamespace(maxschedchunk=v)) for v in (5, None, 0))
    del no_xdist.option.maxschedchunk
    for config in (chosen, default, no_xdist):
        plugin._schedule_as_one_queue(config)
    assert chosen.option.maxschedchunk == 5 and default.option.maxschedchunk == 1
    assert not hasattr(no_xdist.option, "maxschedchunk")


def test_only_the_nightly_profile_spends_time_explaining_a_failure():
    from hypothesis import Phase, settings

    from fuzz.profiles import PROFILES  # registered by the plugin at start-up

    explaining = {name for name in PROFILES if Phase.explain in settings.get_profile(name).phases}
    assert explaining == {"nightly"}
    assert all(Phase.shrink in settings.get_profile(name).phases for name in PROFILES)
