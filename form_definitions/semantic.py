"""Stage 3: the rules a JSON Schema cannot express, each a small named check yielding Problems."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Iterator, Mapping

from .errors import Bilingual, Problem, json_path, show
from .model import CHOICE_TYPES, NUMERIC_TYPES, Condition, Definition, Question, Requirement, accepted

Check = Callable[[Definition, Mapping], Iterator[Problem]]

LOCALIZED_KEYS = ("title", "description", "label", "help", "unit")


def check_duplicate_ids(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Section and question ids share one namespace per form."""
    first: dict[str, str] = {}
    for section in definition.sections:
        for item_id, path in [(section.id, section.path)] + [(q.id, q.path) for q in section.questions]:
            if item_id in first:
                yield Problem("duplicate_id", definition.file, f"{path}.id", {"id": item_id, "first": first[item_id]})
            else:
                first[item_id] = path


def check_references(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """`visible_if` and `ratio_to` may only name earlier questions, of a fitting type."""
    by_id = _by_id(definition)
    for q in definition.questions:
        if q.ratio_to is not None:
            where = f"{q.path}.points.ratio_to"
            target = by_id.get(q.ratio_to)
            if q.ratio_to == q.id:
                yield Problem("ratio_to_self", definition.file, where, {})
            elif target is None:
                yield Problem("unknown_question", definition.file, where, {"id": q.ratio_to})
            elif target.index >= q.index:
                yield Problem("not_earlier", definition.file, where, {"id": q.ratio_to})
            elif target.type not in NUMERIC_TYPES:
                yield Problem("ratio_to_wrong_type", definition.file, where, {"id": target.id, "type": target.type})
        if q.visible_if is None:
            continue
        for leaf, path in _leaves(q.visible_if, f"{q.path}.visible_if"):
            target = by_id.get(leaf.question)
            if target is None:
                yield Problem("unknown_question", definition.file, f"{path}.question", {"id": leaf.question})
            elif target.index >= q.index:
                yield Problem("not_earlier", definition.file, f"{path}.question", {"id": leaf.question})
            else:
                yield from _check_leaf(definition.file, leaf, target, path)


def check_at_most(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Format 1.1: `at_most` names an earlier integer or number question, not the question itself."""
    by_id = _by_id(definition)
    for q in definition.questions:
        if q.at_most is None:
            continue
        where, target = f"{q.path}.at_most", by_id.get(q.at_most)
        if q.at_most == q.id:
            yield Problem("at_most_self", definition.file, where, {})
        elif target is None:
            yield Problem("unknown_question", definition.file, where, {"id": q.at_most})
        elif target.index >= q.index:
            yield Problem("not_earlier", definition.file, where, {"id": q.at_most})
        elif target.type not in NUMERIC_TYPES:
            yield Problem("at_most_wrong_type", definition.file, where, {"id": target.id, "type": target.type})


def check_evidence(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Format 1.1: `evidence` names another question of the form, of type `file`, on a question that has points."""
    by_id = _by_id(definition)
    for q in definition.questions:
        if q.evidence is None:
            continue
        where, target = f"{q.path}.evidence", by_id.get(q.evidence)
        if q.evidence == q.id:
            yield Problem("evidence_self", definition.file, where, {})
        elif target is None:
            yield Problem("evidence_unknown", definition.file, where, {"id": q.evidence})
        elif target.type != "file":
            yield Problem("evidence_not_file", definition.file, where, {"id": target.id, "type": target.type})
        elif not q.has_rule:
            yield Problem("evidence_without_points", definition.file, where, {"id": target.id})


def check_if_zero_denominator(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Format 1.1: `if_zero_denominator` belongs to a `ratio_to` rule (its value is the schema's business)."""
    for q, raw_q in _raw_questions(definition, raw):
        points = raw_q.get("points")
        if isinstance(points, dict) and "if_zero_denominator" in points and "ratio_to" not in points:
            yield Problem("if_zero_denominator_without_ratio", definition.file, f"{q.path}.points.if_zero_denominator",
                          {"value": show(points["if_zero_denominator"])})


def check_accept(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Format 1.1: ".PDF" and "pdf" are one extension, so listing both is a repetition."""
    for q, raw_q in _raw_questions(definition, raw):
        if q.type != "file":
            continue
        first: dict[str, str] = {}
        for i, written in enumerate(raw_q["accept"]):
            extension, where = accepted([written])[0], f"{q.path}.accept[{i}]"
            if extension in first:
                yield Problem("duplicate_extension", definition.file, where,
                              {"value": show(written), "extension": extension, "first": first[extension]})
            else:
                first[extension] = where


def check_requirements(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """A form is named once in `requires`, whether as an id or as {"form": id, "when": …}."""
    first: dict[str, str] = {}
    for requirement in definition.requirements:
        if requirement.form in first:
            yield Problem("duplicate_required_form", definition.file, requirement.path,
                          {"id": requirement.form, "first": first[requirement.form]})
        else:
            first[requirement.form] = requirement.path


def _by_id(definition: Definition) -> dict[str, Question]:
    """Questions by id, the first one of a repeated id (repeats are reported by check_duplicate_ids)."""
    by_id: dict[str, Question] = {}
    for q in definition.questions:
        by_id.setdefault(q.id, q)
    return by_id


def _raw_questions(definition: Definition, raw: Mapping) -> Iterator[tuple[Question, Mapping]]:
    """Each question of the model beside the JSON object it was built from."""
    for section, raw_section in zip(definition.sections, raw["sections"], strict=True):
        yield from zip(section.questions, raw_section["questions"], strict=True)


_CONDITION_HINTS = {
    "at_least": {"vi": "\"at_least\" chỉ dùng cho câu hỏi kiểu integer hoặc number",
                 "en": "\"at_least\" only applies to integer or number questions"},
    "file": {"vi": "với câu hỏi tệp chỉ dùng \"answered\"", "en": "on a file question use \"answered\" only"},
    "value": {"vi": "giá trị so sánh phải cùng kiểu với câu trả lời ({expected})",
              "en": "the compared value must have the answer's type ({expected})"},
}


def _leaves(condition: Condition, path: str) -> Iterator[tuple[Condition, str]]:
    """The conditions on one question inside `condition` (through all/any/not), each with its JSON path."""
    if condition.op in ("all", "any"):
        for i, child in enumerate(condition.children):
            yield from _leaves(child, f"{path}.{condition.op}[{i}]")
    elif condition.op == "not":
        yield from _leaves(condition.children[0], f"{path}.not")
    else:
        yield condition, path


def _check_leaf(file: str, condition: Condition, target: Question, path: str) -> Iterator[Problem]:
    """The operator and the compared values fit the type of the question the condition reads."""
    if condition.op == "answered":
        return

    def wrong(hint: dict, where: str, **fmt) -> Problem:
        hint = Bilingual(hint["vi"].format(**fmt), hint["en"].format(**fmt))
        return Problem("condition_wrong_type", file, where,
                       {"operator": condition.op, "id": target.id, "type": target.type, "hint": hint})

    if target.type == "file" or (target.type == "text" and condition.op == "at_least"):
        yield wrong(_CONDITION_HINTS["file" if target.type == "file" else "at_least"], f"{path}.{condition.op}")
        return
    if condition.op == "at_least":
        if target.type not in NUMERIC_TYPES:
            yield wrong(_CONDITION_HINTS["at_least"], f"{path}.{condition.op}")
        return
    values = condition.value if condition.op == "in" else (condition.value,)
    for i, value in enumerate(values):
        value_path = f"{path}.in[{i}]" if condition.op == "in" else f"{path}.equals"
        if target.type in CHOICE_TYPES:
            if target.choice(value) is None:
                allowed = ", ".join(show(c.value) for c in target.choices)
                yield Problem("condition_unknown_choice", file, value_path,
                              {"value": show(value), "id": target.id, "allowed": allowed})
            continue
        fits, expected = _VALUE_TYPES[target.type]
        if not fits(value):
            yield wrong(_CONDITION_HINTS["value"], value_path, expected=expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_VALUE_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "boolean": (lambda v: isinstance(v, bool), "true/false"),
    "integer": (_is_number, "number"),
    "number": (_is_number, "number"),
    "text": (lambda v: isinstance(v, str), "string"),
    "date": (lambda v: isinstance(v, str) and _iso_date(v) is not None, "YYYY-MM-DD"),
}


def check_choices(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Choice values are unique within a question; selection limits fit the choices."""
    for q in definition.questions:
        first: dict[Any, str] = {}
        for i, choice in enumerate(q.choices):
            key = (type(choice.value).__name__, choice.value)
            where = f"{q.path}.choices[{i}].value"
            if key in first:
                yield Problem("duplicate_choice", definition.file, where, {"value": show(choice.value), "first": first[key]})
            else:
                first[key] = where
        if q.type == "multi_choice":
            for key in ("min_selected", "max_selected"):
                value = getattr(q, key)
                if value is not None and value > len(q.choices):
                    yield Problem("min_selected_above_choices", definition.file, f"{q.path}.{key}",
                                  {"key": key, "value": value, "count": len(q.choices)})


def check_bands_order(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Bands are listed from the highest `at_least` down, strictly."""
    for q in definition.questions:
        yield from _descending([b.at_least for b in q.bands], f"{q.path}.points.bands", definition.file)
    if definition.result is not None:
        yield from _descending([b.at_least for b in definition.result.bands], "$.result.bands", definition.file)


def _descending(values: list[float], path: str, file: str) -> Iterator[Problem]:
    for i in range(1, len(values)):
        if values[i] >= values[i - 1]:
            yield Problem("bands_order", file, f"{path}[{i}].at_least", {"value": values[i], "previous": values[i - 1]})


def check_ranges(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """`min` ≤ `max` (numbers and dates), `min_selected` ≤ `max_selected`, dates are real dates."""
    for q in definition.questions:
        low, high = q.min, q.max
        if q.type == "date":
            for key in ("min", "max"):
                value = getattr(q, key)
                if value is not None and _iso_date(value) is None:
                    yield Problem("invalid_date", definition.file, f"{q.path}.{key}", {"value": value})
            low, high = _iso_date(q.min) if q.min else None, _iso_date(q.max) if q.max else None
        if low is not None and high is not None and low > high:
            yield Problem("min_above_max", definition.file, f"{q.path}.min",
                          {"low_key": "min", "high_key": "max", "low": q.min, "high": q.max})
        if q.min_selected is not None and q.max_selected is not None and q.min_selected > q.max_selected:
            yield Problem("min_above_max", definition.file, f"{q.path}.min_selected",
                          {"low_key": "min_selected", "high_key": "max_selected", "low": q.min_selected, "high": q.max_selected})


def check_reachable(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Each `pass_min` and `recognised_if.total_at_least` can be reached."""
    for section in definition.sections:
        if section.pass_min is not None and section.pass_min > section.maximum + 1e-9:
            yield Problem("pass_min_unreachable", definition.file, f"{section.path}.pass_min",
                          {"pass_min": section.pass_min, "max": _num(section.maximum)})
    result = definition.result
    if result is not None and result.total_at_least is not None and result.total_at_least > definition.maximum + 1e-9:
        yield Problem("total_unreachable", definition.file, "$.result.recognised_if.total_at_least",
                      {"value": result.total_at_least, "max": _num(definition.maximum)})


def check_languages(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Every localized text has the default language, and no language the form does not declare."""
    languages = raw["languages"]
    default = languages[0]
    for path, value in _localized_texts(raw, []):
        if isinstance(value, dict):
            if default not in value:
                yield Problem("missing_default_language", definition.file, json_path(path), {"lang": default})
            for lang in value:
                if lang not in languages:
                    yield Problem("unknown_language", definition.file, json_path(path + [lang]),
                                  {"lang": lang, "languages": ", ".join(languages)})


def _localized_texts(node: Any, path: list) -> Iterator[tuple[list, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in LOCALIZED_KEYS and (isinstance(value, (str, dict))):
                yield path + [key], value
            elif isinstance(value, (dict, list)) and key not in ("visible_if", "when"):
                yield from _localized_texts(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _localized_texts(value, path + [i])


def check_schedule(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """`first_year` ≤ `last_year`; date rules are real dates every year; a window opens before it closes, the rule's
    for the first year and `first_window` when there is one."""
    schedule = definition.schedule
    if schedule.first_year > schedule.last_year:
        yield Problem("years_reversed", definition.file, "$.schedule.first_year",
                      {"first": schedule.first_year, "last": schedule.last_year})
    bad = False
    for key, rule in (("opens", schedule.opens), ("closes", schedule.closes)):
        try:
            dt.date(2001, rule.month, rule.day)  # a non-leap year: the rule must hold every year
        except ValueError:
            bad = True
            yield Problem("invalid_date_rule", definition.file, f"$.schedule.{key}", {"day": rule.day, "month": rule.month})
    year = schedule.first_year
    windows = [("$.schedule.opens", None if bad else schedule.rule_window(year))]
    if schedule.first_window is not None:
        windows.append(("$.schedule.first_window.opens", schedule.first_window))
    for where, window in windows:
        if window is not None and window[0] > window[1]:
            yield Problem("window_empty", definition.file, where,
                          {"opens": window[0].isoformat(), "closes": window[1].isoformat(), "year": year})


def check_criteria(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """Declared criteria are unique; a question's `criterion` is one of them when any are declared."""
    first: dict[str, str] = {}
    for i, criterion in enumerate(definition.criteria):
        where = f"$.criteria[{i}].id"
        if criterion.id in first:
            yield Problem("duplicate_criterion", definition.file, where, {"id": criterion.id, "first": first[criterion.id]})
        else:
            first[criterion.id] = where
    if not definition.criteria:
        return
    known = ", ".join(c.id for c in definition.criteria)
    for q in definition.questions:
        if q.criterion is not None and q.criterion not in first:
            yield Problem("unknown_criterion", definition.file, f"{q.path}.criterion", {"id": q.criterion, "known": known})


CHECKS: tuple[Check, ...] = (
    check_duplicate_ids,
    check_references,
    check_choices,
    check_bands_order,
    check_ranges,
    check_reachable,
    check_languages,
    check_schedule,
    check_criteria,
    check_at_most,
    check_evidence,
    check_if_zero_denominator,
    check_accept,
    check_requirements,
)


def check_definition(definition: Definition, raw: Mapping) -> list[Problem]:
    """Every semantic problem of one schema-valid definition."""
    return [problem for check in CHECKS for problem in check(definition, raw)]


def check_together(definitions: Iterable[Definition], also_known: set[str] = frozenset(),
                   failed_files: set[str] = frozenset()) -> list[Problem]:
    """Rules across the definitions checked together: `requires` names a known form, on questions it has, no
    cycles, no repeated version.

    `also_known` holds ids of definitions that were found but could not be modelled; `failed_files`, the files of
    those among `definitions` that failed a semantic check: their own `requires` are checked, but no `when` is read
    against them.
    """
    definitions = list(definitions)
    versions: dict[str, list[Definition]] = {}
    for d in definitions:
        if d.file not in failed_files:
            versions.setdefault(d.id, []).append(d)
    known = {d.id for d in definitions} | set(also_known)
    problems: list[Problem] = []
    first: dict[tuple[str, int], str] = {}
    for d in definitions:
        key = (d.id, d.version)
        if key in first:
            problems.append(Problem("duplicate_form_version", d.file, "$.version", {"id": d.id, "version": d.version, "first": first[key]}))
        else:
            first[key] = d.file
        for requirement in d.requirements:
            if requirement.form == d.id:
                problems.append(Problem("requires_self", d.file, requirement.path, {"id": requirement.form}))
            elif requirement.form not in known:
                problems.append(Problem("unknown_required_form", d.file, requirement.path,
                                        {"id": requirement.form, "known": ", ".join(sorted(known)) or "—"}))
            elif requirement.when is not None and requirement.form in versions:
                problems.extend(_check_when(d.file, requirement, versions[requirement.form]))
    graph: dict[str, set[str]] = {}
    for d in definitions:
        graph.setdefault(d.id, set()).update(r for r in d.requires if r != d.id and r in known)
    for d in definitions:
        cycle = _find_cycle(d.id, graph)
        if cycle and cycle[0] == min(cycle[:-1]):  # report each cycle once, from its smallest id
            problems.append(Problem("requires_cycle", d.file, "$.requires", {"cycle": " → ".join(cycle)}))
    return problems


def _check_when(file: str, requirement: Requirement, required: list[Definition]) -> Iterator[Problem]:
    """A `requires` entry's `when` reads questions the required form has (in some version checked together), with
    operators and values that fit their types in every version that has them; unlike `visible_if`, no order applies.
    """
    seen: set[tuple[str, str]] = set()
    for leaf, path in _leaves(requirement.when, f"{requirement.path}.when"):
        targets = [q for q in (d.question(leaf.question) for d in required) if q is not None]
        if not targets:
            yield Problem("unknown_when_question", file, f"{path}.question", {"id": leaf.question, "form": requirement.form})
        for target in targets:
            for problem in _check_leaf(file, leaf, target, path):
                if (problem.code, problem.path) not in seen:
                    seen.add((problem.code, problem.path))
                    yield problem


def _find_cycle(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack = [(start, [start])]
    while stack:
        node, trail = stack.pop()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return trail + [start]
            if nxt not in trail:
                stack.append((nxt, trail + [nxt]))
    return None


def _iso_date(value: Any) -> dt.date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)
