"""Scoring: pure functions on a definition and plain answers. Imports neither Flask nor sqlite-utils."""

from .answers import AnswerError, InvalidAnswers, missing_required, validate_answers, visibility, visible_answers
from .report import score
from .rules import describe_rule

__all__ = [
    "AnswerError", "InvalidAnswers", "describe_rule", "missing_required", "score", "validate_answers",
    "visibility", "visible_answers",
]
