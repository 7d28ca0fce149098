"""The `forms-app` command line (click). Every error is one sentence on stderr, never a traceback.

Each command imports what it needs when it runs, so that `forms-app check` and `forms-app score` start
without loading Flask, Datasette or WeasyPrint.
"""

from __future__ import annotations

import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from form_definitions import check_paths, load_file, shipped_folder
from forms_app.rules import messages

LANGS = ("vi", "en")

MESSAGES = {
    "ok": {"vi": "{count} định nghĩa hợp lệ: {names}.", "en": "{count} valid definition(s): {names}."},
    "problems": {"vi": "{count} lỗi.", "en": "{count} problem(s)."},
    "answers_unreadable": {"vi": "Không đọc được tệp câu trả lời {file}: {reason}.",
                           "en": "Cannot read the answers file {file}: {reason}."},
    "answers_json": {"vi": "Tệp câu trả lời {file} không phải JSON hợp lệ (dòng {line}, cột {column}): {reason}.",
                     "en": "The answers file {file} is not valid JSON (line {line}, column {column}): {reason}."},
    "definitions_invalid": {"vi": "Định nghĩa không hợp lệ; không nạp gì cả.", "en": "Invalid definitions; nothing was loaded."},
    "version_clash": {"vi": "Biểu mẫu \"{id}\" phiên bản {version} đã được nạp với nội dung khác; "
                            "hãy tăng \"version\" trong {file}. Không nạp gì cả.",
                      "en": "Form \"{id}\" version {version} is already loaded with different content; "
                            "increase \"version\" in {file}. Nothing was loaded."},
    "init_done": {"vi": "Đã sẵn sàng: {data_dir}. Biểu mẫu: {forms}.", "en": "Ready: {data_dir}. Forms: {forms}."},
    "units_done": {"vi": "Đã nhập {added} đơn vị mới, cập nhật {updated} đơn vị.",
                   "en": "Imported {added} new unit(s), updated {updated}."},
    "units_failed": {"vi": "Không nhập đơn vị nào: {count} lỗi.", "en": "No unit imported: {count} problem(s)."},
    "password_prompt": {"vi": "Mật khẩu", "en": "Password"},
    "password_mismatch": {"vi": "Hai lần nhập mật khẩu không khớp.", "en": "The two passwords do not match."},
    "user_done": {"vi": "Đã tạo tài khoản {username} ({role}).", "en": "Created the account {username} ({role})."},
    "user_clusters": {"vi": "Phụ trách các đơn vị thuộc: {clusters}.", "en": "In charge of the units of: {clusters}."},
    "decisions_done": {"vi": "Đã ghi {count} quyết định.", "en": "Recorded {count} decision(s)."},
    "decisions_failed": {"vi": "Không ghi quyết định nào: {count} lỗi.", "en": "No decision recorded: {count} problem(s)."},
    "serving": {"vi": "Đang phục vụ tại http://{host}:{port}/ (dữ liệu: {data_dir}). Dừng bằng Ctrl+C.",
                "en": "Serving on http://{host}:{port}/ (data: {data_dir}). Stop with Ctrl+C."},
    "address_taken": {"vi": "Địa chỉ {host}:{port} đang được một chương trình khác dùng (có thể là một forms-app serve "
                            "khác); hãy dừng chương trình đó hoặc chọn --port khác.",
                      "en": "Something else listens on {host}:{port} (perhaps another forms-app serve); stop it or "
                            "choose another --port."},
    "address_not_here": {"vi": "Không thể phục vụ tại {host}:{port}: {host} không phải địa chỉ của máy này; hãy kiểm "
                               "tra --host.",
                         "en": "Cannot serve on {host}:{port}: {host} is not an address of this machine; check --host."},
    "address_denied": {"vi": "Không thể phục vụ tại {host}:{port}: cổng dưới 1024 cần quyền quản trị (root); hãy chọn "
                             "--port từ 1024 trở lên.",
                       "en": "Cannot serve on {host}:{port}: a port below 1024 needs root; choose a --port of 1024 or "
                             "more."},
    "address_unknown_host": {"vi": "Không thể phục vụ tại {host}:{port}: không tìm thấy máy tên {host}; hãy kiểm tra "
                                   "--host.",
                             "en": "Cannot serve on {host}:{port}: no machine is named {host}; check --host."},
    "address_other": {"vi": "Không thể phục vụ tại {host}:{port} ({reason}); hãy kiểm tra --host và --port.",
                      "en": "Cannot serve on {host}:{port} ({reason}); check --host and --port."},
    "unexpected": {"vi": "Lỗi không mong đợi ({kind}): {reason}. Hãy báo lại cho quản trị viên.",
                   "en": "Unexpected error ({kind}): {reason}. Please report it to the administrator."},
}


