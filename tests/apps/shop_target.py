"""The whole of what a team writes to fuzz its app: how each kind of caller authenticates."""

from targets.derive import Adapter, derive, principal


def make_target(profile):
    adapter = Adapter(
        principals=[principal("customer", "user", headers={"X-Api-Key": "shop-user-key-7d2f9a1c4e6b8d0f"})],
        secrets=["shop-user-key-7d2f9a1c4e6b8d0f"],
    )
    return derive("tests.apps.shopapp:app", adapter, profile, name="shop")
