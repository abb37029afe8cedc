"""Rotating the PII keys: what was sealed under the previous key still opens until
`python -m backend reencrypt-pii` has sealed it again, and afterwards the new keys alone suffice."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette

from backend.keys import load_keys
from backend.models import User
from backend.services.identity.accounts import ID_NUMBER, PHONE, sync_user
from backend.services.identity.pii_rotation import reseal_all
from backend.services.identity.privacy import PiiVault
from backend.settings import REPO_ROOT, Settings, SettingsError, load_settings


def _key() -> bytes:
    return os.urandom(32)


def test_a_previous_key_still_opens_what_it_sealed() -> None:
    old, new, index = _key(), _key(), _key()
    sealed = PiiVault(encryption_key=old, index_key=index).encrypt("610102199001011231", purpose=ID_NUMBER)
    rotated = PiiVault(encryption_key=new, index_key=index, previous_encryption_keys=[old])
    assert rotated.decrypt(sealed, purpose=ID_NUMBER) == "610102199001011231"
    resealed = rotated.reseal(sealed, purpose=ID_NUMBER)
    assert resealed is not None and rotated.reseal(resealed, purpose=ID_NUMBER) is None
    assert PiiVault(encryption_key=new, index_key=index).decrypt(resealed, purpose=ID_NUMBER) == "610102199001011231"
    # Without the previous key the old ciphertext is unreadable, and the purpose still binds.
    with pytest.raises(ValueError, match="ciphertext does not verify"):
        PiiVault(encryption_key=new, index_key=index).decrypt(sealed, purpose=ID_NUMBER)
    with pytest.raises(ValueError, match="ciphertext does not verify"):
        rotated.decrypt(sealed, purpose=PHONE)


def test_previous_keys_are_read_from_the_environment(tmp_path: Path) -> None:
    old = base64.b64encode(_key()).decode()
    settings = load_settings({"DATA_DIR": str(tmp_path), "PII_PREVIOUS_ENCRYPTION_KEYS": f"{old}, "})
    assert load_keys(settings).pii_previous_encryption == (base64.b64decode(old),)
    assert old not in repr(settings)
    with pytest.raises(SettingsError, match="PII_PREVIOUS_ENCRYPTION_KEYS must be 32 bytes"):
        load_keys(load_settings({"DATA_DIR": str(tmp_path), "PII_PREVIOUS_ENCRYPTION_KEYS": "c2hvcnQ="}))


async def _person(sub: str, vault: PiiVault, *, id_number: str, phone: str) -> User:
    return await sync_user(claims={"sub": sub, "name": "轮换测试", "id_number": id_number, "phone_number": phone},
                           vault=vault)


def _vault(encryption: bytes, index: bytes, *previous: bytes) -> PiiVault:
    return PiiVault(encryption_key=encryption, index_key=index, previous_encryption_keys=previous)


async def test_reencrypt_seals_every_row_again_under_the_new_keys(app: Starlette, settings: Settings) -> None:
    # The rotation starts from the keys the running app uses, so every row in the database takes
    # part; the test rotates back at the end, as an operator would roll a rotation back.
    keys = load_keys(settings)
    old, old_index, new, new_index = keys.pii_encryption, keys.pii_index, _key(), _key()
    before = _vault(old, old_index)
    first = await _person("rotation-1", before, id_number="610102199001011231", phone="13800138000")
    second = await _person("rotation-2", before, id_number="11010519491231002X", phone="13900139000")
    during = _vault(new, new_index, old)
    try:
        # Between the rotation and the re-encryption, the old rows still open.
        assert during.decrypt((await User.get(id=first.id)).phone_enc or "", purpose=PHONE) == "13800138000"

        report = await reseal_all(vault=during, batch=1)  # several batches
        assert report.unreadable == [] and report.complete
        assert report.resealed == report.rows >= 2 and report.changed_meanwhile == 0

        after = _vault(new, new_index)  # the previous key is gone now
        for user, id_number, phone in ((first, "610102199001011231", "13800138000"),
                                       (second, "11010519491231002X", "13900139000")):
            row = await User.get(id=user.id)
            assert after.decrypt(row.id_number_enc or "", purpose=ID_NUMBER) == id_number
            assert after.decrypt(row.phone_enc or "", purpose=PHONE) == phone
            assert row.id_number_index == after.blind_index(id_number, purpose=ID_NUMBER)
            assert row.phone_index == after.blind_index(phone, purpose=PHONE)
        # Lookups by blind index find the person under the new index key.
        found = await User.get(id_number_index=after.blind_index("11010519491231002X", purpose=ID_NUMBER))
        assert found.id == second.id
        # A second run has nothing to do.
        again = await reseal_all(vault=after)
        assert (again.resealed, again.complete) == (0, True)
    finally:
        back = await reseal_all(vault=_vault(old, old_index, new))
        assert back.complete
    assert before.decrypt((await User.get(id=first.id)).id_number_enc or "", purpose=ID_NUMBER) == "610102199001011231"


async def test_a_row_no_key_opens_is_reported_and_left_alone(app: Starlette, settings: Settings) -> None:
    keys = load_keys(settings)
    lost = await _person("rotation-lost", _vault(_key(), keys.pii_index), id_number="610102199001011231",
                         phone="13700137000")
    sealed = (await User.get(id=lost.id)).phone_enc
    try:
        report = await reseal_all(vault=_vault(keys.pii_encryption, keys.pii_index))
        assert report.unreadable == [f"app_user:{lost.id}"] and not report.complete
        assert report.resealed == 0
        assert (await User.get(id=lost.id)).phone_enc == sealed
    finally:
        await User.filter(id=lost.id).delete()


def test_the_reencrypt_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "PII_", "APP_", "DATABASE_", "REDIS_"))}
    env |= {"APP_ENV": "dev", "DATA_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "backend", *args], env=env, cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=120)

    assert run("migrate").returncode == 0
    done = run("reencrypt-pii")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "re-encrypted 0 of 0 rows with personal data",
        "every row is sealed under the current keys: PII_PREVIOUS_ENCRYPTION_KEYS may now be removed",
    ]
