"""The access matrix, generated: every root field that takes an identifier of someone's resource
(an id, number, code, USCC, token, endpoint or cursor — as an argument or inside an input
object) is called against a resource of its owner with five tokens, and each answer is compared
with the table below. The table is the specification: a field that takes such an argument and
has no row fails `test_every_identifier_field_is_in_the_table`, so a new field must say who may
call it before it ships.

Roles: OWNER (the persona the resource belongs to, or the staff who may act on it), CITIZEN2
(another citizen), AGENT (the enterprise's agent with no live authority), OTHER_STAFF (staff of a
department that has nothing to do with it, made here), ANON (no token).

Outcomes: SEES (an answer that shows the owner's resource: its marker is in the JSON), OK (an
answer that shows nothing of the owner's), NULL (null, no error), NOT_FOUND / NOT_PERMITTED /
INVALID_INPUT (typed error member of the result union, or a GraphQL error with that code),
UNAUTHENTICATED. The owner's cell runs last; every denied cell checks that nothing changed."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from graphql import (
    GraphQLField, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLNonNull, GraphQLObjectType,
    GraphQLSchema, GraphQLUnionType, get_named_type,
)

from backend.auth.identity import DEV_IDP_KID, Identity
from backend.auth.personas import DEMO_ENTERPRISE_USCC, PERSONAS
from backend.jws import sign_token
from backend.models import (
    AgentAuthority, BookableItem, Booking, BookingSlot, Case, CaseEvent, DataAccessLog, ELicense, HallClosure,
    HallSchedule, Notification, PushSubscription, Rating, RatingToken, RectificationTicket, ServiceHall, ServiceItem,
    TicketEntry, Upload, User,
)
from backend.models.catalog import Audience, HallLevel
from backend.models.ratings import RatingTokenPurpose
from backend.seed.reference import CITY_HALL
from backend.services.bookings.rules import now_local
from backend.services.ratings import tokens as rating_tokens
from backend.schema import build_schema
from backend.services.cases.feed import encode_event_cursor
from backend.services.identity.identifiers import id_check_digit
from backend.settings import Settings
from tests.cases_helpers import (
    ACCEPT, APPROVE, REQUEST_SUPPLEMENT, START_REVIEW, TEACHER, bearer, call, complete_materials, move,
    submitted_case, upload,
)
from tests.bookings_helpers import (
    CANCEL, CODE, book, bookable_item, checked_in_booking, open_slots, person_token, teacher_booking, to_today,
)
from tests.factories import make_department, make_licenses
from tests.helpers import gql
from tests.licenses_helpers import present
from tests.ratings_helpers import RECTIFY, VERIFY, delivered_case, rate, rate_visit, ticket_move
from tests.ws_helpers import Subscription

RETIREMENT = "61010708104"  # 企业职工退休申请: persons and enterprises
ROLES = ("CITIZEN2", "AGENT", "OTHER_STAFF", "ANON", "OWNER")  # the owner last: its call may consume the resource

# An argument (or input field) that names someone's resource.
IDENTIFIER = re.compile(r"(^id$|^ids$|Id$|Ids$|[nN]umber$|[cC]ode$|[uU]scc$|[tT]oken$|^after$|^before$|[cC]ursor$|"
                        r"^endpoint$)")
# Values, not identifiers: a tracking number is the courier's, an idempotency key is the caller's own.
NOT_IDENTIFIERS = {"trackingNumber", "idempotencyKey"}


def _identifier_paths(schema: GraphQLSchema) -> dict[str, list[str]]:
    """`Root.field` → the identifier arguments it takes, input objects searched recursively."""

    def walk(type_: Any, prefix: str, seen: frozenset[str]) -> list[str]:
        named = get_named_type(type_)
        if not isinstance(named, GraphQLInputObjectType) or named.name in seen:
            return []
        found = []
        for name, input_field in named.fields.items():
            if IDENTIFIER.search(name) and name not in NOT_IDENTIFIERS:
                found.append(f"{prefix}.{name}")
            found += walk(input_field.type, f"{prefix}.{name}", seen | {named.name})
        return found

    out: dict[str, list[str]] = {}
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        assert root is not None
        for name, root_field in root.fields.items():
            paths = []
            for arg_name, arg in root_field.args.items():
                if IDENTIFIER.search(arg_name) and arg_name not in NOT_IDENTIFIERS:
                    paths.append(arg_name)
                paths += walk(arg.type, arg_name, frozenset())
            if paths:
                out[f"{root.name}.{name}"] = paths
    return out


def _selection(type_: Any, depth: int = 3) -> str:
    """Every scalar reachable in `depth` levels (fields without required arguments), so an
    answer shows whatever the field would give away."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLUnionType):
        return "{ __typename " + " ".join(f"... on {m.name} {_selection(m, depth)}" for m in named.types) + " }"
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return ""
    parts = ["__typename"]
    for name, sub in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) and a.default_value is None for a in sub.args.values()):
            continue
        inner = get_named_type(sub.type)
        if isinstance(inner, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            if depth > 1:
                parts.append(f"{name} {_selection(sub.type, depth - 1)}")
        else:
            parts.append(name)
    return "{ " + " ".join(parts) + " }"


def _document(schema: GraphQLSchema, root: str, name: str, variables: dict[str, Any]) -> str:
    root_type = {"Query": schema.query_type, "Mutation": schema.mutation_type,
                 "Subscription": schema.subscription_type}[root]
    assert root_type is not None
    gql_field: GraphQLField = root_type.fields[name]
    params = ", ".join(f"${arg}: {gql_field.args[arg].type}" for arg in variables)
    args = ", ".join(f"{arg}: ${arg}" for arg in variables)
    operation = root.lower()
    return (f"{operation}{'(' + params + ')' if params else ''} "
            f"{{ {name}{'(' + args + ')' if args else ''} {_selection(gql_field.type)} }}")


# ---- the world: the owners' resources ------------------------------------------------------

def _other_staff_claims(department_code: str) -> dict[str, Any]:
    """Staff of a department made for this test: it issues nothing and owns no case."""
    first17 = "61010619870101123"
    return {"sub": f"dev-matrix-staff-{department_code}", "name": "周测试", "id_number": first17 + id_check_digit(first17),
            "phone_number": "13300290001", "roles": ["STAFF"], "department": department_code, "enterprises": []}


def _custom_token(identity: Identity, settings: Settings, claims: dict[str, Any]) -> str:
    now = int(time.time())
    assert identity.dev_idp_pem is not None
    full = {**claims, "iss": identity.issuer, "aud": settings.oidc_audience, "iat": now, "nbf": now, "exp": now + 900,
            "jti": uuid.uuid4().hex}
    return sign_token(full, private_pem=identity.dev_idp_pem, algorithm="RS256", kid=DEV_IDP_KID)


@dataclass
class World:
    client: httpx.AsyncClient
    tokens: dict[str, str | None]  # persona key → token; "OTHER_STAFF" is made here
    ws_url: str
    identity: Identity
    settings: Settings
    values: dict[str, Any] = field(default_factory=dict)

    def token_for(self, role: str, owner: str) -> str | None:
        return {"OWNER": self.tokens[owner], "CITIZEN2": self.tokens["citizen2"],
                "AGENT": self.tokens["enterprise-agent"], "OTHER_STAFF": self.tokens["OTHER_STAFF"],
                "ANON": None}[role]

    async def case(self, *, state: str = "SUBMITTED") -> str:
        """A fresh case of the citizen's (TEACHER, department D02) in `state`, moved through the API."""
        number = (await submitted_case(self.client, self.tokens["citizen"]))["number"]
        staff = self.tokens["staff"]
        steps = {"SUBMITTED": [], "ACCEPTED": [ACCEPT], "UNDER_REVIEW": [ACCEPT, START_REVIEW],
                 "APPROVED": [ACCEPT, START_REVIEW, APPROVE], "SUPPLEMENT_REQUESTED": [], "OVERDUE": [ACCEPT]}[state]
        for step in steps:
            assert (await move(self.client, staff, step, number))["__typename"] == "CaseUpdated"
        if state == "OVERDUE":  # as supervision marks it once the statutory days have passed
            await Case.filter(number=number).update(overdue_at=datetime.now(timezone.utc))
        if state == "SUPPLEMENT_REQUESTED":
            material = (await Case.get(number=number).prefetch_related("materials")).materials[0]
            moved = await move(self.client, staff, REQUEST_SUPPLEMENT, number, ids=[str(material.material_id)], note="请补正")
            assert moved["__typename"] == "CaseUpdated", moved
        return number


Snapshot = Callable[[World, dict[str, Any]], Awaitable[Any]]


async def case_state(world: World, variables: dict[str, Any]) -> Any:
    number = variables.get("number") or variables.get("caseNumber")
    row = await Case.get(number=number)
    return (row.status, row.updated_at, await CaseEvent.filter(case_id=row.id).count(),
            await Notification.filter(case_id=row.id).count())


async def license_state(world: World, variables: dict[str, Any]) -> Any:
    row = await ELicense.get(id=int(variables["licenseId"]))
    return (row.status, row.status_reason, row.updated_at if hasattr(row, "updated_at") else None)


@dataclass(frozen=True)
class Row:
    field: str  # "Root.name"
    owner: str  # persona key of OWNER
    expect: dict[str, str]  # role → outcome
    setup: Callable[[World], Awaitable[dict[str, Any]]]  # variables for the call, made fresh for this row
    marker: Callable[[World, dict[str, Any]], str | None] = lambda world, variables: None
    snapshot: Snapshot | None = None  # compared before/after every denied cell
    label: str = ""
    fresh: bool = False  # setup again for every cell: the resource is single use (a rating token)


def expect(owner: str, citizen2: str, agent: str, other_staff: str, anon: str = "UNAUTHENTICATED") -> dict[str, str]:
    return {"OWNER": owner, "CITIZEN2": citizen2, "AGENT": agent, "OTHER_STAFF": other_staff, "ANON": anon}


PRIVATE = expect("SEES", "NULL", "NULL", "NULL")  # a thing only its owner sees
CASE_MOVE = expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND")  # staff moves of the citizen's case
OWN_LIST = expect("SEES", "OK", "OK", "OK")  # a cursor into my list shows another person only theirs


def _number(world: World, variables: dict[str, Any]) -> str:
    return variables.get("number") or variables["caseNumber"]


def case_row(name: str, owner: str, outcomes: dict[str, str], state: str, **extra: Any) -> Row:
    async def setup(world: World) -> dict[str, Any]:
        number = await world.case(state=state)
        variables: dict[str, Any] = {"number": number}
        for key, value in extra.items():
            variables[key] = await value(world, number) if callable(value) else value
        return variables

    return Row(f"Mutation.{name}", owner, outcomes, setup, snapshot=case_state)


async def _first_material(world: World, number: str) -> list[str]:
    return [str((await Case.get(number=number).prefetch_related("materials")).materials[0].material_id)]


async def _supplement(world: World, number: str) -> list[dict[str, Any]]:
    material = (await Case.get(number=number).prefetch_related("materials")).materials[0]
    return [{"materialId": str(material.material_id), "uploadIds": [await upload(world.client, world.tokens["citizen"])]}]


async def _cursor(world: World, query: str, token_key: str, path: list[str]) -> str | None:
    data: Any = await call(world.client, world.tokens[token_key], query)
    for key in path:
        data = data[key]
    return data


async def _seeded_license(world: World) -> ELicense:
    holder = await User.get(sub="dev-citizen")
    return await ELicense.filter(holder_user=holder, status="VALID").order_by("id").first()  # type: ignore[return-value]


async def _license_vars(world: World) -> dict[str, Any]:
    return {"licenseId": str((await _seeded_license(world)).id)}


async def _issued_license_vars(world: World) -> dict[str, Any]:
    """A license the staff persona's department (D02, 教育局) issued to the citizen."""
    holder = await User.get(sub="dev-citizen")
    [row] = await make_licenses(holder=holder, count=1, type_code="TEACHER_QUALIFICATION", issuer="市教育局")
    return {"licenseId": str(row.id), "status": "SUSPENDED", "reason": "矩阵测试"}


async def _authority_vars(world: World, *, scope: list[str] | None = None) -> dict[str, Any]:
    grant = """mutation($input: GrantAgentAuthorityInput!) { grantAgentAuthority(input: $input) {
      __typename ... on AgentAuthorityGranted { authority { id } } } }"""
    expires = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    granted = await call(world.client, world.tokens["enterprise-legal"], grant, {"input": {
        "uscc": DEMO_ENTERPRISE_USCC, "scope": scope or [TEACHER], "expiresAt": expires,
        "agentIdNumber": PERSONAS["enterprise-agent"].id_number}})
    authority_id = granted["grantAgentAuthority"]["authority"]["id"]
    # The agent stays without a live authority for the other rows: this one is revoked by the
    # owner's own cell (the last), and any left over is revoked when the test ends.
    return {"id": authority_id}


async def _authority_state(world: World, variables: dict[str, Any]) -> Any:
    return (await AgentAuthority.get(id=int(variables["id"]))).revoked_at


async def _notification_vars(world: World) -> dict[str, Any]:
    holder = await User.get(sub="dev-citizen")
    from backend.models.notifications import NotificationKind
    row = await Notification.create(user=holder, kind=list(NotificationKind)[0], title="矩阵测试",
                                    body="矩阵测试消息", link="/me", source=f"matrix:{uuid.uuid4().hex}")
    return {"ids": [str(row.id)]}


async def _notification_state(world: World, variables: dict[str, Any]) -> Any:
    return (await Notification.get(id=int(variables["ids"][0]))).read_at


def _push_input(endpoint: str) -> dict[str, Any]:
    # A valid P-256 point and a 16-byte auth secret, base64url (the shapes check_keys wants).
    return {"endpoint": endpoint, "keys": {"p256dh": PUSH_P256DH, "auth": "AAAAAAAAAAAAAAAAAAAAAA"},
            "deviceLabel": "矩阵"}


PUSH_P256DH = base64.urlsafe_b64encode(ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)).rstrip(b"=").decode()


