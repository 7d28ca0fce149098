"""Stage 4: the immutable object model of a checked definition."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator, Mapping

QUESTION_TYPES = ("boolean", "single_choice", "multi_choice", "integer", "number", "text", "date", "file")
NUMERIC_TYPES = ("integer", "number")
CHOICE_TYPES = ("single_choice", "multi_choice")


@dataclass(frozen=True)
class Text:
    """Localized text: one string per language, the default language always present."""

    values: tuple[tuple[str, str], ...]
    default: str

    @classmethod
    def of(cls, raw: Any, default: str) -> "Text | None":
        if raw is None:
            return None
        if isinstance(raw, str):
            return cls(((default, raw),), default)
        return cls(tuple(raw.items()), default)

    def get(self, lang: str | None = None) -> str:
        """The text in `lang`, else in the default language."""
        mapping = dict(self.values)
        return mapping.get(lang or self.default) or mapping.get(self.default) or next(iter(mapping.values()))

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True)
class Band:
    at_least: float
    points: float


@dataclass(frozen=True)
class Choice:
    value: str | int
    label: Text
    points: float | None = None


@dataclass(frozen=True)
class Condition:
    """A `visible_if` condition; `op` is equals, in, at_least, answered, all, any or not."""

    op: str
    question: str | None = None
    value: Any = None
    children: tuple["Condition", ...] = ()

    @classmethod
    def of(cls, raw: Mapping | None) -> "Condition | None":
        if raw is None:
            return None
        for op in ("all", "any"):
            if op in raw:
                return cls(op, children=tuple(cls.of(c) for c in raw[op]))
        if "not" in raw:
            return cls("not", children=(cls.of(raw["not"]),))
        for op in ("equals", "in", "at_least", "answered"):
            if op in raw:
                value = tuple(raw[op]) if op == "in" else raw[op]
                return cls(op, question=raw["question"], value=value)
        raise ValueError("condition without an operator")

    def questions(self) -> Iterator[str]:
        """Every question id this condition reads."""
        if self.question is not None:
            yield self.question
        for child in self.children:
            yield from child.questions()


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    section: str
    path: str
    index: int
    help: Text | None = None
    required: bool = False
    visible_if: Condition | None = None
    criterion: str | None = None
    choices: tuple[Choice, ...] = ()
    min: Any = None
    max: Any = None
    unit: Text | None = None
    multiline: bool = False
    max_length: int | None = None
    accept: tuple[str, ...] = ()
    max_mb: float | None = None
    min_selected: int | None = None
    max_selected: int | None = None
    max_points: float | None = None
    # Scoring rules, by type: boolean → points_true/points_false; integer/number → bands (+ ratio_to);
    # file → if_provided; choices carry their own points.
    points_true: float | None = None
    points_false: float | None = None
    bands: tuple[Band, ...] = ()
    ratio_to: str | None = None
    if_provided: float | None = None
    # Format 1.1: a part never above its whole; points bound to a proof; a ratio that may not apply.
    at_most: str | None = None
    evidence: str | None = None
    if_zero_denominator: str = "zero"  # or "not_applicable" (only on a `ratio_to` rule)

    @property
    def may_not_apply(self) -> bool:
        """Whether a denominator answered 0 makes this question not applicable (format 1.1)."""
        return self.ratio_to is not None and self.if_zero_denominator == "not_applicable"

    @property
    def scored(self) -> bool:
        """Whether any answer to this question can earn points."""
        return self.maximum > 0

    @cached_property
    def has_rule(self) -> bool:
        if self.type == "boolean":
            return self.points_true is not None or self.points_false is not None
        if self.type in CHOICE_TYPES:
            return any(c.points is not None for c in self.choices)
        if self.type in NUMERIC_TYPES:
            return bool(self.bands)
        if self.type == "file":
            return self.if_provided is not None
        return False

    @cached_property
    def maximum(self) -> float:
        """The most this question's rule can give."""
        if self.type == "boolean":
            return float(max(self.points_true or 0, self.points_false or 0))
        if self.type == "single_choice":
            return float(max((c.points or 0 for c in self.choices), default=0))
        if self.type == "multi_choice":
            positive = sorted((c.points or 0 for c in self.choices if (c.points or 0) > 0), reverse=True)
            if self.max_selected is not None:
                positive = positive[: self.max_selected]
            total = float(sum(positive))
            return min(total, float(self.max_points)) if self.max_points is not None else total
        if self.type in NUMERIC_TYPES:
            return float(max((b.points for b in self.bands), default=0))
        if self.type == "file":
            return float(self.if_provided or 0)
        return 0.0

    def choice(self, value: Any) -> Choice | None:
        for c in self.choices:
            if c.value == value and type(c.value) is type(value):
                return c
        return None


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    path: str
    questions: tuple[Question, ...]
    description: Text | None = None
    pass_min: float | None = None

    @cached_property
    def maximum(self) -> float:
        return float(sum(q.maximum for q in self.questions))


