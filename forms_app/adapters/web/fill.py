"""A unit fills its form: drafts, submission, revisions, deadlines; its result and history."""

from __future__ import annotations

import errno
import logging
import secrets
import sqlite3
from typing import Any

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from form_definitions import Definition
from scoring import describe_rule, score, validate_answers, visibility

from forms_app.rules import accounts, deciding as decisions, registry
from forms_app.adapters.web.context import accounts_db, forms_db
from forms_app.rules import submitting as store
from forms_app.rules import uploads
from forms_app.adapters.web.auth import STASH_COOKIE, role_required
from forms_app.adapters.web.forms import build_form_class, form_value
from forms_app.adapters.web.i18n import current_language, format_date, format_moment

bp = Blueprint("fill", __name__)
log = logging.getLogger(__name__)


def _now():
    from flask import current_app

    return current_app.config.get("NOW")


def _context(form_id: str, year: int, unit_code: str) -> dict:
    """What every page about one unit's form and year needs; 404 when the form or the cycle does not exist."""
    db = forms_db()
    submission = store.find(db, unit_code, form_id, year)
    definition = store.definition_for(db, submission, form_id)
    window = store.window(db, unit_code, form_id, year) if definition else None
    if definition is None or window is None:
        abort(404)
    today = store.today(_now())
    missing = store.requirement_missing(db, unit_code, definition, year)
    return {
        "definition": definition, "submission": submission, "window": window, "today": today,
        "state": window.state(today), "missing": missing, "year": year, "unit_code": unit_code,
        "unit": db["units"].get(unit_code) if db["units"].exists() else None,
        "decision": decisions.current_decision(db, unit_code, form_id, year),
    }


def _unit_code() -> str:
    return g.user.unit_code


def read_only_reason(ctx: dict) -> str | None:
    """The sentence saying why the form cannot be changed now, or None when it can."""
    window = ctx["window"]
    if ctx["state"] == "decided":
        return _("Ban Thường vụ Đoàn trường đã có quyết định (%(decision)s) nên đơn vị không thể sửa biểu mẫu này nữa.",
                 decision=decision_label(window.decision))
    if ctx["missing"]:
        titles = [(registry.definition(forms_db(), f) or ctx["definition"]).title.get(current_language()) for f in ctx["missing"]]
        return _("Biểu mẫu này mở sau khi đơn vị đã nộp: %(forms)s.", forms=", ".join(titles))
    if ctx["state"] == "not_open":
        return _("Biểu mẫu chưa mở; đơn vị có thể điền từ ngày %(date)s.", date=format_date(window.opens))
    if ctx["state"] == "closed":
        return _("Đã hết hạn nộp (%(date)s); biểu mẫu chỉ còn để xem.", date=format_date(window.closes))
    return None


def decision_label(kind: str | None) -> str:
    """A decision in a few words, to sit inside a sentence."""
    return {
        "recognised": _("công nhận"), "not_recognised": _("không công nhận"),
        "returned": _("trả lại để bổ sung"), "withdrawn": _("thu hồi công nhận"),
    }.get(kind or "", kind or "")


def _returned_notice(ctx: dict) -> str | None:
    """While a returned form is open again: until when, and the reviewers' comment."""
    decision, window = ctx.get("decision"), ctx["window"]
    if ctx["state"] != "open" or not decision or decision["decision"] != "returned" or not window.reopened_until:
        return None
    return _("Ban Thường vụ Đoàn trường trả lại biểu mẫu để bổ sung đến hết ngày %(date)s: %(comment)s",
             date=format_date(window.reopened_until), comment=decision["comment"] or "")


def _file_errors(code: str, params: dict) -> str:
    return {
        "type": _("Loại tệp không được nhận; chỉ nhận: %(accept)s.", accept=params.get("accept", "")),
        "size": _("Tệp quá lớn; tối đa %(max_mb)s MB.", max_mb=params.get("max_mb", "")),
        "empty": _("Tệp rỗng."),
        "content": _("Nội dung tệp không phải là tệp %(ext)s thật.", ext=params.get("ext", "")),
    }[code]


@bp.route("/forms/<form_id>/<int:year>", methods=["GET", "POST"])
def fill(form_id: str, year: int):
    """The unit's own form for a cycle year: GET shows it, POST saves (action=save) or submits (action=submit)."""
    if g.user is None and request.method == "POST":
        from forms_app.adapters.web.errors import same_origin

        return _stash_and_sign_in() if same_origin() else abort(400)
    return _fill(form_id, year)


