"""E-license identifiers: the ISO/IEC 7064 MOD 37,36 check character, by hand-computed vectors
and by exhaustive properties, and the identifiers the platform issues."""

from __future__ import annotations

import random

from backend.models import ELicense
from backend.services.licenses.identifiers import (
    ALPHABET, PREFIX, build_identifier, mod37_36_check, mod37_36_valid, parse_identifier,
)

# Computed by hand with the hybrid system (M = 36): p starts at 36; for each character
# s = (p + value) mod 36, with 0 read as 36; p = 2s mod 37. The check is (37 - p) mod 36.
HAND_VECTORS = {
    "": "1",      # p = 36 → (37 - 36) mod 36 = 1
    "0": "2",     # s = 36 → p = 72 mod 37 = 35 → 2
    "A": "H",     # s = 10 → p = 20 → 17 = H
    "Z": "4",     # s = 71 mod 36 = 35 → p = 70 mod 37 = 33 → 4
    "01": "2",    # "0": p = 35; "1": s = 36 → p = 35 → 2
    "0106": "V",  # p: 35, 35, 33; "6": s = 39 mod 36 = 3 → p = 6 → 31 = V
}


def test_check_characters_computed_by_hand() -> None:
    for data, check in HAND_VECTORS.items():
        assert mod37_36_check(data) == check, data
        assert mod37_36_valid(data + check), data


def _step(p: int, value: int) -> int:
    s = (p + value) % 36 or 36
    return 2 * s % 37


def test_every_single_substitution_is_detected() -> None:
    rng = random.Random(36037)
    for _ in range(200):
        data = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40)))
        good = data + mod37_36_check(data)
        for at in range(len(good)):
            for symbol in ALPHABET:
                if symbol != good[at]:
                    assert not mod37_36_valid(good[:at] + symbol + good[at + 1:]), (good, at, symbol)


def test_adjacent_transpositions_are_detected_except_neighbouring_values() -> None:
    """MOD 37,36 misses exactly one adjacent transposition per running state: two symbols whose
    values differ by 1 (mod 36). Every other adjacent transposition is detected — exhaustively
    over all 36 states and all pairs, then on random identifiers including the check character."""
    for p in range(1, 37):
        missed = [(a, b) for a in range(36) for b in range(a + 1, 36) if _step(_step(p, a), b) == _step(_step(p, b), a)]
        assert len(missed) == 1, (p, missed)
        a, b = missed[0]
        assert (b - a) % 36 in (1, 35), (p, missed)
    rng = random.Random(7064)
    checked = undetected = 0
    for _ in range(300):
        data = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(2, 40)))
        good = data + mod37_36_check(data)
        for at in range(len(good) - 1):
            x, y = good[at], good[at + 1]
            if x == y:
                continue
            swapped = good[:at] + y + x + good[at + 2:]
            checked += 1
            if mod37_36_valid(swapped):
                undetected += 1
                assert (ALPHABET.index(x) - ALPHABET.index(y)) % 36 in (1, 35), (good, at)
    assert undetected / checked < 0.01, (undetected, checked)


def test_identifiers_round_trip_and_a_broken_one_does_not_parse() -> None:
    identifier = build_identifier(type_code="0106", issuer_uscc="11610100MB0000002Q", serial="202600000042", version=1)
    assert identifier.startswith(f"{PREFIX}.0106.11610100MB0000002Q.202600000042.1.")
    parts = parse_identifier(identifier)
    assert parts is not None and (parts.type_code, parts.serial, parts.version) == ("0106", "202600000042", 1)
    assert parts.check == mod37_36_check("010611610100MB0000002Q2026000000421")
    broken = [
        identifier[:-1] + ("0" if identifier[-1] != "0" else "1"),  # another check character
        identifier.replace(".202600000042.", ".202600000043."),  # another serial
        identifier.replace("0106.", "0107."),
        identifier.replace("1.2.156.3005.2.", "1.2.156.3005.3."),  # not an e-license identifier
        identifier.replace(".0106.1161", ".01061.161"),  # a moved dot
        identifier.replace(".1.", ".1"),
        "", "1.2.156.3005.2", identifier.lower(),
    ]
    for text in broken:
        assert parse_identifier(text) is None, text


async def test_every_stored_identifier_carries_a_correct_check_character(app: object) -> None:
    identifiers = await ELicense.filter(identifier__startswith=PREFIX).values_list("identifier", flat=True)
    assert len(identifiers) >= 19  # the seeded demo licenses at least
    for identifier in identifiers:
        assert parse_identifier(str(identifier)) is not None, identifier
