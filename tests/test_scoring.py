"""Scoring: points per question type and rule, conditions, hidden answers, validation, adjustments,
the report's shape, the shipped self-assessment, and properties over random valid answer sets."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.definitions import MINIMAL, make_definition, minimal_document

from form_definitions import load_definitions
from form_definitions.model import Condition, Definition, build
from form_definitions.schema_check import check_schema
from form_definitions.semantic import check_definition
from scoring import InvalidAnswers, describe_rule, missing_required, score, validate_answers, visibility
from scoring.answers import holds

# ---------------------------------------------------------------------------------------------
# Helpers: tiny definitions, checked by the project's own checker so they are valid definitions.
# ---------------------------------------------------------------------------------------------

SCHEDULE = {"first_year": 2018, "last_year": 2022, "opens": {"month": 8, "day": 1}, "closes": {"month": 10, "day": 1}}


def label(qid: str) -> dict:
    return {"vi": f"Câu hỏi {qid}", "en": f"Question {qid}"}


def q(qid: str, kind: str, **extra) -> dict:
    """One question as a plain dict; file questions get the keys the schema requires."""
    raw = {"id": qid, "type": kind, "label": label(qid)}
    if kind == "file":
        raw.update(accept=["pdf"], max_mb=5)
    raw.update(extra)
    return raw


def choices(**points) -> list[dict]:
    """`choices(a=3, b=None)` → choice a worth 3 points, choice b without points."""
    out = []
    for value, pts in points.items():
        choice = {"value": value, "label": {"vi": f"Lựa chọn {value}", "en": f"Choice {value}"}}
        if pts is not None:
            choice["points"] = pts
        out.append(choice)
    return out


def document(*sections: dict, result: dict | None = None) -> dict:
    doc = {"id": "mini", "version": 3, "title": {"vi": "Mini", "en": "Mini"}, "languages": ["vi", "en"],
           "schedule": copy.deepcopy(SCHEDULE), "sections": list(sections)}
    if result is not None:
        doc["result"] = result
    return doc


def section(sid: str, *questions: dict, pass_min: float | None = None) -> dict:
    raw = {"id": sid, "title": {"vi": f"Phần {sid}", "en": f"Part {sid}"}, "questions": copy.deepcopy(list(questions))}
    if pass_min is not None:
        raw["pass_min"] = pass_min
    return raw


def checked(doc: dict) -> Definition:
    """The model of `doc`, after asserting the project's checker accepts it."""
    problems = check_schema(doc, "mini.json")
    assert not problems, [p.line("en") for p in problems]
    definition = build(doc, "mini.json")
    problems = check_definition(definition, doc)
    assert not problems, [p.line("en") for p in problems]
    return definition


def form(*questions: dict, pass_min: float | None = None, result: dict | None = None) -> Definition:
    """A valid one-section definition around `questions`."""
    return checked(document(section("phan", *questions, pass_min=pass_min), result=result))


def entry(report: dict, qid: str) -> dict:
    found = [item for item in report["questions"] if item["id"] == qid]
    assert len(found) == 1, qid
    return found[0]


def points_text(points: float, lang: str) -> str:
    """How a rule writes its points: "5 điểm", "2,5 điểm", "5 points", "1 point", "2.5 points"."""
    text = str(int(points)) if float(points).is_integer() else str(points)
    return f"{text.replace('.', ',')} điểm" if lang == "vi" else f"{text} point{'' if float(points) == 1 else 's'}"


# ---------------------------------------------------------------------------------------------
# 1. Every question type and rule.
# ---------------------------------------------------------------------------------------------

BOOL = q("b", "boolean", points={"true": 4, "false": 1})
BOOL_FALSE_BETTER = q("b", "boolean", points={"true": 0, "false": 3})
BOOL_TRUE_ONLY = q("b", "boolean", points={"true": 2})
SINGLE = q("s", "single_choice", choices=choices(a=3, b=1, c=None))
MULTI_CAPPED = q("m", "multi_choice", max_points=4, choices=choices(x=2, y=2, z=1, w=None))
MULTI_UNCAPPED = q("m", "multi_choice", choices=choices(x=2, y=2, z=1))
MULTI_MAX_SELECTED = q("m", "multi_choice", max_selected=2, choices=choices(x=3, y=2, z=1))
MULTI_MAX_SELECTED_CAPPED = q("m", "multi_choice", max_selected=2, max_points=4, choices=choices(z=1, x=3, y=2))
MULTI_ONE_OF_BIG_CAP = q("m", "multi_choice", max_selected=1, max_points=10, choices=choices(x=3, y=2, z=None))
INTEGER = q("n", "integer", points={"bands": [{"at_least": 100, "points": 3}, {"at_least": 10, "points": 1}]})
NUMBER = q("x", "number", points={"bands": [{"at_least": 2.5, "points": 5}, {"at_least": 0.5, "points": 2.5}]})
DENOMINATOR = q("d", "integer", min=0)
RATIO = q("r", "integer", min=0,
          points={"ratio_to": "d", "bands": [{"at_least": 0.5, "points": 5}, {"at_least": 0.2, "points": 3}]})
NUMBER_DENOMINATOR = q("dx", "number")
NUMBER_RATIO = q("rx", "number",
                 points={"ratio_to": "dx", "bands": [{"at_least": 0.7, "points": 2}, {"at_least": 0.07, "points": 1}]})
HAS_DENOMINATOR = q("co_mau", "boolean")
HIDDEN_DENOMINATOR = q("d", "integer", min=0, visible_if={"question": "co_mau", "equals": True})
FILE = q("f", "file", points={"if_provided": 2})
TEXT = q("t", "text", max_length=20)
DATE = q("dd", "date", min="2018-01-01", max="2022-12-31")

