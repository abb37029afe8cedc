"""Check digits of Chinese identifiers (DOMAIN.md) and the masking rule for showing them."""

from __future__ import annotations

import re
from datetime import date

from backend.services.errors import ValidationError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")
_PHONE_SHAPE = re.compile(r"^1[3-9]\d{9}$")


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def check_id_number(value: str, *, field: str = "idNumber") -> str:
    """A valid 18-digit resident ID number (GB 11643), upper-cased; else a ValidationError."""
    number = value.strip().upper()
    if not _ID_SHAPE.match(number):
        raise ValidationError(field=field, message="身份证号码应为 18 位，前 17 位为数字，最后一位为数字或 X")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(field=field, message="身份证号码中的出生日期不正确") from None
    if id_check_digit(number[:17]) != number[17]:
        raise ValidationError(field=field, message="身份证号码校验位不正确，请核对后重新输入")
    return number


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(value: str, *, field: str = "uscc") -> str:
    """A valid unified social credit code (GB 32100-2015); else a ValidationError."""
    code = value.strip().upper()
    if not _USCC_SHAPE.match(code):
        raise ValidationError(field=field, message="统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(field=field, message="统一社会信用代码校验位不正确，请核对后重新输入")
    return code


def check_phone(value: str, *, field: str = "phone") -> str:
    phone = value.strip()
    if not _PHONE_SHAPE.match(phone):
        raise ValidationError(field=field, message="手机号码应为 11 位数字，以 1 开头")
    return phone


def mask_id_number(number: str) -> str:
    """First 6 and last 4 shown: 110105********002X."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """First 3 and last 4 shown: 138****5678."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# 18-character resident ID numbers and 11-digit mainland mobile numbers inside free text, not
# inside longer runs of digits (a case number's date, a tracking number).
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_numbers(text: str) -> str:
    """Free text (a staff note, a reason) with every ID and mobile number in it masked: what
    people type is stored, shown and pushed, so no number is kept whole in it."""
    text = _ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def mask_name(name: str) -> str:
    """A person's name as shown to someone else: 王*明, 李*."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
