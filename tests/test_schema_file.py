"""The committed schema.graphql is the contract; it must match the code."""

from backend.schema import build_schema
from backend.settings import REPO_ROOT, load_settings


def test_committed_schema_is_current() -> None:
    committed = (REPO_ROOT / "schema.graphql").read_text(encoding="utf-8")
    current = build_schema(load_settings({})).as_str() + "\n"
    assert committed == current, "schema.graphql is stale: run `make schema` and commit it"
