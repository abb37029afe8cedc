"""Re-sealing personal data after a PII key rotation (`python -m backend reencrypt-pii`).

Every sealed column is read in id order, in batches; a value sealed under a previous key is
sealed again under the current one, and its blind index is recomputed with the current index
key (so rotating PII_INDEX_KEY is the same run). A row is written only if it still holds what
was read: a concurrent sign-in writes fresh values under the current key, and those are left
alone. Safe to interrupt and run again; a second run changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tortoise.models import Model

from backend.models import CallbackRequest, User
from backend.services.identity.accounts import ID_NUMBER, PHONE
from backend.services.callbacks.service import CALLBACK_PHONE
from backend.services.identity.privacy import PiiVault

log = logging.getLogger("backend.pii_rotation")


@dataclass(frozen=True)
class SealedColumn:
    model: type[Model]
    sealed: str  # the ciphertext column
    index: str | None  # its blind index column, if any
    purpose: str  # the associated data it was sealed with


# Every column that holds PiiVault ciphertext. A new one is added here, or rotation misses it.
SEALED_COLUMNS = (
    SealedColumn(User, "id_number_enc", "id_number_index", ID_NUMBER),
    SealedColumn(User, "phone_enc", "phone_index", PHONE),
    SealedColumn(CallbackRequest, "phone_enc", None, CALLBACK_PHONE),  # 帮办代办: the phone to call back
)


@dataclass
class ResealReport:
    rows: int = 0  # rows read that hold sealed data
    resealed: int = 0  # rows written again under the current keys
    changed_meanwhile: int = 0  # rows someone rewrote while we worked (already current)
    unreadable: list[str] = field(default_factory=list)  # "table:id" no configured key opens

    @property
    def complete(self) -> bool:
        return not self.unreadable


async def reseal_all(*, vault: PiiVault, batch: int = 500) -> ResealReport:
    report = ResealReport()
    models: dict[type[Model], list[SealedColumn]] = {}
    for column in SEALED_COLUMNS:
        models.setdefault(column.model, []).append(column)
    for model, columns in models.items():
        await _reseal_model(model, columns, vault=vault, batch=batch, report=report)
    return report


async def _reseal_model(model: type[Model], columns: list[SealedColumn], *, vault: PiiVault, batch: int,
                        report: ResealReport) -> None:
    names = [c.sealed for c in columns] + [c.index for c in columns if c.index]
    last = 0
    while True:
        rows = await model.filter(id__gt=last).order_by("id").limit(batch).values("id", *names)
        if not rows:
            return
        for row in rows:
            last = row["id"]
            if not any(row[c.sealed] for c in columns):
                continue
            report.rows += 1
            updates: dict[str, str] = {}
            try:
                for column in columns:
                    if row[column.sealed]:
                        updates |= _resealed(row, column, vault)
            except ValueError:
                report.unreadable.append(f"{model._meta.db_table}:{row['id']}")
                log.warning("PII in %s row %s opens with no configured key", model._meta.db_table, row["id"])
                continue
            if not updates:
                continue
            unchanged = {name: row[name] for name in names}
            if await model.filter(id=row["id"], **unchanged).update(**updates):
                report.resealed += 1
            else:
                report.changed_meanwhile += 1


def _resealed(row: dict[str, object], column: SealedColumn, vault: PiiVault) -> dict[str, str]:
    token = str(row[column.sealed])
    updates: dict[str, str] = {}
    fresh = vault.reseal(token, purpose=column.purpose)
    if fresh is not None:
        updates[column.sealed] = fresh
    if column.index:
        index = vault.blind_index(vault.decrypt(token, purpose=column.purpose), purpose=column.purpose)
        if index != row[column.index]:
            updates[column.index] = index
    return updates