def say(key: str, lang: str, **params) -> str:
    """One of MESSAGES in `lang`."""
    return messages.text(MESSAGES, key, lang, **params)


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
    from forms_app.data.directory import data_dir_from_env

    return (value or data_dir_from_env()).resolve()


@cli.command()
@click.option("--definitions", "definitions_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="A folder (or file) of definitions to load instead of the shipped ones.")
@data_dir_option
@lang_option
def init(definitions_path: Path | None, data_dir: Path | None, lang: str):
    """Create or migrate both databases and load the definitions; safe to run again."""
    from form_definitions import DefinitionError
    from forms_app.data import connection as database
    from forms_app.rules.registry import VersionClash, load_definitions_into

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
    from forms_app.data.directory import ensure_secret_key

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
    from forms_app.rules.units import import_units

    added, updated = _import_file(file, data_dir, lang, import_units, lambda error: error.message(lang), "units_failed")
    click.echo(say("units_done", lang, added=added, updated=updated))


def _import_file(file: Path, data_dir: Path | None, lang: str, load, describe, failed: str) -> list:
    """Run `load(forms, file)`, an all-or-nothing import returning (…results, problems), on the data directory
    (migrated first): its results, or each problem on its own line (`describe(problem)`) and exit 1."""
    from forms_app.data import connection as database

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    try:
        *results, problems = load(forms, file)
    finally:
        forms.close()
    if problems:
        for problem in problems:
            click.echo(f"{file}: {describe(problem)}", err=True)
        click.echo(say(failed, lang, count=len(problems)), err=True)
        sys.exit(1)
    return results


@cli.group()
def users():
    """Accounts (kept in accounts.db, never shown in Datasette)."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(("unit", "reviewer", "inspector", "cluster_lead", "admin")), required=True,
              help="unit (a unit's committee), reviewer (the Union office), inspector (the inspection committee), "
                   "cluster_lead, admin.")
@click.option("--unit", "unit_code", default=None, help="The unit code a unit account is bound to.")
@click.option("--cluster", "clusters", multiple=True,
              help="An emulation cluster a cluster lead is in charge of; repeatable, one at least for a cluster lead.")
@click.option("--email", default=None, help="The account's e-mail address (for reminders).")
@data_dir_option
@lang_option
def users_add(username: str, role: str, unit_code: str | None, clusters: tuple[str, ...], email: str | None,
              data_dir: Path | None, lang: str):
    """Create an account; the password is read from stdin or prompted for, never given as an argument."""
    from forms_app.data import connection as database
    from forms_app.rules import accounts
    from forms_app.rules.account_errors import AccountError

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)
    if sys.stdin.isatty():
        password = click.prompt(say("password_prompt", lang), hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    forms = database.open_forms(data_dir)
    accounts_db = database.open_accounts(data_dir)
    try:
        _, found = accounts.create_account(accounts_db, forms, actor="cli", username=username, password=password,
                                           role=role, unit_code=unit_code, clusters=clusters, email=email)
    except AccountError as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)
    finally:
        forms.close()
        accounts_db.close()
    click.echo(say("user_done", lang, username=username, role=accounts.ROLE_LABELS[role][lang]))
    if found:
        click.echo(say("user_clusters", lang, clusters="; ".join(found)))


@cli.group()
def decisions():
    """The standing committee's decisions (recognition of units) and the office's acceptance of registrations."""


@decisions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
@lang_option
def decisions_import(file: Path, data_dir: Path | None, lang: str):
    """Record written decisions from CSV or XLSX (unit, form, year, decision, decision_no, decided_on; optional comment,
    reason, commendation), checked by the review page's rule; all rows or none."""
    from forms_app.rules.decisions_import import import_decisions

    [count] = _import_file(file, data_dir, lang, import_decisions, lambda problem: problem.message(lang),
                           "decisions_failed")
    click.echo(say("decisions_done", lang, count=count))


@cli.command()
@click.option("--units", "unit_count", type=click.IntRange(1, 200_000), default=60, show_default=True)
@click.option("--years", default="2018-2022", show_default=True, help="Cycle years A-B.")
@click.option("--seed", type=int, default=2018, show_default=True)
@data_dir_option
@lang_option
def demo(unit_count: int, years: str, seed: int, data_dir: Path | None, lang: str):
    """Fill the data directory with reproducible synthetic units, accounts and answers; writes demo-accounts.csv."""
    from forms_app.adapters.operations.demo import DemoError, make_demo

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
    from forms_app.adapters.operations.server import AddressUnusable, check_address
    from forms_app.adapters.operations.server import serve as run_server
    from forms_app.data import connection as database

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)  # once, before the workers start
    from forms_app.data.directory import ensure_secret_key

    ensure_secret_key(data_dir)
    try:
        check_address(host, port)
    except AddressUnusable as exc:
        click.echo(say(f"address_{exc.kind}", lang, host=host, port=port, reason=exc.reason), err=True)
        sys.exit(1)
    click.echo(say("serving", lang, host=host, port=port, data_dir=data_dir), err=True)
    run_server(data_dir, host, port, workers, threads)