@role_required("unit")
def _fill(form_id: str, year: int):
    ctx = _context(form_id, year, _unit_code())
    definition: Definition = ctx["definition"]
    lang = current_language()
    form_class = build_form_class(definition, lang)
    db = forms_db()
    reason = read_only_reason(ctx)
    notice = None

    if request.method == "GET":
        stashed = accounts.take_stash(accounts_db(), request.cookies.get(STASH_COOKIE), request.path)
        current = store.current_answers(db, ctx["submission"])
        if stashed:
            form = form_class(formdata=MultiDict(stashed))
            notice = _("Những gì bạn đã nhập trước khi phiên đăng nhập hết hạn đã được khôi phục bên dưới; hãy bấm Lưu nháp hoặc Nộp.")
        else:
            form = form_class(formdata=None, data=_stored_data(definition, current))
        form.base_revision.data = str(ctx["submission"]["current_revision"] if ctx["submission"] else 0)
        form.request_token.data = secrets.token_urlsafe(16)
        files = _current_files(definition, current)
        if notice is None and store.has_unsubmitted_draft(ctx["submission"]):
            notice = _("Bạn đang sửa bản số %(current)s, chưa nộp; bản đã nộp là bản số %(submitted)s và vẫn được tính. Bấm Nộp để thay thế.",
                       current=ctx["submission"]["current_revision"], submitted=ctx["submission"]["submitted_revision"])
        notice = notice or _returned_notice(ctx)
        response = make_response(_render(ctx, form, files, reason=reason, notice=notice))
        if stashed:
            response.delete_cookie(STASH_COOKIE)
        return response

    form = form_class()
    action = request.form.get("action")
    if action not in ("save", "submit"):
        action = "save"
    form_ok = form.validate()  # CSRF, parse errors, lengths (never "required": that depends on visibility)
    answers = form.answers()
    # A POST to a form that is not open yet (or waits for another form) keeps no file; a late one keeps them.
    keeps_files = reason is None or (ctx["state"] == "closed" and not ctx["missing"])
    files: dict[str, str | None] = {}
    try:
        files, file_errors = _collect_files(ctx, definition, form, store_new=keeps_files, files=files)
    except (sqlite3.OperationalError, OSError) as exc:
        if not storage_trouble(exc):
            raise
        return _try_again(ctx, form, files, exc)
    answers.update({qid: token for qid, token in files.items() if token})
    shown = visibility(definition, answers)
    errors: dict[str, list[str]] = {}
    for question, field in form.question_fields():
        if shown[question.id]:
            messages = [m for m in field.errors if isinstance(m, str)]
            if messages:
                errors[question.id] = messages
    for qid, message in file_errors.items():
        errors.setdefault(qid, []).append(message)
    for error in validate_answers(definition, answers, lang, require=(action == "submit")):
        if error.question and shown.get(error.question, True):
            errors.setdefault(error.question, []).append(error.message(lang, beside_field=True))
    valid = {qid: value for qid, value in answers.items() if qid not in errors}
    base = _int(form.base_revision.data)
    token = (form.request_token.data or "")[:64] or None  # the page's own tokens are 22 characters
    if not form_ok and form.csrf_token.errors:
        abort(400)

    if reason is not None:
        if ctx["state"] == "closed" and not ctx["missing"]:
            # Refused, but nothing the unit sent is lost: it is kept as a revision marked late.
            try:
                outcome = store.record(db, unit_code=_unit_code(), definition=definition, cycle_year=year, answers=valid,
                                       action=action, author=g.user.username, base_revision=base, request_token=token,
                                       late=True, now=_now())
            except (sqlite3.OperationalError, OSError) as exc:
                if not storage_trouble(exc):
                    raise
                return _try_again(ctx, form, files, exc, errors=errors, reason=reason)
            notice = _("Đã hết hạn nộp nên bài không được nộp; nội dung bạn gửi đã được lưu lại (bản số %(n)s) để Văn phòng Đoàn trường xem xét.", n=outcome.revision)
        return _render(ctx, form, files, reason=reason, notice=notice, errors=errors, status=409)

    submitted_before = ctx["submission"] is not None and ctx["submission"]["status"] == "submitted"
    if errors and action == "submit" and submitted_before:
        # Keep the submitted version as it is; what was typed stays in the page.
        return _render(ctx, form, files, errors=errors, status=422,
                       notice=_("Chưa nộp lại: hãy sửa các câu được đánh dấu. Bài đã nộp trước đó vẫn giữ nguyên."))
    try:
        outcome = store.record(db, unit_code=_unit_code(), definition=definition, cycle_year=year, answers=valid,
                               action="save" if errors else action, author=g.user.username, base_revision=base,
                               request_token=token, now=_now())
    except (sqlite3.OperationalError, OSError) as exc:
        if not storage_trouble(exc):
            raise
        return _try_again(ctx, form, files, exc, errors=errors)
    if outcome.kind == "duplicate":
        return redirect(url_for("fill.result" if action == "submit" else "fill.fill", form_id=form_id, year=year), 303)
    if outcome.kind == "conflict":
        form.base_revision.data = str(store.find(db, _unit_code(), form_id, year)["current_revision"])
        form.request_token.data = secrets.token_urlsafe(16)
        ctx = _context(form_id, year, _unit_code())
        message = _("Người khác trong đơn vị (%(author)s) đã lưu biểu mẫu lúc %(at)s, sau khi bạn mở trang. Nội dung của bạn chưa ghi đè lên bản đó: nó được giữ ở bản số %(n)s và vẫn hiện bên dưới. Hãy xem lại rồi bấm lưu hoặc nộp lần nữa.",
                    author=outcome.conflict_author or "?", at=format_moment(outcome.conflict_at), n=outcome.revision)
        return _render(ctx, form, files, errors=errors, notice=message, status=409)
    if errors:
        form.base_revision.data = str(outcome.revision)
        form.request_token.data = secrets.token_urlsafe(16)
        ctx = _context(form_id, year, _unit_code())
        message = (_("Chưa nộp: hãy sửa các câu được đánh dấu. Những câu hợp lệ đã được lưu nháp.") if action == "submit"
                   else _("Đã lưu nháp các câu hợp lệ; hãy sửa các câu được đánh dấu."))
        return _render(ctx, form, files, errors=errors, notice=message, status=422)
    if outcome.kind == "submitted":
        flash(_("Đã nộp biểu mẫu. Kết quả dưới đây là tạm tính cho đến khi Ban Thường vụ xét công nhận."), "ok")
        return redirect(url_for("fill.result", form_id=form_id, year=year), 303)
    flash(_("Đã lưu nháp."), "ok")
    return redirect(url_for("fill.fill", form_id=form_id, year=year), 303)


