"""Deterministic seed data for the reference app (faker with a fixed seed).

Both tenants get tickets and comments; categories are global. Values include the
corners the query oracles need: NULLs in every nullable column (arrays: also empty ones), duplicates for
tie-breaking, unicode and case variants, LIKE wildcards (``%``, ``_``, ``\\``),
negative and int64-sized numbers, and timestamps with distinct instants.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from decimal import Decimal
from typing import Any

from faker import Faker

SEED = 20261123
TICKETS_PER_TENANT = 24
COMMENTS_PER_TENANT = 18
CATEGORIES = 26
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
TRICKY_TITLES = [
    "50% off_sale", "under_score", "back\\slash", "Ünïcödé façade", "UPPER lower", "upper LOWER",
    "emoji 🚀 launch", "quote ' and \"", "  padded  ", "ǅ titlecase digraph",
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ticket_rows(tenants: dict[str, str], rng: random.Random, fake: Faker) -> list[dict[str, Any]]:
    rows = []
    n = 0
    for label, tenant in sorted(tenants.items()):
        for i in range(TICKETS_PER_TENANT):
            n += 1
            created = EPOCH + dt.timedelta(minutes=37 * n)
            title = TRICKY_TITLES[i] if i < len(TRICKY_TITLES) else fake.sentence(nb_words=4)[:120]
            rows.append({
                "id": _uuid(rng),
                "tenant_id": tenant,
                "title": title,
                "status": ("open", "pending", "closed")[i % 3],
                "body": None if i % 5 == 0 else fake.paragraph(nb_sentences=2),
                "priority": [0, 1, 2, 3, -1, 5, 2][i % 7],
                "views": [0, 7, 2**31, 2**62, 42][i % 5],
                "amount": None if i % 4 == 0 else Decimal(rng.randint(-99999, 9999999)) / 100,
                "score": None if i % 6 == 0 else round(rng.uniform(-1000, 1000), 3),
                "is_urgent": i % 3 == 0,
                "due_date": None if i % 3 == 1 else (EPOCH + dt.timedelta(days=rng.randint(0, 400))).date(),
                "resolved_at": None if i % 2 else created + dt.timedelta(hours=rng.randint(1, 300)),
                "external_ref": None if i % 4 == 1 else _uuid(rng),
                "meta": None if i % 5 == 2 else json.dumps(
                    {"source": fake.word(), "level": i % 4, "tags": [fake.word() for _ in range(i % 3)],
                     "nested": {"flag": bool(i % 2)}}),
                "internal_notes": None if i % 3 == 2 else f"internal {label}-{i}: {fake.sentence()}",
                "approved": i % 4 == 3,
                "reference_code": None if i % 6 == 5 else f"REF-{label}-{i:03d}",
                "contact_email": None if i % 4 == 2 else f"{['ana', 'bob', 'o_k', 'x%y'][i % 4]}{i}@example.com",
                "homepage": None if i % 3 == 0 else f"https://example.com/{label.lower()}/{i}?q=a%25b",
                "slug": None if i % 5 == 4 else f"{label.lower()}-{['a', 'b_c', 'd-e', '50'][i % 4]}-{i}",
                "opens_at": None if i % 4 == 0 else dt.time(i % 24, (7 * i) % 60, i % 2 * 30),
                "labels": None if i % 5 == 1 else [["urgent", "vip"], [], ["a%b", "c_d"], ["ünï"]][i % 4],
                "created_at": created,
                "updated_at": created,
            })
    return rows


def comment_rows(tenants: dict[str, str], tickets: list[dict[str, Any]], rng: random.Random,
                 fake: Faker) -> list[dict[str, Any]]:
    rows = []
    n = 0
    for label, tenant in sorted(tenants.items()):
        own = [t for t in tickets if t["tenant_id"] == tenant]
        for i in range(COMMENTS_PER_TENANT):
            n += 1
            created = EPOCH + dt.timedelta(minutes=53 * n)
            rows.append({
                "id": _uuid(rng),
                "tenant_id": tenant,
                "ticket_id": own[i % len(own)]["id"],
                "author": ["ana", "Ana", "bob", "chloé", "d_ave"][i % 5],
                "body": fake.sentence(),
                "is_public": i % 3 != 0,
                "created_at": created,
                "updated_at": created,
            })
    return rows


def category_rows(rng: random.Random, fake: Faker) -> list[dict[str, Any]]:
    rows = []
    names = set()
    for i in range(CATEGORIES):
        name = fake.unique.word().capitalize() + f" {i}"
        names.add(name)
        created = EPOCH + dt.timedelta(hours=i)
        rows.append({
            "id": _uuid(rng),
            "name": name,
            "description": None if i % 4 == 0 else fake.sentence(),
            "sort_order": [0, 1, -3, 32767, 5][i % 5],
            "created_at": created,
            "updated_at": created,
        })
    return rows


def build_seed(tenants: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(SEED)
    fake = Faker()
    fake.seed_instance(SEED)
    tickets = ticket_rows(tenants, rng, fake)
    return {
        "tickets": tickets,
        "comments": comment_rows(tenants, tickets, rng, fake),
        "categories": category_rows(rng, fake),
    }


async def insert_seed(conn: Any, tenants: dict[str, str]) -> None:
    for table, rows in build_seed(tenants).items():
        if not rows:
            continue
        columns = list(rows[0])
        types = await conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1", table
        )
        jsonb = {r["column_name"] for r in types if r["data_type"] in ("json", "jsonb")}
        placeholders = ", ".join(
            f"${i + 1}::jsonb" if c in jsonb else f"${i + 1}" for i, c in enumerate(columns)
        )
        cols = ", ".join(f'"{c}"' for c in columns)
        await conn.executemany(
            f'INSERT INTO "{table}" ({cols}) VALUES ({placeholders})',
            [tuple(r[c] for c in columns) for r in rows],
        )