@cli.command()
@click.option("--year", type=int, required=True, help="Cycle year.")
@click.option("--form", "form_id", default=None,
              help="The form whose certificates to write (default: every form with result.certificate).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the PDFs (default: certificates-YEAR; one sub-folder per form when there are several).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Processes (default: every core this process may use).")
@data_dir_option
@lang_option
def certificates(year: int, form_id: str | None, out: Path | None, workers: int | None, data_dir: Path | None,
                 lang: str):
    """Write a certificate PDF for every unit recognised for YEAR, and one merged file for printing, per form."""
    from forms_app.rules import registry
    from forms_app.rules.certificates import NoPublicAddress, batch, recognised_units, require_public_address

    data_dir = _data_dir(data_dir)
    try:
        require_public_address(data_dir)  # before anything is written (the migrations included)
    except NoPublicAddress as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)
    with _forms_for(data_dir, lang) as forms:
        chosen = ([registry.the_certificate_form(forms, form_id)] if form_id is not None
                  else registry.certificate_forms(forms))
        if not chosen:
            raise registry.FormChoice("no_certificate_form", forms=registry.latest_definitions(forms))
        count = sum(len(recognised_units(forms, year, form.id)) for form in chosen)
    out = out or Path(f"certificates-{year}")
    label = "Giấy chứng nhận" if lang == "vi" else "Certificates"
    with click.progressbar(length=count, label=label, file=sys.stderr) as bar:
        written = [(form, *batch(data_dir, year, out / form.id if len(chosen) > 1 else out, workers=workers,
                                 progress=bar.update, form_id=form.id)) for form in chosen]
    for form, files, merged in written:
        title = form.title.get(lang)
        if merged is None:
            click.echo(f"{title}: không có đơn vị nào được công nhận năm này." if lang == "vi"
                       else f"{title}: no unit is recognised for that year.")
            continue
        click.echo((f"{title}: {len(files)} giấy chứng nhận trong {merged.parent}; bản gộp để in: {merged}"
                    if lang == "vi" else f"{title}: {len(files)} certificates in {merged.parent}; merged for printing: {merged}"))