SCORING_CASES = [
    # boolean
    pytest.param([BOOL], {"b": True}, "b", 4, 4, id="boolean-true"),
    pytest.param([BOOL], {"b": False}, "b", 1, 4, id="boolean-false"),
    pytest.param([BOOL], {}, "b", 0, 4, id="boolean-unanswered"),
    pytest.param([BOOL], {"b": None}, "b", 0, 4, id="boolean-null"),
    pytest.param([BOOL_FALSE_BETTER], {"b": False}, "b", 3, 3, id="boolean-false-is-the-maximum"),
    pytest.param([BOOL_TRUE_ONLY], {"b": False}, "b", 0, 2, id="boolean-without-false-points"),
    # single_choice
    pytest.param([SINGLE], {"s": "a"}, "s", 3, 3, id="single-best-choice"),
    pytest.param([SINGLE], {"s": "b"}, "s", 1, 3, id="single-other-choice"),
    pytest.param([SINGLE], {"s": "c"}, "s", 0, 3, id="single-choice-without-points"),
    pytest.param([SINGLE], {}, "s", 0, 3, id="single-unanswered"),
    # multi_choice
    pytest.param([MULTI_CAPPED], {"m": ["z"]}, "m", 1, 4, id="multi-one-choice"),
    pytest.param([MULTI_CAPPED], {"m": ["x", "z"]}, "m", 3, 4, id="multi-sum"),
    pytest.param([MULTI_CAPPED], {"m": ["x", "y"]}, "m", 4, 4, id="multi-sum-equal-to-cap"),
    pytest.param([MULTI_CAPPED], {"m": ["x", "y", "z"]}, "m", 4, 4, id="multi-sum-capped-at-max-points"),
    pytest.param([MULTI_CAPPED], {"m": ["w"]}, "m", 0, 4, id="multi-choice-without-points"),
    pytest.param([MULTI_CAPPED], {"m": []}, "m", 0, 4, id="multi-nothing-chosen"),
    pytest.param([MULTI_CAPPED], {}, "m", 0, 4, id="multi-unanswered"),
    pytest.param([MULTI_UNCAPPED], {"m": ["x", "y", "z"]}, "m", 5, 5, id="multi-uncapped-sum-of-all"),
    pytest.param([MULTI_MAX_SELECTED], {"m": ["x", "y"]}, "m", 5, 5, id="multi-max-selected-best-two"),
    pytest.param([MULTI_MAX_SELECTED], {"m": ["y", "z"]}, "m", 3, 5, id="multi-max-selected-other-two"),
    pytest.param([MULTI_MAX_SELECTED_CAPPED], {"m": ["x", "z"]}, "m", 4, 4, id="multi-max-selected-and-max-points"),
    pytest.param([MULTI_ONE_OF_BIG_CAP], {"m": ["x"]}, "m", 3, 3, id="multi-max-selected-below-cap"),
    # integer bands at their exact boundaries
    pytest.param([INTEGER], {"n": 100}, "n", 3, 3, id="integer-at-top-band"),
    pytest.param([INTEGER], {"n": 1000}, "n", 3, 3, id="integer-above-top-band"),
    pytest.param([INTEGER], {"n": 99}, "n", 1, 3, id="integer-just-below-top-band"),
    pytest.param([INTEGER], {"n": 10}, "n", 1, 3, id="integer-at-lowest-band"),
    pytest.param([INTEGER], {"n": 9}, "n", 0, 3, id="integer-below-lowest-band"),
    pytest.param([INTEGER], {"n": 0}, "n", 0, 3, id="integer-zero"),
    pytest.param([INTEGER], {"n": -5}, "n", 0, 3, id="integer-negative"),
    pytest.param([INTEGER], {}, "n", 0, 3, id="integer-unanswered"),
    # number bands at their exact boundaries
    pytest.param([NUMBER], {"x": 2.5}, "x", 5, 5, id="number-at-top-band"),
    pytest.param([NUMBER], {"x": 2.4999}, "x", 2.5, 5, id="number-just-below-top-band"),
    pytest.param([NUMBER], {"x": 0.5}, "x", 2.5, 5, id="number-at-lowest-band"),
    pytest.param([NUMBER], {"x": 0.4999}, "x", 0, 5, id="number-just-below-lowest-band"),
    pytest.param([NUMBER], {"x": 3}, "x", 5, 5, id="number-given-as-integer"),
    # ratio_to
    pytest.param([DENOMINATOR, RATIO], {"d": 10, "r": 5}, "r", 5, 5, id="ratio-exactly-top-band"),
    pytest.param([DENOMINATOR, RATIO], {"d": 10, "r": 10}, "r", 5, 5, id="ratio-one"),
    pytest.param([DENOMINATOR, RATIO], {"d": 10, "r": 20}, "r", 5, 5, id="ratio-above-one"),
    pytest.param([DENOMINATOR, RATIO], {"d": 100, "r": 49}, "r", 3, 5, id="ratio-just-below-top-band"),
    pytest.param([DENOMINATOR, RATIO], {"d": 10, "r": 2}, "r", 3, 5, id="ratio-exactly-lowest-band"),
    pytest.param([DENOMINATOR, RATIO], {"d": 100, "r": 19}, "r", 0, 5, id="ratio-just-below-lowest-band"),
    pytest.param([DENOMINATOR, RATIO], {"d": 10, "r": 0}, "r", 0, 5, id="ratio-zero-numerator"),
    pytest.param([DENOMINATOR, RATIO], {"d": 0, "r": 5}, "r", 0, 5, id="ratio-zero-denominator"),
    pytest.param([DENOMINATOR, RATIO], {"r": 5}, "r", 0, 5, id="ratio-missing-denominator"),
    pytest.param([DENOMINATOR, RATIO], {"d": None, "r": 5}, "r", 0, 5, id="ratio-null-denominator"),
    pytest.param([DENOMINATOR, RATIO], {"d": 10}, "r", 0, 5, id="ratio-unanswered-numerator"),
    pytest.param([NUMBER_DENOMINATOR, NUMBER_RATIO], {"dx": 10, "rx": 7}, "rx", 2, 2, id="number-ratio-exactly-0.7"),
    pytest.param([NUMBER_DENOMINATOR, NUMBER_RATIO], {"dx": 100, "rx": 7}, "rx", 1, 2, id="number-ratio-exactly-0.07"),
    pytest.param([NUMBER_DENOMINATOR, NUMBER_RATIO], {"dx": 2.5, "rx": 1.75}, "rx", 2, 2, id="number-ratio-fractional"),
    pytest.param([HAS_DENOMINATOR, HIDDEN_DENOMINATOR, RATIO], {"co_mau": True, "d": 10, "r": 5}, "r", 5, 5,
                 id="ratio-visible-denominator"),
    pytest.param([HAS_DENOMINATOR, HIDDEN_DENOMINATOR, RATIO], {"co_mau": False, "d": 10, "r": 5}, "r", 0, 5,
                 id="ratio-denominator-hidden-by-visible-if"),
    # file
    pytest.param([FILE], {"f": "uploads/ke-hoach.pdf"}, "f", 2, 2, id="file-with-reference"),
    pytest.param([FILE], {"f": None}, "f", 0, 2, id="file-null"),
    pytest.param([FILE], {}, "f", 0, 2, id="file-missing"),
]


@pytest.mark.parametrize("questions, answers, qid, points, maximum", SCORING_CASES)
def test_question_earns_the_points_of_its_rule(questions, answers, qid, points, maximum):
    definition = form(*questions)
    for lang in ("vi", "en"):
        item = entry(score(definition, answers, lang=lang), qid)
        assert item["points"] == points
        assert item["max_points"] == maximum
        assert item["visible"] is True
        assert isinstance(item["rule"], str) and item["rule"].strip()
        assert points_text(points, lang) in item["rule"], item["rule"]
        assert item["adjusted"] is False and item["auto_points"] == points


@pytest.mark.parametrize("question, answer", [
    pytest.param(TEXT, "ghi chú", id="text"),
    pytest.param(DATE, "2020-05-01", id="date"),
])
def test_text_and_date_questions_earn_nothing(question, answer):
    definition = form(question)
    for answers in ({question["id"]: answer}, {}):
        for lang, words in (("vi", "Không tính điểm"), ("en", "Not scored")):
            item = entry(score(definition, answers, lang=lang), question["id"])
            assert item["points"] == 0 and item["max_points"] == 0
            assert item["rule"] == words
    assert definition.maximum == 0


def test_ratio_rule_shows_the_ratio_and_the_band_reached():
    definition = form(DENOMINATOR, RATIO)
    assert entry(score(definition, {"d": 10, "r": 5}), "r")["rule"] == "5/10 = 50% ≥ 50% → 5 điểm"
    assert entry(score(definition, {"d": 10, "r": 5}, lang="en"), "r")["rule"] == "5/10 = 50% ≥ 50% → 5 points"
    assert "< 20%" in entry(score(definition, {"d": 100, "r": 19}), "r")["rule"]


def test_ratio_with_zero_denominator_earns_nothing_and_says_why():
    definition = form(DENOMINATOR, RATIO)
    for answers in ({"d": 0, "r": 5}, {"r": 5}):
        item = entry(score(definition, answers, lang="en"), "r")
        assert item["points"] == 0
        assert '"d"' in item["rule"] and "0 points" in item["rule"]


def test_band_rule_names_the_band_reached():
    definition = form(NUMBER)
    assert entry(score(definition, {"x": 2.5}), "x")["rule"] == "2,5 ≥ 2,5 → 5 điểm"
    assert entry(score(definition, {"x": 0.5}, lang="en"), "x")["rule"] == "0.5 ≥ 0.5 → 2.5 points"


def test_multi_choice_rule_lists_the_choices_and_the_cap():
    rule = entry(score(form(MULTI_CAPPED), {"m": ["x", "y", "z"]}, lang="en"), "m")["rule"]
    assert "Choice x (2)" in rule and "Choice z (1)" in rule and "capped at 4" in rule
    assert rule.endswith("4 points")


@pytest.mark.parametrize("questions, answers, qid", [
    pytest.param([NUMBER], {"x": 0.4999}, "x", id="number"),
    pytest.param([DENOMINATOR, RATIO], {"d": 100000, "r": 19999}, "r", id="ratio"),
])
def test_rule_below_a_band_never_shows_the_value_equal_to_the_band(questions, answers, qid):
    for lang in ("vi", "en"):
        rule = entry(score(form(*questions), answers, lang=lang), qid)["rule"]
        shown, _, rest = rule.partition(" < ")
        assert rest, rule
        assert shown.split("= ")[-1] != rest.split(" ")[0], rule


def test_describe_rule_lists_every_band_and_choice():
    definition = form(DENOMINATOR, RATIO, SINGLE, BOOL, FILE, TEXT)
    assert describe_rule(definition.question("r")) == "≥ 50% → 5 điểm; ≥ 20% → 3 điểm"
    assert describe_rule(definition.question("r"), "en") == "≥ 50% → 5 points; ≥ 20% → 3 points"
    assert describe_rule(definition.question("s"), "en") == "Choice a → 3 points; Choice b → 1 point; Choice c → 0 points"
    assert describe_rule(definition.question("b")) == "Có → 4 điểm; Không → 1 điểm"
    assert "2 điểm" in describe_rule(definition.question("f"))
    assert describe_rule(definition.question("t"), "en") == "Not scored"


# ---------------------------------------------------------------------------------------------
# 2. Conditions.
# ---------------------------------------------------------------------------------------------

SOURCES = [
    q("b", "boolean"),
    q("n", "integer"),
    q("x", "number"),
    q("s", "single_choice", choices=choices(a=None, b=None, c=None)),
    q("m", "multi_choice", choices=choices(a=None, b=None, c=None)),
    q("t", "text"),
    q("f", "file"),
]

