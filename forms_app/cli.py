"""The `forms-app` command line (click). Every error is one sentence on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import re
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
    "definitions_invalid": {"vi": "Định nghĩa không hợp lệ; không nạp gì cả.", "en": "Invalid definitions; nothing was loaded."},
    "version_clash": {"vi": "Biểu mẫu \"{id}\" phiên bản {version} đã được nạp với nội dung khác; hãy tăng \"version\" trong {file}. Không nạp gì cả.",
                      "en": "Form \"{id}\" version {version} is already loaded with different content; increase \"version\" in {file}. Nothing was loaded."},
    "init_done": {"vi": "Đã sẵn sàng: {data_dir}. Biểu mẫu: {forms}.", "en": "Ready: {data_dir}. Forms: {forms}."},
    "units_done": {"vi": "Đã nhập {added} đơn vị mới, cập nhật {updated} đơn vị.", "en": "Imported {added} new unit(s), updated {updated}."},
    "units_failed": {"vi": "Không nhập đơn vị nào: {count} lỗi.", "en": "No unit imported: {count} problem(s)."},
    "password_prompt": {"vi": "Mật khẩu", "en": "Password"},
    "password_mismatch": {"vi": "Hai lần nhập mật khẩu không khớp.", "en": "The two passwords do not match."},
    "user_done": {"vi": "Đã tạo tài khoản {username} ({role}).", "en": "Created the account {username} ({role})."},
    "serving": {"vi": "Đang phục vụ tại http://{host}:{port}/ (dữ liệu: {data_dir}). Dừng bằng Ctrl+C.",
                "en": "Serving on http://{host}:{port}/ (data: {data_dir}). Stop with Ctrl+C."},
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


data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Data directory (default: $FORMS_APP_DATA_DIR, else ./instance).",
)


def _data_dir(value: Path | None) -> Path:
    from . import data_dir_from_env

    return (value or data_dir_from_env()).resolve()


@cli.command()
@click.option("--definitions", "definitions_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="A folder (or file) of definitions to load instead of the shipped ones.")
@data_dir_option
@lang_option
def init(definitions_path: Path | None, data_dir: Path | None, lang: str):
    """Create or migrate both databases and load the definitions; safe to run again."""
    from form_definitions import DefinitionError

    from . import db as database
    from .registry import VersionClash, load_definitions_into

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    try:
        loaded = load_definitions_into(forms, [definitions_path or shipped_folder()], actor="cli")
    except DefinitionError as exc:
        for problem in exc.problems:
            click.echo(problem.line(lang), err=True)
        click.echo(say("definitions_invalid", lang), err=True)
        sys.exit(1)
    except VersionClash as exc:
        d = exc.definition
        click.echo(say("version_clash", lang, id=d.id, version=d.version, file=d.file), err=True)
        sys.exit(1)
    finally:
        forms.close()
    from . import ensure_secret_key

    ensure_secret_key(data_dir)
    names = ", ".join(f"{form_id} v{version}" + (" (mới)" if added and lang == "vi" else " (new)" if added else "")
                      for form_id, version, added in loaded)
    click.echo(say("init_done", lang, data_dir=data_dir, forms=names))


@cli.group()
def units():
    """Units (Đoàn cơ sở)."""


@units.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@lang_option
def units_import(file: Path, data_dir: Path | None, lang: str):
    """Import or update units from CSV or XLSX (columns code, name, cluster); all rows or none."""
    from . import db as database
    from .units import import_units

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    try:
        added, updated, errors = import_units(forms, file)
    finally:
        forms.close()
    if errors:
        for error in errors:
            click.echo(f"{file}: {error.message(lang)}", err=True)
        click.echo(say("units_failed", lang, count=len(errors)), err=True)
        sys.exit(1)
    click.echo(say("units_done", lang, added=added, updated=updated))


@cli.group()
def users():
    """Accounts (kept in accounts.db, never shown in Datasette)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(("unit", "reviewer", "admin")), required=True)
@click.option("--unit", "unit_code", default=None, help="The unit code a unit account is bound to.")
@data_dir_option
@lang_option
def users_add(username: str, role: str, unit_code: str | None, data_dir: Path | None, lang: str):
    """Create an account; the password is read from stdin or prompted for, never given as an argument."""
    from . import accounts, db as database

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)
    if sys.stdin.isatty():
        password = click.prompt(say("password_prompt", lang), hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    forms = database.open_forms(data_dir)
    accounts_db = database.open_accounts(data_dir)
    try:
        if unit_code is not None and forms.execute("SELECT 1 FROM units WHERE code = ?", [unit_code]).fetchone() is None:
            raise accounts.AccountError("unknown_unit")
        accounts.add_user(accounts_db, username, password, role, unit_code)
    except accounts.AccountError as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)
    finally:
        forms.close()
        accounts_db.close()
    click.echo(say("user_done", lang, username=username, role=role))


@cli.command()
@click.option("--units", "unit_count", type=click.IntRange(1, 200_000), default=60, show_default=True)
@click.option("--years", default="2018-2022", show_default=True, help="Cycle years A-B.")
@click.option("--seed", type=int, default=2018, show_default=True)
@data_dir_option
@lang_option
def demo(unit_count: int, years: str, seed: int, data_dir: Path | None, lang: str):
    """Fill the data directory with reproducible synthetic units, accounts and answers; writes demo-accounts.csv."""
    from .demo import DemoError, make_demo

    match = re.fullmatch(r"(\d{4})-(\d{4})", years.strip())
    if not match or int(match[1]) > int(match[2]):
        raise click.BadParameter("A-B, e.g. 2018-2022", param_hint="--years")
    try:
        summary = make_demo(_data_dir(data_dir), units=unit_count, first_year=int(match[1]), last_year=int(match[2]),
                            seed=seed, progress=lambda text: click.echo(text, err=True))
    except DemoError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(summary)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Worker processes (default: the number of cores, at least 2).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker.")
@data_dir_option
@lang_option
def serve(host: str, port: int, workers: int | None, threads: int, data_dir: Path | None, lang: str):
    """Run the web app and the reviewers' Datasette (/data/) behind one address, with gunicorn."""
    from . import db as database
    from .server import serve as run_server

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)  # once, before the workers start
    from . import ensure_secret_key

    ensure_secret_key(data_dir)
    click.echo(say("serving", lang, host=host, port=port, data_dir=data_dir), err=True)
    run_server(data_dir, host, port, workers, threads)


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