@cli.command()
@click.option("--year", type=int, required=True, help="Cycle year.")
@click.option("--format", "fmt", type=click.Choice(("csv", "xlsx")), required=True)
@click.option("--form", "form_id", default=None, help="The scored form to export (default: the only one).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file (default: ket-qua-FORM-YEAR; CSV: the answers go beside it, as NAME-cau-tra-loi.csv for "
                   "people and NAME-cau-tra-loi-ma.csv for scripts).")
@data_dir_option
@lang_option
def export(year: int, fmt: str, form_id: str | None, out: Path | None, data_dir: Path | None, lang: str):
    """Export a year's results of a scored form: one row per unit, and one column per question (answers for people,
    files linked from the public address, and their codes for scripts)."""
    from forms_app.rules import certificates
    from forms_app.rules.exporting import export as export_year

    directory = _data_dir(data_dir)
    _issuer, public_url = certificates.settings(directory)
    with _forms_for(directory, lang) as forms:
        paths = export_year(forms, year, fmt, out, form_id, files_at=public_url)
    for path in paths:
        click.echo(str(path))


@cli.command()
@click.option("--year", type=int, default=None, help="Cycle year of the year-end review.")
@click.option("--phase", is_flag=True, help="The review of the whole phase (every cycle year of the form) instead.")
@click.option("--form", "form_id", default=None, help="The scored form to report on (default: the only one).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The PDF (default: bao-cao-tong-ket-YEAR.pdf, or bao-cao-tong-ket-giai-doan.pdf).")
@data_dir_option
@lang_option
def report(year: int | None, phase: bool, form_id: str | None, out: Path | None, data_dir: Path | None, lang: str):
    """The year-end review (--year) or the phase review (--phase) of a scored form as a PDF in official form: the
    figures, the narrative the office wrote on /office/narrative, the recognised and commended units."""
    from exports.report import report_pdf
    from exports.tables import write
    from forms_app.rules.certificates import settings
    from forms_app.rules.year_report import phase_data, report_data

    if phase == (year is not None):
        raise click.UsageError("Give either --year YEAR or --phase.")
    data_dir = _data_dir(data_dir)
    issuer, _url = settings(data_dir)
    with _forms_for(data_dir, lang) as forms:
        data = phase_data(forms, issuer, form_id) if phase else report_data(forms, year, issuer, form_id)
    name = "bao-cao-tong-ket-giai-doan.pdf" if phase else f"bao-cao-tong-ket-{year}.pdf"
    click.echo(str(write(out or Path(name), report_pdf(data))))


@cli.command("decision-paper")
@click.option("--number", required=True, help="The decision's number, as recorded (e.g. 45-QĐ/ĐTN).")
@click.option("--year", type=int, default=None, help="Cycle year (when the number was used in several years).")
@click.option("--form", "form_id", default=None, help="The form (when the number was used for several forms).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The PDF (default: quyet-dinh-NUMBER-YEAR.pdf).")
@data_dir_option
@lang_option
def decision_paper(number: str, year: int | None, form_id: str | None, out: Path | None, data_dir: Path | None,
                   lang: str):
    """The standing committee's recognition decision NUMBER as a PDF: its articles and the annex of units it recognises."""
    from exports.tables import write
    from forms_app.data import connection as database
    from forms_app.rules import papers

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    try:
        rows = papers.decision_rows(forms, number, form_id=form_id, year=year)
        pdf = papers.decision_pdf(forms, data_dir, number, form_id=form_id, year=year)
    except papers.NoDecision:
        click.echo(f"Không có đơn vị nào được công nhận theo quyết định số {number}." if lang == "vi"
                   else f"No unit is recognised under decision {number}.", err=True)
        sys.exit(1)
    except papers.SeveralDecisions as exc:
        found = "; ".join(f"--form {f} --year {y} ({d})" for f, y, d in exc.choices)
        click.echo((f"Số quyết định {number} được dùng nhiều lần; hãy chọn: {found}." if lang == "vi"
                    else f"Decision number {number} was used several times; choose: {found}."), err=True)
        sys.exit(1)
    finally:
        forms.close()
    click.echo(str(write(out or Path(papers.decision_file_name(number, rows[0]["cycle_year"])), pdf)))


