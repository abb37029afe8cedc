"""Applying and moving cases through the API, as the PWA does."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.helpers import gql

TEACHER = "61010102006"  # 教师资格认定, department D02 (the staff persona's)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% test\n"

CASE_FIELDS = """
  number status statusLabel deficiencyPromise supplementDeadline supplementNote decisionReason overdueReason
  allowedActions
  events { id cursor kind status note actorLabel caseNumber itemName }
  materials { materialId name required provision outstanding licenseName files { filename contentType size sha256 }
              fields { name value } }
  deadline { promisedDays promisedDue statutoryDue workingDaysUsed workingDaysLeft paused dueSoon overdue }
  acceptanceNotice { number caseNumber itemName applicantName department acceptedOn promisedDays promisedDue }
  delivery { method methodLabel trackingNumber }
"""

SUBMIT = """
mutation($input: SubmitApplicationInput!) {
  submitApplication(input: $input) {
    __typename
    ... on ApplicationSubmitted { case { %s } }
    ... on MaterialsMissingError { code message missing { materialId name deficiencyAllowed } }
    ... on ItemNotOnlineError { code message }
    ... on InputError { code field message }
    ... on NotPermittedError { code message }
    ... on NotFoundError { code message }
  }
}
""" % CASE_FIELDS

FORM = """
query($code: String!, $uscc: String) {
  applicationForm(itemCode: $code, enterpriseUscc: $uscc) {
    online item { name }
    materials { materialId name required deficiencyAllowed onFile licenseName acceptsFields }
  }
}
"""


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def call(client: httpx.AsyncClient, token: str | None, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = await gql(client, query, variables, headers=bearer(token) if token else None)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    return body["data"]


async def upload(client: httpx.AsyncClient, token: str, data: bytes = PNG, filename: str = "照片.png") -> str:
    response = await client.post("/uploads", params={"filename": filename}, content=data,
                                 headers={**bearer(token), "content-type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def form(client: httpx.AsyncClient, token: str, code: str = TEACHER, uscc: str | None = None) -> dict[str, Any]:
    return (await call(client, token, FORM, {"code": code, "uscc": uscc}))["applicationForm"]


async def complete_materials(client: httpx.AsyncClient, token: str, code: str = TEACHER, *, defer: bool = False,
                             uscc: str | None = None) -> list[dict[str, Any]]:
    """Every required material that is not on file: filled in when it has a form, deferred
    (容缺) when allowed and asked for, uploaded otherwise."""
    materials = []
    for m in (await form(client, token, code, uscc))["materials"]:
        if not m["required"] or m["onFile"] or (defer and m["deficiencyAllowed"]):
            continue
        if m["acceptsFields"]:
            materials.append({"materialId": m["materialId"], "fields": [{"name": "内容", "value": "已填写"}]})
        else:
            materials.append({"materialId": m["materialId"], "uploadIds": [await upload(client, token)]})
    return materials


async def submit(client: httpx.AsyncClient, token: str, *, code: str = TEACHER, defer: bool = False,
                 key: str | None = None, uscc: str | None = None, materials: list[dict[str, Any]] | None = None,
                 promise: str | None = None) -> dict[str, Any]:
    if materials is None:
        materials = await complete_materials(client, token, code, defer=defer, uscc=uscc)
    payload = {"itemCode": code, "materials": materials, "idempotencyKey": key or uuid.uuid4().hex,
               "enterpriseUscc": uscc, "deficiencyPromise": promise if promise is not None else
               ("本人承诺在规定期限内补齐容缺材料" if defer else None)}
    return (await call(client, token, SUBMIT, {"input": payload}))["submitApplication"]


async def submitted_case(client: httpx.AsyncClient, token: str, **kwargs: Any) -> dict[str, Any]:
    result = await submit(client, token, **kwargs)
    assert result["__typename"] == "ApplicationSubmitted", result
    return result["case"]


def transition(name: str, args: str = "", params: str = "", *, missing: bool = False) -> str:
    missing_fragment = "... on MaterialsMissingError { code message missing { name } }" if missing else ""
    return """
mutation($number: String!%s) {
  %s(number: $number%s) {
    __typename
    ... on CaseUpdated { case { %s } }
    ... on InvalidTransitionError { code message status }
    %s
    ... on InputError { code field message }
    ... on NotPermittedError { code message }
    ... on NotFoundError { code message }
  }
}
""" % (params, name, args, CASE_FIELDS, missing_fragment)


ACCEPT = transition("acceptCase")
START_REVIEW = transition("startReview")
APPROVE = transition("approveCase")
WITHDRAW = transition("withdrawCase")
REJECT = transition("rejectCase", ", reason: $reason", ", $reason: String!")
DELIVER = transition("deliverCase", ", method: $method, trackingNumber: $tracking",
                     ", $method: DeliveryMethod!, $tracking: String")
REQUEST_SUPPLEMENT = transition("requestSupplement", ", materialIds: $ids, note: $note", ", $ids: [ID!]!, $note: String!")
SUPPLEMENT = transition("supplementMaterials", ", materials: $materials", ", $materials: [MaterialInput!]!",
                        missing=True)
EXPLAIN = transition("explainOverdue", ", reason: $reason", ", $reason: String!")


async def move(client: httpx.AsyncClient, token: str, mutation: str, number: str, **variables: Any) -> dict[str, Any]:
    data = await call(client, token, mutation, {"number": number, **variables})
    return next(iter(data.values()))


CASE = "query($number: String!) { case(number: $number) { %s } }" % CASE_FIELDS


async def get_case(client: httpx.AsyncClient, token: str, number: str) -> dict[str, Any] | None:
    return (await call(client, token, CASE, {"number": number}))["case"]
