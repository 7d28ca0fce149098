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
that neither score nor are read by a condition, a ratio or a proof are left out.

Format 1.1: a ratio marked `not_applicable` whose visible denominator is 0 keeps 0 points and
raises a flag the function returns; `evidence` may name a file question later in the form, so
the points of a question without its proof are withdrawn after every question has been read.
Only when a flag is raised are maxima and thresholds scaled (`report.applied_limits`,
`report.reaches`, the same functions `score()` uses); otherwise nothing costs more than in version 1. The generated text holds
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
from .report import applied_limits, reaches, recognised, rounded


class Points(NamedTuple):
    """The numbers of a score report: totals, sections, band, recognition and each scored question's points.

    A named tuple rather than a frozen dataclass: it is built once per stored answer set, and that is cheaper.
    `max_total`, `limits` and `not_applicable` are what a store needs beside the scores (the report's
    `max_total`, each section's `max` and `pass_min`, the questions with `"applicable": false`); when
    every question applied they are the same objects for every answer set of a definition version.
    """

    total: float
    sections: tuple[tuple[str, float, bool], ...]  # (section id, score, passed), in form order
    band: str | None
    recognised: bool | None
    scored_ids: tuple[str, ...]
    scored_points: tuple[float, ...]
    max_total: float  # the applicable maximum
    limits: tuple[tuple[float, float | None], ...]  # (applicable max, pass mark applied) per section, in form order
    not_applicable: tuple[str, ...]  # questions that did not apply (maximum 0), in form order

    @property
    def questions(self) -> dict[str, float]:
        """Points of every question with a rule ({id: points}; 0 for a hidden or unanswered one)."""
        return dict(zip(self.scored_ids, self.scored_points, strict=True))

    def maximum(self, question: Question) -> float:
        """A question's maximum as the report gives it: 0 when it did not apply."""
        return 0.0 if question.id in self.not_applicable else rounded(question.maximum)


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
        scored = [q for q in definition.questions if q.has_rule]
        self._scored_ids = tuple(q.id for q in scored)
        self._lapsing = tuple(q.id for q in scored if q.may_not_apply)  # may not apply, in form order
        compiler = _Compiler(definition)
        self.source = _source(definition, scored, compiler)
        exec(compile(self.source, f"<points of {definition.id} v{definition.version}>", "exec"), compiler.namespace)
        self._compiled = compiler.namespace["compiled"]
        self._sections = tuple((s.id, None if s.pass_min is None else float(s.pass_min), rounded(s.maximum))
                               for s in definition.sections)
        self._full = rounded(definition.maximum)
        self._limits, self._max_total = applied_limits(definition, ())  # what every answer set gets in version 1
        result = self._result = definition.result
        self._result_bands = tuple(result.bands) if result else ()
        self._bands: dict[str, tuple[tuple[float, str], ...]] = {}  # per language

    def __call__(self, answers: Mapping[str, Any], lang: str = "vi") -> Points:
        section_scores, earned, lapsed = self._compiled(answers)
        total = rounded(math.fsum(section_scores))
        bands = self._bands.get(lang)
        if bands is None:
            bands = self._bands[lang] = tuple((b.at_least, b.label.get(lang)) for b in self._result_bands)
        if True in lapsed:
            return self._scaled(section_scores, earned, lapsed, total, bands)
        sections = tuple((sid, value, pass_min is None or value >= pass_min)
                         for (sid, pass_min, _full), value in zip(self._sections, section_scores, strict=True))
        band = next((label for at_least, label in bands if total >= at_least), None)
        return Points(total, sections, band, recognised(self._result, total, [s[2] for s in sections]),
                      self._scored_ids, earned, self._max_total, self._limits, ())

    def _scaled(self, section_scores: tuple, earned: tuple, lapsed: tuple, total: float,
                bands: tuple[tuple[float, str], ...]) -> Points:
        """The numbers when some question did not apply: maxima and every threshold scaled to what applied."""
        not_applicable = tuple(qid for qid, gone in zip(self._lapsing, lapsed, strict=True) if gone)
        limits, max_total = applied_limits(self._definition(), not_applicable)
        sections = tuple((sid, value, pass_min is None or reaches(value, pass_min, full, applicable))
                         for (sid, pass_min, full), value, (applicable, _mark)
                         in zip(self._sections, section_scores, limits, strict=True))
        band = next((label for at_least, label in bands if reaches(total, at_least, self._full, max_total)), None)
        passed = [s[2] for s in sections]
        return Points(total, sections, band, recognised(self._result, total, passed, self._full, max_total),
                      self._scored_ids, earned, max_total, limits, not_applicable)


def _source(definition: Definition, scored: list[Question], compiler: _Compiler) -> str:
    """The text of `compiled(answers)` → (section scores, each scored question's points, which did not apply)."""
    read = {qid for q in definition.questions if q.visible_if for qid in q.visible_if.questions()}
    read |= {q.ratio_to for q in definition.questions if q.ratio_to}
    read |= {q.evidence for q in scored if q.evidence}
    slot = {q.id: i for i, q in enumerate(scored)}
    lapse = {q.id: i for i, q in enumerate(q for q in scored if q.may_not_apply)}
    body = ["def compiled(answers):", "    get = answers.get"]
    if scored:
        body.append("    " + " = ".join(f"p{i}" for i in range(len(scored))) + " = 0.0")
    if lapse:
        body.append("    " + " = ".join(f"a{i}" for i in lapse.values()) + " = False")
    for index, question in enumerate(definition.questions):
        if question.id not in read and question.id not in slot:
            continue  # neither scores nor is read: it cannot change a number
        indent = "    "
        if question.visible_if is not None:
            body.append(f"    if {compiler.condition(question.visible_if)}:")
            indent = "        "
        body.append(f"{indent}v = get({compiler.const(question.id)})")
        if question.id in lapse:  # a visible denominator answered 0: the question does not apply
            k = compiler.local[question.ratio_to]
            body += [f"{indent}if (type({k}) is int or type({k}) is float) and {k} == 0:",
                     f"{indent}    a{lapse[question.id]} = True", f"{indent}else:",
                     f"{indent}    p{slot[question.id]} = {compiler.rule(question)}"]
        elif question.id in slot:
            body.append(f"{indent}p{slot[question.id]} = {compiler.rule(question)}")
        if question.id in read:
            # a hidden question's answer reads as unanswered to later conditions, ratios and proofs
            compiler.local[question.id] = k = f"k{index}"
            body.append(f"{indent}{k} = v")
            if question.visible_if is not None:
                body.append(f"    else:\n        {k} = None")
    for question in scored:  # a proof may come later in the form: its points are withdrawn at the end
        if question.evidence:
            body.append(f"    if not {_answered(compiler.local[question.evidence])}:\n        p{slot[question.id]} = 0.0")
    sections = []
    for section in definition.sections:
        mine = ", ".join(f"p{slot[q.id]}" for q in section.questions if q.id in slot)
        sections.append(f"rounded(fsum(({mine},)))" if mine else "0.0")
    points = ", ".join(f"p{i}" for i in range(len(scored)))
    lapsed = ", ".join(f"a{i}" for i in lapse.values())
    body.append(f"    return ({', '.join(sections)},), ({points}{',' if scored else ''}), ({lapsed}{',' if lapse else ''})")
    return "\n".join(body) + "\n"


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