@cli.command()
@click.option("--year", type=int, required=True, help="Cycle year.")
@click.option("--format", "fmt", type=click.Choice(("pdf", "xlsx")), required=True)
@click.option("--form", "form_id", default=None, help="The certificate-issuing form (default: the only one).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file (default: so-cap-giay-chung-nhan-YEAR.pdf or .xlsx).")
@data_dir_option
@lang_option
def register(year: int, fmt: str, form_id: str | None, out: Path | None, data_dir: Path | None, lang: str):
    """The year's certificate register: number, serial, unit, decision, date of issue and a column for the receiver."""
    from exports.tables import write
    from forms_app.rules import papers

    data_dir = _data_dir(data_dir)
    with _forms_for(data_dir, lang) as forms:
        data = (papers.register_pdf(forms, data_dir, year, form_id) if fmt == "pdf"
                else papers.register_xlsx(forms, year, form_id))
    click.echo(str(write(out or Path(f"so-cap-giay-chung-nhan-{year}.{fmt}"), data)))


@cli.command()
@click.option("--form", "form_id", default=None, help="The scored form (default: the only one).")
@click.option("--year", type=int, required=True, help="Cycle year.")
@click.option("--version", type=int, required=True, help="The version of the form to score the stored answers on.")
@click.option("--preview", is_flag=True, help="Required: only the preview exists, nothing is ever written.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the preview as an XLSX file (outside the data directory).")
@data_dir_option
@lang_option
def rescore(form_id: str | None, year: int, version: int, preview: bool, out: Path | None, data_dir: Path | None,
            lang: str):
    """Preview each unit's stored result beside its result if its answers were scored on version N; writes nothing."""
    from exports.tables import write as write_file
    from forms_app.data import connection as database
    from forms_app.rules import registry, rescoring

    data_dir = _data_dir(data_dir)
    refusal = _rescore_refusal(preview, out, data_dir)
    if refusal:
        click.echo(messages.text(rescoring.MESSAGES, refusal[0], lang, **refusal[1]), err=True)
        sys.exit(1)
    forms = database.open_forms_query_only(data_dir)  # never migrated here: that would write
    try:
        result = rescoring.preview(forms, form_id, year, version, lang)
    except (registry.FormChoice, rescoring.RescoreError) as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)
    finally:
        forms.close()
    click.echo(rescoring.text(result, lang))
    if out is not None:
        click.echo(str(write_file(out, rescoring.xlsx(result, lang))))


def _rescore_refusal(preview: bool, out: Path | None, data_dir: Path) -> tuple[str, dict] | None:
    """Why `rescore` will not run, as (message code, values): no --preview, an --out it must not write, no data."""
    from forms_app.data.connection import FORMS_DB

    if not preview:
        return "preview_only", {}
    if out is not None and out.suffix.lower() != ".xlsx":
        return "out_not_xlsx", {"path": out}
    if out is not None and out.resolve().is_relative_to(data_dir):
        return "out_in_data_dir", {"path": out}
    if not (data_dir / FORMS_DB).is_file():
        return "no_data", {"path": data_dir}
    return None


@cli.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@data_dir_option
@lang_option
def backup_command(dest: Path, data_dir: Path | None, lang: str):
    """Copy both databases and the stored files into DEST (a new or empty folder), consistently, while the server runs."""
    from forms_app.adapters.operations.backup import BackupError, backup

    try:
        summary = backup(_data_dir(data_dir), dest)
    except BackupError as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)
    click.echo(summary.message(lang))


@cli.command()
@click.option("--grace-days", type=click.IntRange(0, 3650), default=None, show_default="2",
              help="Keep an upload no revision refers to until it is this many days old.")