CONDITION_CASES = [
    # equals
    pytest.param({"question": "b", "equals": True}, {"b": True}, True, id="equals-true"),
    pytest.param({"question": "b", "equals": True}, {"b": False}, False, id="equals-true-answered-false"),
    pytest.param({"question": "b", "equals": False}, {"b": False}, True, id="equals-false"),
    pytest.param({"question": "b", "equals": False}, {}, False, id="equals-false-unanswered"),
    pytest.param({"question": "s", "equals": "a"}, {"s": "a"}, True, id="equals-choice"),
    pytest.param({"question": "s", "equals": "a"}, {"s": "b"}, False, id="equals-other-choice"),
    pytest.param({"question": "n", "equals": 3}, {"n": 3}, True, id="equals-number"),
    pytest.param({"question": "n", "equals": 3}, {"n": 4}, False, id="equals-other-number"),
    pytest.param({"question": "x", "equals": 1}, {"x": 1.0}, True, id="equals-1-is-1.0"),
    pytest.param({"question": "t", "equals": "có"}, {"t": "có"}, True, id="equals-text"),
    # in
    pytest.param({"question": "s", "in": ["a", "b"]}, {"s": "b"}, True, id="in-listed"),
    pytest.param({"question": "s", "in": ["a", "b"]}, {"s": "c"}, False, id="in-not-listed"),
    pytest.param({"question": "s", "in": ["a", "b"]}, {}, False, id="in-unanswered"),
    pytest.param({"question": "n", "in": [1, 2]}, {"n": 2}, True, id="in-numbers"),
    # multi-choice membership
    pytest.param({"question": "m", "equals": "a"}, {"m": ["b", "a"]}, True, id="multi-equals-is-membership"),
    pytest.param({"question": "m", "equals": "a"}, {"m": ["b", "c"]}, False, id="multi-equals-not-member"),
    pytest.param({"question": "m", "equals": "a"}, {"m": []}, False, id="multi-equals-nothing-chosen"),
    pytest.param({"question": "m", "in": ["a", "c"]}, {"m": ["c"]}, True, id="multi-in-overlap"),
    pytest.param({"question": "m", "in": ["a", "c"]}, {"m": ["b"]}, False, id="multi-in-no-overlap"),
    # at_least
    pytest.param({"question": "n", "at_least": 5}, {"n": 5}, True, id="at-least-exact"),
    pytest.param({"question": "n", "at_least": 5}, {"n": 4}, False, id="at-least-below"),
    pytest.param({"question": "n", "at_least": 5}, {}, False, id="at-least-unanswered"),
    pytest.param({"question": "x", "at_least": 0.5}, {"x": 0.5}, True, id="at-least-number-exact"),
    pytest.param({"question": "x", "at_least": 0.5}, {"x": 0.49}, False, id="at-least-number-below"),
    # answered
    pytest.param({"question": "t", "answered": True}, {"t": "x"}, True, id="answered-true-text"),
    pytest.param({"question": "t", "answered": True}, {"t": ""}, False, id="answered-true-empty-text"),
    pytest.param({"question": "t", "answered": True}, {}, False, id="answered-true-missing"),
    pytest.param({"question": "t", "answered": False}, {}, True, id="answered-false-missing"),
    pytest.param({"question": "t", "answered": False}, {"t": "x"}, False, id="answered-false-answered"),
    pytest.param({"question": "f", "answered": True}, {"f": "ref.pdf"}, True, id="answered-file"),
    pytest.param({"question": "f", "answered": True}, {"f": None}, False, id="answered-file-null"),
    pytest.param({"question": "m", "answered": True}, {"m": []}, False, id="answered-empty-selection"),
    pytest.param({"question": "n", "answered": True}, {"n": 0}, True, id="answered-zero-is-an-answer"),
    pytest.param({"question": "b", "answered": True}, {"b": False}, True, id="answered-false-is-an-answer"),
    # combinators
    pytest.param({"all": [{"question": "b", "equals": True}, {"question": "n", "at_least": 5}]},
                 {"b": True, "n": 5}, True, id="all-hold"),
    pytest.param({"all": [{"question": "b", "equals": True}, {"question": "n", "at_least": 5}]},
                 {"b": True, "n": 4}, False, id="all-one-fails"),
    pytest.param({"any": [{"question": "b", "equals": True}, {"question": "n", "at_least": 5}]},
                 {"b": False, "n": 5}, True, id="any-one-holds"),
    pytest.param({"any": [{"question": "b", "equals": True}, {"question": "n", "at_least": 5}]},
                 {"b": False, "n": 4}, False, id="any-none-holds"),
    pytest.param({"not": {"question": "b", "equals": True}}, {"b": False}, True, id="not-false"),
    pytest.param({"not": {"question": "b", "equals": True}}, {}, True, id="not-unanswered"),
    pytest.param({"not": {"question": "b", "equals": True}}, {"b": True}, False, id="not-true"),
    pytest.param({"all": [{"any": [{"question": "s", "equals": "a"}, {"question": "m", "in": ["c"]}]},
                          {"not": {"question": "n", "at_least": 10}}]},
                 {"m": ["c"], "n": 3}, True, id="nested-holds"),
    pytest.param({"all": [{"any": [{"question": "s", "equals": "a"}, {"question": "m", "in": ["c"]}]},
                          {"not": {"question": "n", "at_least": 10}}]},
                 {"m": ["c"], "n": 10}, False, id="nested-not-fails"),
    pytest.param({"all": [{"any": [{"question": "s", "equals": "a"}, {"question": "m", "in": ["c"]}]},
                          {"not": {"question": "n", "at_least": 10}}]},
                 {"s": "b", "n": 1}, False, id="nested-any-fails"),
]


@pytest.mark.parametrize("condition, answers, shown", CONDITION_CASES)
def test_visible_if_condition(condition, answers, shown):
    target = q("target", "boolean", points={"true": 1}, visible_if=condition)
    definition = form(*SOURCES, target)
    assert visibility(definition, answers)["target"] is shown
    assert holds(Condition.of(condition), answers) is shown
    report = score(definition, {**answers, "target": True})
    assert entry(report, "target")["visible"] is shown
    assert entry(report, "target")["points"] == (1 if shown else 0)


@pytest.mark.parametrize("condition, answers, expected", [
    pytest.param({"question": "n", "equals": 1}, {"n": True}, False, id="true-is-not-1"),
    pytest.param({"question": "n", "equals": 0}, {"n": False}, False, id="false-is-not-0"),
    pytest.param({"question": "b", "equals": True}, {"b": 1}, False, id="1-is-not-true"),
    pytest.param({"question": "n", "in": [1, 2]}, {"n": True}, False, id="true-is-not-in-1-2"),
    pytest.param({"question": "b", "in": [True]}, {"b": 1}, False, id="1-is-not-in-true"),
    pytest.param({"question": "n", "at_least": 1}, {"n": True}, False, id="true-is-not-at-least-1"),
    pytest.param({"question": "m", "equals": 1}, {"m": [True]}, False, id="true-is-not-a-member-1"),
    pytest.param({"question": "n", "equals": 1}, {"n": 1.0}, True, id="1.0-is-1"),
    pytest.param({"question": "b", "equals": True}, {"b": True}, True, id="true-is-true"),
])
def test_holds_keeps_json_types_apart(condition, answers, expected):
    assert holds(Condition.of(condition), answers) is expected


def chain_definition() -> Definition:
    return form(
        q("co", "boolean", points={"true": 1}),
        q("so", "integer", points={"bands": [{"at_least": 1, "points": 2}]},
          visible_if={"question": "co", "equals": True}),
        q("chi_tiet", "boolean", points={"true": 3}, visible_if={"question": "so", "at_least": 1}),
        q("neu_khong", "boolean", points={"true": 4}, visible_if={"not": {"question": "so", "answered": True}}),
        q("sau_cung", "boolean", points={"true": 5}, visible_if={"question": "chi_tiet", "answered": True}),
    )


def test_question_hidden_when_its_condition_reads_a_hidden_question():
    definition = chain_definition()
    answers = {"co": False, "so": 5, "chi_tiet": True, "neu_khong": True, "sau_cung": True}
    shown = visibility(definition, answers)
    assert shown == {"co": True, "so": False, "chi_tiet": False, "neu_khong": True, "sau_cung": False}
    report = score(definition, answers)
    assert [entry(report, qid)["points"] for qid in shown] == [0, 0, 0, 4, 0]
    assert report["total"] == 4


def test_chain_opens_when_its_first_question_is_answered():
    definition = chain_definition()
    answers = {"co": True, "so": 5, "chi_tiet": True, "neu_khong": True, "sau_cung": True}
    assert visibility(definition, answers) == {"co": True, "so": True, "chi_tiet": True, "neu_khong": False,
                                               "sau_cung": True}
    assert score(definition, answers)["total"] == 1 + 2 + 3 + 5


# ---------------------------------------------------------------------------------------------
# 3. Hidden questions.
# ---------------------------------------------------------------------------------------------

def hidden_form() -> Definition:
    return form(
        q("co", "boolean", required=True, points={"true": 1}),
        q("so", "integer", required=True, min=0, max=10, points={"bands": [{"at_least": 1, "points": 2}]},
          visible_if={"question": "co", "equals": True}),
        q("tep", "file", required=True, points={"if_provided": 3}, visible_if={"question": "co", "equals": True}),
        q("ghi_chu", "text", required=True),
    )


def test_hidden_answers_earn_nothing_and_are_not_reported():
    report = score(hidden_form(), {"co": False, "so": 5, "tep": "ref.pdf", "ghi_chu": "x"})
    for qid in ("so", "tep"):
        item = entry(report, qid)
        assert item["visible"] is False
        assert item["answer"] is None
        assert item["points"] == 0
        assert item["rule"].strip()
    assert entry(report, "so")["max_points"] == 2  # the maximum is the rule's, shown or not
    english = score(hidden_form(), {"co": False, "so": 5, "tep": "ref.pdf"}, lang="en")
    assert entry(english, "so")["rule"] == entry(english, "tep")["rule"] == "Not shown → 0 points"
    assert report["total"] == 0
    assert report["sections"][0]["max"] == 6