def storage_trouble(exc: BaseException) -> bool:
    """A database locked beyond the busy timeout, or a full disk: nothing was stored, and pressing save again may work."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "locked" in text or "busy" in text or "disk is full" in text
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _try_again(ctx: dict, form, files: dict, exc: BaseException, *, errors=None, reason=None):
    """The form again, holding everything typed (same request token and base revision), with a sentence to press save again.

    The failed write has rolled back (db.write), so nothing is half-stored; a new upload that did
    get stored stays attached to the page like any kept file.
    """
    full = not (isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)))
    (log.error if full else log.warning)("form not stored, unit asked to save again: %s", exc)
    notice = _("Hệ thống đang bận, chưa lưu được; hãy bấm lưu lại — những gì bạn nhập vẫn còn dưới đây.")
    # A late post that could not be kept: say why the form is closed, but leave the buttons to send it again.
    html, _status = _render(ctx, form, files, errors=errors, notice=f"{reason} {notice}" if reason else notice)
    return html, 503, {"Retry-After": "5"}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _stored_data(definition: Definition, answers: dict) -> dict:
    return {q.id: form_value(q, answers.get(q.id)) for q in definition.questions if q.type != "file"}


def _current_files(definition: Definition, answers: dict) -> dict[str, str | None]:
    return {q.id: answers.get(q.id) for q in definition.questions if q.type == "file"}


def _collect_files(ctx: dict, definition: Definition, form, *, store_new: bool = True,
                   files: dict[str, str | None] | None = None) -> tuple[dict[str, str | None], dict[str, str]]:
    """For each file question: a new upload, else the file already kept (unless removed); errors beside the field.

    `files` is filled in place, kept files first, so that it still holds every kept file (and the
    new ones stored so far) when storing a new one fails.
    """
    db = forms_db()
    files = {} if files is None else files
    errors: dict[str, str] = {}
    questions = [q for q in definition.questions if q.type == "file"]
    for question in questions:
        kept = request.form.get(f"{question.id}__keep")
        if kept and not uploads.owned(db, kept, ctx["unit_code"], definition.id, ctx["year"], question.id):
            kept = None
        files[question.id] = None if request.form.get(f"{question.id}__remove") else kept
    for question in questions:
        upload = request.files.get(question.id)
        if store_new and upload is not None and upload.filename:
            try:
                files[question.id] = uploads.store(
                    db, g.data_dir, unit_code=ctx["unit_code"], form_id=definition.id, cycle_year=ctx["year"],
                    question=question, upload=upload, author=g.user.username)
            except uploads.UploadError as exc:
                errors[question.id] = _file_errors(exc.code, exc.params)
    return files, errors


def _rules(definition: Definition, lang: str) -> dict[str, str]:
    """Every scored question's rule in words, worked out once per definition version and language."""
    return registry.built_once(
        "rules", definition, lang, lambda d, lang: {q.id: describe_rule(q, lang) for q in d.questions if q.has_rule})


