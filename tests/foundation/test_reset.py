"""Reset restores the seed exactly, and change detection sees committed writes only."""

from __future__ import annotations


def _contents(live):
    return {t: sorted(map(repr, live.run(live.db.fetch_rows(t)))) for t in ("tickets", "comments", "categories")}


def test_reset_restores_every_table_exactly(fresh_target):
    live = fresh_target
    before = _contents(live)
    created = live.request("user_a", "POST", "/tickets/", json_body={"title": "temporary", "priority": 3})
    assert created.status == 201
    ticket_id = created.response_json()["id"]
    assert live.request("user_a", "PATCH", f"/tickets/{ticket_id}", json_body={"title": "changed"}).status == 200
    victim = live.run(live.db.fetch_rows("comments"))[0]["id"]
    assert live.request("system", "DELETE", f"/comments/{victim}").status in (200, 404)
    live.run(live.db.conn.execute("UPDATE categories SET description = 'changed by the test'"))
    assert {"tickets", "categories"} <= set(live.changes())
    restored = live.reset()
    assert {"tickets", "categories"} <= set(restored)
    assert live.changes() == []
    assert _contents(live) == before


def test_a_rolled_back_write_leaves_no_change(fresh_target):
    live = fresh_target

    async def failing_write():
        async with live.db.conn.transaction():
            await live.db.conn.execute("UPDATE tickets SET priority = priority + 1")
            raise RuntimeError("roll back")

    try:
        live.run(failing_write())
    except RuntimeError:
        pass
    assert live.changes() == []


def test_an_update_to_identical_values_is_not_a_change(fresh_target):
    live = fresh_target
    live.run(live.db.conn.execute("UPDATE tickets SET priority = priority"))
    assert live.changes() == []
    live.reset()
