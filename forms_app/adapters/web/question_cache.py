"""The form page's questions, rendered once per definition version, language and read-only state.

They were most of the page's cost (a macro each, gettext inside). What a question shows depends on those three except
a few values: each is rendered once by `fill/_question.html` with slots (SLOT) where a request's values go — the
hidden mark of a question a condition hides, a field's value, each checked choice, a kept file, the hint's end — and
filled per request, so that the page is the one the macro writes (tests/test_page_cache.py compares them).
"""

from __future__ import annotations

import re

from flask import current_app, render_template_string, url_for
from markupsafe import Markup, escape

from forms_app.rules import registry
from forms_app.rules.unit_form import UnitForm

SLOT = re.compile("\ue000([a-z]+(?::\\d+)?)\ue001")  # private-use characters: no text holds them, no filter strips them
QUESTION_END = "\ue002"
_SKELETON_PAGE = (
    '{% from "fill/_question.html" import question_block with context %}'
    "{% for q in questions %}{{ question_block(q, form[q.id], {}, {}, {}, rules, {}, conditions, readonly, lang) }}"
    + QUESTION_END + "{% endfor %}")


def _slot(name: str, index: int | None = None) -> str:
    return f"\ue000{name}{'' if index is None else f':{index}'}\ue001"


def prepared(form: UnitForm, page, *, errors: dict, live: dict, shown: dict, files: dict, described: dict,
             readonly: bool, lang: str, rules: dict, conditions: dict) -> dict[str, Markup]:
    """{question id: its HTML} for `fill/form.html`: every question but those with an error beside it or an answer
    above its whole (the template's macro writes those), from skeletons built once per definition version,
    language and read-only state."""
    definition = form.definition
    kind = "question_skeletons_readonly" if readonly else "question_skeletons"
    skeletons = registry.built_once(kind, definition, lang,
                                    lambda d, lang: _skeletons(form, page, live, readonly, lang, rules, conditions))
    html = {}
    for question, field in page.question_fields():
        parts = skeletons.get(question.id)
        if parts is None or errors.get(question.id) or (not readonly and (live.get(question.id) or {}).get("error")):
            continue
        kept = described.get(files.get(question.id) or "") if question.type == "file" else None
        html[question.id] = Markup("".join(_filled(parts, question, field, shown, files.get(question.id), kept,
                                                   skeletons)))
    return html


def _filled(parts: list[str], question, field, shown: dict, token: str | None, kept: dict | None, skeletons: dict):
    """The skeleton's text with this request's values in its slots (as `fill/_question.html` would write them)."""
    selected = None
    for i, part in enumerate(parts):
        if i % 2 == 0:
            yield part
        elif part == "hidden":
            yield "" if shown[question.id] else " data-hidden"
        elif part == "value":
            yield escape(field._value())
        elif part == "kept":  # a file kept from an earlier save
            if kept:
                yield from _filled_file(skeletons[("kept", question.id)], token, kept)
        elif part == "again":
            yield skeletons["choose_again"] if token else ""
        else:  # checked:<index of the choice>
            if selected is None:
                selected = field.data if field.data is not None else ([] if question.type == "multi_choice" else "")
            value = field.choices[int(part.split(":")[1])].value
            checked = (value in selected) if question.type == "multi_choice" else (value == selected)
            yield " checked" if checked else ""


def _filled_file(parts: list[str], token: str, kept: dict):
    values = {"href": escape(url_for("fill.download", token=token)), "token": escape(token),
              "name": escape(kept["original_name"]), "kb": str(int(round(kept["size"] / 1024, 0)))}
    for i, part in enumerate(parts):
        yield part if i % 2 == 0 else values[part]


def _skeletons(form: UnitForm, page, live: dict, readonly: bool, lang: str, rules: dict, conditions: dict) -> dict:
    """Each question rendered by `fill/_question.html` with slots, split into [text, slot, text, …]; for each file
    question its kept file the same way (under ("kept", id)), and the hint's end for a kept file."""
    definition = form.definition
    marked = type(page)(formdata=None, data={q.id: _slot("value") for q in definition.questions if q.type != "file"},
                        meta={"csrf": False})
    html = render_template_string(
        _SKELETON_PAGE, questions=definition.questions, form=marked, ctx=form, rules=rules,
        conditions=conditions, readonly=readonly, lang=lang, slot=_slot,
        live={qid: {**check, "error": None} for qid, check in live.items()})
    rendered = html.split(QUESTION_END)[:-1]  # what follows the last question's end is nothing
    skeletons: dict = {q.id: SLOT.split(text) for q, text in zip(definition.questions, rendered, strict=True)}
    macros = current_app.jinja_env.get_template("fill/_question.html").module
    href = str(escape(url_for("fill.download", token=_slot("token"))))  # the marker, quoted in the address
    for question in (q for q in definition.questions if q.type == "file"):
        kept = str(macros.kept_file(question, _slot("token"), _slot("name"), _slot("kb"), readonly))
        skeletons[("kept", question.id)] = SLOT.split(kept.replace(href, _slot("href")))
    skeletons["choose_again"] = str(macros.choose_again())
    return skeletons
