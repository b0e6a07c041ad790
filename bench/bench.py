"""Print the suite's throughput: requests/s of the in-process ceiling, examples/s of the
hostile-request property, and the cost of one reset after a write.

    python bench/bench.py [--examples 300] [--profile hardened]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--profile", choices=("hardened", "defaults"), default="hardened")
    args = parser.parse_args()

    from hypothesis import HealthCheck, Phase, given, settings
    
    from compare_schemathesis import reset_cost, start_target
    from fuzz.oracles.context import OracleContext
    from fuzz.properties.http import check_hostile_request
    from strategies.http import hostile_requests, known_ids

    started = start_target(args.profile, "bench")
    if started is None:
        return 3
    server, live = started
    try:
        print(f"PostgreSQL: {server.provider}, started in {server.start_seconds:.2f} s")
        n = 300
        started = time.perf_counter()
        for _ in range(n):
            live.request("user_a", "GET", "/tickets/")
        ceiling = n / (time.perf_counter() - started)
        print(f"in-process GET /tickets/ (the ceiling): {ceiling:7.1f} req/s  ({1000 / ceiling:.2f} ms/req)")

        reset_cost(live)

        ctx, ids = OracleContext(live.info), known_ids(live)
        for resource in live.info.resources:
            count = 0
            strategy = hostile_requests(live.info, ids, resource.name)

            @settings(max_examples=args.examples, database=None, deadline=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(strategy)
            def run(request):
                nonlocal count
                count += 1
                check_hostile_request(live, ctx, ids, request)

            t0 = time.perf_counter()
            run()
            elapsed = time.perf_counter() - t0
            per = elapsed / max(count, 1)
            print(f"http.robustness on {resource.name:9}: {count / elapsed:7.1f} examples/s "
                  f"({per * 1000:.2f} ms/example incl. 2 requests, change check and reset)")
        query_families(live, args.examples)
        print(f"requests sent: {live.requests}, mean app time {live.request_seconds / live.requests * 1000:.2f} ms")
    finally:
        live.run(live.stop())
        server.stop()
    return 0


def rate(name: str, strategy, body, examples: int) -> None:
    """Print examples/s of ``body(example)`` over ``examples`` generated examples."""
    from hypothesis import HealthCheck, Phase, given, settings

    count = 0

    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(example):
        nonlocal count
        count += 1
        body(example)

    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    print(f"{name:34}: {count / elapsed:7.1f} examples/s ({elapsed / max(count, 1) * 1000:.2f} ms/example)")


def query_families(live, examples: int) -> None:
    """The semantic query properties on the Ticket and Category resources."""
    from hypothesis import strategies as st

    from fuzz.properties import queries as props
    from strategies.filters import valid_filters, valid_orderings
    from strategies.query import query_strings

    world = props.QueryWorld.build(live)
    for name in ("Ticket", "Category"):
        resource = live.info.resource(name)
        principal = next(p for p in world.principals_for(resource)
                         if live.info.principal(p).kind in ("user", "staff", "anonymous"))
        rows = world.visible(principal, resource)
        byte_order = world.collation.byte_order
        rate(f"query.filter_differential {name}", valid_filters(resource, rows, byte_order),
             lambda f: props.filter_differential(world, principal, resource, f), examples)
        rate(f"query.ordering {name}", valid_orderings(resource, byte_order),
             lambda t: props.ordering(world, principal, resource, t), examples)
        rate(f"query.page_walk {name}", st.integers(1, resource.page_max),
             lambda n: props.page_walk(world, principal, resource, n), max(examples // 5, 1))
        rate(f"query.injection_taint {name}", query_strings(resource),
             lambda q: props.injection_taint(world, principal, resource, q), examples)
        live.reset()


if __name__ == "__main__":
    raise SystemExit(main())
