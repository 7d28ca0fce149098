"""A form's `requires`: the forms a unit must submit first for the same cycle year, and (format 1.1) the condition
their answers must meet; what is still missing, said in one sentence that names questions by their labels."""

from __future__ import annotations

from dataclasses import dataclass

from form_definitions import Definition
from form_definitions.model import Condition, Requirement
from forms_app.data.connection import Database
from forms_app.rules import messages, registry, submitting
from scoring import visible_answers
from scoring.answers import holds
from scoring.rules import fmt

MESSAGES: messages.Catalogue = {
    "submit_first": {"vi": "Cần nộp {form} trước khi mở {this}.", "en": "Submit {form} before {this} opens."},
    "submit_with": {"vi": "Cần nộp {form} với {condition} trước khi mở {this}.",
                    "en": "Submit {form} with {condition} before {this} opens."},
}

# The words a condition is told in; `{q}` is a question's label in quotes, `{v}` a value or a list of them.
WORDS: dict[str, dict[str, str]] = {
    "vi": {"equals": "{q} = {v}", "differs": "{q} ≠ {v}", "includes": "{q} có chọn {v}", "excludes": "{q} không chọn {v}",
           "at_least": "{q} ≥ {v}", "below": "{q} < {v}", "attached": "đã đính kèm {q}", "not_attached": "chưa đính kèm {q}",
           "answered": "đã trả lời {q}", "empty": "để trống {q}", "not": "không phải ({v})",
           "and": "và", "or": "hoặc", "yes": "Có", "no": "Không"},
    "en": {"equals": "{q} = {v}", "differs": "{q} ≠ {v}", "includes": "{q} includes {v}", "excludes": "{q} excludes {v}",
           "at_least": "{q} ≥ {v}", "below": "{q} < {v}", "attached": "{q} attached", "not_attached": "{q} not attached",
           "answered": "{q} answered", "empty": "{q} left empty", "not": "not ({v})",
           "and": "and", "or": "or", "yes": "Yes", "no": "No"},
}


@dataclass(frozen=True)
class Unmet:
    """A requirement that does not hold: the required form not submitted for the year, or its `when` not met.

    `required` is the required form's definition: the version its submission was answered on, else the latest
    (None when that form is not loaded at all); `latest` its latest version, for a question only that one has.
    """

    requirement: Requirement
    required: Definition | None
    submitted: bool
    latest: Definition | None = None

    def sentence(self, definition: Definition, lang: str = "vi") -> str:
        """What the unit must do before `definition` opens, in one sentence ("Cần nộp … với … trước khi mở …")."""
        required = self.required
        title = required.title.get(lang) if required is not None else self.requirement.form
        this = definition.title.get(lang)
        when = self.requirement.when
        if when is None or required is None:
            return messages.text(MESSAGES, "submit_first", lang, form=title, this=this)
        return messages.text(MESSAGES, "submit_with", lang, form=title, this=this,
                             condition=describe_condition(when, required, lang, also=self.latest))


def unmet(db: Database, unit_code: str, definition: Definition, cycle_year: int) -> list[Unmet]:
    """The requirements of `definition` that do not hold for the unit and year, in the order the definition lists them.

    A requirement holds once the required form is submitted for the same cycle year and its `when` (if any) holds
    on the answers of the submitted revision, read on the definition version they were answered on, with visibility
    applied (a hidden question counts as unanswered).
    """
    found = []
    for requirement in definition.requirements:
        submission = submitting.find(db, unit_code, requirement.form, cycle_year)
        required = submitting.definition_for(db, submission, requirement.form)
        submitted = bool(submission and submission["status"] == "submitted" and submission["submitted_revision"])
        if submitted and (requirement.when is None or _holds_on(db, submission, required, requirement.when)):
            continue
        latest = registry.definition(db, requirement.form) if submission else required
        found.append(Unmet(requirement, required, submitted, latest if latest is not required else None))
    return found


