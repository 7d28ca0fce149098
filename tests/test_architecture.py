"""Imports follow the data: form_definitions ← scoring ← exports ← forms_app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "form_definitions": {"flask", "flask_wtf", "flask_babel", "wtforms", "sqlite_utils", "datasette", "sqlite3",
                         "scoring", "exports", "forms_app"},
    "scoring": {"flask", "flask_wtf", "flask_babel", "wtforms", "sqlite_utils", "datasette", "sqlite3",
                "exports", "forms_app"},
    "exports": {"flask", "flask_wtf", "flask_babel", "wtforms", "sqlite_utils", "forms_app"},
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, wherever the import stands (functions included)."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_its_layer_allows(package):
    offenders = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_modules(path) & FORBIDDEN[package]
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_import_walk_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import flask\n    from sqlite_utils import Database\n")
    assert imported_modules(sample) == {"flask", "sqlite_utils"}


def test_scoring_runs_without_flask_or_sqlite_utils_loaded():
    import subprocess
    import sys

    code = (
        "import sys, scoring, form_definitions, exports.score_text\n"
        "from form_definitions import load_definitions\n"
        "d = [x for x in load_definitions() if x.id == 'tu-danh-gia-3-chu-dong'][0]\n"
        "scoring.score(d, {})\n"
        "bad = [m for m in ('flask', 'sqlite_utils', 'wtforms', 'datasette') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
