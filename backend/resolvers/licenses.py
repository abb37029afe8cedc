"""E-license resolvers: check input, call one service, map the result."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import Info

from backend.auth.identity import base_url
from backend.models import ELicense, User
from backend.models import LicenseVerification as LicenseVerificationModel
from backend.models.licenses import LicenseStatus as DomainStatus
from backend.resolvers.errors import user_errors
from backend.resolvers.inputs import plain_text, record_id
from backend.resolvers.pagination import page_info
from backend.schema.context import Context
from backend.schema.types import errors as e
from backend.schema.types.licenses import (
    License, LicenseConnection, LicenseEdge, LicensePresentation, LicenseStatus, LicenseStatusChanged,
    LicenseVerification, LicenseVerificationConnection, LicenseVerificationEdge, VerificationResult,
)
from backend.services.licenses import presentation as license_presentation, registry as licenses
from backend.services.errors import NotFoundError, ValidationError
from backend.services.pagination import Page


def _viewer(info: Info[Context, None]) -> User:
    viewer = info.context.viewer
    assert viewer is not None  # guarded by IsAuthenticated
    return viewer


def _id(raw: strawberry.ID, *, field: str) -> int:
    license_id = record_id(raw, model=ELicense, field=field, message="证照编号格式不正确")
    if license_id is None:
        raise NotFoundError("未找到该证照")
    return license_id


def _licenses(rows: list[ELicense]) -> list[License]:
    today = licenses.local_today()
    return [License.from_model(row, today=today) for row in rows]


def license_connection(page: Page[ELicense], *, today: date) -> LicenseConnection:
    edges = [LicenseEdge(cursor=page.cursor_at(i), node=License.from_model(row, today=today))
             for i, row in enumerate(page.nodes)]
    return LicenseConnection(edges=edges, page_info=page_info(page), total_count=page.total_count)


def verification_connection(page: Page[LicenseVerificationModel]) -> LicenseVerificationConnection:
    edges = [LicenseVerificationEdge(cursor=page.cursor_at(i), node=LicenseVerification.from_model(row))
             for i, row in enumerate(page.nodes)]
    return LicenseVerificationConnection(edges=edges, page_info=page_info(page), total_count=page.total_count)


# ---- queries ---------------------------------------------------------------------------


async def my_licenses(info: Info[Context, None]) -> list[License]:
    return _licenses(await licenses.my_licenses(user=_viewer(info)))


async def license(info: Info[Context, None], id: strawberry.ID) -> License | None:
    try:
        license_id = record_id(id, model=ELicense, field="id")
    except ValidationError:
        license_id = None  # no such license, as far as anyone can tell
    if license_id is None:
        return None
    row = await licenses.get_license(viewer=_viewer(info), license_id=license_id)
    return License.from_model(row, today=licenses.local_today()) if row else None


@user_errors
async def my_license_verifications(info: Info[Context, None], first: int = 20,
                                   after: str | None = None) -> LicenseVerificationConnection:
    return verification_connection(await licenses.verifications(user=_viewer(info), first=first, after=after))


@user_errors
async def issued_licenses(info: Info[Context, None], first: int = 20, after: str | None = None) -> LicenseConnection:
    page = await licenses.issued_licenses(user=_viewer(info), first=first, after=after)
    return license_connection(page, today=licenses.local_today())


# ---- mutations -------------------------------------------------------------------------

PresentLicenseResult = Annotated[LicensePresentation | e.NotFoundError | e.NotPermittedError | e.InputError,
                                 strawberry.union("PresentLicenseResult")]
ChangeLicenseStatusResult = Annotated[LicenseStatusChanged | e.NotFoundError | e.NotPermittedError | e.InputError,
                                      strawberry.union("ChangeLicenseStatusResult")]


async def present_license(info: Info[Context, None], license_id: strawberry.ID, disclose: list[str] | None = None,
                          offline: bool = False) -> PresentLicenseResult:
    context = info.context
    presentation = await license_presentation.present(
        viewer=_viewer(info), license_id=_id(license_id, field="licenseId"),
        disclose=[plain_text(key, field=f"disclose[{i}]").strip() for i, key in enumerate(disclose)]
        if disclose is not None else None, offline=offline,
        signer=context.identity.codes, origin=base_url(context.settings),
    )
    return LicensePresentation.from_data(presentation)


async def verify_license_presentation(info: Info[Context, None], token: str) -> VerificationResult:
    # The published key set itself (what /.well-known/jwks.json serves), never a network fetch.
    keys = info.context.identity.codes.published_jwks
    outcome = await license_presentation.verify(token=token, verifier=info.context.viewer, keys=keys)
    return VerificationResult.from_data(outcome)


async def change_license_status(info: Info[Context, None], license_id: strawberry.ID, status: LicenseStatus,
                                reason: str) -> ChangeLicenseStatusResult:
    row = await licenses.change_status(actor=_viewer(info), license_id=_id(license_id, field="licenseId"),
                                       status=DomainStatus(status.value), reason=plain_text(reason, field="reason"))
    return LicenseStatusChanged(license=License.from_model(row, today=licenses.local_today()))
