"""Scoring: pure functions on a definition and plain answers. Imports neither Flask nor sqlite-utils."""

from .answers import AnswerError, InvalidAnswers, missing_required, parts_above_wholes, validate_answers, visibility, visible_answers
from .points import Points, points, scorer
from .report import rounded, score
from .rules import describe_rule

__all__ = [
    "AnswerError", "InvalidAnswers", "Points", "describe_rule", "missing_required", "parts_above_wholes", "points", "rounded",
    "score",
    "scorer", "validate_answers", "visibility", "visible_answers",
]
