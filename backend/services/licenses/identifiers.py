"""E-license identifiers (电子证照标识, GB/T 36904-2018) and their ISO/IEC 7064 MOD 37,36 check
character (GB/T 17710-2008, the same standard).

    1.2.156.3005.2.{type code}.{issuer USCC}.{serial}.{version}.{check}

The check character is computed over the *defined parts* — type code, issuer USCC, serial and
version — concatenated without the dots. The fixed OID prefix is compared literally instead
(a check character adds nothing to a constant), and the dots are structure that parsing
already validates: a moved or dropped dot changes the parts' shapes and fails the parse.

MOD 37,36 is the hybrid system over the 36 symbols 0-9 A-Z. It detects every single
substitution. It does *not* detect every adjacent transposition: swapping two neighbours whose
values differ by exactly 1 (mod 36, e.g. "AB"↔"BA", "0Z"↔"Z0") goes unnoticed at exactly one
of the 36 possible running states; every other adjacent transposition is detected. The tests
pin both properties down exhaustively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.services.identity.identifiers import USCC_ALPHABET, uscc_check_char

PREFIX = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_M = 36  # the hybrid system's modulus; M + 1 = 37 is prime
_TYPE_CODE = re.compile(r"^[0-9A-Z]{4}$")
_SERIAL = re.compile(r"^[0-9A-Z]{1,24}$")
_VERSION = re.compile(r"^[1-9][0-9]{0,3}$")
_USCC = re.compile(rf"^[{USCC_ALPHABET}]{{18}}$")


def _step(product: int, value: int) -> int:
    """One step of the hybrid system: add, reduce mod M (0 becomes M), double, reduce mod M+1."""
    total = (product + value) % _M or _M
    return (total * 2) % (_M + 1)


def mod37_36_check(data: str) -> str:
    """The check character for `data` (symbols 0-9 A-Z only)."""
    product = _M
    for char in data:
        value = ALPHABET.find(char)
        if value < 0:
            raise ValueError(f"{char!r} is not in the MOD 37,36 alphabet")
        product = _step(product, value)
    return ALPHABET[(_M + 1 - product) % _M]


def mod37_36_valid(data_and_check: str) -> bool:
    """True when the last character is the right check character for the rest."""
    if not data_and_check or any(char not in ALPHABET for char in data_and_check):
        return False
    return mod37_36_check(data_and_check[:-1]) == data_and_check[-1]


@dataclass(frozen=True)
class IdentifierParts:
    type_code: str
    issuer_uscc: str
    serial: str
    version: int
    check: str


def build_identifier(*, type_code: str, issuer_uscc: str, serial: str, version: int) -> str:
    if not _TYPE_CODE.match(type_code):
        raise ValueError(f"type code {type_code!r} must be 4 symbols 0-9 A-Z")
    if not (_USCC.match(issuer_uscc) and uscc_check_char(issuer_uscc[:17]) == issuer_uscc[17]):
        raise ValueError(f"issuer code {issuer_uscc!r} is not a valid unified social credit code")
    if not _SERIAL.match(serial):
        raise ValueError(f"serial {serial!r} must be 1-24 symbols 0-9 A-Z")
    if not _VERSION.match(str(version)):
        raise ValueError(f"version {version!r} must be 1-9999")
    check = mod37_36_check(f"{type_code}{issuer_uscc}{serial}{version}")
    return f"{PREFIX}.{type_code}.{issuer_uscc}.{serial}.{version}.{check}"


def parse_identifier(identifier: str) -> IdentifierParts | None:
    """The parts of a well-formed identifier whose check character is right; else None."""
    if not identifier.startswith(PREFIX + "."):
        return None
    parts = identifier[len(PREFIX) + 1:].split(".")
    if len(parts) != 5:
        return None
    type_code, uscc, serial, version, check = parts
    if not (_TYPE_CODE.match(type_code) and _USCC.match(uscc) and _SERIAL.match(serial)
            and _VERSION.match(version) and len(check) == 1):
        return None
    if not mod37_36_valid(f"{type_code}{uscc}{serial}{version}{check}"):
        return None
    return IdentifierParts(type_code=type_code, issuer_uscc=uscc, serial=serial, version=int(version), check=check)
