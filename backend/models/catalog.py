"""The service catalog: departments, service items and their standard guides (Art. 5, 12, 13, 22)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ItemType(StrEnum):
    """事项类型, the eight kinds of Art. 5. Values are the codes used in item codes."""

    LICENSING = "LICENSING"
    LEVY = "LEVY"
    BENEFIT = "BENEFIT"
    CONFIRMATION = "CONFIRMATION"
    AWARD = "AWARD"
    ADJUDICATION = "ADJUDICATION"
    OTHER_POWER = "OTHER_POWER"
    PUBLIC_SERVICE = "PUBLIC_SERVICE"

    @property
    def label(self) -> str:
        return ITEM_TYPE_LABELS[self]

    @classmethod
    def from_label(cls, label: str) -> ItemType:
        for member, text in ITEM_TYPE_LABELS.items():
            if text == label:
                return member
        raise ValueError(f"unknown item type {label!r}")


ITEM_TYPE_LABELS = {
    ItemType.LICENSING: "行政许可",
    ItemType.LEVY: "行政征收",
    ItemType.BENEFIT: "行政给付",
    ItemType.CONFIRMATION: "行政确认",
    ItemType.AWARD: "行政奖励",
    ItemType.ADJUDICATION: "行政裁决",
    ItemType.OTHER_POWER: "其他行政权力",
    ItemType.PUBLIC_SERVICE: "公共服务",
}


class Audience(StrEnum):
    PERSON = "PERSON"
    ENTERPRISE = "ENTERPRISE"
    BOTH = "BOTH"


class CaseKind(StrEnum):
    """办件类型: 即办件 is done on the spot, 承诺件 within promised working days."""

    IMMEDIATE = "IMMEDIATE"
    PROMISED = "PROMISED"

    @property
    def label(self) -> str:
        return "即办件" if self is CaseKind.IMMEDIATE else "承诺件"


class MaterialType(StrEnum):
    ORIGINAL = "ORIGINAL"
    COPY = "COPY"
    ORIGINAL_AND_COPY = "ORIGINAL_AND_COPY"
    ELECTRONIC = "ELECTRONIC"

    @property
    def label(self) -> str:
        return {
            MaterialType.ORIGINAL: "原件",
            MaterialType.COPY: "复印件",
            MaterialType.ORIGINAL_AND_COPY: "原件和复印件",
            MaterialType.ELECTRONIC: "电子材料",
        }[self]


class HallLevel(StrEnum):
    """Art. 22 fixes the names of the three levels below the city hall."""

    CITY = "CITY"
    DISTRICT = "DISTRICT"  # ××区政务服务大厅
    CENTRE = "CENTRE"  # ××区××街道便民服务中心
    STATION = "STATION"  # ××街道××社区便民服务站


class Department(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=64, unique=True)
    sort_order = fields.IntField(default=0)

    class Meta:
        table = "department"
        ordering = ["sort_order", "id"]


class LicenseType(Model):
    """A kind of e-license (电子证照). Materials link to the type that proves them (免证办)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=64)

    class Meta:
        table = "license_type"


class ServiceHall(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80, unique=True)
    level = fields.CharEnumField(HallLevel, max_length=16)
    district = fields.CharField(max_length=32)
    address = fields.CharField(max_length=200)
    opening_hours = fields.CharField(max_length=200)
    phone = fields.CharField(max_length=40)
    sort_order = fields.IntField(default=0)

    class Meta:
        table = "service_hall"
        ordering = ["sort_order", "id"]


class ServiceItem(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=200)
    item_type = fields.CharEnumField(ItemType, max_length=20, db_index=True)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "models.Department", related_name="items", on_delete=fields.RESTRICT
    )
    audience = fields.CharEnumField(Audience, max_length=16, db_index=True)
    high_frequency = fields.BooleanField(default=False, db_index=True)
    is_bundle = fields.BooleanField(default=False)
    is_demo = fields.BooleanField(default=False)
    remark = fields.TextField(default="")
    sort_order = fields.IntField(default=0)
    # Search keys, computed when the item is written (never at query time).
    search_name = fields.CharField(max_length=200, default="")
    pinyin_full = fields.CharField(max_length=800, default="")
    pinyin_initials = fields.CharField(max_length=200, default="")
    search_text = fields.TextField(default="")
    halls: fields.ManyToManyRelation[ServiceHall] = fields.ManyToManyField(
        "models.ServiceHall", related_name="items", through="service_item_hall"
    )

    class Meta:
        table = "service_item"
        ordering = ["sort_order", "id"]


class ServiceGuide(Model):
    """办事指南: every field Art. 12 lists, plus 002 §4's online address and sample forms."""

    id = fields.IntField(primary_key=True)
    item: fields.OneToOneRelation[ServiceItem] = fields.OneToOneField(
        "models.ServiceItem", related_name="guide", on_delete=fields.CASCADE
    )
    basic_code = fields.CharField(max_length=40)
    source_of_power = fields.TextField()
    case_kind = fields.CharEnumField(CaseKind, max_length=16)
    level_exercised = fields.TextField()
    implementing_body = fields.TextField()
    service_object = fields.TextField()
    intermediary_service = fields.TextField()
    fees = fields.TextField()
    on_site_visits = fields.IntField()
    promised_days = fields.IntField()
    statutory_days = fields.IntField()
    result_sample = fields.TextField()
    office_hours = fields.TextField()
    consultation = fields.TextField()
    location = fields.TextField()
    complaint_channel = fields.TextField()
    acceptance_conditions = fields.TextField()
    legal_basis = fields.TextField()
    online_address = fields.TextField()
    sample_forms = fields.JSONField(default=list)
    is_demo = fields.BooleanField(default=True)

    class Meta:
        table = "service_guide"


class Material(Model):
    """申请材料 with every Art. 13 field."""

    id = fields.IntField(primary_key=True)
    guide: fields.ForeignKeyRelation[ServiceGuide] = fields.ForeignKeyField(
        "models.ServiceGuide", related_name="materials", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    name = fields.CharField(max_length=200)
    material_type = fields.CharEnumField(MaterialType, max_length=24)
    sample_text = fields.TextField()
    copies = fields.IntField()
    specification = fields.TextField()
    electronic_required = fields.BooleanField()
    blank_form = fields.TextField(null=True)
    required = fields.BooleanField(default=True)
    deficiency_allowed = fields.BooleanField(default=False)
    license_type: fields.ForeignKeyNullableRelation[LicenseType] = fields.ForeignKeyField(
        "models.LicenseType", related_name="materials", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "material"
        ordering = ["position", "id"]


class ProcessStep(Model):
    id = fields.IntField(primary_key=True)
    guide: fields.ForeignKeyRelation[ServiceGuide] = fields.ForeignKeyField(
        "models.ServiceGuide", related_name="process", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    title = fields.CharField(max_length=200)
    description = fields.TextField()

    class Meta:
        table = "process_step"
        ordering = ["position", "id"]


class Faq(Model):
    id = fields.IntField(primary_key=True)
    guide: fields.ForeignKeyRelation[ServiceGuide] = fields.ForeignKeyField(
        "models.ServiceGuide", related_name="faq", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    question = fields.TextField()
    answer = fields.TextField()

    class Meta:
        table = "faq"
        ordering = ["position", "id"]
