"""The pipeline: file → JSON → schema → semantic checks → immutable model."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from .errors import DefinitionError, Problem
from .model import Definition, build
from .reader import read_file
from .schema_check import check_schema
from .semantic import check_definition, check_together


def shipped_folder() -> Path:
    """The folder of the definitions that ship with the product."""
    return Path(str(resources.files("form_definitions")))


def definition_files(paths: Iterable[Path | str]) -> tuple[list[Path], list[Problem]]:
    """The .json files named, or found directly inside the folders named (schema/ is not searched)."""
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:  # a file named and also inside a folder named is read once
            seen.add(key)
            files.append(path)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                problems.append(Problem("no_definitions", str(path), "$", {}))
            for item in found:
                add(item)
        elif path.exists():
            add(path)
        else:
            problems.append(Problem("io.unreadable", str(path), "$", {"reason": "không có tệp hoặc thư mục này / no such file or folder"}))
    return files, problems


def load_file(path: Path, file: str | None = None) -> tuple[Definition | None, list[Problem]]:
    """One definition through every stage up to the model; None with the problems when it fails."""
    definition, problems, _ = _load(path, file or str(path))
    return (None if problems else definition), problems


def _load(path: Path, file: str) -> tuple[Definition | None, list[Problem], Any]:
    """The model (None unless the document passed the schema), the problems, and the parsed document (None when it
    did not parse). A model comes with problems when a semantic check failed."""
    try:
        document, problems = read_file(path, file)
        if problems:
            return None, problems, document
        problems = check_schema(document, file)
        if problems:
            return None, problems, document
        definition = build(document, file)
        problems = check_definition(definition, document)
    except RecursionError:
        return None, [Problem("json.too_deep", file, "$", {})], None
    return definition, problems, document


def check_paths(paths: Iterable[Path | str]) -> tuple[list[Definition], list[Problem]]:
    """Every definition found under `paths`, checked alone and together; the good ones and every problem.

    A definition that fails a semantic check still has its `requires` checked (so every problem of a file shows in
    one run), but a `when` is only checked against required forms that passed their own checks.
    """
    files, problems = definition_files(paths)
    models: list[Definition] = []
    failed: set[str] = set()
    broken_ids: set[str] = set()
    for path in files:
        definition, found, document = _load(path, str(path))
        problems.extend(found)
        if definition is not None:
            models.append(definition)
            if found:
                failed.add(definition.file)
        elif isinstance(document, dict) and isinstance(document.get("id"), str):
            broken_ids.add(document["id"])  # exists, though broken: `requires` naming it is not also wrong
    problems.extend(check_together(models, also_known=broken_ids, failed_files=failed))
    return [d for d in models if d.file not in failed], problems


def load_definitions(paths: Iterable[Path | str] | None = None) -> list[Definition]:
    """All definitions under `paths` (default: the shipped ones), or DefinitionError with every problem."""
    definitions, problems = check_paths(paths or [shipped_folder()])
    if problems:
        raise DefinitionError(problems)
    return definitions
