"""Demo personas of the development identity provider. Numbers are valid by their check digits
but belong to nobody: regions and birth dates are generic, sequence numbers invented."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.services.identity.identifiers import id_check_digit, uscc_check_char


def _id_number(first17: str) -> str:
    return first17 + id_check_digit(first17)


def _uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


DEMO_ENTERPRISE_USCC = _uscc("91610131MA6U0K5P0")
DEMO_ENTERPRISE_NAME = "西安秦创数字科技有限公司（演示）"


@dataclass(frozen=True)
class Persona:
    key: str
    label: str
    name: str
    id_number: str
    phone: str
    roles: tuple[str, ...] = ()
    department: str | None = None  # department code, for staff
    enterprises: tuple[dict[str, str], ...] = field(default=())

    def claims(self) -> dict[str, Any]:
        return {
            "sub": f"dev-{self.key}",
            "name": self.name,
            "id_number": self.id_number,
            "phone_number": self.phone,
            "roles": list(self.roles),
            "department": self.department,
            "enterprises": [dict(e) for e in self.enterprises],
        }


PERSONAS: dict[str, Persona] = {
    p.key: p
    for p in (
        Persona(key="citizen", label="市民（个人用户）", name="王晓明",
                id_number=_id_number("61011319900307213"), phone="13800291234"),
        Persona(key="citizen2", label="另一位市民", name="李娜",
                id_number=_id_number("61010219920815402"), phone="13900295678"),
        Persona(key="enterprise-legal", label="企业法定代表人", name="陈建国",
                id_number=_id_number("61010319800512301"), phone="13700293456",
                enterprises=({"uscc": DEMO_ENTERPRISE_USCC, "name": DEMO_ENTERPRISE_NAME,
                              "role": "LEGAL_REPRESENTATIVE"},)),
        Persona(key="enterprise-agent", label="企业经办人", name="赵敏",
                id_number=_id_number("61011219950621502"), phone="13600297890",
                enterprises=({"uscc": DEMO_ENTERPRISE_USCC, "name": DEMO_ENTERPRISE_NAME, "role": "AGENT"},)),
        Persona(key="staff", label="窗口工作人员（市教育局）", name="刘洋",
                id_number=_id_number("61010419880909113"), phone="13500291111",
                roles=("STAFF",), department="D02"),
        Persona(key="supervisor", label="电子监察人员", name="孙丽",
                id_number=_id_number("61010519851120202"), phone="13400292222", roles=("SUPERVISOR",)),
    )
}