def test_visible_answers_are_reported():
    report = score(hidden_form(), {"co": True, "so": 5, "tep": "ref.pdf", "ghi_chu": "x"})
    assert [entry(report, qid)["answer"] for qid in ("co", "so", "tep", "ghi_chu")] == [True, 5, "ref.pdf", "x"]
    assert report["total"] == 6


def test_hidden_required_questions_are_not_required():
    definition = hidden_form()
    answers = {"co": False}
    assert missing_required(definition, answers) == ["ghi_chu"]
    errors = validate_answers(definition, answers, require=True)
    assert [(e.code, e.question) for e in errors] == [("required", "ghi_chu")]
    assert score(definition, answers)["missing_required"] == ["ghi_chu"]


def test_visible_required_questions_unanswered_are_listed_in_form_order():
    definition = hidden_form()
    answers = {"co": True, "tep": None, "ghi_chu": ""}
    assert missing_required(definition, answers) == ["so", "tep", "ghi_chu"]
    assert [e.question for e in validate_answers(definition, answers, require=True)] == ["so", "tep", "ghi_chu"]
    assert validate_answers(definition, answers) == []  # a draft: nothing required yet


def test_invalid_value_for_hidden_question_is_not_an_error():
    definition = hidden_form()
    answers = {"co": False, "so": "nhiều", "tep": 42}
    assert validate_answers(definition, answers) == []
    report = score(definition, answers)
    assert entry(report, "so")["answer"] is None and entry(report, "so")["points"] == 0
    assert entry(report, "tep")["answer"] is None


def test_same_invalid_value_is_an_error_once_the_question_is_shown():
    errors = validate_answers(hidden_form(), {"co": True, "so": "nhiều"})
    assert [(e.code, e.question) for e in errors] == [("integer", "so")]


# ---------------------------------------------------------------------------------------------
# 4. Validation errors.
# ---------------------------------------------------------------------------------------------

VALIDATION_CASES = [
    pytest.param(q("v", "integer"), True, "integer", id="integer-true-is-not-an-integer"),
    pytest.param(q("v", "integer"), False, "integer", id="integer-false-is-not-an-integer"),
    pytest.param(q("v", "integer"), 1.5, "integer", id="integer-fraction"),
    pytest.param(q("v", "integer"), "5", "integer", id="integer-string"),
    pytest.param(q("v", "integer"), [5], "integer", id="integer-list"),
    pytest.param(q("v", "integer"), float("inf"), "integer", id="integer-infinity"),
    pytest.param(q("v", "integer", min=0), -1, "below_min", id="integer-below-min"),
    pytest.param(q("v", "integer", max=10), 11, "above_max", id="integer-above-max"),
    pytest.param(q("v", "number"), float("nan"), "number", id="number-nan"),
    pytest.param(q("v", "number"), float("inf"), "number", id="number-infinity"),
    pytest.param(q("v", "number"), float("-inf"), "number", id="number-minus-infinity"),
    pytest.param(q("v", "number"), "1.5", "number", id="number-string"),
    pytest.param(q("v", "number"), True, "number", id="number-boolean"),
    pytest.param(q("v", "number", min=0.5), 0.4999, "below_min", id="number-below-min"),
    pytest.param(q("v", "number", max=1), 1.0001, "above_max", id="number-above-max"),
    pytest.param(q("v", "boolean"), 1, "boolean", id="boolean-one"),
    pytest.param(q("v", "boolean"), 0, "boolean", id="boolean-zero"),
    pytest.param(q("v", "boolean"), "true", "boolean", id="boolean-string"),
    pytest.param(q("v", "text"), 5, "text", id="text-number"),
    pytest.param(q("v", "text"), ["a"], "text", id="text-list"),
    pytest.param(q("v", "text", max_length=5), "sáu ký", "too_long", id="text-over-max-length"),
    pytest.param(q("v", "date"), "2020-13-01", "date", id="date-month-13"),
    pytest.param(q("v", "date"), "2021-02-29", "date", id="date-not-a-real-day"),
    pytest.param(q("v", "date"), "01/02/2020", "date", id="date-wrong-format"),
    pytest.param(q("v", "date"), "2020-1-1", "date", id="date-without-padding"),
    pytest.param(q("v", "date"), "2020-01-01T00:00", "date", id="date-with-time"),
    pytest.param(q("v", "date"), 20200101, "date", id="date-number"),
    pytest.param(q("v", "date"), "2020-W01-1", "date", id="date-iso-week-form"),
    pytest.param(q("v", "date", min="2018-01-01"), "2017-12-31", "date_before_min", id="date-before-min"),
    pytest.param(q("v", "date", max="2022-12-31"), "2023-01-01", "date_after_max", id="date-after-max"),
    pytest.param(q("v", "single_choice", choices=choices(a=1, b=2)), "z", "choice", id="single-unknown-choice"),
    pytest.param(q("v", "single_choice", choices=choices(a=1, b=2)), ["a"], "choice", id="single-list"),
    pytest.param(q("v", "single_choice", choices=[{"value": 1, "label": "Một", "points": 1}]), "1", "choice",
                 id="single-string-for-integer-value"),
    pytest.param(q("v", "single_choice", choices=[{"value": 1, "label": "Một", "points": 1}]), True, "choice",
                 id="single-true-for-integer-value"),
    pytest.param(q("v", "multi_choice", choices=choices(a=1, b=2)), "a", "choices_list", id="multi-not-a-list"),
    pytest.param(q("v", "multi_choice", choices=choices(a=1, b=2)), {"a": True}, "choices_list", id="multi-object"),
    pytest.param(q("v", "multi_choice", choices=choices(a=1, b=2)), ["a", "z"], "choice", id="multi-unknown-choice"),
    pytest.param(q("v", "multi_choice", choices=choices(a=1, b=2)), ["a", "a"], "choice_repeated",
                 id="multi-repeated-choice"),
    pytest.param(q("v", "multi_choice", min_selected=2, choices=choices(a=1, b=2, c=3)), ["a"], "too_few",
                 id="multi-fewer-than-min-selected"),
    pytest.param(q("v", "multi_choice", max_selected=2, choices=choices(a=1, b=2, c=3)), ["a", "b", "c"], "too_many",
                 id="multi-more-than-max-selected"),
    pytest.param(q("v", "file", points={"if_provided": 1}), "   ", "file", id="file-blank-reference"),
    pytest.param(q("v", "file", points={"if_provided": 1}), 42, "file", id="file-number"),
    pytest.param(q("v", "file", points={"if_provided": 1}), True, "file", id="file-boolean"),
    pytest.param(q("v", "file", points={"if_provided": 1}), "", "file", id="file-empty-string"),
]


@pytest.mark.parametrize("question, value, code", VALIDATION_CASES)
def test_invalid_answer_is_rejected_naming_the_question(question, value, code):
    definition = form(question)
    errors = validate_answers(definition, {"v": value})
    assert [(e.code, e.question) for e in errors] == [(code, "v")]
    assert "Câu hỏi v" in errors[0].message("vi")
    errors_en = validate_answers(definition, {"v": value}, lang="en")
    assert [(e.code, e.question) for e in errors_en] == [(code, "v")]
    assert "Question v" in errors_en[0].message("en")
    assert errors[0].message("vi") != errors_en[0].message("en")
    with pytest.raises(InvalidAnswers) as caught:
        score(definition, {"v": value})
    assert [(e.code, e.question) for e in caught.value.errors] == [(code, "v")]


@pytest.mark.parametrize("question, value", [
    pytest.param(q("v", "integer", min=0, max=10), 0, id="integer-at-min"),
    pytest.param(q("v", "integer", min=0, max=10), 10, id="integer-at-max"),
    pytest.param(q("v", "number", min=0, max=1), 1, id="number-at-max"),
    pytest.param(q("v", "date", min="2018-01-01", max="2022-12-31"), "2018-01-01", id="date-at-min"),
    pytest.param(q("v", "date", min="2018-01-01", max="2022-12-31"), "2022-12-31", id="date-at-max"),
    pytest.param(q("v", "text", max_length=6), "năm ký", id="text-at-max-length"),
    pytest.param(q("v", "multi_choice", min_selected=2, max_selected=2, choices=choices(a=1, b=2, c=3)), ["c", "a"],
                 id="multi-exactly-min-and-max-selected"),
    pytest.param(q("v", "file"), "tệp.pdf", id="file-reference"),
])
def test_value_at_the_limits_is_accepted(question, value):
    definition = form(question)
    assert validate_answers(definition, {"v": value}) == []
    score(definition, {"v": value})


def test_unknown_question_is_an_error_naming_it():
    definition = form(BOOL)
    errors = validate_answers(definition, {"b": True, "khong_co": 1})
    assert [(e.code, e.question) for e in errors] == [("unknown_question", "khong_co")]
    assert "khong_co" in errors[0].message("vi") and "khong_co" in errors[0].message("en")
    with pytest.raises(InvalidAnswers) as caught:
        score(definition, {"khong_co": None})
    assert caught.value.errors[0].question == "khong_co"


