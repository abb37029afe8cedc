"""E-licenses through the API, as the PWA uses them: documents and small helpers."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from backend.models import ELicense, User
from tests.cases_helpers import call

LICENSE_FIELDS = """id identifier typeCode typeName holderKind holderName issuerName issuerUscc issuedOn validFrom
  validUntil status statusCode statusLabel statusReason fields { key label value } defaultDisclose template caseNumber
  nextStatuses"""
MY_LICENSES = "{ myLicenses { %s } }" % LICENSE_FIELDS
LICENSE = "query($id: ID!) { license(id: $id) { %s } }" % LICENSE_FIELDS
PRESENT = """mutation($id: ID!, $disclose: [String!], $offline: Boolean! = false) {
  presentLicense(licenseId: $id, disclose: $disclose, offline: $offline) {
    __typename
    ... on LicensePresentation { token qrSvg expiresAt verifyUrl offline }
    ... on NotFoundError { code message }
    ... on NotPermittedError { code message }
    ... on InputError { code field message } } }"""
VERIFY = """mutation($token: String!) { verifyLicensePresentation(token: $token) {
  valid reason reasonCode issuedBy licenseType identifier status statusLabel
  disclosedFields { key label value } presentedAt expiresAt offline } }"""
CHANGE_STATUS = """mutation($id: ID!, $status: LicenseStatus!, $reason: String!) {
  changeLicenseStatus(licenseId: $id, status: $status, reason: $reason) {
    __typename
    ... on LicenseStatusChanged { license { id status statusCode statusLabel statusReason } }
    ... on NotFoundError { code message }
    ... on NotPermittedError { code message }
    ... on InputError { code field message } } }"""
VERIFICATIONS = """query($first: Int!) { myLicenseVerifications(first: $first) { totalCount
  edges { cursor node { id licenseId licenseTypeName verifiedAt verifier valid reason reasonCode offline } }
  pageInfo { hasNextPage endCursor } } }"""


async def persona_user(client: httpx.AsyncClient, token: str, sub: str) -> User:
    """The persona's user row, brought up to date by signing in once."""
    await call(client, token, "{ me { name } }")
    return await User.get(sub=sub)


async def seeded(holder: User, type_code: str) -> ELicense:
    return await ELicense.get(holder_user=holder, license_type__code=type_code, serial__startswith="DEMO")


async def present(client: httpx.AsyncClient, token: str, license_id: int | str, disclose: list[str] | None = None,
                  offline: bool = False) -> dict[str, Any]:
    variables = {"id": str(license_id), "disclose": disclose, "offline": offline}
    return (await call(client, token, PRESENT, variables))["presentLicense"]


async def verify(client: httpx.AsyncClient, presentation_token: str, *, as_token: str | None = None) -> dict[str, Any]:
    return (await call(client, as_token, VERIFY, {"token": presentation_token}))["verifyLicensePresentation"]


async def change_status(client: httpx.AsyncClient, token: str, license_id: int | str, status: str,
                        reason: str = "测试") -> dict[str, Any]:
    variables = {"id": str(license_id), "status": status, "reason": reason}
    return (await call(client, token, CHANGE_STATUS, variables))["changeLicenseStatus"]


def b64url_json(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def payload(token: str) -> dict[str, Any]:
    """The claims of a compact JWS: base64url of its middle part."""
    return b64url_json(token.split(".")[1])
