"""The shape of the code holds: imports follow the data, forms_app's three layers stay apart, no circle, short functions.

form_definitions ← scoring ← exports ← forms_app; inside forms_app: adapters → rules → data.
Each rule is shown to catch its violation on a small tree written in tmp_path.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("form_definitions", "scoring", "exports", "forms_app")
WEB = {"flask", "flask_wtf", "flask_babel", "wtforms", "werkzeug"}
SQLITE = {"sqlite_utils", "sqlite3"}
FORBIDDEN = {
    "form_definitions": WEB | SQLITE | {"datasette", "scoring", "exports", "forms_app"},
    "scoring": WEB | SQLITE | {"datasette", "exports", "forms_app"},
    "exports": WEB | {"sqlite_utils", "forms_app"},
}
# What forms_app's layers may import of each other, by module-name prefix.
LAYER_RULES = {
    "forms_app.data": {"forbidden": ("forms_app.rules", "forms_app.adapters")},
    "forms_app.rules": {"forbidden": ("forms_app.adapters", *sorted(WEB), *sorted(SQLITE), "datasette")},
    "forms_app.adapters": {"forbidden": ("sqlite3", "sqlite_utils")},
}
# The data modules adapters may use directly (connections, the clock, the data directory, Datasette's metadata and
# canned SQL, whole-database backup): everything else of the data layer is reached through the rules.
ADAPTERS_MAY_IMPORT = ("forms_app.data.connection", "forms_app.data.clock", "forms_app.data.directory",
                       "forms_app.data.text", "forms_app.data.descriptions", "forms_app.data.reviewer_queries",
                       "forms_app.data.reviewer_access", "forms_app.data.maintenance")
SQL = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
                 r"|\b(CREATE|DROP)\s+(UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b|\bALTER\s+TABLE\b|\bPRAGMA\s+\w+"
                 r"|^\s*(BEGIN|COMMIT|ROLLBACK|ANALYZE)\b")
MAX_FUNCTION_LINES = 60


# The walkers

def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """{dotted name: file} of every module of the packages under `root`."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def imports(path: Path, name: str, known: set[str] | None = None) -> set[str]:
    """The modules a file imports, wherever the import stands (functions included), relative imports resolved.

    `from package import name` counts as importing `package.name` when that is a module in `known`.
    """
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names if known and f"{base}.{alias.name}" in known]
            found.update(targets or [base])
    return found