@data_dir_option
@lang_option
def cleanup(grace_days: int | None, data_dir: Path | None, lang: str):
    """Remove the uploaded files no revision refers to once past the grace period; safe while the server runs."""
    from forms_app.data import connection as database
    from forms_app.rules import uploads

    data_dir = _data_dir(data_dir)
    if not (data_dir / database.FORMS_DB).is_file():
        click.echo(messages.text(uploads.MESSAGES, "cleanup_no_data", lang, path=data_dir), err=True)
        sys.exit(1)
    forms = database.open_forms(data_dir)
    try:
        done = uploads.cleanup(forms, data_dir, grace_days=uploads.GRACE_DAYS if grace_days is None else grace_days)
    except (database.DatabaseError, OSError) as exc:
        click.echo(messages.text(uploads.MESSAGES, "cleanup_failed", lang, reason=str(exc)), err=True)
        sys.exit(1)
    finally:
        forms.close()
    click.echo(done.message(lang))


@cli.command("restore")
@click.argument("src", type=click.Path(path_type=Path))
@data_dir_option
@lang_option
def restore_command(src: Path, data_dir: Path | None, lang: str):
    """Restore a backup folder into an empty (or new) data directory, checked against its manifest, then migrate."""
    from forms_app.adapters.operations.backup import BackupError, restore

    try:
        summary = restore(src, _data_dir(data_dir))
    except BackupError as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)
    click.echo(summary.message(lang))


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send nothing, mark nothing.")
@click.option("--now", "at", type=click.DateTime(formats=("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")), default=None, hidden=True,
              help="The moment to decide from, in UTC (tests).")
@data_dir_option
@lang_option
def remind(dry_run: bool, at, data_dir: Path | None, lang: str):
    """Send every reminder e-mail due now and not sent before (FORMS_APP_SMTP_URL, FORMS_APP_MAIL_FROM); run daily."""
    import datetime as dt

    from forms_app.adapters.operations.mail import MailError
    from forms_app.adapters.operations.mail import remind as send_reminders
    from forms_app.data import connection as database

    data_dir = _data_dir(data_dir)
    database.migrate(data_dir)
    now = at.replace(tzinfo=dt.timezone.utc) if at else dt.datetime.now(dt.timezone.utc)
    try:
        send_reminders(data_dir, now, dry_run=dry_run, smtp_url=os.environ.get("FORMS_APP_SMTP_URL"),
                       sender=os.environ.get("FORMS_APP_MAIL_FROM"), echo=click.echo, lang=lang)
    except MailError as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)


@contextmanager
def _forms_for(data_dir: Path, lang: str):
    """forms.db migrated and open for one command; a form that cannot be chosen (none, several, unknown, the wrong
    kind) ends the command with its sentence and exit 1."""
    from forms_app.data import connection as database
    from forms_app.rules.registry import FormChoice

    database.migrate(data_dir)
    forms = database.open_forms(data_dir)
    try:
        yield forms
    except FormChoice as exc:
        click.echo(exc.message(lang), err=True)
        sys.exit(1)
    finally:
        forms.close()


def _resolve_definition(value: str) -> Path:
    """A definition file path, or a shipped form's id: its latest version (`ID@N` for version N)."""
    path = Path(value)
    if path.exists() or path.suffix:
        return path
    form_id, _, version = value.partition("@")
    from form_definitions import check_paths

    shipped, _problems = check_paths([shipped_folder()])
    versions = sorted((d.version, d.file) for d in shipped
                      if d.id == form_id and (not version or str(d.version) == version))
    return Path(versions[-1][1]) if versions else path


@cli.command()
@click.argument("definition")
@click.argument("answers")
@click.option("--adjustments", type=click.Path(path_type=Path, dir_okay=False),
              help="JSON {question_id: points | {\"points\": p, \"reason\": r}}: a reviewer's adjustments.")
@format_option
@lang_option
def score(definition: str, answers: str, adjustments: Path | None, output: str, lang: str):
    """Score one answer set (a JSON object {question_id: value}; - reads stdin) and print the report."""
    from exports.score_text import render_report
    from scoring import InvalidAnswers
    from scoring import score as score_answers

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
