"""The Redis example database: a real redis-server, started here on a unix socket in a temp dir."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from fuzz.example_db import ExampleDbError, example_database, redact
from tests.reporting.support import run_pytest

redis = pytest.importorskip("redis", reason="the redis package is not installed: pip install 'aksara-fuzz[redis]'")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server binary on PATH (Debian: apt-get install redis-server)")
    directory = tmp_path_factory.mktemp("redis")
    socket = directory / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700", "--save", "",
         "--appendonly", "no", "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"unix://{socket}"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.skip("redis-server could not be started on a unix socket")
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_values_round_trip_between_two_machines(redis_url, tmp_path):
    first = example_database(redis_url, local=tmp_path / "machine1")
    second = example_database(redis_url, local=tmp_path / "machine2")
    first.save(b"property-key", b"\x00counterexample")
    assert list(second.fetch(b"property-key")) == [b"\x00counterexample"]
    second.delete(b"property-key", b"\x00counterexample")  # e.g. the bug was fixed on machine 2
    assert list(example_database(redis_url, local=tmp_path / "machine3").fetch(b"property-key")) == []


def test_a_counterexample_found_on_one_machine_is_replayed_first_on_another(redis_url, tmp_path):
    seen: list[int] = []

    def failing_property(database):
        @settings(database=database, max_examples=200, phases=[Phase.reuse, Phase.generate, Phase.shrink],
                  deadline=None)
        @given(st.integers(min_value=0, max_value=10**6))
        def property_under_test(n):
            seen.append(n)
            assert n < 1000

        return property_under_test

    with pytest.raises(AssertionError):
        failing_property(example_database(redis_url, local=tmp_path / "machine1"))()
    seen.clear()
    with pytest.raises(AssertionError):
        failing_property(example_database(redis_url, local=tmp_path / "machine2"))()
    assert seen[0] == 1000  # the shrunk counterexample, replayed from Redis before any generation


def test_read_only_mode_replays_without_writing(redis_url, tmp_path):
    writer = example_database(redis_url, local=tmp_path / "nightly")
    writer.save(b"k", b"nightly")
    reader = example_database(redis_url, readonly=True, local=tmp_path / "pull-request")
    reader.save(b"k", b"pull-request")
    reader.delete(b"k", b"nightly")
    assert set(writer.fetch(b"k")) == {b"nightly"}  # Redis untouched
    assert set(reader.fetch(b"k")) == {b"nightly", b"pull-request"}  # kept locally, nightly corpus replayed


def test_the_plugin_uses_redis_and_says_so(redis_url, tmp_path):
    result = run_pytest("fuzz/test_tokens.py", "-k", "scope_algebra", "--fuzz-profile=dev",
                        "--example-db", redis_url, "--example-db-readonly", "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"example db {redis_url} (read-only)" in result.stdout


@pytest.mark.live
def test_an_unreachable_redis_is_one_line_and_a_usage_error(tmp_path):
    with pytest.raises(ExampleDbError, match="cannot reach"):
        example_database(f"unix://{tmp_path}/absent.sock")
    result = run_pytest("fuzz/test_tokens.py", "--example-db", f"unix://{tmp_path}/absent.sock")
    assert result.returncode == 4
    assert "cannot reach the Redis example database" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_passwords_are_not_printed():
    assert redact("redis://user:s3cret@db.example:6379/0") == "redis://user:***@db.example:6379/0"
    assert redact("redis://:s3cret@db.example:6379/0") == "redis://***@db.example:6379/0"
    assert redact("redis://db.example:6379/0") == "redis://db.example:6379/0"