async def _push_device(world: World) -> PushSubscription:
    endpoint = f"http://127.0.0.1:9/push/matrix-{uuid.uuid4().hex}"
    register = """mutation($input: PushSubscriptionInput!) { registerPushSubscription(input: $input) {
      __typename ... on InputError { field message } } }"""
    answer = (await call(world.client, world.tokens["citizen"], register, {"input": _push_input(endpoint)}))
    assert answer["registerPushSubscription"]["__typename"] != "InputError", answer
    return await PushSubscription.filter(user__sub="dev-citizen").order_by("-id").first()  # type: ignore[return-value]


async def _device_state(world: World, variables: dict[str, Any]) -> Any:
    row = await PushSubscription.filter(id=world.values["device"]).first()
    return (row.user_id, row.endpoint) if row else None


async def _remove_device_vars(world: World) -> dict[str, Any]:
    device = await _push_device(world)
    world.values["device"] = device.id
    return {"id": str(device.id)}


async def _unregister_vars(world: World) -> dict[str, Any]:
    device = await _push_device(world)
    world.values["device"] = device.id
    return {"endpoint": device.endpoint}


async def _register_vars(world: World) -> dict[str, Any]:
    device = await _push_device(world)
    world.values["device"] = device.id
    return {"input": _push_input(device.endpoint)}


