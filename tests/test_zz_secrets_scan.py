"""Runs last (hence the name): after the suite, nothing at rest or in the logs holds a resident ID
number, a mainland mobile number or a token. Scanned: every text column of every table of the
test database (on PostgreSQL also its `_multi` and `_live` siblings, the cluster's and the live
server's), every log the session wrote (the in-process app's, through the handler
tests/conftest.py installs, and the live servers' and the cluster's files under the pytest base
directory), every push payload the stand-in decrypted, and every notification body.

Precise on purpose: ciphertext and digests are base64/hex, so a number only counts when it does
not touch base64 characters on either side; an ID number must also have a valid birth date and
GB 11643 check digit. The personas' own numbers are searched for literally as well, anywhere."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest
from tortoise import connections

from backend.auth.personas import PERSONAS
from backend.models import Notification
from backend.services.identity.identifiers import id_check_digit
from backend.settings import Settings
from tests import push_service

_EDGE = r"A-Za-z0-9+/_\-"  # base64 and base64url characters: a match must not touch them
ID_NUMBER = re.compile(rf"(?<![{_EDGE}])([1-9]\d{{5}}(?:19|20)\d{{2}}\d{{4}}\d{{3}}[\dXx])(?![{_EDGE}])")
MOBILE = re.compile(rf"(?<![{_EDGE}])(1[3-9]\d{{9}})(?![{_EDGE}])")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/-]{16,}")
URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:[^\s/@'\"]+@")
URL_SECRET = re.compile(r"(?i)[?&](?:access_token|id_token|token|password|code)=[^&\s'\"]{8,}")


def _valid_id(number: str) -> bool:
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return id_check_digit(number[:17]) == number[17].upper()


def findings(text: str, *, logs: bool = False) -> list[str]:
    found = [f"id {m}" for m in ID_NUMBER.findall(text) if _valid_id(m)]
    found += [f"mobile {m}" for m in MOBILE.findall(text)]
    found += [f"token {m[:24]}…" for m in JWT.findall(text)]
    found += [f"bearer {m[:24]}…" for m in BEARER.findall(text)]
    literals = {p.id_number for p in PERSONAS.values()} | {p.phone for p in PERSONAS.values()}
    found += [f"persona number {value}" for value in literals if value in text and not any(value in f for f in found)]
    if logs:
        found += [f"password in URL {m}" for m in URL_PASSWORD.findall(text)]
        found += [f"secret in URL {m[:24]}…" for m in URL_SECRET.findall(text)]
    return found


def test_the_patterns_are_precise() -> None:
    citizen = PERSONAS["citizen"]
    assert findings(f"身份证号{citizen.id_number}，电话{citizen.phone}。") == [
        f"id {citizen.id_number}", f"mobile {citizen.phone}"]
    assert findings("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZXYifQ.c2lnbmF0dXJlLXBhcnQ") != []
    # ciphertext, digests and ids that happen to hold digit runs are not numbers
    assert findings("v1:AAAB13912345678xyz== 5f13912345678ab 110101199003072131Q ZSB-20261203-000016") == []
    assert findings("110101199013072135") == []  # no 13th month
    assert findings("postgres://app:s3cret@db/x", logs=True) == ["password in URL postgres://app:s3cret@"]


_PG_TEXT_COLUMNS = ("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'character')")


async def _postgres_texts(url: str, label: str) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Every text value of one PostgreSQL database (the suite's, or a sibling the cluster and
    live-server tests made: `<name>_multi`, `<name>_live`)."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        columns: dict[str, list[str]] = {}
        for row in await conn.fetch(_PG_TEXT_COLUMNS):
            columns.setdefault(row["table_name"], []).append(row["column_name"])
        rows_per_table, texts = {}, []
        for table, names in sorted(columns.items()):
            selected = ", ".join(f'"{name}"' for name in names)
            rows = await conn.fetch(f'SELECT {selected} FROM "{table}"')
            rows_per_table[f"{label}{table}"] = len(rows)
            texts += [(f"{label}{table}.{name}", str(value)) for row in rows for name, value in row.items()
                      if value is not None]
        return rows_per_table, texts
    finally:
        await conn.close()


async def _database_texts(settings: Settings) -> tuple[dict[str, int], list[tuple[str, str]]]:
    if settings.database_kind == "postgres":
        import asyncpg

        url = settings.database_url.replace("postgresql://", "postgres://", 1)
        base, name = url.rsplit("/", 1)
        conn = await asyncpg.connect(_plain(url))
        try:
            siblings = [row["datname"] for row in await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname = ANY($1::text[])", [f"{name}_multi", f"{name}_live"])]
        finally:
            await conn.close()
        rows_per_table, texts = await _postgres_texts(url, "")
        for sibling in siblings:
            more_rows, more_texts = await _postgres_texts(f"{base}/{sibling}", f"{sibling}:")
            rows_per_table |= more_rows
            texts += more_texts
        return rows_per_table, texts
    conn = connections.get("default")
    columns: dict[str, list[str]] = {}
    for table in await conn.execute_query_dict("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for column in await conn.execute_query_dict(f'PRAGMA table_info("{table["name"]}")'):
            if any(kind in column["type"].upper() for kind in ("TEXT", "CHAR", "JSON", "CLOB")):
                columns.setdefault(table["name"], []).append(column["name"])
    rows_per_table: dict[str, int] = {}
    texts: list[tuple[str, str]] = []
    for table, names in sorted(columns.items()):
        selected = ", ".join(f'"{name}"' for name in names)
        rows = await conn.execute_query_dict(f'SELECT {selected} FROM "{table}"')
        rows_per_table[table] = len(rows)
        for row in rows:
            for name, value in row.items():
                if value is not None:
                    texts.append((f"{table}.{name}", value if isinstance(value, str) else str(value)))
    return rows_per_table, texts


def _plain(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def _log_files(base: Path) -> list[Path]:
    return sorted(path for path in base.rglob("*.log") if path.is_file())


def _scan(sources: Iterable[tuple[str, str]], *, logs: bool = False) -> Counter[str]:
    hits: Counter[str] = Counter()
    for where, text in sources:
        for finding in findings(text, logs=logs):
            hits[f"{where}: {finding}"] += 1
    return hits


async def test_nothing_personal_or_secret_at_rest_in_logs_or_pushes(
    app: object, settings: Settings, session_log: Path, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    rows_per_table, texts = await _database_texts(settings)
    database = _scan(texts)
    log_files = _log_files(tmp_path_factory.getbasetemp())
    assert session_log in log_files
    log_lines = [(f"{path.name}:{n}", line) for path in log_files
                 for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)]
    logs = _scan(log_lines, logs=True)
    payloads = _scan((f"push #{i}", raw.decode(errors="replace"))
                     for i, raw in enumerate(push_service.DELIVERED_PAYLOADS))
    bodies = [(f"notification {n.id}", f"{n.title} {n.body} {n.link}") for n in await Notification.all()]
    notifications = _scan(bodies)
    databases = sorted({table.split(":")[0] for table in rows_per_table if ":" in table})
    scanned = (f"scanned {sum(rows_per_table.values())} rows of {len(rows_per_table)} tables "
               f"(the suite's database{' and ' + ', '.join(databases) if databases else ''}) "
               f"({len(texts)} text values), {len(log_lines)} log lines in {len(log_files)} files "
               f"({', '.join(p.name for p in log_files)}), {len(push_service.DELIVERED_PAYLOADS)} push payloads, "
               f"{len(bodies)} notification bodies")
    found = database + logs + payloads + notifications
    assert not found, f"{scanned}; found {sum(found.values())}:\n" + "\n".join(
        f"{count}× {what}" for what, count in found.most_common(40))
    print(scanned)
