"""A list request costs the same number of queries for 10 or 1,000 items (DataLoaders)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from backend.auth.identity import Identity
from backend.models import BookingSlot, Case, Department, ServiceItem, User
from backend.services.bookings import booking as bookings
from backend.services.bookings.rules import BookingRules
from backend.services.identity.accounts import sync_user
from backend.settings import Settings
from tests.bookings_helpers import bookable_item, open_slots
from tests.factories import delete_department, make_cases, make_department, make_items
from tests.helpers import count_queries, gql_data

DEEP_LIST = """query($d: ID) { serviceItems(departmentId: $d, first: 1000) { totalCount edges { node {
  name department { name itemCount } halls { name }
  guide { promisedDays materials { name licenseType { name } } process { title } faq { question } }
} } } }"""


@pytest.fixture
async def small_and_large() -> AsyncIterator[tuple[Department, Department]]:
    small, large = await make_department(), await make_department()
    await make_items(department=small, count=10, prefix="QCS")
    await make_items(department=large, count=1000, prefix="QCL")
    yield small, large
    await delete_department(small)
    await delete_department(large)


async def test_query_count_does_not_grow_with_items(
    client: httpx.AsyncClient, small_and_large: tuple[Department, Department]
) -> None:
    small, large = small_and_large
    counts = {}
    for dept in (small, large):
        with count_queries() as log:
            data = await gql_data(client, DEEP_LIST, {"d": str(dept.id)})
        assert len(data["serviceItems"]["edges"]) == data["serviceItems"]["totalCount"]
        counts[data["serviceItems"]["totalCount"]] = log.count
    print(f"\nqueries for serviceItems with nested guide fields: {counts}")
    assert counts[10] == counts[1000], counts
    assert counts[10] <= 12, counts


MY_CASES = """{ myCases(first: 1000) { totalCount edges { node {
  number status item { name department { name } } applicantName
  events { kind } materials { name files { filename } } deadline { promisedDue } allowedActions
} } } }"""


async def test_my_cases_costs_the_same_for_10_or_1000_cases(
    client: httpx.AsyncClient, token: Callable[..., str],
) -> None:
    # The supervisor persona applies for nothing elsewhere in the suite: their list is ours.
    headers = {"authorization": f"Bearer {token('supervisor')}"}
    await client.post("/graphql", json={"query": "{ me { name } }"}, headers=headers)
    applicant = await User.get(sub="dev-supervisor")
    item = await ServiceItem.get(code="61010102006")
    await Case.filter(applicant=applicant).delete()
    counts = {}
    for total in (10, 1000):
        await make_cases(applicant=applicant, item=item, count=total - await Case.filter(applicant=applicant).count())
        with count_queries() as log:
            response = await client.post("/graphql", json={"query": MY_CASES}, headers=headers)
        body = response.json()
        assert "errors" not in body, body
        assert len(body["data"]["myCases"]["edges"]) == total
        counts[total] = log.count
    await Case.filter(applicant=applicant).delete()
    print(f"\nqueries for myCases with nested fields: {counts}")
    assert counts[10] == counts[1000], counts


async def test_booking_a_slot_costs_three_statements_on_postgresql(
    client: httpx.AsyncClient, identity: Identity, settings: Settings,
) -> None:
    """book() below the adapter: the checks in one SELECT, the person's lock, and on PostgreSQL
    the limits + place + row in one statement (docs/BOOKINGS.md); SQLite's portable path adds the
    limits read and the insert as their own statements."""
    hall, item = await bookable_item(capacity=2)
    slot = (await open_slots(client, hall_id=hall.id, item_code=item.code))[0]
    user = await sync_user(claims={"sub": f"qc-{secrets.token_hex(6)}", "name": "测试市民"}, vault=identity.vault)
    request = bookings.BookingRequest(slot_id=int(slot["id"]), hall_id=hall.id, item_code=item.code)
    with count_queries() as log:
        booked = await bookings.book(user=user, request=request, rules=BookingRules(), bus=None)
    assert booked.status == "BOOKED" and (await BookingSlot.get(id=booked.slot_id)).booked == 1
    assert log.count == (3 if settings.database_kind == "postgres" else 5), log.count