def _render(ctx: dict, form, files: dict, *, reason=None, notice=None, errors=None, status=200):
    definition: Definition = ctx["definition"]
    lang = current_language()
    errors = errors or {}
    described = uploads.describe(forms_db(), [t for t in files.values() if t])
    answered = form.answers()
    answered.update({k: v for k, v in files.items() if v})
    shown = visibility(definition, answered)
    rules = _rules(definition, lang)
    progress = []
    for section in definition.sections:
        visible = [q for q in section.questions if shown[q.id]]
        done = [q for q in visible if q.id in answered]
        progress.append({"id": section.id, "title": section.title.get(lang), "done": len(done), "count": len(visible),
                         "max": section.maximum, "pass_min": section.pass_min})
    html = render_template(
        "fill/form.html", definition=definition, form=form, ctx=ctx, reason=reason, notice=notice, errors=errors,
        files=files, described=described, rules=rules, progress=progress, shown=shown,
        conditions=_conditions_json(definition),
    )
    return html, status


def _conditions_json(definition: Definition) -> dict[str, str]:
    """Each `visible_if` as JSON for the page's script (the server applies the same rules regardless)."""
    import json

    raw = definition.as_json()
    out = {}
    for section in raw["sections"]:
        for question in section["questions"]:
            if "visible_if" in question:
                out[question["id"]] = json.dumps(question["visible_if"], ensure_ascii=False)
    return out


def _stash_and_sign_in():
    """A POST whose session has ended: keep what was typed (not files) and ask to sign in again."""
    flash(_("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại: những gì bạn vừa nhập sẽ được khôi phục."), "warn")
    return _stash(url_for("auth.login", next=request.path))


def stash_after_csrf_failure():
    """Same as an expired session, for a form page whose CSRF token no longer matches."""
    return _stash_and_sign_in() if g.user is None else _stash(request.path)


def _stash(target: str):
    """Keep the posted fields server-side under a cookie, to restore them into the form after `target`."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "action")][:2000]
    token = accounts.stash_post(accounts_db(), request.path, fields)
    response = redirect(target, 303)
    response.set_cookie(STASH_COOKIE, token, max_age=2 * 86400, httponly=True, samesite="Lax", secure=request.is_secure)
    return response


# Results and history: a unit sees its own; reviewers see any unit's.

def _report(ctx: dict, answers: dict, adjustments: dict | None = None) -> dict:
    """The score report, each question carrying `shown`: its answer as a person reads it (labels, not values)."""
    lang = current_language()
    definition: Definition = ctx["definition"]
    report = score(definition, answers, adjustments, lang=lang)
    for entry in report["questions"]:
        entry["shown"] = answer_text(definition.question(entry["id"]), entry["answer"], lang)
    return report


def answer_text(question, value: Any, lang: str) -> str | None:
    """Choice labels instead of values, Có/Không for booleans, dates as 30/09/2022; None when unanswered."""
    if value is None:
        return None
    if question.type == "boolean":
        return _("Có") if value else _("Không")
    if question.type in ("single_choice", "multi_choice"):
        values = value if isinstance(value, list) else [value]
        return ", ".join(c.label.get(lang) if (c := question.choice(v)) else str(v) for v in values)
    if question.type == "date":
        return format_date(value)
    if question.type in ("integer", "number"):
        from scoring.rules import fmt

        unit = f" {question.unit.get(lang)}" if question.unit else ""
        return fmt(value, lang, 4) + unit
    return str(value)


@bp.route("/forms/<form_id>/<int:year>/result")
@role_required("unit")
def result(form_id: str, year: int):
    """The score report of the unit's current revision, explained question by question."""
    return _result_page(_context(form_id, year, _unit_code()))


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/result")
@role_required("reviewer", "admin")
def unit_result(unit_code: str, form_id: str, year: int):
    """A reviewer reads any unit's result."""
    return _result_page(_context(form_id, year, unit_code))


