"""Stage 2: the JSON Schema, with jsonschema's errors turned into the product's sentences."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterator

from .errors import Bilingual, Problem, json_path, show

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "form-definition.schema.json"

_JSON_TYPES = {
    "object": ("một đối tượng {…}", "an object {…}"),
    "array": ("một danh sách […]", "a list […]"),
    "string": ("một chuỗi", "a string"),
    "integer": ("một số nguyên", "an integer"),
    "number": ("một số", "a number"),
    "boolean": ("true hoặc false", "true or false"),
    "null": ("null", "null"),
}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The published JSON Schema of the definition format."""
    text = resources.files("form_definitions").joinpath("schema", SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def _is_integer(checker, instance) -> bool:
    # JSON Schema counts 8.0 as an integer; Python would then use a float as a month or a list index.
    return isinstance(instance, int) and not isinstance(instance, bool)


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    """The schema's validator, built by the first definition a process checks: jsonschema takes ~8 MB, which no
    worker of the web app needs until a definition is uploaded."""
    from jsonschema import Draft202012Validator, FormatChecker, validators

    Draft202012Validator.check_schema(schema())
    extended = validators.extend(
        Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))
    return extended(schema(), format_checker=FormatChecker(formats=["date"]))


def check_schema(document: Any, file: str) -> list[Problem]:
    """Every schema problem of a parsed document, most specific first, one per location."""
    problems: list[Problem] = []
    seen: set[tuple[str, str, str]] = set()
    for error in sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        for problem in _explain(error, file):
            key = (problem.path, problem.code, problem.message("en"))
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    return problems


def _type_name(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return _JSON_TYPES["boolean"]
    if isinstance(value, int):
        return _JSON_TYPES["integer"]
    for json_type, python_type in (("string", str), ("number", float), ("object", dict), ("array", list)):
        if isinstance(value, python_type):
            return _JSON_TYPES[json_type]
    return _JSON_TYPES["null"]


def _explain(error: ValidationError, file: str) -> Iterator[Problem]:
    """One or more Problems for a jsonschema error; `if/then` and `$ref` are looked through."""
    path = list(error.absolute_path)
    where = json_path(path)
    keyword = error.validator
    value = error.instance
    custom = error.schema.get("x-error") if isinstance(error.schema, dict) else None

    if keyword in ("oneOf", "anyOf") and custom:
        yield Problem("schema.shape", file, where, {"hint": Bilingual.of(custom)})
    elif keyword in ("oneOf", "anyOf"):
        # Without a custom sentence, the branch that went deepest explains best.
        from jsonschema.exceptions import best_match

        best = best_match(error.context or [])
        if best is not None:
            yield from _explain(best, file)
        else:
            yield Problem("schema.other", file, where, {"reason": error.message})
    elif keyword == "required":
        for key in error.validator_value:
            if isinstance(value, dict) and key not in value:
                yield Problem("schema.required", file, where, {"key": key})
    elif keyword in ("additionalProperties", "unevaluatedProperties"):
        allowed = _allowed_keys(error)
        extra = [k for k in value if k not in allowed] if isinstance(value, dict) else []
        for key in extra:  # none when the keys are allowed and another keyword failed underneath
            yield Problem(
                "schema.unknown_key",
                file,
                json_path(path + [key]),
                {"key": key, "allowed": ", ".join(sorted(allowed)) or "—"},
            )
    elif keyword == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        vi = " hoặc ".join(_JSON_TYPES[t][0] for t in expected)
        en = " or ".join(_JSON_TYPES[t][1] for t in expected)
        yield Problem(
            "schema.type", file, where,
            {"value": show(value), "actual": Bilingual(*_type_name(value)), "expected": Bilingual(vi, en)},
        )
    else:
        yield _single(error, file, where)


def _single(error: ValidationError, file: str, where: str) -> Problem:
    """The Problem for a keyword that always gives exactly one (enum, pattern, bounds, sizes, format, anything else)."""
    keyword, value = error.validator, error.instance
    if keyword in ("enum", "const"):
        allowed = error.validator_value if keyword == "enum" else [error.validator_value]
        return Problem("schema.enum", file, where, {"value": show(value), "allowed": ", ".join(show(a) for a in allowed)})
    if keyword == "pattern":
        hint = Bilingual.of(error.schema.get("x-hint")) or Bilingual(
            f"khớp mẫu {error.validator_value}", f"matching {error.validator_value}"
        )
        return Problem("schema.pattern", file, where, {"value": show(value), "hint": hint})
    if keyword in ("minimum", "maximum", "exclusiveMinimum"):
        code = {"minimum": "schema.minimum", "maximum": "schema.maximum", "exclusiveMinimum": "schema.exclusive_minimum"}[keyword]
        return Problem(code, file, where, {"value": show(value), "limit": error.validator_value})
    if keyword == "minItems":
        return Problem("schema.min_items", file, where, {"limit": error.validator_value})
    if keyword in _NO_PARAMS:
        return Problem(_NO_PARAMS[keyword], file, where, {})
    if keyword == "format":
        return Problem("schema.format", file, where, {"value": show(value), "format": error.validator_value})
    return Problem("schema.other", file, where, {"reason": error.message[:200]})


_NO_PARAMS = {"uniqueItems": "schema.unique_items", "minLength": "schema.min_length",
              "minProperties": "schema.min_properties"}


def _allowed_keys(error: ValidationError) -> set[str]:
    """Keys the schema at this place knows, including those of `$ref`, `allOf` and the `then` that applied."""
    schema_here = error.schema
    keys: set[str] = set(schema_here.get("properties", {}))
    root = schema()

    def resolve(sub: dict) -> dict:
        ref = sub.get("$ref")
        if ref and ref.startswith("#/$defs/"):
            return root["$defs"][ref.split("/")[-1]]
        return sub

    if "$ref" in schema_here:
        keys |= set(resolve(schema_here).get("properties", {}))
    for branch in schema_here.get("allOf", []):
        condition = branch.get("if", {}).get("properties", {}).get("type", {}).get("const")
        if condition is not None and isinstance(error.instance, dict) and error.instance.get("type") == condition:
            keys |= set(branch.get("then", {}).get("properties", {}))
    return keys
