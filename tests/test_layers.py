"""The layers import only downwards: the domain (backend/services) never reaches for GraphQL, HTTP
or the identity adapter, and python-jose stays in the one JWS module."""

from __future__ import annotations

import ast
from pathlib import Path

from backend.settings import REPO_ROOT

SERVICES = REPO_ROOT / "backend" / "services"
FORBIDDEN_IN_SERVICES = ("strawberry", "starlette", "backend.schema", "backend.resolvers", "backend.auth",
                         "backend.app", "backend.uploads_http", "backend.static")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if ".venv" not in p.parts and "node_modules" not in p.parts)


def test_services_import_no_adapter() -> None:
    offending = [f"{path.relative_to(REPO_ROOT)}:{line} imports {module}"
                 for path in _python_files(SERVICES)
                 for line, module in _imports(path)
                 if any(_is_under(module, banned) for banned in FORBIDDEN_IN_SERVICES)]
    assert offending == []


def test_python_jose_is_imported_in_one_module() -> None:
    importers = {str(path.relative_to(REPO_ROOT))
                 for folder in ("backend", "notifications")
                 for path in _python_files(REPO_ROOT / folder)
                 if any(_is_under(module, "jose") for _, module in _imports(path))}
    assert importers == {"backend/jws.py"}


def test_every_service_package_says_what_it_is() -> None:
    packages = [p for p in SERVICES.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    assert packages, "backend/services has no context packages"
    undocumented = [p.name for p in packages if ast.get_docstring(ast.parse((p / "__init__.py").read_text())) is None]
    assert undocumented == []
    # Two lines: what the context is, and its modules, each named (a newcomer finds any behaviour in one hop).
    for package in packages:
        lines = ast.get_docstring(ast.parse((package / "__init__.py").read_text())).splitlines()  # type: ignore[union-attr]
        assert len(lines) == 2, f"backend/services/{package.name}/__init__.py: {len(lines)} lines, not 2"
        modules = {m.stem for m in package.glob("*.py")} - {"__init__"}
        unnamed = sorted(m for m in modules if m not in lines[1])
        assert unnamed == [], f"backend/services/{package.name}/__init__.py does not name {unnamed}"