async def _code_vars(world: World) -> dict[str, Any]:
    code = await call(world.client, world.tokens["citizen"], "{ personalCode { token } }")
    return {"token": code["personalCode"]["token"]}


async def _presentation_vars(world: World) -> dict[str, Any]:
    presented = await present(world.client, world.tokens["citizen"], (await _seeded_license(world)).id)
    return {"token": presented["token"]}


async def _submit_enterprise_vars(world: World) -> dict[str, Any]:
    materials = await complete_materials(world.client, world.tokens["enterprise-legal"], RETIREMENT,
                                         uscc=DEMO_ENTERPRISE_USCC)
    return {"input": {"itemCode": RETIREMENT, "enterpriseUscc": DEMO_ENTERPRISE_USCC, "materials": materials,
                      "idempotencyKey": uuid.uuid4().hex}}


async def _submit_uploads_vars(world: World) -> dict[str, Any]:
    """The citizen's uploads, named in someone else's application: never claimed by them."""
    materials = await complete_materials(world.client, world.tokens["citizen"])
    world.values["uploads"] = [u for m in materials for u in m.get("uploadIds", [])]
    return {"input": {"itemCode": TEACHER, "materials": materials, "idempotencyKey": uuid.uuid4().hex}}


async def _uploads_state(world: World, variables: dict[str, Any]) -> Any:
    rows = await Upload.filter(id__in=world.values["uploads"]).values_list("owner_id", "case_material_id")
    return (sorted(map(str, rows)), await Case.all().count())


async def _enterprise_case_count(world: World, variables: dict[str, Any]) -> Any:
    return await Case.filter(idempotency_key=variables["input"]["idempotencyKey"]).count()


async def _my_cases_cursor(world: World) -> dict[str, Any]:
    await world.case()
    await world.case()
    page = await call(world.client, world.tokens["citizen"], "{ myCases(first: 1) { edges { cursor node { number } } } }")
    world.values["second_case"] = (await call(world.client, world.tokens["citizen"],
                                              "{ myCases(first: 2) { edges { node { number } } } }"))["myCases"]["edges"][1]["node"]["number"]
    return {"after": page["myCases"]["edges"][0]["cursor"], "first": 5}


async def _staff_cases_cursor(world: World) -> dict[str, Any]:
    await world.case()
    await world.case()
    page = await call(world.client, world.tokens["staff"], "{ staffCases(first: 2) { edges { cursor node { number } } } }")
    world.values["second_staff_case"] = page["staffCases"]["edges"][1]["node"]["number"]
    return {"after": page["staffCases"]["edges"][0]["cursor"], "first": 5}


async def _access_log_cursor(world: World) -> dict[str, Any]:
    for _ in range(2):
        await call(world.client, world.tokens["citizen"], "mutation { revealMyNumber(field: PHONE) { __typename } }")
    page = await call(world.client, world.tokens["citizen"],
                      "{ myDataAccessLog(first: 2) { edges { cursor node { id } } } }")
    world.values["access_entry"] = page["myDataAccessLog"]["edges"][1]["node"]["id"]
    return {"after": page["myDataAccessLog"]["edges"][0]["cursor"], "first": 5}


async def _verifications_cursor(world: World) -> dict[str, Any]:
    for _ in range(2):
        token = (await _presentation_vars(world))["token"]
        await call(world.client, None, "mutation($t: String!) { verifyLicensePresentation(token: $t) { valid } }", {"t": token})
    page = await call(world.client, world.tokens["citizen"],
                      "{ myLicenseVerifications(first: 2) { edges { cursor node { id } } } }")
    world.values["verification"] = page["myLicenseVerifications"]["edges"][1]["node"]["id"]
    return {"after": page["myLicenseVerifications"]["edges"][0]["cursor"], "first": 5}


async def _issued_cursor(world: World) -> dict[str, Any]:
    holder = await User.get(sub="dev-citizen")
    await make_licenses(holder=holder, count=2, type_code="TEACHER_QUALIFICATION", issuer="市教育局")
    page = await call(world.client, world.tokens["staff"], "{ issuedLicenses(first: 2) { edges { cursor node { identifier } } } }")
    world.values["issued"] = page["issuedLicenses"]["edges"][1]["node"]["identifier"]
    return {"after": page["issuedLicenses"]["edges"][0]["cursor"], "first": 5}


async def _notifications_cursor(world: World) -> dict[str, Any]:
    for _ in range(2):
        await _notification_vars(world)
    page = await call(world.client, world.tokens["citizen"], "{ notifications(first: 2) { edges { cursor node { id } } } }")
    world.values["notification"] = page["notifications"]["edges"][1]["node"]["id"]
    return {"after": page["notifications"]["edges"][0]["cursor"], "first": 5}


def _value(key: str) -> Callable[[World, dict[str, Any]], str]:
    return lambda world, variables: world.values[key]