NOT_OBJECTS = pytest.mark.parametrize("answers", [[], ["b"], "b", 5, None, True], ids=repr)

@NOT_OBJECTS
def test_answers_that_are_not_an_object_are_flagged_by_validation(answers):
    errors = validate_answers(form(BOOL), answers)
    assert [(e.code, e.question) for e in errors] == [("not_an_object", None)]


def test_not_an_object_error_has_a_message_in_both_languages():
    error = validate_answers(form(BOOL), [])[0]
    assert "JSON" in error.message("vi") and "JSON" in error.message("en")
    assert error.message("vi") != error.message("en")


@NOT_OBJECTS
def test_scoring_answers_that_are_not_an_object_raises_invalid_answers(answers):
    with pytest.raises(InvalidAnswers) as caught:
        score(form(BOOL), answers)
    assert [e.code for e in caught.value.errors] == ["not_an_object"]


def test_every_error_is_reported_not_only_the_first():
    definition = make_definition()
    answers = {"co_ke_hoach": 1, "tong_so": "100", "ghi_chu": 5, "khong_co": 1}
    errors = validate_answers(definition, answers)
    assert {(e.code, e.question) for e in errors} == {
        ("boolean", "co_ke_hoach"), ("integer", "tong_so"), ("text", "ghi_chu"), ("unknown_question", "khong_co")}
    with pytest.raises(InvalidAnswers) as caught:
        score(definition, answers)
    assert len(caught.value.errors) == 4
    assert "khong_co" in str(caught.value)


def test_invalid_answers_error_is_a_value_error():
    with pytest.raises(ValueError):
        score(make_definition(), {"tong_so": -1})


def test_huge_integer_answer_is_an_answer_error_not_a_crash():
    definition = form(INTEGER)
    try:
        report = score(definition, {"n": 10 ** 400})
    except InvalidAnswers as exc:
        assert exc.errors[0].question == "n"
    else:
        assert entry(report, "n")["points"] == 3


# ---------------------------------------------------------------------------------------------
# 5. Adjustments.
# ---------------------------------------------------------------------------------------------

def adjust_form() -> Definition:
    return form(
        q("b", "boolean", points={"true": 4, "false": 0}),
        q("s", "single_choice", choices=choices(a=3, b=1)),
        q("an", "boolean", points={"true": 2}, visible_if={"question": "b", "equals": True}),
        q("t", "text"),
        pass_min=5,
        result={"bands": [{"at_least": 7, "label": {"vi": "Cao", "en": "High"}},
                          {"at_least": 0, "label": {"vi": "Thấp", "en": "Low"}}],
                "recognised_if": {"total_at_least": 6, "all_sections_pass": True}},
    )


def test_adjustment_as_a_number_replaces_the_points_and_keeps_the_automatic_ones():
    report = score(adjust_form(), {"b": True, "s": "a"}, {"s": 2})
    item = entry(report, "s")
    assert item["points"] == 2 and item["auto_points"] == 3 and item["adjusted"] is True
    assert item["max_points"] == 3
    assert report["total"] == 6 and report["auto_total"] == 7
    assert report["sections"][0]["score"] == 6 and report["sections"][0]["auto_score"] == 7
    assert "điều chỉnh" in item["rule"] and "2" in item["rule"]
    assert entry(report, "b")["adjusted"] is False and entry(report, "b")["auto_points"] == entry(report, "b")["points"]


def test_adjustment_with_reason_shows_the_reason_in_the_rule():
    report = score(adjust_form(), {"b": True, "s": "a"}, {"s": {"points": 1, "reason": "Thiếu minh chứng"}}, lang="en")
    item = entry(report, "s")
    assert item["points"] == 1 and item["auto_points"] == 3 and item["adjusted"] is True
    assert item["reason"] == "Thiếu minh chứng"
    assert "Thiếu minh chứng" in item["rule"] and "adjustment" in item["rule"]


@pytest.mark.parametrize("raw, expected", [
    pytest.param(-2, 0, id="negative-to-zero"),
    pytest.param({"points": -0.5, "reason": "x"}, 0, id="negative-with-reason-to-zero"),
    pytest.param(0, 0, id="zero"),
    pytest.param(2.5, 2.5, id="fraction-kept"),
    pytest.param(3, 3, id="exactly-the-maximum"),
    pytest.param(3.01, 3, id="just-above-maximum"),
    pytest.param(100, 3, id="far-above-maximum"),
])
def test_adjusted_points_are_clamped_to_the_question_range(raw, expected):
    report = score(adjust_form(), {"b": True, "s": "b"}, {"s": raw})
    item = entry(report, "s")
    assert item["points"] == expected and item["auto_points"] == 1
    assert report["total"] == 4 + expected
    assert report["auto_total"] == 5


def test_adjusting_a_question_without_points_keeps_it_at_zero():
    item = entry(score(adjust_form(), {"t": "x"}, {"t": 5}), "t")
    assert item["points"] == 0 and item["adjusted"] is True


def test_adjustment_of_an_unanswered_visible_question_counts():
    report = score(adjust_form(), {}, {"s": 3})
    assert entry(report, "s")["points"] == 3 and entry(report, "s")["auto_points"] == 0


def test_adjusted_points_decide_section_band_and_recognition():
    definition = adjust_form()
    answers = {"b": False, "s": "b"}
    auto = score(definition, answers)
    assert (auto["total"], auto["band"], auto["recognised"], auto["sections"][0]["passed"]) == (1, "Thấp", False, False)
    adjusted = score(definition, answers, {"b": 4, "s": {"points": 3, "reason": "bổ sung minh chứng"}})
    assert adjusted["total"] == 7 and adjusted["auto_total"] == 1
    assert adjusted["sections"][0]["score"] == 7 and adjusted["sections"][0]["auto_score"] == 1
    assert adjusted["sections"][0]["passed"] is True
    assert adjusted["band"] == "Cao"
    assert adjusted["recognised"] is True
    lowered = score(definition, {"b": True, "s": "a", "an": True}, {"b": 0})
    assert (lowered["total"], lowered["auto_total"], lowered["band"], lowered["recognised"]) == (5, 9, "Thấp", False)


def test_empty_adjustments_change_nothing():
    definition = adjust_form()
    answers = {"b": True, "s": "a"}
    assert score(definition, answers, {}) == score(definition, answers, None) == score(definition, answers)


@pytest.mark.parametrize("adjustments, code, qid", [
    pytest.param({"khong_co": 1}, "adjustment_unknown", "khong_co", id="unknown-question"),
    pytest.param({"s": "2"}, "adjustment_value", "s", id="string"),
    pytest.param({"s": True}, "adjustment_value", "s", id="boolean"),
    pytest.param({"s": None}, "adjustment_value", "s", id="null"),
    pytest.param({"s": float("nan")}, "adjustment_value", "s", id="nan"),
    pytest.param({"s": float("inf")}, "adjustment_value", "s", id="infinity"),
    pytest.param({"s": [1]}, "adjustment_value", "s", id="list"),
    pytest.param({"s": {"reason": "thiếu"}}, "adjustment_value", "s", id="object-without-points"),
    pytest.param({"s": {"points": "1", "reason": "x"}}, "adjustment_value", "s", id="object-with-string-points"),
    pytest.param({"an": 1}, "adjustment_hidden", "an", id="hidden-question"),
])
def test_invalid_adjustment_is_rejected_naming_the_question(adjustments, code, qid):
    with pytest.raises(InvalidAnswers) as caught:
        score(adjust_form(), {"b": False, "s": "a"}, adjustments)
    assert [(e.code, e.question) for e in caught.value.errors] == [(code, qid)]
    error = caught.value.errors[0]
    assert error.message("vi") and error.message("en")
    if code != "adjustment_unknown":
        assert f"Câu hỏi {qid}" in error.message("vi")
    else:
        assert qid in error.message("vi") and qid in error.message("en")


@pytest.mark.parametrize("adjustments", [[["s", 1]], "s", 5], ids=["list", "string", "number"])
def test_adjustments_that_are_not_an_object_are_invalid_input(adjustments):
    with pytest.raises(InvalidAnswers):
        score(adjust_form(), {"b": True, "s": "a"}, adjustments)


# ---------------------------------------------------------------------------------------------
# 6. The report's shape.
# ---------------------------------------------------------------------------------------------

