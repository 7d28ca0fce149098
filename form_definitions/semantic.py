"""Stage 3: the rules a JSON Schema cannot express, each a small named check yielding Problems."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable, Iterator, Mapping

from .errors import Bilingual, Problem, json_path, show
from .model import CHOICE_TYPES, NUMERIC_TYPES, Condition, Definition, Question

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
    by_id = {}
    for q in definition.questions:
        by_id.setdefault(q.id, q)
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
        if q.visible_if is not None:
            yield from _check_condition(definition, q, q.visible_if, f"{q.path}.visible_if", by_id)


_CONDITION_HINTS = {
    "at_least": {"vi": "\"at_least\" chỉ dùng cho câu hỏi kiểu integer hoặc number",
                 "en": "\"at_least\" only applies to integer or number questions"},
    "file": {"vi": "với câu hỏi tệp chỉ dùng \"answered\"", "en": "on a file question use \"answered\" only"},
    "value": {"vi": "giá trị so sánh phải cùng kiểu với câu trả lời ({expected})",
              "en": "the compared value must have the answer's type ({expected})"},
}


def _check_condition(definition, owner: Question, condition: Condition, path: str, by_id) -> Iterator[Problem]:
    if condition.op in ("all", "any"):
        for i, child in enumerate(condition.children):
            yield from _check_condition(definition, owner, child, f"{path}.{condition.op}[{i}]", by_id)
        return
    if condition.op == "not":
        yield from _check_condition(definition, owner, condition.children[0], f"{path}.not", by_id)
        return
    target = by_id.get(condition.question)
    where = f"{path}.question"
    if target is None:
        yield Problem("unknown_question", definition.file, where, {"id": condition.question})
        return
    if target.index >= owner.index:
        yield Problem("not_earlier", definition.file, where, {"id": condition.question})
        return
    if condition.op == "answered":
        return

    def wrong(hint: dict, **fmt) -> Problem:
        hint = Bilingual(hint["vi"].format(**fmt), hint["en"].format(**fmt))
        return Problem(
            "condition_wrong_type", definition.file, f"{path}.{condition.op}",
            {"operator": condition.op, "id": target.id, "type": target.type, "hint": hint},
        )

    if target.type == "file" or (target.type == "text" and condition.op == "at_least"):
        yield wrong(_CONDITION_HINTS["file" if target.type == "file" else "at_least"])
        return
    if condition.op == "at_least":
        if target.type not in NUMERIC_TYPES:
            yield wrong(_CONDITION_HINTS["at_least"])
        return
    values = condition.value if condition.op == "in" else (condition.value,)
    for i, value in enumerate(values):
        value_path = f"{path}.in[{i}]" if condition.op == "in" else f"{path}.equals"
        if target.type in CHOICE_TYPES:
            if target.choice(value) is None:
                allowed = ", ".join(show(c.value) for c in target.choices)
                yield Problem("condition_unknown_choice", definition.file, value_path,
                              {"value": show(value), "id": target.id, "allowed": allowed})
            continue
        expected = {
            "boolean": (lambda v: isinstance(v, bool), "true/false"),
            "integer": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "number"),
            "number": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "number"),
            "text": (lambda v: isinstance(v, str), "string"),
            "date": (lambda v: isinstance(v, str) and _iso_date(v) is not None, "YYYY-MM-DD"),
        }[target.type]
        if not expected[0](value):
            problem = wrong(_CONDITION_HINTS["value"], expected=expected[1])
            yield Problem(problem.code, problem.file, value_path, problem.params)


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
            elif isinstance(value, (dict, list)) and key != "visible_if":
                yield from _localized_texts(value, path + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _localized_texts(value, path + [i])


def check_schedule(definition: Definition, raw: Mapping) -> Iterator[Problem]:
    """`first_year` ≤ `last_year`; date rules are real dates every year; a window opens before it closes."""
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
    if not bad:
        year = schedule.first_year
        opens, closes = schedule.window(year)
        if opens > closes:
            yield Problem("window_empty", definition.file, "$.schedule.opens",
                          {"opens": opens.isoformat(), "closes": closes.isoformat(), "year": year})


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
)


def check_definition(definition: Definition, raw: Mapping) -> list[Problem]:
    """Every semantic problem of one schema-valid definition."""
    return [problem for check in CHECKS for problem in check(definition, raw)]


def check_together(definitions: Iterable[Definition], also_known: set[str] = frozenset()) -> list[Problem]:
    """Rules across the definitions checked together: `requires` names a known form, no cycles, no repeated version.

    `also_known` holds ids of definitions that were found but failed their own checks.
    """
    definitions = list(definitions)
    known = {d.id for d in definitions} | set(also_known)
    problems: list[Problem] = []
    first: dict[tuple[str, int], str] = {}
    for d in definitions:
        key = (d.id, d.version)
        if key in first:
            problems.append(Problem("duplicate_form_version", d.file, "$.version", {"id": d.id, "version": d.version, "first": first[key]}))
        else:
            first[key] = d.file
        for i, required in enumerate(d.requires):
            where = f"$.requires[{i}]"
            if required == d.id:
                problems.append(Problem("requires_self", d.file, where, {"id": required}))
            elif required not in known:
                problems.append(Problem("unknown_required_form", d.file, where,
                                        {"id": required, "known": ", ".join(sorted(known)) or "—"}))
    graph: dict[str, set[str]] = {}
    for d in definitions:
        graph.setdefault(d.id, set()).update(r for r in d.requires if r != d.id and r in known)
    for d in definitions:
        cycle = _find_cycle(d.id, graph)
        if cycle and cycle[0] == min(cycle[:-1]):  # report each cycle once, from its smallest id
            problems.append(Problem("requires_cycle", d.file, "$.requires", {"cycle": " → ".join(cycle)}))
    return problems


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