def scored_report(ctx: dict) -> tuple[int, dict, dict]:
    """The scored revision's number, its answers and its report with the reviewers' current adjustments."""
    db = forms_db()
    number = store.scored_revision(ctx["submission"])
    answers = store.revision_answers(db, ctx["submission"]["id"], number) or {}
    adjustments = decisions.effective_adjustments(db, ctx["submission"]["id"], ctx["definition"], answers)
    return number, answers, _report(ctx, answers, adjustments)


def _result_page(ctx: dict):
    db = forms_db()
    if ctx["submission"] is None or not ctx["submission"]["current_revision"]:
        return render_template("fill/no_result.html", ctx=ctx), 404
    number, answers, report = scored_report(ctx)
    from exports.charts import section_bars
    from forms_app.adapters.web.review import may_review

    return render_template("fill/result.html", ctx=ctx, report=report, chart=section_bars(report, current_language()),
                           number=number, newer_draft=store.has_unsubmitted_draft(ctx["submission"]),
                           decision=ctx["decision"], can_review=not g.user.is_unit and may_review(ctx["unit_code"]),
                           described=uploads.describe(db, [v for v in answers.values() if isinstance(v, str)]))


@bp.route("/forms/<form_id>/<int:year>/history")
@role_required("unit")
def history(form_id: str, year: int):
    """Every revision of the unit's submission, newest first."""
    return _history_page(_context(form_id, year, _unit_code()))


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/history")
@role_required("reviewer", "admin")
def unit_history(unit_code: str, form_id: str, year: int):
    """A reviewer reads any unit's history."""
    return _history_page(_context(form_id, year, unit_code))


def _history_page(ctx: dict):
    rows = store.revisions(forms_db(), ctx["submission"]["id"]) if ctx["submission"] else []
    return render_template("fill/history.html", ctx=ctx, rows=rows)


@bp.route("/forms/<form_id>/<int:year>/history/<int:number>")
@role_required("unit")
def revision(form_id: str, year: int, number: int):
    """One past revision, read-only, with its score."""
    return _revision_page(_context(form_id, year, _unit_code()), number)


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/history/<int:number>")
@role_required("reviewer", "admin")
def unit_revision(unit_code: str, form_id: str, year: int, number: int):
    """A reviewer reads one past revision of any unit."""
    return _revision_page(_context(form_id, year, unit_code), number)


def _revision_page(ctx: dict, number: int):
    if ctx["submission"] is None:
        abort(404)
    answers = store.revision_answers(forms_db(), ctx["submission"]["id"], number)
    if answers is None:
        abort(404)
    report = _report(ctx, answers)
    meta = next((r for r in store.revisions(forms_db(), ctx["submission"]["id"]) if r["number"] == number), None)
    return render_template("fill/revision.html", ctx=ctx, report=report, number=number, meta=meta,
                           described=uploads.describe(forms_db(), [v for v in answers.values() if isinstance(v, str)]))


@bp.route("/files/<token>")
@role_required("unit", "reviewer", "admin")
def download(token: str):
    """An uploaded file: to its own unit and to reviewers, never to another unit."""
    row = uploads.find(forms_db(), token)
    if row is None or (g.user.is_unit and row["unit_code"] != g.user.unit_code):
        abort(404)
    path = uploads.blob_path(g.data_dir, row["sha256"])
    content_type = uploads.CONTENT_TYPES.get(uploads.extension(row["original_name"]), "application/octet-stream")
    return send_file(path, mimetype=content_type, as_attachment=True, download_name=row["original_name"])