def test_report_has_every_key_of_the_interface_with_json_types():
    definition = make_definition()
    answers = {"co_ke_hoach": True, "tong_so": 100, "danh_gia": 50, "hinh_thuc": "truc_tiep", "kenh": ["zalo"],
               "minh_chung": "ref.pdf", "ghi_chu": "ok", "ngay": "2020-01-01", "ti_le": 0.5}
    report = score(definition, answers)
    assert {"form", "total", "max_total", "band", "recognised", "sections", "questions", "missing_required"} <= set(report)
    assert report["form"] == {"id": "mau-thu", "version": 1}
    for key in ("total", "max_total"):
        assert type(report[key]) is float
    assert isinstance(report["band"], str)
    assert isinstance(report["recognised"], bool)
    assert isinstance(report["missing_required"], list)
    assert len(report["sections"]) == 1
    for sec in report["sections"]:
        assert {"id", "score", "max", "pass_min", "passed"} <= set(sec)
        assert type(sec["score"]) is float and type(sec["max"]) is float and type(sec["pass_min"]) is float
        assert isinstance(sec["passed"], bool)
    assert [item["id"] for item in report["questions"]] == [qq.id for qq in definition.questions]
    for item in report["questions"]:
        assert {"id", "section", "visible", "answer", "points", "max_points", "rule"} <= set(item)
        assert item["section"] == "phan_a"
        assert isinstance(item["visible"], bool)
        assert type(item["points"]) is float and type(item["max_points"]) is float
        assert isinstance(item["rule"], str) and item["rule"]
    assert entry(report, "kenh")["answer"] == ["zalo"]
    assert report["total"] == 4 + 3 + 5 + 2 + 2 + 1  # bool, integer band, ratio 50%, choice, zalo, file
    assert report["max_total"] == 4 + 3 + 5 + 2 + 3 + 1
    sec = report["sections"][0]
    assert (sec["id"], sec["score"], sec["max"], sec["pass_min"], sec["passed"]) == ("phan_a", 17.0, 18.0, 5.0, True)
    assert report["band"] == "Tốt" and report["recognised"] is True
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_report_is_in_the_requested_language():
    definition = make_definition()
    answers = {"co_ke_hoach": True, "tong_so": 5}
    vi, en = score(definition, answers), score(definition, answers, lang="en")
    assert vi["band"] == "Chưa đạt" and en["band"] == "Not yet"
    assert entry(en, "co_ke_hoach")["rule"] == "Yes → 4 points"
    assert entry(vi, "co_ke_hoach")["rule"] == "Có → 4 điểm"
    strip = lambda r: [(i["id"], i["points"], i["max_points"], i["visible"]) for i in r["questions"]]  # noqa: E731
    assert strip(vi) == strip(en) and vi["total"] == en["total"]


def test_section_without_pass_min_has_null_pass_min_and_passes():
    definition = form(BOOL)
    report = score(definition, {})
    assert report["sections"][0]["pass_min"] is None
    assert report["sections"][0]["passed"] is True
    json.dumps(report)


def test_form_without_result_has_no_band():
    report = score(form(BOOL), {"b": True})
    assert report["band"] is None
    assert report["recognised"] is None  # no recognised_if: the question is not asked
    assert report["total"] == 4.0 and report["max_total"] == 4.0


def test_form_with_bands_but_no_recognition_rule_gets_a_band():
    definition = form(BOOL, result={"bands": [{"at_least": 4, "label": "Đủ"}, {"at_least": 0, "label": "Thiếu"}]})
    assert score(definition, {"b": True})["band"] == "Đủ"
    assert score(definition, {"b": False})["band"] == "Thiếu"
    assert score(definition, {"b": True}, lang="en")["band"] == "Đủ"  # vi-only label falls back
    assert score(definition, {"b": True})["recognised"] is None and score(definition, {"b": False})["recognised"] is None


def counting_form(pass_min=None, result=None, second_section_pass_min=None) -> Definition:
    """One integer question `n` earning min(n, 10) points, plus an optional second section with a boolean."""
    bands = [{"at_least": k, "points": k} for k in range(10, 0, -1)]
    sections = [section("dem", q("n", "integer", min=0, points={"bands": bands}), pass_min=pass_min)]
    if second_section_pass_min is not None:
        sections.append(section("them", q("b", "boolean", points={"true": 2}), pass_min=second_section_pass_min))
    return checked(document(*sections, result=result))


BANDS = [{"at_least": 8, "label": {"vi": "Giỏi", "en": "Good"}}, {"at_least": 5, "label": {"vi": "Khá", "en": "Fair"}}]


@pytest.mark.parametrize("n, band", [(0, None), (4, None), (5, "Khá"), (7, "Khá"), (8, "Giỏi"), (10, "Giỏi")])
def test_result_band_at_exact_boundaries(n, band):
    definition = counting_form(result={"bands": BANDS})
    report = score(definition, {"n": n})
    assert report["total"] == min(n, 10)
    assert report["band"] == band
    if band:
        assert score(definition, {"n": n}, lang="en")["band"] == {"Giỏi": "Good", "Khá": "Fair"}[band]


@pytest.mark.parametrize("n, passed", [(6, False), (7, True), (8, True)])
def test_section_passes_at_exactly_its_pass_min(n, passed):
    report = score(counting_form(pass_min=7), {"n": n})
    assert report["sections"][0]["passed"] is passed
    assert report["sections"][0]["pass_min"] == 7.0


@pytest.mark.parametrize("n, recognised", [(5, False), (6, True), (10, True)])
def test_recognised_by_total_alone(n, recognised):
    definition = counting_form(pass_min=9, result={"recognised_if": {"total_at_least": 6}})
    report = score(definition, {"n": n})
    assert report["recognised"] is recognised
    assert report["band"] is None


@pytest.mark.parametrize("n, b, recognised", [
    (7, True, True), (6, True, False), (7, False, False), (10, False, False), (0, True, False)])
def test_recognised_when_all_sections_pass_alone(n, b, recognised):
    definition = counting_form(pass_min=7, second_section_pass_min=2,
                               result={"recognised_if": {"all_sections_pass": True}})
    report = score(definition, {"n": n, "b": b})
    assert report["recognised"] is recognised
    assert [s["passed"] for s in report["sections"]] == [n >= 7, b]


def test_section_without_pass_min_does_not_block_recognition():
    doc = document(section("dem", q("n", "integer", points={"bands": [{"at_least": 1, "points": 1}]}), pass_min=1),
                   section("tu_do", q("b", "boolean", points={"true": 2})),
                   result={"recognised_if": {"all_sections_pass": True}})
    report = score(checked(doc), {"n": 1})
    assert report["sections"][1]["pass_min"] is None and report["sections"][1]["passed"] is True
    assert report["recognised"] is True


@pytest.mark.parametrize("n, b, recognised", [
    pytest.param(8, False, False, id="total-reached-but-a-section-fails"),
    pytest.param(6, True, True, id="total-exactly-reached-and-sections-pass"),
    pytest.param(5, True, False, id="sections-pass-but-total-short"),
    pytest.param(10, True, True, id="both-hold"),
])
def test_recognised_needs_total_and_all_sections(n, b, recognised):
    definition = counting_form(pass_min=5, second_section_pass_min=2,
                               result={"bands": BANDS, "recognised_if": {"total_at_least": 8, "all_sections_pass": True}})
    report = score(definition, {"n": n, "b": b})
    assert report["recognised"] is recognised


def test_recognition_fails_on_total_even_when_every_section_passes():
    definition = counting_form(pass_min=1, second_section_pass_min=2,
                               result={"recognised_if": {"total_at_least": 9, "all_sections_pass": True}})
    report = score(definition, {"n": 6, "b": True})
    assert all(s["passed"] for s in report["sections"]) and report["total"] == 8
    assert report["recognised"] is False
    assert score(definition, {"n": 7, "b": True})["recognised"] is True


def test_max_total_is_the_sum_of_section_maxima():
    definition = counting_form(pass_min=6, second_section_pass_min=2)
    report = score(definition, {})
    assert [s["max"] for s in report["sections"]] == [10.0, 2.0]
    assert report["max_total"] == 12.0


# ---------------------------------------------------------------------------------------------
# 7. The shipped self-assessment.
# ---------------------------------------------------------------------------------------------

SELF_ASSESSMENT = "tu-danh-gia-3-chu-dong"


# The latest shipped version of each form (what new submissions are answered on).
SHIPPED = {d.id: d for d in sorted(load_definitions(), key=lambda d: d.version)}


@pytest.fixture
def shipped() -> dict[str, Definition]:
    return SHIPPED


def best_answers(definition: Definition) -> dict:
    """For each question, the answer that earns its maximum (denominators sized so ratios reach their top band)."""
    answers: dict = {}
    ratio_questions = []
    for question in definition.questions:
        kind = question.type
        if kind == "boolean":
            answers[question.id] = (question.points_true or 0) >= (question.points_false or 0)
        elif kind == "single_choice":
            answers[question.id] = max(question.choices, key=lambda c: c.points or 0).value
        elif kind == "multi_choice":
            ranked = sorted((c for c in question.choices if (c.points or 0) > 0), key=lambda c: -(c.points or 0))
            if question.max_selected is not None:
                ranked = ranked[: question.max_selected]
            chosen = [c.value for c in ranked]
            if len(chosen) < (question.min_selected or 0):
                chosen += [c.value for c in question.choices if c.value not in chosen][: question.min_selected - len(chosen)]
            answers[question.id] = chosen
        elif kind in ("integer", "number"):
            if question.ratio_to is not None:
                ratio_questions.append(question)
                continue
            value = question.bands[0].at_least if question.bands else 20
            if question.min is not None:
                value = max(value, question.min)
            answers[question.id] = math.ceil(value) if kind == "integer" else value
        elif kind == "file":
            answers[question.id] = "ref.pdf"
        elif kind == "text":
            answers[question.id] = "Tự nhận xét."
        elif kind == "date":
            answers[question.id] = question.max or question.min or "2020-01-01"
    for question in ratio_questions:
        denominator = answers[question.ratio_to]
        top = question.bands[0].at_least
        value = math.ceil(top * denominator)
        while value / denominator < top:
            value += 1
        answers[question.id] = value
    return answers


