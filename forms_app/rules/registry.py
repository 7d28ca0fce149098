"""Definitions stored in forms.db: every loaded version kept, the latest used for new submissions."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable

from sqlite_utils import Database

from form_definitions import Definition, DefinitionError, Problem, check_paths
from form_definitions.model import build

from forms_app.data.connection import write
from forms_app.data.clock import stamp

_cache: dict[str, Definition] = {}
_lock = threading.Lock()


class VersionClash(Exception):
    """A definition with an id and version already loaded, but different content."""

    def __init__(self, definition: Definition):
        super().__init__(f"{definition.id} v{definition.version}")
        self.definition = definition


def load_definitions_into(db: Database, paths: list[Path], actor: str = "system") -> list[tuple[str, int, bool]]:
    """Check the definitions under `paths` and store the new versions; (id, version, added) for each.

    Nothing is stored when any definition is invalid (DefinitionError) or when a stored version
    would change content (VersionClash): a new content needs a new version number.
    """
    definitions, problems = check_paths(paths)
    if problems:
        raise DefinitionError(problems)
    outcome = []
    with write(db):
        for definition in definitions:
            row = db.execute(
                "SELECT sha256 FROM form_versions WHERE form_id = ? AND version = ?", [definition.id, definition.version]
            ).fetchone()
            if row is not None:
                if row[0] != definition.sha256:
                    raise VersionClash(definition)
                outcome.append((definition.id, definition.version, False))
                continue
            _store(db, definition)
            _add_cycles(db, definition)
            db["audit_log"].insert({
                "at": stamp(), "actor": actor, "action": "definition_loaded", "form_id": definition.id,
                "detail": json.dumps({"version": definition.version, "sha256": definition.sha256, "file": definition.file}),
            })
            outcome.append((definition.id, definition.version, True))
    return outcome


def _store(db: Database, definition: Definition) -> None:
    lang = definition.default_language
    db["form_versions"].insert({
        "form_id": definition.id, "version": definition.version, "sha256": definition.sha256,
        "title": definition.title.get(lang), "max_total": definition.maximum,
        "definition": definition.source, "loaded_at": stamp(),
    })
    db["questions"].insert_all({
        "form_id": definition.id, "version": definition.version, "question_id": q.id, "position": q.index,
        "section_id": q.section, "criterion": q.criterion, "type": q.type, "label": q.label.get(lang),
        "max_points": q.maximum,
    } for q in definition.questions)
    db["criteria"].insert_all({
        "form_id": definition.id, "version": definition.version, "criterion": c.id, "label": c.label.get(lang),
    } for c in definition.criteria)


def _add_cycles(db: Database, definition: Definition) -> None:
    """Default windows for the years of the schedule; a window an admin already set is kept."""
    for year in definition.schedule.years:
        opens, closes = definition.schedule.window(year)
        db.execute(
            "INSERT OR IGNORE INTO cycles (form_id, cycle_year, opens, closes) VALUES (?, ?, ?, ?)",
            [definition.id, year, opens.isoformat(), closes.isoformat()],
        )


def definition(db: Database, form_id: str, version: int | None = None) -> Definition | None:
    """A stored definition (the latest version when none is given), built once per content hash.

    Only the hash is read on every call; the definition's text (tens of kilobytes) only the first time.
    """
    if version is None:
        row = db.execute(
            "SELECT sha256, version FROM form_versions WHERE form_id = ? ORDER BY version DESC LIMIT 1", [form_id]
        ).fetchone()
    else:
        row = db.execute(
            "SELECT sha256, version FROM form_versions WHERE form_id = ? AND version = ?", [form_id, version]
        ).fetchone()
    if row is None:
        return None
    sha, version = row
    cached = _cache.get(sha)
    if cached is not None:
        return cached
    source = db.execute("SELECT definition FROM form_versions WHERE form_id = ? AND version = ?",
                        [form_id, version]).fetchone()[0]
    with _lock:
        cached = _cache.get(sha)
        if cached is None:
            document = json.loads(source)
            cached = _cache[sha] = build(document, f"forms.db:{document['id']}@{document['version']}")
    return cached


_built: dict[tuple, Any] = {}


def built_once(kind: str, definition: Definition, lang: str, build: Callable[[Definition, str], Any]) -> Any:
    """`build(definition, lang)`, worked out once per definition version (content hash) and language.

    For what depends only on them and costs time on every request: the form class, the rule texts.
    """
    key = (kind, definition.sha256, definition.id, definition.version, lang)
    found = _built.get(key)
    if found is None:
        found = _built[key] = build(definition, lang)
    return found


def latest_definitions(db: Database) -> list[Definition]:
    """The latest version of every stored form, registration-like forms (no `requires`) first."""
    ids = [row[0] for row in db.execute("SELECT DISTINCT form_id FROM form_versions ORDER BY form_id")]
    found = [definition(db, form_id) for form_id in ids]
    return sorted((d for d in found if d), key=lambda d: (len(d.requires), d.id))


__all__ = ["Problem", "VersionClash", "definition", "latest_definitions", "load_definitions_into"]
