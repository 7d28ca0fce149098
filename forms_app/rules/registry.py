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
from forms_app.rules import messages, windows

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
_building = threading.RLock()  # re-entered: a build may ask for another (the page's skeletons ask for the rule texts)


def built_once(kind: str, definition: Definition, lang: str, build: Callable[[Definition, str], Any]) -> Any:
    """`build(definition, lang)`, worked out once per definition version (content hash) and language.

    For what depends only on them and costs time on every request: the form class, the rule texts, the conditions
    and the form page's questions. One thread builds while the others of a just-started worker wait for it, instead
    of each building the same thing at once.
    """
    key = (kind, definition.sha256, definition.id, definition.version, lang)
    found = _built.get(key)
    if found is None:
        with _building:
            found = _built.get(key)
            if found is None:
                found = _built[key] = build(definition, lang)
    return found


def latest_definitions(db: Database) -> list[Definition]:
    """The latest version of every stored form, registration-like forms (no `requires`) first."""
    found = [definition(db, form_id) for form_id in data.form_ids(db)]
    return sorted((d for d in found if d), key=lambda d: (len(d.requires), d.id))


# What a form is, read from its definition, never from its id: scored (a `result`), issuing certificates
# (`result.certificate`), requiring another first (`requires`).

FORM_MESSAGES = {
    "no_scored_form": {
        "vi": "Chưa có biểu mẫu nào được chấm điểm (định nghĩa có \"result\"); các biểu mẫu đã nạp: {forms}.",
        "en": "No form is scored (a definition with \"result\"); the loaded forms: {forms}."},
    "several_scored_forms": {
        "vi": "Có nhiều biểu mẫu được chấm điểm: {forms}; hãy chọn một bằng mã của nó (--form).",
        "en": "Several forms are scored: {forms}; choose one by its id (--form)."},
    "no_certificate_form": {
        "vi": "Không biểu mẫu nào cấp giấy chứng nhận (định nghĩa có \"result.certificate\"); các biểu mẫu đã nạp: {forms}.",
        "en": "No form issues certificates (a definition with \"result.certificate\"); the loaded forms: {forms}."},
    "several_certificate_forms": {
        "vi": "Có nhiều biểu mẫu cấp giấy chứng nhận: {forms}; hãy chọn một bằng mã của nó (--form).",
        "en": "Several forms issue certificates: {forms}; choose one by its id (--form)."},
    "unknown_form": {
        "vi": "Không có biểu mẫu \"{form}\"; các biểu mẫu đã nạp: {forms}.",
        "en": "There is no form \"{form}\"; the loaded forms: {forms}."},
    "not_scored": {
        "vi": "Biểu mẫu \"{form}\" không được chấm điểm (định nghĩa không có \"result\"); biểu mẫu được chấm điểm: {forms}.",
        "en": "The form \"{form}\" is not scored (its definition has no \"result\"); the scored forms: {forms}."},
    "not_certificate": {
        "vi": "Biểu mẫu \"{form}\" không cấp giấy chứng nhận (định nghĩa không có \"result.certificate\"); "
              "biểu mẫu cấp giấy chứng nhận: {forms}.",
        "en": "The form \"{form}\" issues no certificate (its definition has no \"result.certificate\"); "
              "the forms that do: {forms}."},
}


class FormChoice(Exception):
    """A form could not be chosen: none or several of the kind asked for, an unknown id, or a form of another kind."""

    def __init__(self, code: str, form: str | None = None, forms: list[Definition] | tuple = ()):
        super().__init__(code, form)
        self.code, self.form, self.forms = code, form, list(forms)

    def message(self, lang: str = "vi") -> str:
        """One sentence in `lang`, naming the forms (title and id) that could be chosen."""
        listing = "; ".join(f"{d.title.get(lang)} ({d.id})" for d in self.forms) or "—"
        return messages.text(FORM_MESSAGES, self.code, lang, form=self.form or "", forms=listing)


def scored_forms(db: Database) -> list[Definition]:
    """The latest version of every form whose answers are scored (its definition has a `result`)."""
    return [d for d in latest_definitions(db) if d.scored]


def certificate_forms(db: Database) -> list[Definition]:
    """The latest version of every form on which a recognised unit gets a certificate (`result.certificate`)."""
    return [d for d in latest_definitions(db) if d.certificate_title is not None]


def the_scored_form(db: Database, form_id: str | None = None) -> Definition:
    """The scored form `form_id` (latest version), or the only scored form when none is given; FormChoice otherwise."""
    return _the_form(db, form_id, scored_forms(db), "scored")


def the_certificate_form(db: Database, form_id: str | None = None) -> Definition:
    """The certificate-issuing form `form_id`, or the only one when none is given; FormChoice otherwise."""
    return _the_form(db, form_id, certificate_forms(db), "certificate")


def _the_form(db: Database, form_id: str | None, forms: list[Definition], kind: str) -> Definition:
    if form_id is None:
        if len(forms) == 1:
            return forms[0]
        raise FormChoice(f"several_{kind}_forms" if forms else f"no_{kind}_form",
                         forms=forms or latest_definitions(db))
    found = next((d for d in forms if d.id == form_id), None)
    if found is not None:
        return found
    if definition(db, form_id) is None:
        raise FormChoice("unknown_form", form_id, latest_definitions(db))
    raise FormChoice(f"not_{kind}", form_id, forms)


def required_form(db: Database, form: Definition) -> Definition | None:
    """The form that `form` requires first (its first `requires` entry: the registration), or None."""
    return definition(db, form.requires[0]) if form.requires else None


def form_titles(db: Database, lang: str) -> dict[str, str]:
    """{form id: its title in `lang`} for every stored form (latest version): what pages show instead of ids."""
    return {d.id: d.title.get(lang) for d in latest_definitions(db)}


__all__ = ["FormChoice", "Problem", "VersionClash", "certificate_forms", "definition", "form_titles",
           "latest_definitions", "load_definitions_into", "required_form", "scored_forms", "the_certificate_form",
           "the_scored_form"]