async def _progress_vars(world: World) -> dict[str, Any]:
    number = await world.case(state="ACCEPTED")
    events = await CaseEvent.filter(case__number=number).order_by("id")
    world.values["progress_case"] = number
    return {"after": encode_event_cursor(events[0].id), "caseNumber": number}


async def _notification_added_vars(world: World) -> dict[str, Any]:
    await _notifications_cursor(world)
    page = await call(world.client, world.tokens["citizen"], "{ notifications(first: 2) { edges { cursor node { id } } } }")
    world.values["notification"] = page["notifications"]["edges"][0]["node"]["id"]
    return {"after": page["notifications"]["edges"][1]["cursor"]}


async def _static_case(world: World) -> dict[str, Any]:
    return {"number": await world.case()}


async def _license_id(world: World) -> dict[str, Any]:
    row = await _seeded_license(world)
    world.values["license_identifier"] = row.identifier
    return {"id": str(row.id)}


async def _static(values: dict[str, Any]) -> dict[str, Any]:
    return values


def static(**values: Any) -> Callable[[World], Awaitable[dict[str, Any]]]:
    return lambda world: _static(values)


# ---- bookings (issue 11) -----------------------------------------------------------------


async def _booker(world: World) -> str:
    """A person who has never booked, as the owner ("booker") of the row being set up: the
    per-person limits (3 active, one per item and day) never decide a cell."""
    world.tokens["booker"] = person_token(world.identity, world.settings, name="矩阵预约人")
    await call(world.client, world.tokens["booker"], "{ me { name } }")
    return world.tokens["booker"]


