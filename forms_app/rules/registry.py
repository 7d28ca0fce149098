"""Definitions stored in forms.db: every loaded version kept, the latest used for new submissions."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable

from form_definitions import Definition, DefinitionError, Problem, check_paths
from form_definitions.model import build
from forms_app.data import audit
from forms_app.data import definitions as data
from forms_app.data.clock import stamp
from forms_app.data.connection import Database, write
from forms_app.rules import windows

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
    would change content (VersionClash): a new content needs a new version number. A new version
    gets the default windows of its schedule (a window an admin already set is kept).
    """
    definitions, problems = check_paths(paths)
    if problems:
        raise DefinitionError(problems)
    outcome = []
    with write(db):
        for definition in definitions:
            stored = data.stored_hash(db, definition.id, definition.version)
            if stored is not None:
                if stored[0] != definition.sha256:
                    raise VersionClash(definition)
                outcome.append((definition.id, definition.version, False))
                continue
            data.store(db, definition, stamp())
            windows.add_default_windows(db, definition, definition.schedule.years)
            audit.record(db, actor, "definition_loaded", form_id=definition.id, detail={
                "version": definition.version, "sha256": definition.sha256, "file": definition.file})
            outcome.append((definition.id, definition.version, True))
    return outcome


def definition(db: Database, form_id: str, version: int | None = None) -> Definition | None:
    """A stored definition (the latest version when none is given), built once per content hash.

    Only the hash is read on every call; the definition's text (tens of kilobytes) only the first time.
    """
    stored = data.stored_hash(db, form_id, version)
    if stored is None:
        return None
    sha, version = stored
    cached = _cache.get(sha)
    if cached is not None:
        return cached
    source = data.source(db, form_id, version)
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
    found = [definition(db, form_id) for form_id in data.form_ids(db)]
    return sorted((d for d in found if d), key=lambda d: (len(d.requires), d.id))


__all__ = ["Problem", "VersionClash", "definition", "latest_definitions", "load_definitions_into"]