def test_self_assessment_is_shipped_with_100_points(shipped):
    definition = shipped[SELF_ASSESSMENT]
    assert definition.maximum == 100
    assert [s.maximum for s in definition.sections] == [40, 40, 20]


def test_empty_self_assessment_scores_zero_and_lists_required_questions(shipped):
    definition = shipped[SELF_ASSESSMENT]
    report = score(definition, {})
    assert report["total"] == 0 and report["max_total"] == 100
    assert all(s["score"] == 0 and s["passed"] is False for s in report["sections"])
    assert report["recognised"] is False
    assert report["band"] == "Chưa đạt"
    expected = [qq.id for qq in definition.questions if qq.required and qq.visible_if is None]
    assert report["missing_required"] == expected
    assert "kenh_nam_bat_tinh_hinh" in expected and "so_doan_vien" in expected
    assert "so_dvtn_hoan_canh_kho_khan" not in report["missing_required"]  # required but hidden
    assert "so_cong_trinh_phan_viec" not in report["missing_required"]
    assert json.loads(json.dumps(report)) == report


def test_best_case_self_assessment_scores_the_full_100(shipped):
    definition = shipped[SELF_ASSESSMENT]
    answers = best_answers(definition)
    assert validate_answers(definition, answers, require=True) == []
    report = score(definition, answers)
    for item in report["questions"]:
        assert item["points"] == item["max_points"], (item["id"], item["rule"])
    assert report["total"] == report["max_total"] == 100.0
    assert [s["score"] for s in report["sections"]] == [40.0, 40.0, 20.0]
    assert all(s["passed"] for s in report["sections"])
    assert report["recognised"] is True
    assert report["band"] == "Xuất sắc"
    assert score(definition, answers, lang="en")["band"] == "Excellent"
    assert report["missing_required"] == []


def test_section_below_its_pass_mark_withholds_recognition_despite_a_high_total(shipped):
    definition = shipped[SELF_ASSESSMENT]
    answers = best_answers(definition)
    # nhóm 2.3 (max 20, pass 14): take 7 points away with adjustments → 13, total 93 (still "Xuất sắc")
    adjustments = {"so_de_xuat_tham_muu_cap_uy": 0, "noi_dung_tham_muu_can_bo": 0}
    report = score(definition, answers, adjustments)
    assert report["sections"][2]["score"] == 13 and report["sections"][2]["passed"] is False
    assert report["total"] == 93 and report["band"] == "Xuất sắc"
    assert report["recognised"] is False
    assert report["auto_total"] == 100


def test_registration_form_collects_without_scoring(shipped):
    definition = shipped["dang-ky-3-chu-dong"]
    report = score(definition, {})
    assert report["max_total"] == 0 and report["total"] == 0
    assert report["band"] is None
    assert all(s["pass_min"] is None and s["passed"] for s in report["sections"])


# ---------------------------------------------------------------------------------------------
# 8. Properties over random valid answer sets.
# ---------------------------------------------------------------------------------------------

SAFE_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def value_strategy(question) -> st.SearchStrategy:
    """Valid answers for one question, honouring its limits (an empty answer is valid too)."""
    kind = question.type
    if kind == "boolean":
        return st.booleans() | st.none()
    if kind == "single_choice":
        return st.sampled_from([c.value for c in question.choices]) | st.none()
    if kind == "multi_choice":
        values = [c.value for c in question.choices]
        low = question.min_selected or 0
        high = min(question.max_selected or len(values), len(values))
        return st.lists(st.sampled_from(values), unique=True, min_size=low, max_size=high) | st.just([])
    if kind in ("integer", "number"):
        low = question.min if question.min is not None else -20
        high = question.max if question.max is not None else low + 250
        high = min(high, low + 250)
        ints = st.integers(min_value=math.ceil(low), max_value=math.floor(high))
        if kind == "integer":
            return ints
        return ints | st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    if kind == "text":
        limit = min(question.max_length or 12, 12)
        return SAFE_TEXT.map(lambda s: s[:limit])
    if kind == "date":
        low = dt.date.fromisoformat(question.min) if question.min else dt.date(2000, 1, 1)
        high = dt.date.fromisoformat(question.max) if question.max else dt.date(2030, 12, 31)
        return st.dates(min_value=low, max_value=high).map(dt.date.isoformat)
    assert kind == "file"
    return st.none() | st.text(alphabet="abcxyz0123456789-_./", min_size=1, max_size=10).filter(str.strip)


def answers_strategy(definition: Definition) -> st.SearchStrategy:
    """Random valid answers, each question possibly left out."""
    return st.fixed_dictionaries({}, optional={qq.id: value_strategy(qq) for qq in definition.questions}).map(
        lambda answers: within_wholes(definition, answers))


def within_wholes(definition: Definition, answers: dict) -> dict:
    """The answers with every part brought down to its whole (`at_most`), as a valid answer set has it."""
    answers = dict(answers)
    for question in definition.questions:
        part, whole = answers.get(question.id), answers.get(question.at_most) if question.at_most else None
        if isinstance(part, (int, float)) and isinstance(whole, (int, float)) and part > whole:
            value = whole if question.type == "number" else math.floor(whole)
            if question.min is not None and value < question.min:
                del answers[question.id]
            else:
                answers[question.id] = value
    return answers


def near_best_strategy(definition: Definition) -> st.SearchStrategy:
    """Mostly the best answers with some replaced at random: reaches the pass marks and recognition often."""
    best = best_answers(definition)
    return st.fixed_dictionaries({qq.id: st.sampled_from([best[qq.id]] * 2 + [None]).flatmap(
        lambda value, qq=qq: value_strategy(qq) if value is None else st.just(value)) for qq in definition.questions}).map(
        lambda answers: within_wholes(definition, answers))


def shipped_answers() -> st.SearchStrategy:
    definition = SHIPPED[SELF_ASSESSMENT]
    return answers_strategy(definition) | near_best_strategy(definition)


ADJUSTMENT_VALUE = (
    st.integers(min_value=-5, max_value=15)
    | st.floats(min_value=-5, max_value=15, allow_nan=False)
    | st.fixed_dictionaries({"points": st.floats(min_value=-5, max_value=15, allow_nan=False)},
                            optional={"reason": SAFE_TEXT})
)


def reached(value: float, mark: float, full: float, applicable: float) -> bool:
    """The spec's scaled threshold on the decimals as written: value × full ≥ mark × applicable."""
    return Fraction(str(value)) * Fraction(str(full)) >= Fraction(str(mark)) * Fraction(str(applicable))


def check_invariants(definition: Definition, answers: dict, adjustments: dict | None) -> dict:
    """Every number of the report agrees with the others (format 1.1: with the maxima and marks of what applied)."""
    report = score(definition, answers, adjustments)
    shown = visibility(definition, answers)
    lapsed = [item for item in report["questions"] if not item["applicable"]]
    assert 0 <= report["total"] <= report["max_total"] <= report["full_max_total"]
    assert report["full_max_total"] == pytest.approx(definition.maximum)
    assert report["max_total"] == pytest.approx(math.fsum(item["max_points"] for item in report["questions"]))
    if not lapsed:
        assert report["max_total"] == report["full_max_total"]
    assert report["total"] == pytest.approx(sum(s["score"] for s in report["sections"]), abs=1e-6)
    assert report["auto_total"] == pytest.approx(sum(s["auto_score"] for s in report["sections"]), abs=1e-6)
    for sec, model in zip(report["sections"], definition.sections, strict=True):
        check_section(sec, model, [item for item in report["questions"] if item["section"] == sec["id"]])
    for item in report["questions"]:
        check_question(item, shown, adjustments)
    check_result(definition, report)
    assert set(report["missing_required"]) <= {qq.id for qq in definition.questions if qq.required and shown[qq.id]}
    json.dumps(report, allow_nan=False)
    # determinism: again, and with the answers (and adjustments) in reversed key order
    assert score(definition, answers, adjustments) == report
    reversed_adjustments = dict(reversed(list(adjustments.items()))) if adjustments else adjustments
    assert score(definition, dict(reversed(list(answers.items()))), reversed_adjustments) == report
    return report


def check_section(sec: dict, model, mine: list[dict]) -> None:
    assert 0 <= sec["score"] <= sec["max"] <= sec["full_max"]
    assert sec["full_max"] == pytest.approx(model.maximum)
    assert sec["score"] == pytest.approx(sum(item["points"] for item in mine), abs=1e-6)
    assert sec["max"] == pytest.approx(sum(item["max_points"] for item in mine), abs=1e-6)
    if all(item["applicable"] for item in mine):  # version 1: the plain comparison with the definition's mark
        assert sec["max"] == sec["full_max"]
        assert sec["pass_min"] == (None if model.pass_min is None else float(model.pass_min))
        assert sec["passed"] is (sec["pass_min"] is None or sec["score"] >= sec["pass_min"])
    elif model.pass_min is None:
        assert sec["pass_min"] is None and sec["passed"] is True
    else:
        assert sec["pass_min"] == pytest.approx(model.pass_min * sec["max"] / sec["full_max"], abs=1e-4)
        assert sec["passed"] is reached(sec["score"], model.pass_min, sec["full_max"], sec["max"])


