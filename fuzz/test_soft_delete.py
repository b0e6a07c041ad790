"""Soft-deleting resources: deletes by anyone, then trash listings with widening queries.

Properties (oracles in fuzz/oracles/soft_delete.py): ``soft_delete.trash_scoped``,
``soft_delete.delete_is_soft``, and the generic HTTP oracles on every exchange. A resource
that does not soft-delete, or declares no trash listing, skips, saying why.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz import catalog
from fuzz.judging import judge, judges
from fuzz.properties.soft_delete import rows_by_id, run_trash_case
from strategies.soft_delete import trash_cases

HTTP = (catalog.HTTP_NO_SERVER_ERROR, catalog.HTTP_ERROR_ENVELOPE, catalog.HTTP_NO_LEAK, catalog.HTTP_RESPONDS_IN_TIME)


@pytest.fixture(scope="module")
def seeded_ids(live_target):
    """Seeded row ids per soft-delete resource (read once; every case starts from the seed)."""
    live_target.reset()
    return {r.name: sorted(rows_by_id(live_target, r)) for r in live_target.info.resources if r.soft_delete}


@judges(catalog.SOFT_DELETE_TRASH_SCOPED, catalog.SOFT_DELETE_DELETE_IS_SOFT, also=HTTP)
@given(data=st.data())
def test_trash_stays_in_scope(live_target, oracle_context, seeded_ids, resource_name, data):
    """Deletes by any principal, then any principal's trash listing with any widening query."""
    info = live_target.info
    resource = info.resource(resource_name)
    if not resource.soft_delete:
        pytest.skip(f"{resource_name} is not a soft-delete model")
    if not resource.trash_path:
        pytest.skip(f"the target declares no trash listing for {resource_name}")
    case = data.draw(trash_cases(info, resource, seeded_ids.get(resource_name, [])), label="case")
    judge(run_trash_case(live_target, oracle_context, resource, case))