async def _fresh_booking(world: World, *, audience: Audience | None = None, token_key: str = "booker",
                         slots: int = 1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A booking of a fresh item (so no slot is shared with another test) and its hall's other open slots."""
    hall, item = await bookable_item(capacity=3)
    if audience is not None:
        await ServiceItem.filter(id=item.id).update(audience=audience)
    token = world.tokens[token_key] if token_key != "booker" else await _booker(world)
    found = await open_slots(world.client, hall_id=hall.id, item_code=item.code)
    extra = {"enterpriseUscc": DEMO_ENTERPRISE_USCC} if audience is not None else {}
    booked = await book(world.client, token, slot=found[0]["id"], hall=hall.id, item=item.code, **extra)
    assert booked["__typename"] == "BookingConfirmed", booked
    return booked["booking"], found[1:slots]


async def _booking_vars(world: World) -> dict[str, Any]:
    booking, _ = await _fresh_booking(world)
    return {"number": booking["number"]}


async def _enterprise_booking_vars(world: World) -> dict[str, Any]:
    """The legal representative's booking in the enterprise's name: the agent without a live
    authority is not shown it."""
    booking, _ = await _fresh_booking(world, audience=Audience.BOTH, token_key="enterprise-legal")
    return {"number": booking["number"]}


async def _reschedule_vars(world: World) -> dict[str, Any]:
    booking, [other] = await _fresh_booking(world, slots=2)
    return {"number": booking["number"], "slotId": other["id"]}


async def _booking_state(world: World, variables: dict[str, Any]) -> Any:
    row = await Booking.get(number=variables.get("number") or world.values["booking"])
    slots = await BookingSlot.filter(hall_id=row.hall_id, item_id=row.item_id).order_by("id").values_list("id", "booked")
    return (row.status, row.slot_id, row.updated_at, slots)


async def _my_bookings_cursor(world: World) -> dict[str, Any]:
    await _fresh_booking(world)
    hall, item = await bookable_item(capacity=3)
    slot = (await open_slots(world.client, hall_id=hall.id, item_code=item.code))[0]
    assert (await book(world.client, world.tokens["booker"], slot=slot["id"], hall=hall.id,
                       item=item.code))["__typename"] == "BookingConfirmed"
    page = await call(world.client, world.tokens["booker"], "{ myBookings(first: 2) { edges { cursor node { number } } } }")
    world.values["second_booking"] = page["myBookings"]["edges"][1]["node"]["number"]
    return {"after": page["myBookings"]["edges"][0]["cursor"], "first": 5}


async def _hall_bookings_vars(world: World) -> dict[str, Any]:
    """A booking of the staff persona's department's item (教师资格, D02) at the city hall."""
    booking, hall_id = await teacher_booking(world.client, await _booker(world))
    world.values["booking"] = booking["number"]
    return {"hallId": str(hall_id), "date": booking["date"]}


async def _check_in_vars(world: World) -> dict[str, Any]:
    await _hall_bookings_vars(world)
    await to_today(world.values["booking"])
    code = await call(world.client, world.tokens["booker"], CODE, {"number": world.values["booking"]})
    world.values["check_in_subject"] = (await Booking.get(number=world.values["booking"])).user_id
    return {"code": code["bookingCheckInCode"]["token"]}


async def _check_in_state(world: World, variables: dict[str, Any]) -> Any:
    return (await _booking_state(world, {}),
            await DataAccessLog.filter(subject_id=world.values["check_in_subject"]).count())


async def _book_for_case_vars(world: World) -> dict[str, Any]:
    """The citizen books the teacher item at the city hall, naming their own case."""
    number = await world.case()
    hall = await ServiceHall.get(name=CITY_HALL)
    slots = await open_slots(world.client, hall_id=hall.id, item_code=TEACHER)
    slot = max(slots, key=lambda s: s["placesLeft"])  # other tests take the last
    return {"input": {"slotId": slot["id"], "hallId": str(hall.id), "itemCode": TEACHER, "caseNumber": number}}


async def _book_for_enterprise_vars(world: World) -> dict[str, Any]:
    hall, item = await bookable_item(capacity=3)
    await ServiceItem.filter(id=item.id).update(audience=Audience.BOTH)
    slot = (await open_slots(world.client, hall_id=hall.id, item_code=item.code))[0]
    return {"input": {"slotId": slot["id"], "hallId": str(hall.id), "itemCode": item.code,
                      "enterpriseUscc": DEMO_ENTERPRISE_USCC}}


async def _slot_bookings(world: World, variables: dict[str, Any]) -> Any:
    booked = await BookingSlot.get(id=int(variables["input"]["slotId"]))
    number = variables["input"].get("caseNumber")
    events = await CaseEvent.filter(case__number=number).count() if number else None
    return (booked.booked, await Booking.filter(slot_id=booked.id).count(), events)


async def _own_hall(world: World) -> ServiceHall:
    """A hall of its own where the staff persona's department handles the teacher item, with
    hours and bookings for it: what the row changes stays there."""
    hall = await ServiceHall.create(name=f"矩阵{uuid.uuid4().hex[:6]}区政务服务大厅", level=HallLevel.DISTRICT,
                                    district="矩阵区", address="测试地址", opening_hours="工作日", phone="029-1",
                                    sort_order=900)
    item = await ServiceItem.get(code=TEACHER)
    await item.halls.add(hall)
    await HallSchedule.create(hall=hall, open_minute=540, close_minute=1020)
    await BookableItem.create(hall=hall, item=item, window="矩阵窗口", slot_minutes=30, capacity=2)
    return hall


async def _schedule_vars(world: World) -> dict[str, Any]:
    hall = await _own_hall(world)
    return {"input": {"hallId": str(hall.id), "hours": {"openAt": "08:30", "closeAt": "17:30"},
                      "items": [{"itemCode": TEACHER, "window": "矩阵 2 号窗口", "slotMinutes": 20, "capacity": 4}]}}


async def _schedule_state(world: World, variables: dict[str, Any]) -> Any:
    hall_id = int(variables["input"]["hallId"])
    return (await HallSchedule.filter(hall_id=hall_id).values_list("open_minute", "close_minute"),
            await BookableItem.filter(hall_id=hall_id).values_list("window", "slot_minutes", "capacity"))


async def _close_vars(world: World) -> dict[str, Any]:
    hall = await _own_hall(world)
    slot = (await open_slots(world.client, hall_id=hall.id, item_code=TEACHER))[0]
    booked = await book(world.client, await _booker(world), slot=slot["id"], hall=hall.id, item=TEACHER)
    assert booked["__typename"] == "BookingConfirmed", booked
    world.values["booking"] = booked["booking"]["number"]
    return {"input": {"hallId": str(hall.id), "date": slot["date"], "reason": "矩阵测试检修"}}


async def _close_state(world: World, variables: dict[str, Any]) -> Any:
    return (await HallClosure.filter(hall_id=int(variables["input"]["hallId"])).count(),
            await _booking_state(world, {}))


async def _hall_slots_vars(world: World) -> dict[str, Any]:
    hall = await ServiceHall.get(name=CITY_HALL)
    today = now_local().date()
    world.values["slot"] = f'"id": "{(await open_slots(world.client, hall_id=hall.id, item_code=TEACHER))[0]["id"]}"'
    return {"hallId": str(hall.id), "itemCode": TEACHER, "from": today.isoformat(),
            "to": (today + timedelta(days=7)).isoformat()}


# ---- 好差评 and 差评整改 (issue 12) ---------------------------------------------------------


async def _delivered(world: World) -> str:
    return (await delivered_case(world.client, world.tokens["citizen"], world.tokens["staff"]))["number"]


async def _rated(world: World, level: str) -> dict[str, Any]:
    """The citizen's delivered case, rated with a comment no other rating has (the marker)."""
    number = await _delivered(world)
    world.values["comment"] = f"矩阵评价{uuid.uuid4().hex[:8]}"
    rated = await rate(world.client, world.tokens["citizen"], number, level, comment=world.values["comment"])
    assert rated["__typename"] == "CaseRated", rated
    world.values["case"] = number
    return rated["rating"]


async def _my_rating_vars(world: World) -> dict[str, Any]:
    await _rated(world, "SATISFIED")
    return {"caseNumber": world.values["case"]}


async def _ticket(world: World, state: str) -> str:
    """A ticket of a bad rating of the citizen's case (department D02) in `state`: OPEN, VERIFIED
    (found true), RECTIFIED, or AWAITING (found not true: the supervisor's turn)."""
    ticket_id = (await _rated(world, "UNSATISFIED"))["ticket"]["id"]
    staff = world.tokens["staff"]
    if state != "OPEN":
        verified = await ticket_move(world.client, staff, VERIFY, ticket_id, true=state != "AWAITING", finding="矩阵核实")
        assert verified["__typename"] == "TicketUpdated", verified
    if state == "RECTIFIED":
        rectified = await ticket_move(world.client, staff, RECTIFY, ticket_id, text="矩阵整改")
        assert rectified["__typename"] == "TicketUpdated", rectified
    return ticket_id


def _ticket_vars(state: str, **extra: Any) -> Callable[[World], Awaitable[dict[str, Any]]]:
    async def setup(world: World) -> dict[str, Any]:
        return {"ticketId": await _ticket(world, state), **extra}

    return setup


async def _ticket_state(world: World, variables: dict[str, Any]) -> Any:
    ticket_id = int(variables.get("ticketId") or variables["id"])
    row = await RectificationTicket.get(id=ticket_id)
    return (row.state, row.stage, row.found_true, row.awaiting_supervisor,
            await TicketEntry.filter(ticket_id=ticket_id).count())


async def _ticket_id_vars(world: World) -> dict[str, Any]:
    return {"id": await _ticket(world, "OPEN")}


async def _tickets_vars(world: World) -> dict[str, Any]:
    await _ticket(world, "OPEN")
    return {"filter": {"departmentCode": "D02", "itemCode": TEACHER}}


async def _report_vars(world: World) -> dict[str, Any]:
    await _rated(world, "SATISFIED")
    today = now_local().date().isoformat()
    return {"from": today, "to": today, "departmentCode": "D02"}


async def _rate_vars(world: World) -> dict[str, Any]:
    return {"input": {"caseNumber": await _delivered(world), "level": "SATISFIED", "reasons": [], "comment": "矩阵"}}


async def _case_ratings(world: World, variables: dict[str, Any]) -> Any:
    number = variables.get("caseNumber") or variables["input"]["caseNumber"]
    # The token under test only: the push worker mints the invitation's own as it sends it.
    used = await RatingToken.filter(token_hash=rating_tokens._hash(variables["token"])).values_list(
        "used_at", flat=True) if "token" in variables else None
    return await Rating.filter(case__number=number).count(), used


async def _rating_token_vars(world: World) -> dict[str, Any]:
    """The one-tap token a push carries, for the citizen's delivered case (single use: fresh per cell)."""
    number = await _delivered(world)
    case = await Case.get(number=number)
    raw = await rating_tokens.mint(purpose=RatingTokenPurpose.RATE, user_id=case.applicant_id, case_id=case.id,
                                   ttl=timedelta(hours=1))
    return {"token": raw, "level": "SATISFIED", "caseNumber": number}


async def _visit(world: World) -> str:
    """A booker's booking of the teacher item, checked in today by the staff persona (D02)."""
    return (await checked_in_booking(world.client, await _booker(world), world.tokens["staff"]))["number"]


async def _my_visit_rating_vars(world: World) -> dict[str, Any]:
    number = await _visit(world)
    world.values["comment"] = f"矩阵到厅评价{uuid.uuid4().hex[:8]}"
    rated = await rate_visit(world.client, world.tokens["booker"], number, "SATISFIED", comment=world.values["comment"])
    assert rated["__typename"] == "VisitRated", rated
    return {"bookingNumber": number}


async def _rate_visit_vars(world: World) -> dict[str, Any]:
    return {"input": {"bookingNumber": await _visit(world), "level": "SATISFIED", "reasons": [], "comment": "矩阵"}}


async def _visit_ratings(world: World, variables: dict[str, Any]) -> Any:
    booking = await Booking.get(number=variables["input"]["bookingNumber"])
    return await Rating.filter(booking_id=booking.id).count()


async def _callback_state(request_id: str | None) -> Any:
    from backend.models import CallbackRequest
    if request_id is None:
        return await CallbackRequest.all().count()
    return await CallbackRequest.get(id=int(request_id)).values_list("status", "handled_by_id")


async def _callback_ask(world: World) -> dict[str, Any]:
    """The city hall asked for 教师资格认定; nobody has an open request there (one per person)."""
    from backend.models import CallbackRequest
    open_ids = await CallbackRequest.filter(status="PENDING", user__sub__startswith="dev-").values_list("id", flat=True)
    await CallbackRequest.filter(id__in=list(open_ids)).update(status="UNREACHABLE", open_key=None)
    hall = (await call(world.client, None, "{ serviceItem(code: \"%s\") { halls { id } } }" % TEACHER))
    return {"input": {"hallId": hall["serviceItem"]["halls"][0]["id"], "itemCode": TEACHER}}


async def _callback_id(world: World) -> str:
    variables = await _callback_ask(world)
    world.values["callback_note"] = f"矩阵测试{uuid.uuid4().hex[:8]}"
    variables["input"]["note"] = world.values["callback_note"]
    made = await call(world.client, world.tokens["citizen"], """mutation($input: RequestCallbackInput!) {
      requestCallback(input: $input) { ... on CallbackRequested { request { id } } } }""", variables)
    world.values["callback_hall"] = variables["input"]["hallId"]
    return made["requestCallback"]["request"]["id"]


async def _callback_queue_vars(world: World) -> dict[str, Any]:
    await _callback_id(world)
    return {"hallId": world.values["callback_hall"], "status": "PENDING"}


async def _callback_mark_vars(world: World) -> dict[str, Any]:
    return {"id": await _callback_id(world), "outcome": "CALLED", "note": "矩阵测试"}


PUBLIC = expect("SEES", "SEES", "SEES", "SEES", "SEES")

TABLE: list[Row] = [
    # catalog: public
    Row("Query.serviceItems", "citizen", expect("OK", "OK", "OK", "OK", "OK"),
        static(departmentId="2", first=2, after=None)),
    Row("Query.serviceItem", "citizen", PUBLIC, static(code=TEACHER), marker=lambda w, v: TEACHER),
    # identity
    Row("Query.myDataAccessLog", "citizen", OWN_LIST, lambda w: _access_log_cursor(w), marker=_value("access_entry")),
    Row("Query.enterprise", "enterprise-legal", expect("SEES", "NULL", "NULL", "NULL"),
        static(uscc=DEMO_ENTERPRISE_USCC), marker=lambda w, v: DEMO_ENTERPRISE_USCC),
    Row("Mutation.grantAgentAuthority", "enterprise-legal", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        lambda w: _static({"input": {"uscc": DEMO_ENTERPRISE_USCC, "scope": [TEACHER],
                                     "expiresAt": (datetime.now(timezone.utc) + timedelta(days=1)).isoformat(),
                                     "agentIdNumber": PERSONAS["enterprise-agent"].id_number}}),
        snapshot=lambda w, v: AgentAuthority.filter(revoked_at__isnull=True).count()),
    Row("Mutation.revokeAgentAuthority", "enterprise-legal", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
        _authority_vars, snapshot=_authority_state),
    Row("Mutation.identifyByCode", "staff", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "OK"), _code_vars,
        snapshot=lambda w, v: DataAccessLog.all().count()),
    # cases
    Row("Query.applicationForm", "enterprise-legal", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        static(itemCode=RETIREMENT, enterpriseUscc=DEMO_ENTERPRISE_USCC)),
    Row("Query.myCases", "citizen", OWN_LIST, lambda w: _my_cases_cursor(w), marker=_value("second_case")),
    Row("Query.staffCases", "staff", expect("SEES", "NOT_PERMITTED", "NOT_PERMITTED", "OK"), lambda w: _staff_cases_cursor(w),
        marker=_value("second_staff_case")),
    Row("Query.case", "citizen", PRIVATE, lambda w: _static_case(w), marker=_number),
    Row("Mutation.submitApplication", "enterprise-legal",
        expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"), _submit_enterprise_vars,
        snapshot=_enterprise_case_count, label="for an enterprise"),
    Row("Mutation.submitApplication", "citizen", expect("OK", "INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT"),
        _submit_uploads_vars, snapshot=_uploads_state, label="naming the citizen's uploads"),
    case_row("supplementMaterials", "citizen", CASE_MOVE, "SUPPLEMENT_REQUESTED", materials=_supplement),
    case_row("withdrawCase", "citizen", CASE_MOVE, "SUBMITTED"),
    case_row("acceptCase", "staff", CASE_MOVE, "SUBMITTED"),
    case_row("requestSupplement", "staff", CASE_MOVE, "SUBMITTED", materialIds=_first_material, note="请补正"),
    case_row("startReview", "staff", CASE_MOVE, "ACCEPTED"),
    case_row("approveCase", "staff", CASE_MOVE, "UNDER_REVIEW"),
    case_row("rejectCase", "staff", CASE_MOVE, "UNDER_REVIEW", reason="不符合条件"),
    case_row("deliverCase", "staff", CASE_MOVE, "APPROVED", method="WINDOW"),
    case_row("explainOverdue", "staff", CASE_MOVE, "OVERDUE", reason="矩阵测试"),
    # licenses
    Row("Query.license", "citizen", PRIVATE, lambda w: _license_id(w), marker=_value("license_identifier")),
    Row("Query.myLicenseVerifications", "citizen", OWN_LIST, lambda w: _verifications_cursor(w),
        marker=_value("verification")),
    Row("Query.issuedLicenses", "staff", expect("SEES", "NOT_PERMITTED", "NOT_PERMITTED", "OK"), lambda w: _issued_cursor(w),
        marker=_value("issued")),
    Row("Mutation.presentLicense", "citizen", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _license_vars),
    Row("Mutation.verifyLicensePresentation", "citizen", expect("OK", "OK", "OK", "OK", "OK"), _presentation_vars),
    Row("Mutation.changeLicenseStatus", "staff", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
        _issued_license_vars, snapshot=license_state),
    # notifications
    Row("Query.notifications", "citizen", OWN_LIST, lambda w: _notifications_cursor(w), marker=_value("notification")),
    Row("Mutation.markNotificationsRead", "citizen", expect("OK", "OK", "OK", "OK"), _notification_vars,
        snapshot=_notification_state),
    Row("Mutation.registerPushSubscription", "citizen", expect("OK", "OK", "OK", "OK"), _register_vars,
        label="an endpoint is the device's capability: whoever holds it signs the device in"),
    Row("Mutation.unregisterPushSubscription", "citizen", expect("OK", "OK", "OK", "OK"), _unregister_vars,
        snapshot=_device_state),
    Row("Mutation.removePushDevice", "citizen", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
        _remove_device_vars, snapshot=_device_state),
    # bookings (issue 11)
    Row("Query.bookableHalls", "citizen", PUBLIC, static(itemCode=TEACHER), marker=lambda w, v: CITY_HALL),
    Row("Query.hallSlots", "citizen", PUBLIC, _hall_slots_vars, marker=_value("slot")),
    Row("Query.myBookings", "booker", OWN_LIST, _my_bookings_cursor, marker=_value("second_booking")),
    Row("Query.booking", "booker", PRIVATE, _booking_vars, marker=_number),
    Row("Query.booking", "enterprise-legal", PRIVATE, _enterprise_booking_vars, marker=_number,
        label="in the enterprise's name"),
    Row("Query.bookingCheckInCode", "booker", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _booking_vars),
    Row("Query.hallBookings", "staff", expect("SEES", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        _hall_bookings_vars, marker=_value("booking")),
    Row("Mutation.bookSlot", "citizen", expect("OK", "INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT"),
        _book_for_case_vars, snapshot=_slot_bookings, label="naming the citizen's case"),
    Row("Mutation.bookSlot", "enterprise-legal", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        _book_for_enterprise_vars, snapshot=_slot_bookings, label="in the enterprise's name"),
    Row("Mutation.cancelBooking", "booker", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _booking_vars,
        snapshot=_booking_state),
    Row("Mutation.rescheduleBooking", "booker", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _reschedule_vars,
        snapshot=_booking_state),
    Row("Mutation.checkInBooking", "staff", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        _check_in_vars, snapshot=_check_in_state),
    Row("Mutation.setHallSchedule", "staff", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        _schedule_vars, snapshot=_schedule_state),
    Row("Mutation.closeHall", "staff", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"), _close_vars,
        snapshot=_close_state),
    # 好差评 and 差评整改 (issue 12)
    Row("Query.myRating", "citizen", expect("SEES", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _my_rating_vars,
        marker=_value("comment")),
    Row("Query.itemSatisfaction", "citizen", expect("OK", "OK", "OK", "OK", "OK"), static(itemCode=TEACHER)),
    Row("Query.rectificationTickets", "staff", expect("SEES", "NOT_PERMITTED", "NOT_PERMITTED", "OK"), _tickets_vars,
        marker=_value("comment")),
    Row("Query.rectificationTicket", "citizen", PRIVATE, _ticket_id_vars, marker=_value("comment"),
        label="the rater's own ticket"),
    Row("Query.ratingReport", "staff", expect("SEES", "NOT_PERMITTED", "NOT_PERMITTED", "OK"), _report_vars,
        marker=lambda w, v: TEACHER),
    Row("Mutation.rateCase", "citizen", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _rate_vars,
        snapshot=_case_ratings),
    Row("Mutation.rateByToken", "citizen",
        expect("OK", "INVALID_RATING_TOKEN", "INVALID_RATING_TOKEN", "INVALID_RATING_TOKEN", "OK"), _rating_token_vars,
        snapshot=_case_ratings, fresh=True,
        label="the token is the capability; signed in, it must be the signed-in person's"),
    Row("Mutation.verifyRating", "staff", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
        _ticket_vars("OPEN", foundTrue=True, finding="属实"), snapshot=_ticket_state),
    Row("Mutation.recordRectification", "staff", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
        _ticket_vars("VERIFIED", rectification="已整改"), snapshot=_ticket_state),
    Row("Mutation.recordReturnVisit", "staff", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
        _ticket_vars("RECTIFIED", level="SATISFIED"), snapshot=_ticket_state),
    Row("Mutation.answerReturnVisit", "citizen", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
        _ticket_vars("RECTIFIED", level="SATISFIED"), snapshot=_ticket_state),
    Row("Mutation.confirmRatingTicket", "supervisor", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        _ticket_vars("AWAITING", agree=True), snapshot=_ticket_state),
    Row("Query.myVisitRating", "booker", expect("SEES", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _my_visit_rating_vars,
        marker=_value("comment")),
    Row("Mutation.rateVisit", "booker", expect("OK", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"), _rate_visit_vars,
        snapshot=_visit_ratings),
    # subscriptions (over the WebSocket: first message or a quiet second)
    Row("Subscription.caseProgress", "citizen", expect("SEES", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "CLOSED 4403"),
        _progress_vars, marker=_value("progress_case")),  # no token: the socket is refused (4403)
    Row("Subscription.notificationAdded", "citizen", expect("SEES", "SILENT", "SILENT", "SILENT", "CLOSED 4403"),
        _notification_added_vars, marker=_value("notification")),
    # 帮办代办 (call-back requests): any signed-in person may ask a hall; its staff see and mark them
    Row("Mutation.requestCallback", "citizen", expect("OK", "OK", "OK", "OK"), lambda w: _callback_ask(w),
        snapshot=lambda w, v: _callback_state(None)),
    Row("Query.hallCallbackRequests", "staff", expect("SEES", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_PERMITTED"),
        lambda w: _callback_queue_vars(w), marker=_value("callback_note")),
    Row("Mutation.markCallbackDone", "staff", expect("OK", "NOT_PERMITTED", "NOT_PERMITTED", "NOT_FOUND"),
        lambda w: _callback_mark_vars(w), snapshot=lambda w, v: _callback_state(v["id"])),
]


# ---- running the cells -------------------------------------------------------------------


def classify(body: dict[str, Any], name: str, marker: str | None) -> str:
    data = (body.get("data") or {}).get(name)
    errors = body.get("errors") or []
    codes = [(error.get("extensions") or {}).get("code") or error.get("message") for error in errors]
    if data is None:
        if "NOT_AUTHENTICATED" in codes:
            return "UNAUTHENTICATED"
        return str(codes[0]) if codes else "NULL"
    if isinstance(data, dict) and str(data.get("__typename", "")).endswith("Error"):
        return str(data.get("code"))
    if errors:
        return "PARTIAL:" + ",".join(map(str, codes))
    return "SEES" if marker and marker in json.dumps(data, ensure_ascii=False) else "OK"


async def run_http(world: World, schema: GraphQLSchema, row: Row, role: str, variables: dict[str, Any]) -> str:
    root, name = row.field.split(".")
    token = world.token_for(role, row.owner)
    response = await gql(world.client, _document(schema, root, name, variables), variables,
                         headers=bearer(token) if token else None)
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return classify(response.json(), name, row.marker(world, variables))


async def run_ws(world: World, schema: GraphQLSchema, row: Row, role: str, variables: dict[str, Any]) -> str:
    name = row.field.split(".")[1]
    token = world.token_for(role, row.owner)
    try:
        subscription = await Subscription.open(world.ws_url, token or "",
                                               _document(schema, "Subscription", name, variables), variables, field=name)
    except websockets.ConnectionClosed as closed:
        return f"CLOSED {closed.rcvd.code if closed.rcvd else None}"
    try:
        try:
            message = await subscription.message(timeout=1.5)
        except (asyncio.TimeoutError, TimeoutError):
            return "SILENT"
        except Exception as error:  # the server closed the socket: what it said is the outcome
            return f"CLOSED {getattr(error, 'rcvd', error)}"
        if message["type"] == "error":
            codes = [(e.get("extensions") or {}).get("code") for e in message["payload"]]
            return "UNAUTHENTICATED" if "NOT_AUTHENTICATED" in codes else str(codes[0])
        if message["type"] == "next":
            return classify(message["payload"], name, row.marker(world, variables))
        return message["type"].upper()
    finally:
        await subscription.close()


@pytest.fixture
async def world(client: httpx.AsyncClient, token: Callable[..., str], identity: Identity, settings: Settings,
                ws_url: str) -> Any:
    tokens: dict[str, str | None] = {key: token(key) for key in PERSONAS}
    department = await make_department()
    tokens["OTHER_STAFF"] = _custom_token(identity, settings, _other_staff_claims(department.code))
    for key in ("citizen", "citizen2", "enterprise-legal", "enterprise-agent", "staff", "supervisor", "OTHER_STAFF"):
        await call(client, tokens[key], "{ me { name } }")
    # The agent has no live authority (other tests revoke theirs when they end).
    await AgentAuthority.filter(revoked_at__isnull=True).update(revoked_at=datetime.now(timezone.utc))
    started = datetime.now(timezone.utc)
    yield World(client=client, tokens=tokens, ws_url=ws_url, identity=identity, settings=settings)
    await AgentAuthority.filter(revoked_at__isnull=True).update(revoked_at=datetime.now(timezone.utc))
    # The personas' bookings made here are cancelled, so their limits (3 active) stay free for other tests.
    for key in ("citizen", "enterprise-legal"):
        sub = PERSONAS[key].claims()["sub"]
        for number in await Booking.filter(user__sub=sub, status="BOOKED", created_at__gte=started).values_list(
                "number", flat=True):
            await call(client, tokens[key], CANCEL, {"number": number})


def test_every_identifier_field_is_in_the_table(settings: Settings) -> None:
    schema = build_schema(settings)._schema
    wanted = _identifier_paths(schema)
    covered = {row.field for row in TABLE}
    missing = {name: args for name, args in wanted.items() if name not in covered}
    assert missing == {}, (f"fields taking an identifier have no row in TABLE (tests/test_access_matrix.py): "
                           f"{missing}. Say what each role gets, then run the matrix.")
    assert {row.field for row in TABLE} - set(wanted) == set(), "rows for fields that no longer take an identifier"


async def test_access_matrix(world: World, settings: Settings) -> None:
    schema = build_schema(settings)._schema
    mismatches, cells = [], 0
    for row in TABLE:
        variables = await row.setup(world)
        runner = run_ws if row.field.startswith("Subscription.") else run_http
        for role in ROLES:
            if row.fresh and role != ROLES[0]:
                variables = await row.setup(world)
            denied = row.expect[role] not in ("OK", "SEES")
            before = await row.snapshot(world, variables) if row.snapshot and denied else None
            got = await runner(world, schema, row, role, variables)
            cells += 1
            if got != row.expect[role]:
                mismatches.append(f"{row.field} {row.label} as {role}: expected {row.expect[role]}, got {got}")
            if row.snapshot and denied:
                after = await row.snapshot(world, variables)
                if after != before:
                    mismatches.append(f"{row.field} {row.label} as {role} ({got}) changed {before} → {after}")
    assert mismatches == [], f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)


async def test_material_files_per_role(world: World) -> None:
    """`/uploads/{id}`: the uploader, and staff of the department whose case it belongs to."""
    number = await world.case()
    [attached, *_] = [str(u.id) for u in await Upload.filter(case_material__case__number=number)]
    loose = await upload(world.client, world.tokens["citizen"])  # not in any case yet
    roles = {"OWNER": "citizen", "CITIZEN2": "citizen2", "AGENT": "enterprise-agent", "OTHER_STAFF": "OTHER_STAFF",
             "CASE_STAFF": "staff", "SUPERVISOR": "supervisor", "ANON": None}
    table = {  # role → (status for the case's file, status for the loose upload)
        "OWNER": (200, 200), "CITIZEN2": (404, 404), "AGENT": (404, 404), "OTHER_STAFF": (404, 404),
        "CASE_STAFF": (200, 404), "SUPERVISOR": (404, 404), "ANON": (401, 401),
    }
    got = {}
    for role, key in roles.items():
        token = world.tokens[key] if key else None
        statuses = []
        for upload_id in (attached, loose):
            response = await world.client.get(f"/uploads/{upload_id}", headers=bearer(token) if token else {})
            statuses.append(response.status_code)
            if response.status_code != 200:
                assert response.headers["content-type"].startswith("application/json"), response.text
                assert upload_id not in response.text and "照片" not in response.text
        got[role] = tuple(statuses)
    assert got == table


async def test_an_agent_reaches_the_enterprise_bookings_of_the_items_authorised_only(world: World) -> None:
    """Regression: visible_booking let an agent with a live authority for one item open, cancel
    or move any booking in the enterprise's name, whatever its item (the list already hid them)."""
    booking, _ = await _fresh_booking(world, audience=Audience.BOTH, token_key="enterprise-legal")
    number = booking["number"]
    item = (await Booking.get(number=number).select_related("item")).item
    agent = world.tokens["enterprise-agent"]
    one = "query($number: String!) { booking(number: $number) { number } }"
    for scope in ([TEACHER], [TEACHER, item.code]):
        await AgentAuthority.filter(revoked_at__isnull=True).update(revoked_at=datetime.now(timezone.utc))
        await _authority_vars(world, scope=scope)
        seen = (await call(world.client, agent, one, {"number": number}))["booking"]
        if scope == [TEACHER]:
            assert seen is None
            cancelled = (await call(world.client, agent, CANCEL, {"number": number}))["cancelBooking"]
            assert cancelled == {"__typename": "NotFoundError", "code": "NOT_FOUND", "message": "预约不存在"}
            assert (await Booking.get(number=number)).status == "BOOKED"
        else:
            assert seen == {"number": number}