def check_question(item: dict, shown: dict, adjustments: dict | None) -> None:
    assert 0 <= item["points"] <= item["max_points"]
    assert 0 <= item["auto_points"] <= item["max_points"]
    assert item["visible"] is shown[item["id"]]
    assert isinstance(item["applicable"], bool)
    if not item["visible"]:
        assert item["points"] == 0 and item["answer"] is None and item["applicable"] is True
    if not item["applicable"]:
        assert item["points"] == item["max_points"] == 0
    if item["id"] not in (adjustments or {}):
        assert item["points"] == item["auto_points"] and item["adjusted"] is False
    assert isinstance(item["rule"], str) and item["rule"]


def check_result(definition: Definition, report: dict) -> None:
    result = definition.result
    full, applicable = report["full_max_total"], report["max_total"]
    if result is not None and result.has_recognition_rule:
        expected = ((result.total_at_least is None or reached(report["total"], result.total_at_least, full, applicable))
                    and (not result.all_sections_pass or all(s["passed"] for s in report["sections"])))
        assert report["recognised"] is expected
    if result is not None and result.bands:
        reaching = [b for b in result.bands if reached(report["total"], b.at_least, full, applicable)]
        assert report["band"] == (reaching[0].label.get("vi") if reaching else None)


def draw_adjustments(data, definition: Definition, answers: dict) -> dict:
    shown = visibility(definition, answers)
    visible_ids = [qq.id for qq in definition.questions if shown[qq.id]]
    return data.draw(st.dictionaries(st.sampled_from(visible_ids), ADJUSTMENT_VALUE, max_size=4), label="adjustments")


PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MINIMAL_DEFINITION = make_definition()


@PROPERTY_SETTINGS
@given(answers=shipped_answers())
def test_property_self_assessment_report_is_consistent(answers):
    definition = SHIPPED[SELF_ASSESSMENT]
    assert validate_answers(definition, answers) == []
    check_invariants(definition, answers, None)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_self_assessment_with_adjustments_is_consistent(data):
    definition = SHIPPED[SELF_ASSESSMENT]
    answers = data.draw(shipped_answers(), label="answers")
    adjustments = draw_adjustments(data, definition, answers)
    report = check_invariants(definition, answers, adjustments)
    for qid in adjustments:
        assert entry(report, qid)["adjusted"] is True


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_minimal_form_report_is_consistent(data):
    definition = MINIMAL_DEFINITION
    answers = data.draw(answers_strategy(definition), label="answers")
    assert validate_answers(definition, answers) == []
    adjustments = draw_adjustments(data, definition, answers) if data.draw(st.booleans(), label="adjust") else None
    check_invariants(definition, answers, adjustments)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_answers_of_hidden_questions_change_nothing(data):
    definition = data.draw(st.sampled_from([MINIMAL_DEFINITION, SHIPPED[SELF_ASSESSMENT]]), label="form")
    answers = data.draw(answers_strategy(definition) if definition is MINIMAL_DEFINITION else shipped_answers(),
                        label="answers")
    shown = visibility(definition, answers)
    hidden = [qid for qid, visible in shown.items() if not visible]
    junk = {qid: data.draw(st.sampled_from(["rác", -1, [1, 2], {"x": 1}, 1.5, True]), label=qid) for qid in hidden}
    assert score(definition, {**answers, **junk}) == score(definition, answers)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_languages_agree_on_every_number(data):
    definition = data.draw(st.sampled_from([MINIMAL_DEFINITION, SHIPPED[SELF_ASSESSMENT]]), label="form")
    answers = data.draw(answers_strategy(definition) if definition is MINIMAL_DEFINITION else shipped_answers(),
                        label="answers")

    def numbers(report):
        return (report["total"], report["recognised"],
                [(s["id"], s["score"], s["passed"]) for s in report["sections"]],
                [(i["id"], i["points"], i["max_points"], i["visible"], i["answer"]) for i in report["questions"]],
                report["missing_required"])

    assert numbers(score(definition, answers, lang="vi")) == numbers(score(definition, answers, lang="en"))


def test_minimal_fixture_is_a_valid_definition():
    """The fixture the properties use is itself accepted by the project's checker."""
    assert checked(minimal_document()).maximum == MINIMAL_DEFINITION.maximum == 18
    assert MINIMAL_DEFINITION.id == MINIMAL["id"]


# ---------------------------------------------------------------------------------------------
# 9. points(): the compiled, numbers-only path agrees with score() on every number.
# ---------------------------------------------------------------------------------------------

# Every condition operator, a ratio under a condition, a section with no rule at all, and a
# question read by a condition and a ratio that earns nothing itself.
EVERY_PATH = document(
    section("dau",
            q("co", "boolean", points={"true": 2, "false": 1}),
            q("chon", "single_choice", choices=choices(a=3, b=1, c=None), visible_if={"question": "co", "equals": True}),
            q("nhieu", "multi_choice", max_points=3, choices=choices(x=2, y=2, z=None),
              visible_if={"question": "chon", "in": ["a", "b"]}),
            q("mau_so", "integer", min=0),
            q("ti_so", "integer", min=0,
              points={"ratio_to": "mau_so", "bands": [{"at_least": 0.5, "points": 4}, {"at_least": 0.1, "points": 1.5}]},
              visible_if={"any": [{"question": "nhieu", "in": ["x"]}, {"not": {"question": "co", "answered": True}}]}),
            pass_min=3),
    section("sau",
            q("so", "number", points={"bands": [{"at_least": 2.5, "points": 5}, {"at_least": 0.5, "points": 0.3}]},
              visible_if={"all": [{"question": "mau_so", "at_least": 1}, {"question": "co", "equals": False}]}),
            q("tep", "file", points={"if_provided": 1.7}, visible_if={"question": "so", "answered": True}),
            q("ghi_chu", "text", max_length=20)),
    section("khong_diem", q("ngay", "date")),
    result={"bands": [{"at_least": 9, "label": {"vi": "Tốt", "en": "Good"}}, {"at_least": 0, "label": "Chưa đạt"}],
            "recognised_if": {"total_at_least": 5, "all_sections_pass": True}},
)


def agree(definition: Definition, answers: dict, lang: str = "vi") -> None:
    from scoring import points

    report = score(definition, answers, lang=lang)
    fast = points(definition, answers, lang)
    assert fast.total == report["total"]
    assert fast.band == report["band"] and fast.recognised is report["recognised"]
    assert list(fast.sections) == [(s["id"], s["score"], s["passed"]) for s in report["sections"]]
    assert fast.questions == {i["id"]: i["points"] for i in report["questions"] if definition.question(i["id"]).has_rule}
    # what a store keeps beside the scores: the maxima and marks that applied, as the report gives them
    assert fast.max_total == report["max_total"]
    assert list(fast.limits) == [(s["max"], s["pass_min"]) for s in report["sections"]]
    assert list(fast.not_applicable) == [i["id"] for i in report["questions"] if not i["applicable"]]
    assert {qq.id: fast.maximum(qq) for qq in definition.questions} == {i["id"]: i["max_points"] for i in report["questions"]}


def test_points_agree_with_score_on_best_and_empty_answers(shipped):
    for definition in shipped.values():
        agree(definition, {})
        agree(definition, best_answers(definition), "en")


def test_points_score_a_ratio_shown_by_a_negated_condition():
    from scoring import points

    definition = checked(EVERY_PATH)
    answers = {"ti_so": 3, "mau_so": 4}  # "co" unanswered: the `not answered` branch shows ti_so
    assert points(definition, answers).questions["ti_so"] == 4.0
    agree(definition, answers)
    agree(definition, {"co": True, "chon": "a", "nhieu": ["x", "y"], "ti_so": 1, "mau_so": 10, "so": 2.0})


@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_points_agree_with_score(data):
    definition = data.draw(st.sampled_from([MINIMAL_DEFINITION, SHIPPED[SELF_ASSESSMENT], checked(EVERY_PATH)]),
                           label="form")
    answers = data.draw(shipped_answers() if definition is SHIPPED[SELF_ASSESSMENT] else answers_strategy(definition),
                        label="answers")
    shown = visibility(definition, answers)
    # answers of hidden questions are ignored by both, whatever they hold
    junk = {qid: data.draw(st.sampled_from(["rác", -1, [1, 2], 1.5, True]), label=qid)
            for qid, visible in shown.items() if not visible and data.draw(st.booleans(), label=f"junk {qid}")}
    agree(definition, {**answers, **junk}, data.draw(st.sampled_from(["vi", "en"]), label="lang"))


def test_compiled_scorer_is_built_once_per_definition_version():
    from scoring import scorer

    definition = make_definition()
    assert scorer(definition) is scorer(definition)
    assert scorer(make_definition()) is not scorer(definition)
