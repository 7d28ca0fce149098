"""Points without the words: a definition version compiled once, for scoring many stored answer sets.

`score()` builds the whole report a unit or a reviewer reads: every question's rule in words,
validation, `missing_required`. Re-scoring thousands of stored revisions (the demo, the long-form
rows written on a submit, a re-check after an upgrade) needs only the numbers. `points()` gives
the same numbers as `score()` — totals, section scores, band and recognition, bit for bit
(tests/test_scoring.py compares them on random answer sets) — about ten times faster.

How: each definition version is compiled once into one straight-line Python function, the way
fastjsonschema or dataclasses do. Every question becomes a few lines in form order (the checker
lets conditions and ratios read only earlier questions): its `visible_if` as an expression over
local variables, its rule as an expression with its constants rounded ahead of time. Questions
that neither score nor are read by a condition or a ratio are left out. The generated text holds
only names this module makes up (`c0`, `k3`, `p12`); every value from the definition — ids,
choices, thresholds — reaches the function through its namespace, never as source text.

It trusts its input the way a stored revision deserves: answers that passed `validate_answers`
when they were saved. Anything else goes through `score()`, which says what is wrong.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, Mapping, NamedTuple

from form_definitions.model import Condition, Definition, Question

from .answers import _same, is_answered
from .report import recognised, rounded


class Points(NamedTuple):
    """The numbers of a score report: totals, sections, band, recognition and each scored question's points.

    A named tuple rather than a frozen dataclass: it is built once per stored answer set, and that is cheaper.
    """

    total: float
    sections: tuple[tuple[str, float, bool], ...]  # (section id, score, passed), in form order
    band: str | None
    recognised: bool | None
    scored_ids: tuple[str, ...]
    scored_points: tuple[float, ...]

    @property
    def questions(self) -> dict[str, float]:
        """Points of every question with a rule ({id: points}; 0 for a hidden or unanswered one)."""
        return dict(zip(self.scored_ids, self.scored_points, strict=True))


def _answered(name: str) -> str:
    """`is_answered(name)` inline."""
    return f"({name} is not None and {name} != '' and {name} != [] and {name} != ())"


def _same_any(value: Any, wanted: tuple) -> bool:
    """`holds` for `equals` and `in`: JSON equality of the value (or any chosen item) with any wanted value."""
    if not is_answered(value):
        return False
    chosen = value if isinstance(value, (list, tuple)) else (value,)
    return any(_same(a, w) for a in chosen for w in wanted)


def _multi(value: list, table: dict, cap: float | None) -> float:
    total = 0.0
    get = table.get
    for item in value:
        total += get(item, 0.0)
    if cap is not None and total > cap:
        total = cap
    return round(total, 4) + 0.0  # rounded() inline: this runs for every multiple-choice answer


def _ratio(value: float, other: Any, bands: tuple[tuple[float, float], ...]) -> float:
    if not is_answered(other) or isinstance(other, bool) or not isinstance(other, (int, float)) or other <= 0:
        return 0.0
    ratio = value / other
    for at_least, points in bands:
        if ratio >= at_least:
            return points
    return 0.0


class _Compiler:
    """Source lines and the namespace their names refer to."""

    def __init__(self, definition: Definition):
        self.namespace: dict[str, Any] = {"_same_any": _same_any, "_multi": _multi, "_ratio": _ratio,
                                          "rounded": rounded, "fsum": math.fsum, "isfinite": math.isfinite}
        self.local: dict[str, str] = {}  # question id → the local holding its kept answer

    def const(self, value: Any) -> str:
        name = f"c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def condition(self, condition: Condition) -> str:
        """`holds(condition, kept)` as an expression over the kept locals."""
        op = condition.op
        if op in ("all", "any"):
            joiner = " and " if op == "all" else " or "
            return "(" + joiner.join(self.condition(c) for c in condition.children) + ")"
        if op == "not":
            return f"(not {self.condition(condition.children[0])})"
        k = self.local[condition.question]
        if op == "answered":
            return _answered(k) if condition.value else f"(not {_answered(k)})"
        if op == "at_least":  # is_number: an int that is not a bool, or a finite float
            return (f"((type({k}) is int or (type({k}) is float and isfinite({k})))"
                    f" and {k} >= {self.const(condition.value)})")
        wanted = tuple(condition.value) if op == "in" else (condition.value,)
        helper = f"_same_any({k}, {self.const(wanted)})"
        if op == "in" or condition.value == "":
            return helper
        # `equals` on a single answer inline (JSON equality: true is not 1); a list goes to the helper
        c = self.const(condition.value)
        same = f"{k} is {c}" if isinstance(condition.value, bool) else f"({k} == {c} and type({k}) is not bool)"
        return f"({same} or (type({k}) is list and {helper}))"

    def rule(self, question: Question) -> str:
        """The points of a visible question as an expression over `v`, its raw answer."""
        kind = question.type
        if kind == "file":
            return f"({self.const(rounded(question.if_provided))} if {_answered('v')} else 0.0)"
        if kind == "boolean":
            yes, no = self.const(rounded(question.points_true or 0)), self.const(rounded(question.points_false or 0))
            return f"(({yes} if v else {no}) if {_answered('v')} else 0.0)"
        if kind == "single_choice":
            table = self.const({c.value: rounded(c.points or 0) for c in question.choices})
            return f"({table}.get(v, 0.0) if {_answered('v')} else 0.0)"
        if kind == "multi_choice":
            table = self.const({c.value: float(c.points or 0) for c in question.choices})
            cap = self.const(None if question.max_points is None else float(question.max_points))
            return f"(_multi(v, {table}, {cap}) if {_answered('v')} else 0.0)"
        bands = tuple((b.at_least, rounded(b.points)) for b in question.bands)
        if question.ratio_to is not None:
            return f"(_ratio(v, {self.local[question.ratio_to]}, {self.const(bands)}) if {_answered('v')} else 0.0)"
        chain = "0.0"
        for at_least, points in reversed(bands):
            chain = f"{self.const(points)} if v >= {self.const(at_least)} else {chain}"
        return f"(({chain}) if {_answered('v')} else 0.0)"


class Scorer:
    """One definition version compiled for `points()`."""

    def __init__(self, definition: Definition):
        self._definition = weakref.ref(definition)
        read = {qid for q in definition.questions if q.visible_if for qid in q.visible_if.questions()}
        read |= {q.ratio_to for q in definition.questions if q.ratio_to}
        scored = [q for q in definition.questions if q.has_rule]
        slot = {q.id: i for i, q in enumerate(scored)}
        self._scored_ids = tuple(q.id for q in scored)
        compiler = _Compiler(definition)
        body = ["def compiled(answers):", "    get = answers.get"]
        if scored:
            body.append("    " + " = ".join(f"p{i}" for i in range(len(scored))) + " = 0.0")
        for index, question in enumerate(definition.questions):
            if question.id not in read and question.id not in slot:
                continue  # neither scores nor is read: it cannot change a number
            indent = "    "
            if question.visible_if is not None:
                body.append(f"    if {compiler.condition(question.visible_if)}:")
                indent = "        "
            body.append(f"{indent}v = get({compiler.const(question.id)})")
            if question.id in slot:
                body.append(f"{indent}p{slot[question.id]} = {compiler.rule(question)}")
            if question.id in read:
                # a hidden question's answer reads as unanswered to later conditions and ratios
                compiler.local[question.id] = k = f"k{index}"
                body.append(f"{indent}{k} = v")
                if question.visible_if is not None:
                    body.append(f"    else:\n        {k} = None")
        sections = []
        for section in definition.sections:
            mine = ", ".join(f"p{slot[q.id]}" for q in section.questions if q.id in slot)
            sections.append(f"rounded(fsum(({mine},)))" if mine else "0.0")
        points = ", ".join(f"p{i}" for i in range(len(scored)))
        body.append(f"    return ({', '.join(sections)},), ({points}{',' if scored else ''})")
        self.source = "\n".join(body) + "\n"
        exec(compile(self.source, f"<points of {definition.id} v{definition.version}>", "exec"), compiler.namespace)
        self._compiled = compiler.namespace["compiled"]
        self._sections = tuple((s.id, None if s.pass_min is None else float(s.pass_min)) for s in definition.sections)
        result = self._result = definition.result
        self._result_bands = tuple(result.bands) if result else ()
        self._bands: dict[str, tuple[tuple[float, str], ...]] = {}  # per language

    def __call__(self, answers: Mapping[str, Any], lang: str = "vi") -> Points:
        section_scores, earned = self._compiled(answers)
        sections = tuple((sid, value, pass_min is None or value >= pass_min)
                         for (sid, pass_min), value in zip(self._sections, section_scores, strict=True))
        total = rounded(math.fsum(section_scores))
        bands = self._bands.get(lang)
        if bands is None:
            bands = self._bands[lang] = tuple((b.at_least, b.label.get(lang)) for b in self._result_bands)
        band = next((label for at_least, label in bands if total >= at_least), None)
        return Points(total, sections, band, recognised(self._result, total, [s[2] for s in sections]),
                      self._scored_ids, earned)


_SCORERS: dict[int, Scorer] = {}


def scorer(definition: Definition) -> Scorer:
    """The compiled scorer of a definition version, built on first use and kept while the definition lives."""
    key = id(definition)
    found = _SCORERS.get(key)
    if found is None or found._definition() is not definition:
        found = _SCORERS[key] = Scorer(definition)
        weakref.finalize(definition, _SCORERS.pop, key, None)
    return found


def points(definition: Definition, answers: Mapping[str, Any], lang: str = "vi") -> Points:
    """The numbers `score(definition, answers)` would report, for answers that passed validation."""
    return scorer(definition)(answers, lang)