@dataclass(frozen=True)
class DateRule:
    month: int
    day: int
    year_offset: int = 0

    def for_year(self, cycle_year: int) -> dt.date:
        return dt.date(cycle_year + self.year_offset, self.month, self.day)


@dataclass(frozen=True)
class Schedule:
    first_year: int
    last_year: int
    opens: DateRule
    closes: DateRule
    # `schedule.first_window`: the first cycle year's (opens, closes) when it does not follow the rule.
    first_window: tuple[dt.date, dt.date] | None = None

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)

    def window(self, cycle_year: int) -> tuple[dt.date, dt.date]:
        """The default (opens, closes) dates of a cycle year, both days inclusive: the first year's `first_window`
        when there is one, else the rule's."""
        if self.first_window is not None and cycle_year == self.first_year:
            return self.first_window
        return self.rule_window(cycle_year)

    def rule_window(self, cycle_year: int) -> tuple[dt.date, dt.date]:
        """The (opens, closes) dates the `opens` and `closes` rules give a cycle year."""
        return self.opens.for_year(cycle_year), self.closes.for_year(cycle_year)


@dataclass(frozen=True)
class ResultBand:
    at_least: float
    label: Text


@dataclass(frozen=True)
class Result:
    bands: tuple[ResultBand, ...] = ()
    total_at_least: float | None = None
    all_sections_pass: bool = False
    has_recognition_rule: bool = False
    certificate_title: Text | None = None  # format 1.1 `result.certificate.title`: recognition here earns a certificate


@dataclass(frozen=True)
class Requirement:
    """One `requires` entry: the form that must be submitted first, and (format 1.1) a condition on its answers."""

    form: str
    path: str
    when: Condition | None = None


@dataclass(frozen=True)
class Criterion:
    id: str
    label: Text


