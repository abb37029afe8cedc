from __future__ import annotations

import pytest

from backend.services.errors import ValidationError
from backend.services.identity.identifiers import (
    check_id_number, check_phone, check_uscc, id_check_digit, mask_id_number, mask_phone, uscc_check_char,
)


def test_domain_examples_are_valid() -> None:
    assert check_id_number("11010519491231002x") == "11010519491231002X"
    assert check_uscc("91350100M000100Y43") == "91350100M000100Y43"


def test_check_characters_are_computed() -> None:
    assert id_check_digit("11010519491231002") == "X"
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "身份证号码校验位不正确，请核对后重新输入"),
        ("1101051949123100", "身份证号码应为 18 位，前 17 位为数字，最后一位为数字或 X"),
        ("11010519491331002X", "身份证号码中的出生日期不正确"),
    ],
)
def test_bad_id_numbers_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_id_number(value)
    assert (caught.value.field, caught.value.message) == ("idNumber", message)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("91350100M000100Y44", "统一社会信用代码校验位不正确，请核对后重新输入"),
        ("91350100M000100YI3", "统一社会信用代码应为 18 位数字或大写字母（不含 I、O、Z、S、V）"),
    ],
)
def test_bad_usccs_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_uscc(value)
    assert (caught.value.field, caught.value.message) == ("uscc", message)


def test_masking() -> None:
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone(check_phone("13812345678")) == "138****5678"
    with pytest.raises(ValidationError):
        check_phone("2381234567")


def test_numbers_in_free_text_are_masked_but_case_and_tracking_numbers_are_not() -> None:
    from backend.services.identity.identifiers import mask_numbers
    assert mask_numbers("身份证号 11010519491231002X，电话13812345678。办件 ZSB-20261203-000016，运单 SF1381234567890") == (
        "身份证号 110105********002X，电话138****5678。办件 ZSB-20261203-000016，运单 SF1381234567890")
