"""The layout the README's architecture section describes, held by the code itself: imports go
api → services → models (nothing below imports above), the shared modules import neither, the
readers never import the writers, and a long module says why it is long."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
SHARED = ("app.auth", "app.pagination", "app.problems", "app.config", "app.db")
MODULE_LINES_MAX = 400
# A module longer than MODULE_LINES_MAX states why at its top, in a line starting so.
LONG_REASON = "Why this module is long:"


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_imports(path: Path) -> set[str]:
    """Every app.* module the file imports, at any depth (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if m == "app" or m.startswith("app.")}


MODULES = {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def within(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


# (importer, what it may not import)
RULES = [
    (("app.models",), ("app.services", "app.api", "app.main", "app.cli", *SHARED[:2])),
    (SHARED, ("app.services", "app.api", "app.main", "app.cli")),
    (("app.services",), ("app.api", "app.main", "app.cli")),
    (("app.api",), ("app.main", "app.cli")),
    (
        ("app.services.catalog", "app.services.search", "app.services.text"),
        ("app.services.curation", "app.services.loading", "app.services.annotations.writes"),
    ),
    (("app.services.annotations.reads",), ("app.services.annotations.writes",)),
]


def test_the_layout_holds_every_capability_package() -> None:
    packages = sorted(m for m, p in MODULES.items() if p.name == "__init__.py")
    assert packages == [
        "app",
        "app.api",
        "app.models",
        "app.services",
        "app.services.access",
        "app.services.annotations",
        "app.services.catalog",
        "app.services.curation",
        "app.services.loading",
        "app.services.search",
        "app.services.text",
    ]
    for name in packages[2:]:
        doc = ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8")))
        assert doc and len(doc) > 150, f"{name} needs a docstring saying what belongs there"


@pytest.mark.parametrize(("importers", "forbidden"), RULES, ids=lambda v: "+".join(v))
def test_imports_go_one_way(importers: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    offenders = {
        module: sorted(m for m in app_imports(path) if within(m, *forbidden))
        for module, path in MODULES.items()
        if within(module, *importers)
    }
    assert {m: bad for m, bad in offenders.items() if bad} == {}


def test_no_two_modules_share_a_name_within_app_services() -> None:
    stems: dict[str, list[str]] = {}
    for module, path in MODULES.items():
        if within(module, "app.services") and path.name != "__init__.py":
            stems.setdefault(path.stem, []).append(module)
    assert {s: ms for s, ms in stems.items() if len(ms) > 1} == {}


def test_long_modules_say_why() -> None:
    unexplained = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MODULE_LINES_MAX:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if LONG_REASON not in doc:
                unexplained.append(module)
    assert unexplained == []


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    """The import walk finds imports inside functions too, so a rule cannot pass by accident."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from app.models import Person\n"
        "def f():\n"
        "    from app.api import http\n"
        "    import app.main\n",
        encoding="utf-8",
    )
    assert app_imports(sample) == {
        "app.models",
        "app.models.Person",
        "app.api",
        "app.api.http",
        "app.main",
    }
    assert within("app.api.http", "app.api") and not within("app.apis", "app.api")


def test_only_the_http_layer_serialises_and_tags_representations() -> None:
    """One function makes a representation's bytes and one its ETag, both in app/api/http.py;
    services check preconditions through the object the API hands them."""
    defined: dict[str, list[str]] = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and (
                "etag" in node.name.lower() or node.name == "representation"
            ):
                defined.setdefault(node.name, []).append(module)
    assert defined == {"etag_of": ["app.api.http"], "representation": ["app.api.http"]}


FUNCTION_LINES_MAX = 60


def test_no_function_outgrows_a_readers_head() -> None:
    """Functions (signature and docstring included) stay within FUNCTION_LINES_MAX lines."""
    too_long = {}
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > FUNCTION_LINES_MAX:
                    too_long[f"{module}.{node.name}"] = length
    assert too_long == {}