@dataclass(frozen=True)
class Definition:
    """One version of one questionnaire, checked and immutable."""

    id: str
    version: int
    title: Text
    languages: tuple[str, ...]
    schedule: Schedule
    sections: tuple[Section, ...]
    file: str
    source: str = field(repr=False)
    description: Text | None = None
    requires: tuple[str, ...] = ()  # the ids of `requirements`, in order
    result: Result | None = None
    criteria: tuple[Criterion, ...] = ()
    requirements: tuple[Requirement, ...] = ()

    @property
    def scored(self) -> bool:
        """Whether answers to this form are scored (it has a `result`); a form without one is only collected."""
        return self.result is not None

    @property
    def certificate_title(self) -> Text | None:
        """The title of the certificate a recognised unit gets; None when this form issues none."""
        return self.result.certificate_title if self.result is not None else None

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question | None:
        return self._index.get(question_id)

    @cached_property
    def _index(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @cached_property
    def maximum(self) -> float:
        return float(sum(s.maximum for s in self.sections))

    @cached_property
    def sha256(self) -> str:
        """Hash of the canonical JSON: two files with the same content have the same hash."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def as_json(self) -> dict:
        return json.loads(self.source)


def canonical(document: Any) -> str:
    """The canonical JSON text of a definition (sorted keys, no spaces), used for hashing and storage."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def build(document: Mapping, file: str) -> Definition:
    """The model of a schema-valid document."""
    lang = document["languages"][0]

    def text(raw):
        return Text.of(raw, lang)

    sections = []
    index = 0
    for s_i, raw_section in enumerate(document["sections"]):
        questions = []
        for q_i, raw in enumerate(raw_section["questions"]):
            questions.append(_question(raw, raw_section["id"], f"$.sections[{s_i}].questions[{q_i}]", index, text))
            index += 1
        sections.append(
            Section(
                id=raw_section["id"],
                title=text(raw_section["title"]),
                description=text(raw_section.get("description")),
                pass_min=raw_section.get("pass_min"),
                path=f"$.sections[{s_i}]",
                questions=tuple(questions),
            )
        )
    raw_schedule = document["schedule"]
    schedule = Schedule(
        first_year=raw_schedule["first_year"],
        last_year=raw_schedule["last_year"],
        opens=DateRule(**raw_schedule["opens"]),
        closes=DateRule(**raw_schedule["closes"]),
        first_window=_first_window(raw_schedule.get("first_window")),
    )
    result = None
    if "result" in document:
        raw_result = document["result"]
        rule = raw_result.get("recognised_if")
        result = Result(
            bands=tuple(ResultBand(b["at_least"], text(b["label"])) for b in raw_result.get("bands", [])),
            total_at_least=(rule or {}).get("total_at_least"),
            all_sections_pass=bool((rule or {}).get("all_sections_pass", False)),
            has_recognition_rule=rule is not None,
            certificate_title=text((raw_result.get("certificate") or {}).get("title")),
        )
    requirements = _requirements(document.get("requires", ()))
    return Definition(
        id=document["id"],
        version=document["version"],
        title=text(document["title"]),
        description=text(document.get("description")),
        languages=tuple(document["languages"]),
        requires=tuple(r.form for r in requirements),
        requirements=requirements,
        schedule=schedule,
        sections=tuple(sections),
        result=result,
        criteria=tuple(Criterion(c["id"], text(c["label"])) for c in document.get("criteria", [])),
        file=file,
        source=canonical(document),
    )


def _first_window(raw: Mapping | None) -> tuple[dt.date, dt.date] | None:
    """`schedule.first_window` as two dates (the schema has checked they are ISO dates), or None."""
    if raw is None:
        return None
    return dt.date.fromisoformat(raw["opens"]), dt.date.fromisoformat(raw["closes"])


def _requirements(raw_list) -> tuple[Requirement, ...]:
    """`requires` entries as written: a form id, or (format 1.1) `{"form": id, "when": condition}`."""
    return tuple(
        Requirement(raw, f"$.requires[{i}]") if isinstance(raw, str)
        else Requirement(raw["form"], f"$.requires[{i}]", Condition.of(raw.get("when")))
        for i, raw in enumerate(raw_list))


def _question(raw: Mapping, section: str, path: str, index: int, text) -> Question:
    points = raw.get("points") or {}
    kind = raw["type"]
    extra: dict[str, Any] = {}
    if kind == "boolean":
        extra = {"points_true": points.get("true"), "points_false": points.get("false")}
    elif kind in NUMERIC_TYPES:
        extra = {
            "bands": tuple(Band(b["at_least"], b["points"]) for b in points.get("bands", [])),
            "ratio_to": points.get("ratio_to"),
            "if_zero_denominator": points.get("if_zero_denominator", "zero"),
            "unit": text(raw.get("unit")),
            "at_most": raw.get("at_most"),
        }
    elif kind == "file":
        extra = {"if_provided": points.get("if_provided"), "accept": accepted(raw["accept"]), "max_mb": raw["max_mb"]}
    return Question(
        id=raw["id"],
        type=kind,
        label=text(raw["label"]),
        help=text(raw.get("help")),
        required=bool(raw.get("required", False)),
        visible_if=Condition.of(raw.get("visible_if")),
        criterion=raw.get("criterion"),
        evidence=raw.get("evidence"),
        choices=tuple(Choice(c["value"], text(c["label"]), c.get("points")) for c in raw.get("choices", [])),
        min=raw.get("min"),
        max=raw.get("max"),
        multiline=bool(raw.get("multiline", False)),
        max_length=raw.get("max_length"),
        min_selected=raw.get("min_selected"),
        max_selected=raw.get("max_selected"),
        max_points=raw.get("max_points"),
        section=section,
        path=path,
        index=index,
        **extra,
    )


def accepted(extensions) -> tuple[str, ...]:
    """File extensions as the program compares them: ".PDF" and "pdf" both mean "pdf" (format 1.1), in order, once each."""
    return tuple(dict.fromkeys(e.lower().lstrip(".") for e in extensions))