def _holds_on(db: Database, submission: dict, required: Definition | None, when: Condition) -> bool:
    if required is None:
        return False
    answers = submitting.revision_answers(db, submission["id"], submission["submitted_revision"]) or {}
    return holds(when, visible_answers(required, answers))


def describe_condition(condition: Condition, definition: Definition, lang: str = "vi", *,
                       also: Definition | None = None) -> str:
    """A condition in words, naming the questions of `definition` by their labels and choices by theirs:
    “Đơn vị đồng ý tham gia” = Có và đã đính kèm “Kế hoạch hoạt động”. A question `definition` lacks is named
    from `also` (another version of the form), else by its id. Pure."""
    words = WORDS.get(lang, WORDS["vi"])
    op = condition.op
    if op in ("all", "any"):
        parts = [_grouped(child, op, definition, lang, also) for child in condition.children]
        return _joined(parts, words["and" if op == "all" else "or"])
    if op == "not":
        return _negated(condition.children[0], definition, lang, also)
    if op == "answered":
        question = _question(condition.question, definition, also)
        file = question is not None and question.type == "file"
        kind = ("attached" if file else "answered") if condition.value else ("not_attached" if file else "empty")
        return words[kind].format(q=_label(question, condition.question, lang))
    return _compared(condition, definition, lang, also, ("at_least", "includes", "equals"))


def _compared(condition: Condition, definition: Definition, lang: str, also: Definition | None,
              kinds: tuple[str, str, str]) -> str:
    """An `at_least`, `equals` or `in` leaf in words; `kinds` picks the words (≥ / có chọn / =, or their negations)."""
    words = WORDS.get(lang, WORDS["vi"])
    question = _question(condition.question, definition, also)
    label = _label(question, condition.question, lang)
    if condition.op == "at_least":
        return words[kinds[0]].format(q=label, v=fmt(condition.value, lang, 4))
    values = condition.value if condition.op == "in" else (condition.value,)
    shown = _joined([_value(question, v, lang) for v in values], words["or"])
    many = question is not None and question.type == "multi_choice"
    return words[kinds[1] if many else kinds[2]].format(q=label, v=shown)


def _label(question, question_id: str, lang: str) -> str:
    return f"“{question.label.get(lang) if question else question_id}”"


def _question(question_id: str, definition: Definition, also: Definition | None):
    return definition.question(question_id) or (also.question(question_id) if also is not None else None)


def _negated(condition: Condition, definition: Definition, lang: str, also: Definition | None) -> str:
    """`not` said the short way for one question ("≠", "chưa đính kèm"), else "không phải (…)"."""
    words = WORDS.get(lang, WORDS["vi"])
    op = condition.op
    if op == "answered":
        return describe_condition(Condition(op, condition.question, not condition.value), definition, lang, also=also)
    if op in ("equals", "in", "at_least"):
        return _compared(condition, definition, lang, also, ("below", "excludes", "differs"))
    return words["not"].format(v=describe_condition(condition, definition, lang, also=also))


def _grouped(child: Condition, parent: str, definition: Definition, lang: str, also: Definition | None) -> str:
    """A part of an all/any, in parentheses when it is the other kind of group (so "and" and "or" never mix unread)."""
    text = describe_condition(child, definition, lang, also=also)
    return f"({text})" if child.op in ("all", "any") and child.op != parent else text


def _joined(parts: list[str], word: str) -> str:
    """"A", "A và B", "A, B và C"."""
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def _value(question, value, lang: str) -> str:
    """An answer value as the form shows it: Có/Không, a choice's label, a number written the language's way."""
    words = WORDS.get(lang, WORDS["vi"])
    if isinstance(value, bool):
        return words["yes" if value else "no"]
    choice = question.choice(value) if question is not None and question.choices else None
    if choice is not None:
        return choice.label.get(lang)
    if isinstance(value, (int, float)):
        return fmt(value, lang, 4)
    return f"“{value}”"

