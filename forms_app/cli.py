"""The `forms-app` command line (click). Every error is one sentence on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from form_definitions import check_paths, load_file, shipped_folder

LANGS = ("vi", "en")

MESSAGES = {
    "ok": {"vi": "{count} định nghĩa hợp lệ: {names}.", "en": "{count} valid definition(s): {names}."},
    "problems": {"vi": "{count} lỗi.", "en": "{count} problem(s)."},
    "answers_unreadable": {"vi": "Không đọc được tệp câu trả lời {file}: {reason}.",
                           "en": "Cannot read the answers file {file}: {reason}."},
    "answers_json": {"vi": "Tệp câu trả lời {file} không phải JSON hợp lệ (dòng {line}, cột {column}): {reason}.",
                     "en": "The answers file {file} is not valid JSON (line {line}, column {column}): {reason}."},
    "unexpected": {"vi": "Lỗi không mong đợi ({kind}): {reason}. Hãy báo lại cho quản trị viên.",
                   "en": "Unexpected error ({kind}): {reason}. Please report it to the administrator."},
}


def say(key: str, lang: str, **params) -> str:
    texts = MESSAGES[key]
    return (texts.get(lang) or texts["vi"]).format(**params)


def default_lang() -> str:
    lang = os.environ.get("FORMS_APP_LANG", "vi")
    return lang if lang in LANGS else "vi"


lang_option = click.option(
    "--lang", type=click.Choice(LANGS), default=default_lang, show_default="vi, or $FORMS_APP_LANG",
    help="Language of messages and reports.",
)
format_option = click.option("--format", "output", type=click.Choice(("text", "json")), default="text", show_default=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli():
    """Đoàn cơ sở "3 chủ động": definitions, scoring, the web app and the reviewers' data."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option
@lang_option
def check(paths: tuple[Path, ...], output: str, lang: str):
    """Validate definition files or folders (default: the shipped form_definitions/)."""
    definitions, problems = check_paths(paths or [shipped_folder()])
    if output == "json":
        click.echo(json.dumps({
            "valid": not problems,
            "definitions": [{"id": d.id, "version": d.version, "file": d.file, "sha256": d.sha256} for d in definitions],
            "problems": [p.as_dict(lang) for p in problems],
        }, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            click.echo(problem.line(lang))
        if problems:
            click.echo(say("problems", lang, count=len(problems)), err=True)
        else:
            names = ", ".join(f"{d.id} v{d.version}" for d in definitions)
            click.echo(say("ok", lang, count=len(definitions), names=names))
    sys.exit(1 if problems else 0)


def _resolve_definition(value: str) -> Path:
    """A definition file path, or the id of a shipped definition (`tu-danh-gia-3-chu-dong`)."""
    path = Path(value)
    if not path.exists() and not path.suffix:
        shipped = shipped_folder() / f"{value}.json"
        if shipped.exists():
            return shipped
    return path


@cli.command()
@click.argument("definition")
@click.argument("answers")
@click.option("--adjustments", type=click.Path(path_type=Path, dir_okay=False),
              help="JSON {question_id: points | {\"points\": p, \"reason\": r}}: a reviewer's adjustments.")
@format_option
@lang_option
def score(definition: str, answers: str, adjustments: Path | None, output: str, lang: str):
    """Score one answer set (a JSON object {question_id: value}; - reads stdin) and print the report."""
    from scoring import InvalidAnswers
    from scoring import score as score_answers

    from exports.score_text import render_report

    model, problems = load_file(_resolve_definition(definition), definition)
    if problems:
        for problem in problems:
            click.echo(problem.line(lang), err=True)
        sys.exit(1)
    answer_set = _read_json(answers, lang)
    changes = _read_json(str(adjustments), lang) if adjustments else None
    try:
        report = score_answers(model, answer_set, changes, lang)
    except InvalidAnswers as exc:
        for error in exc.errors:
            where = f"{answers}: {error.question}: " if error.question else f"{answers}: "
            click.echo(where + error.message(lang), err=True)
        sys.exit(1)
    if output == "json":
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(render_report(model, report, lang))


def _read_json(name: str, lang: str):
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        click.echo(say("answers_unreadable", lang, file=name, reason=reason), err=True)
        sys.exit(1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        click.echo(say("answers_json", lang, file=name, line=exc.lineno, column=exc.colno, reason=exc.msg), err=True)
        sys.exit(1)
    except RecursionError:
        click.echo(say("answers_json", lang, file=name, line=1, column=1, reason="nested too deeply"), err=True)
        sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: click, with unexpected errors reduced to one sentence."""
    try:
        cli.main(args=argv, prog_name="forms-app", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the last line of defence: a sentence, never a traceback
        click.echo(say("unexpected", default_lang(), kind=type(exc).__name__, reason=str(exc)[:300]), err=True)
        sys.exit(1)
