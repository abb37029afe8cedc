"""Plain async factories that write real rows."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

from tortoise import connections

from backend.models import (
    Case, CaseEvent, CaseMaterial, Department, Faq, Material, ProcessStep, ServiceGuide, ServiceHall, ServiceItem, User,
)
from backend.models import ELicense, LicenseIssuer, LicenseType
from backend.models.licenses import LicenseStatus
from backend.services.licenses.identifiers import build_identifier
from backend.services.licenses.kinds import kind_of
from backend.models.cases import CaseEventKind, CaseStatus, MaterialProvision
from backend.models.catalog import Audience, CaseKind, ItemType, MaterialType

_serial = itertools.count(1)


async def make_department(*, name: str | None = None) -> Department:
    n = next(_serial)
    return await Department.create(code=f"T{n:05d}", name=name or f"测试部门{n}", sort_order=1000 + n)


async def make_items(*, department: Department, count: int, prefix: str) -> list[ServiceItem]:
    """`count` complete items (guide, 2 materials, 2 steps, 1 FAQ, 1 hall) in few statements."""
    await ServiceItem.bulk_create([
        ServiceItem(code=f"{prefix}{i:05d}", name=f"测试事项{prefix}{i}", item_type=ItemType.LICENSING,
                    department=department, audience=Audience.PERSON, sort_order=i)
        for i in range(count)
    ])
    items = await ServiceItem.filter(code__startswith=prefix).order_by("sort_order")
    await ServiceGuide.bulk_create([
        ServiceGuide(item=item, basic_code=item.code, source_of_power="法定本级行使", case_kind=CaseKind.PROMISED,
                     level_exercised="市级", implementing_body="测试机关", service_object="自然人",
                     intermediary_service="无", fees="不收费", on_site_visits=0, promised_days=5,
                     statutory_days=20, result_sample="《决定书》", office_hours="工作日", consultation="12345",
                     location="测试大厅", complaint_channel="12345", acceptance_conditions="齐全",
                     legal_basis="测试", online_address=f"/items/{item.code}", sample_forms=[])
        for item in items
    ])
    guides = await ServiceGuide.filter(item_id__in=[item.id for item in items])
    await Material.bulk_create([
        Material(guide=guide, position=p, name=f"材料{p}", material_type=MaterialType.ORIGINAL, sample_text="无",
                 copies=1, specification="A4", electronic_required=True)
        for guide in guides for p in (1, 2)
    ])
    await ProcessStep.bulk_create([
        ProcessStep(guide=guide, position=p, title=f"步骤{p}", description="说明") for guide in guides for p in (1, 2)
    ])
    await Faq.bulk_create([Faq(guide=guide, position=1, question="问", answer="答") for guide in guides])
    hall = await ServiceHall.first()
    assert hall is not None
    # Integers only, so inlining them in one multi-row INSERT is safe and portable.
    values = ",".join(f"({item.id},{hall.id})" for item in items)
    await connections.get("default").execute_script(
        f"INSERT INTO service_item_hall (service_item_id, servicehall_id) VALUES {values}"
    )
    return items


async def delete_department(department: Department) -> None:
    await ServiceItem.filter(department=department).delete()
    await department.delete()


async def make_cases(*, applicant: User, item: ServiceItem, count: int) -> list[Case]:
    """`count` accepted cases with two events and two materials each, in a few statements."""
    prefix = uuid.uuid4().hex[:8]
    await Case.bulk_create([
        Case(number=f"ZSB-T{prefix}-{i:06d}", applicant=applicant, item=item, department_id=item.department_id,
             status=CaseStatus.ACCEPTED, idempotency_key=f"{prefix}{i:06d}", promised_days=5, statutory_days=20,
             accepted_on=date(2026, 11, 2), promised_due=date(2026, 11, 9), statutory_due=date(2026, 11, 30))
        for i in range(count)
    ])
    rows = await Case.filter(number__startswith=f"ZSB-T{prefix}-").order_by("id")
    await CaseEvent.bulk_create([
        CaseEvent(case=row, applicant_id=applicant.id, department_id=item.department_id, kind=kind, status=status,
                  actor_label="测试", note="")
        for row in rows for kind, status in ((CaseEventKind.SUBMITTED, CaseStatus.SUBMITTED),
                                              (CaseEventKind.ACCEPTED, CaseStatus.ACCEPTED))
    ])
    await CaseMaterial.bulk_create([
        CaseMaterial(case=row, position=p, name=f"材料{p}", required=True, provision=MaterialProvision.UPLOAD)
        for row in rows for p in (1, 2)
    ])
    return rows


async def make_licenses(*, holder: User, count: int, type_code: str = "DRIVING_LICENSE", issuer: str = "市公安局",
                        status: LicenseStatus = LicenseStatus.VALID, valid_from: date = date(2024, 1, 1),
                        valid_until: date | None = date(2034, 1, 1)) -> list[ELicense]:
    """`count` licenses of one type held by `holder`, issued by the seeded issuer of `issuer`
    (a department's short name), with correct identifiers, in two statements."""
    kind = kind_of(type_code)
    assert kind is not None
    license_type = await LicenseType.get(code=type_code)
    by = await LicenseIssuer.get(department__name=issuer)
    prefix = "T" + uuid.uuid4().hex[:8].upper()
    await ELicense.bulk_create([
        ELicense(identifier=build_identifier(type_code=kind.type_code, issuer_uscc=by.uscc, serial=f"{prefix}{i:06d}",
                                             version=1),
                 license_type=license_type, holder_user=holder, holder_name=holder.name,
                 issuer_department_id=by.department_id, issuer_name=by.name, issuer_uscc=by.uscc,
                 serial=f"{prefix}{i:06d}", fields_json=[{"key": "drivingClass", "label": "准驾车型", "value": "C1"}],
                 template=kind.template, status=status, issued_on=valid_from, valid_from=valid_from,
                 valid_until=valid_until)
        for i in range(count)
    ])
    return list(await ELicense.filter(serial__startswith=prefix).order_by("id"))
