"""Questionnaire definitions: the JSON format, its checks and the immutable model scoring and the web app use.

Stages, one module each (after pyxform): `reader` (file → JSON), `schema_check` (JSON Schema),
`semantic` (references, thresholds, dates), `model` (the immutable objects); `loader` runs them.
"""

from .errors import DefinitionError, Problem
from .loader import check_paths, load_definitions, load_file, shipped_folder
from .model import Choice, Condition, Definition, Question, Section, Text

__all__ = [
    "Choice", "Condition", "Definition", "DefinitionError", "Problem", "Question", "Section", "Text",
    "check_paths", "load_definitions", "load_file", "shipped_folder",
]