def top_level(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def layer_violations(root: Path) -> list[str]:
    """Every import that crosses forms_app's layers the wrong way."""
    known = modules(root, ("forms_app",))
    problems = []
    for name, path in known.items():
        imported = imports(path, name, set(known))
        for layer, rule in LAYER_RULES.items():
            if not (name == layer or name.startswith(layer + ".")):
                continue
            for target in sorted(imported):
                if any(target == f or target.startswith(f + ".") for f in rule["forbidden"]):
                    problems.append(f"{name} imports {target}")
                if (layer == "forms_app.adapters" and target.startswith("forms_app.data.")
                        and not target.startswith(ADAPTERS_MAY_IMPORT)):
                    problems.append(f"{name} imports {target} (adapters reach the data layer through the rules)")
    return problems


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def sql_strings(path: Path) -> list[str]:
    """The string literals of a file (docstrings aside) that hold SQL."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    skip = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            if SQL.search(node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
    return found


def cycles(root: Path, packages=PACKAGES) -> list[list[str]]:
    """Every import circle among the project's modules (function-level imports count)."""
    known = modules(root, packages)
    graph = {name: {t for t in imports(path, name, set(known)) if t in known and t != name}
             for name, path in known.items()}
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def long_functions(root: Path, packages=PACKAGES, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Functions longer than `limit` lines, migrations aside."""
    found = []
    for name, path in modules(root, packages).items():
        if ".migrations" in name:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append(f"{name}.{node.name}: {length} lines")
    return found


# The rules, on the project

@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_what_its_layer_allows(package):
    offenders = {}
    for name, path in modules(ROOT, (package,)).items():
        bad = top_level(imports(path, name)) & FORBIDDEN[package]
        if bad:
            offenders[name] = sorted(bad)
    assert offenders == {}


def test_forms_app_has_the_three_layers():
    for layer in ("data", "rules", "adapters"):
        assert (ROOT / "forms_app" / layer / "__init__.py").exists(), layer
    flat = sorted(p.name for p in (ROOT / "forms_app").glob("*.py") if p.name != "__init__.py")
    assert flat == []


def test_the_layers_of_forms_app_import_one_way():
    assert layer_violations(ROOT) == []


def test_no_sql_outside_the_data_layer():
    offenders = []
    for layer in ("rules", "adapters"):
        for path in sorted((ROOT / "forms_app" / layer).rglob("*.py")):
            offenders += sql_strings(path)
    assert offenders == []


def test_no_import_circle_anywhere():
    assert cycles(ROOT) == []


def test_no_function_over_sixty_lines():
    assert long_functions(ROOT) == []


# The rules catch what they are for

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    for folder in ("forms_app", "forms_app/data", "forms_app/rules", "forms_app/adapters"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "__init__.py").touch()
    return tmp_path


def test_a_blueprint_gaining_an_sql_string_is_caught(tmp_path):
    root = _tree(tmp_path, {"forms_app/adapters/page.py": (
        '"""A page."""\n\ndef view(db):\n    """SELECT nothing FROM the docstring."""\n'
        '    return db.execute("SELECT name FROM units WHERE code = ?", ["A"])\n')})
    found = sql_strings(root / "forms_app/adapters/page.py")
    assert len(found) == 1 and "SELECT name FROM units" in found[0]


def test_sql_in_an_f_string_and_a_transaction_statement_are_caught(tmp_path):
    root = _tree(tmp_path, {"forms_app/rules/rule.py": (
        'def go(db, table):\n    db.execute(f"DELETE FROM {table}")\n    db.execute("BEGIN IMMEDIATE")\n'
        '    return "Hãy chọn (SELECT) một đơn vị"\n')})
    assert len(sql_strings(root / "forms_app/rules/rule.py")) == 2


def test_a_rules_module_importing_flask_is_caught(tmp_path):
    root = _tree(tmp_path, {"forms_app/rules/rule.py": "def f():\n    from flask import g\n    return g\n",
                            "forms_app/data/table.py": "import sqlite3\n"})
    assert layer_violations(root) == ["forms_app.rules.rule imports flask"]


def test_data_importing_a_rule_and_an_adapter_reaching_a_table_module_are_caught(tmp_path):
    root = _tree(tmp_path, {"forms_app/data/table.py": "from forms_app.rules import rule\n",
                            "forms_app/rules/rule.py": "X = 1\n",
                            "forms_app/adapters/page.py": "from forms_app.data import clock, table\n",
                            "forms_app/data/clock.py": "X = 1\n"})
    assert layer_violations(root) == [
        "forms_app.adapters.page imports forms_app.data.table (adapters reach the data layer through the rules)",
        "forms_app.data.table imports forms_app.rules.rule",
    ]


def test_a_circle_through_a_function_level_import_is_caught(tmp_path):
    root = _tree(tmp_path, {"forms_app/rules/a.py": "from forms_app.rules import b\n",
                            "forms_app/rules/b.py": "def f():\n    from . import a\n    return a\n",
                            "forms_app/rules/c.py": "from forms_app.rules import a\n"})
    assert cycles(root, ("forms_app",)) == [["forms_app.rules.a", "forms_app.rules.b", "forms_app.rules.a"]]


def test_a_long_function_is_caught_but_not_a_migration(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(61))
    root = _tree(tmp_path, {"forms_app/rules/long.py": f"def long():\n{body}",
                            "forms_app/data/migrations/m.py": f"def m001():\n{body}"})
    assert long_functions(root, ("forms_app",)) == ["forms_app.rules.long.long: 62 lines"]


def test_the_import_walk_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import flask\n    from sqlite_utils import Database\n")
    assert top_level(imports(sample, "sample")) == {"flask", "sqlite_utils"}


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


def test_a_worker_of_the_web_app_leaves_spreadsheets_qr_codes_and_schema_checks_unimported(tmp_path):
    """Each worker of `forms-app serve` holds what it imported: openpyxl, segno and jsonschema (~16 MB together, with
    the imaging library openpyxl brings) are imported by the first spreadsheet, certificate or definition check a
    process makes, not by every worker as it starts (the server's memory target at national scale is 300 MB)."""
    import subprocess
    import sys

    from forms_app.data import connection

    connection.migrate(tmp_path)
    code = (
        "import sys\n"
        "from forms_app.adapters.wsgi import create_wsgi\n"
        f"create_wsgi({str(tmp_path)!r})\n"
        "loaded = [m for m in ('openpyxl', 'segno', 'jsonschema', 'PIL') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "import exports.tables, exports.certificate, form_definitions.schema_check as schema\n"
        "exports.tables.xlsx_bytes([('a', ['x'], [[1]])]); exports.certificate.qr_data_uri('https://a.vn/x')\n"
        "schema.check_schema({}, 'f.json')\n"
        "assert all(m in sys.modules for m in ('openpyxl', 'segno', 'jsonschema')), 'imported when used'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_schema_sql_is_the_schema_the_migrations_build():
    from forms_app.data.migrations import schema_sql

    snapshot = (ROOT / "forms_app" / "data" / "schema.sql").read_text("utf-8")
    assert snapshot == schema_sql(), "regenerate: python -m forms_app.data.migrations > forms_app/data/schema.sql"
