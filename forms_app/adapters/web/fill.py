"""A unit fills its form: drafts, submission, revisions, deadlines; its result and history."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict

from exports.charts import section_bars
from form_definitions import Definition
from forms_app.adapters.web import errors as error_pages
from forms_app.adapters.web import office, question_cache, reports, stash
from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, may_review, now, today
from forms_app.adapters.web.forms import build_form_class, file_error_message, form_value
from forms_app.adapters.web.i18n import current_language, format_date, format_moment
from forms_app.data.clock import TIME_ZONE, utcnow
from forms_app.data.connection import WriteError, storage_trouble
from forms_app.rules import registry, submitting, unit_form, uploads
from forms_app.rules.unit_form import UnitForm
from scoring import describe_rule, parts_above_wholes, validate_answers, visibility

bp = Blueprint("fill", __name__)
log = logging.getLogger(__name__)


def load_form(form_id: str, year: int, unit_code: str) -> UnitForm:
    """The unit's form for the year; 404 when the unit, the form or its cycle does not exist."""
    form = unit_form.load(forms_db(), unit_code, form_id, year, today())
    if form is None:
        abort(404)
    return form


def reviewed_form(form_id: str, year: int, unit_code: str) -> UnitForm:
    """A unit's form for a reviewer: 403 outside a cluster lead's clusters, 404 for what does not exist."""
    if not may_review(unit_code):
        abort(403)
    return load_form(form_id, year, unit_code)


def read_only_reason(form: UnitForm) -> str | None:
    """The sentence saying why the form cannot be changed now, or None when it can."""
    blocked = form.blocked_by
    if blocked == "decided" and form.window.decision == "accepted":
        return _("Văn phòng Đoàn trường đã tiếp nhận biểu mẫu này nên đơn vị không thể sửa nữa.")
    if blocked == "decided":
        return _("Ban Thường vụ Đoàn trường đã có quyết định (%(decision)s) nên đơn vị không thể sửa biểu mẫu này nữa.",
                 decision=reports.decision_label(form.window.decision))
    if blocked == "waiting":
        return " ".join(form.waiting_for(current_language()))
    if blocked == "not_open":
        return _("Biểu mẫu chưa mở; đơn vị có thể điền từ ngày %(date)s.", date=format_date(form.window.opens))
    if blocked == "closed":
        return _("Đã hết hạn nộp (%(date)s); biểu mẫu chỉ còn để xem.", date=format_date(form.window.closes))
    return None


def _returned_notice(form: UnitForm) -> str | None:
    """While a returned form is open again: the office's comment (its deadline is the page's one deadline)."""
    decision, window = form.decision, form.window
    if form.state != "open" or not decision or decision["decision"] != "returned" or not window.reopened_until:
        return None
    return _("Biểu mẫu được trả lại để bổ sung: hãy sửa và nộp lại trước hạn nộp. Nhận xét: %(comment)s",
             comment=decision["comment"] or "")


@bp.route("/forms/<form_id>/<int:year>", methods=["GET", "POST"])
def fill(form_id: str, year: int):
    """The unit's own form for a cycle year: GET shows it, POST saves (action=save) or submits (action=submit)."""
    if g.user is None and request.method == "POST":
        if _background() and stash.same_origin():
            return _answer(401, message=_("Phiên đăng nhập đã hết hạn nên chưa lưu được; những gì bạn nhập vẫn được giữ "
                                          "trên máy này. Hãy bấm Lưu nháp để đăng nhập lại và lưu."))
        return stash.stash_and_sign_in() if stash.same_origin() else abort(400)
    return _fill(form_id, year)


# A background save: sent by the page's script as the unit types (or a save pressed offline, sent once online).
# It is always a draft (never a submit, never a new file), follows the same CSRF and request-token rules as a
# pressed save, and is answered in JSON that the script shows as it is.

def _background() -> bool:
    return request.headers.get("X-Requested-With") == "autosave"


def _answer(status: int, **fields):
    """The JSON a background save gets: ok, a sentence to show, and what else the script needs."""
    return jsonify(ok=status == 200, **fields), status


@bp.errorhandler(CSRFError)
def _stale_token(error: CSRFError):
    if _background():
        return _answer(400, message=_("Mã bảo mật của trang đã hết hạn nên chưa lưu được; những gì bạn nhập vẫn được "
                                      "giữ trên máy này. Hãy bấm Lưu nháp."))
    return error_pages.csrf_failure(error)  # the page every other POST gets


def _saved_before(outcome: submitting.Outcome) -> str:
    """Who saved the revision a page did not build on: this same account from another tab or device, or someone else."""
    at = format_moment(outcome.conflict_at)
    if outcome.conflict_author == g.user.username:
        return _("Biểu mẫu đã được lưu lúc %(at)s từ một trang khác (thẻ hoặc máy khác) của chính tài khoản này, "
                 "sau khi trang này được mở.", at=at)
    return _("Người khác trong đơn vị (%(author)s) đã lưu biểu mẫu lúc %(at)s, sau khi bạn mở trang.",
             author=outcome.conflict_author or "?", at=at)


def _saved_in_background(outcome: submitting.Outcome, errors: dict):
    """What the script needs to go on: the revision the next save builds on and a new request token."""
    if outcome.kind == "conflict":
        return _answer(409, conflict=True, message=_saved_before(outcome) + " " + _(
            "Nội dung của bạn chưa ghi đè lên bản đó: nó được giữ ở bản số %(n)s và trên máy này. Việc tự động lưu đã "
            "dừng; hãy tải lại trang để xem bản mới nhất.", n=outcome.revision))
    at = (now() or utcnow()).astimezone(TIME_ZONE).strftime("%H:%M")
    message = (_("Đã lưu lúc %(time)s các câu hợp lệ; bấm Lưu nháp để xem các câu cần sửa.", time=at) if errors
               else _("Đã lưu lúc %(time)s.", time=at))
    return _answer(200, saved_at=at, revision=outcome.revision, base_revision=outcome.revision,
                   request_token=secrets.token_urlsafe(16), errors=errors, message=message)


@capability_required("is_unit")
def _fill(form_id: str, year: int):
    form = load_form(form_id, year, g.user.unit_code)
    page_class = build_form_class(form.definition, current_language())
    if request.method == "GET":
        return _show(form, page_class)
    return _post(form, page_class)


def _show(form: UnitForm, page_class):
    """The form with the current answers, or with what was typed before the session ended."""
    stashed = stash.take_stash()
    current = submitting.current_answers(forms_db(), form.submission)
    notice = None
    if stashed:
        page = page_class(formdata=MultiDict(stashed))
        notice = _("Những gì bạn đã nhập trước khi phiên đăng nhập hết hạn đã được khôi phục bên dưới; hãy bấm Lưu nháp hoặc Nộp.")
    else:
        page = page_class(formdata=None, data=_stored_data(form.definition, current))
    page.base_revision.data = str(form.submission["current_revision"] if form.submission else 0)
    page.request_token.data = secrets.token_urlsafe(16)
    if notice is None and submitting.has_unsubmitted_draft(form.submission):
        notice = _("Bạn đang sửa bản số %(current)s, chưa nộp; bản đã nộp là bản số %(submitted)s và vẫn được tính. Bấm Nộp để thay thế.",
                   current=form.submission["current_revision"], submitted=form.submission["submitted_revision"])
    notice = notice or _returned_notice(form)
    response = make_response(_render(form, page, _current_files(form.definition, current),
                                     reason=read_only_reason(form), notice=notice))
    if stashed:
        response.delete_cookie(stash.STASH_COOKIE)
    return response


def _post(form: UnitForm, page_class):
    """A save or a submit: what is valid is stored, what is not comes back beside its field; nothing typed is lost."""
    page = page_class()
    action = request.form.get("action")
    action = action if action in ("save", "submit") and not _background() else "save"
    page_ok = page.validate()  # CSRF, parse errors, lengths (never "required": that depends on visibility)
    answers = page.answers()
    reason = read_only_reason(form)
    # A POST to a form that is not open yet (or waits for another form) keeps no file; a late one keeps them.
    files: dict[str, str | None] = {}
    try:
        files, file_errors = _collect_files(form, store_new=(reason is None or form.keeps_late_posts) and not _background(),
                                            files=files)
    except (WriteError, OSError) as exc:
        if not storage_trouble(exc):
            raise
        return _try_again(form, page, files, exc)
    answers.update({qid: token for qid, token in files.items() if token})
    errors = _errors(form.definition, page, answers, file_errors, action)
    if not page_ok and page.csrf_token.errors:
        abort(400)
    valid = {qid: value for qid, value in answers.items() if qid not in errors}
    posted = (page, files, errors, valid, action)
    if reason is not None and _background():
        return _answer(409, closed=True, message=reason)  # kept on the unit's machine; a pressed save keeps a late one
    if reason is not None:
        return _refused(form, posted, reason)
    submitted_before = form.submission is not None and form.submission["status"] == "submitted"
    if errors and action == "submit" and submitted_before:
        # Keep the submitted version as it is; what was typed stays in the page.
        return _render(form, page, files, errors=errors, status=422,
                       notice=_("Chưa nộp lại: hãy sửa các câu được đánh dấu. Bài đã nộp trước đó vẫn giữ nguyên."))
    return _store(form, posted)


def _errors(definition: Definition, page, answers: dict, file_errors: dict, action: str) -> dict[str, list[str]]:
    """Every problem of the posted answers, by question, for the questions the answers leave visible."""
    lang = current_language()
    shown = visibility(definition, answers)
    errors: dict[str, list[str]] = {}
    for question, field in page.question_fields():
        messages = [m for m in field.errors if isinstance(m, str)]
        if shown[question.id] and messages:
            errors[question.id] = messages
    for qid, message in file_errors.items():
        errors.setdefault(qid, []).append(message)
    for error in validate_answers(definition, answers, lang, require=(action == "submit")):
        if error.question and shown.get(error.question, True):
            errors.setdefault(error.question, []).append(error.message(lang, beside_field=True))
    return errors


def _record(form: UnitForm, page, valid: dict, action: str, *, late: bool = False) -> submitting.Outcome:
    return submitting.record(forms_db(), unit_code=form.unit_code, definition=form.definition, cycle_year=form.year,
                             answers=valid, action=action, author=g.user.username,
                             base_revision=_int(page.base_revision.data),
                             request_token=(page.request_token.data or "")[:64] or None,  # the page's own: 22 characters
                             late=late, now=now())


def _refused(form: UnitForm, posted: tuple, reason: str):
    """A post the form cannot take now; after the deadline what was sent is still kept, as a 'late' revision."""
    page, files, errors, valid, action = posted
    notice = None
    if form.keeps_late_posts:
        try:
            outcome = _record(form, page, valid, action, late=True)
        except (WriteError, OSError) as exc:
            if not storage_trouble(exc):
                raise
            return _try_again(form, page, files, exc, errors=errors, reason=reason)
        notice = _("Đã hết hạn nộp nên bài không được nộp; "
                   "nội dung bạn gửi đã được lưu lại (bản số %(n)s) để Văn phòng Đoàn trường xem xét.", n=outcome.revision)
    return _render(form, page, files, reason=reason, notice=notice, errors=errors, status=409)


def _store(form: UnitForm, posted: tuple):
    """Store the valid answers (as a draft when some are not) and say what happened."""
    page, files, errors, valid, action = posted
    try:
        outcome = _record(form, page, valid, "save" if errors else action)
    except (WriteError, OSError) as exc:
        if not storage_trouble(exc):
            raise
        return _try_again(form, page, files, exc, errors=errors)
    if _background():
        return _saved_in_background(outcome, errors)
    target = dict(form_id=form.definition.id, year=form.year)
    if outcome.kind == "duplicate":
        return redirect(url_for("fill.result" if action == "submit" else "fill.fill", **target), 303)
    if outcome.kind == "conflict":
        form = _reopen(form, page)  # the other person's revision is the one being edited now
        message = _saved_before(outcome) + " " + _(
            "Nội dung của bạn chưa ghi đè lên bản đó: nó được giữ ở bản số %(n)s và vẫn hiện bên dưới. "
            "Hãy xem lại rồi bấm lưu hoặc nộp lần nữa.", n=outcome.revision)
        return _render(form, page, files, errors=errors, notice=message, status=409)
    if errors:
        form = _reopen(form, page)
        message = (_("Chưa nộp: hãy sửa các câu được đánh dấu. Những câu hợp lệ đã được lưu nháp.") if action == "submit"
                   else _("Đã lưu nháp các câu hợp lệ; hãy sửa các câu được đánh dấu."))
        return _render(form, page, files, errors=errors, notice=message, status=422)
    if outcome.kind == "submitted":
        flash(_("Đã nộp biểu mẫu. Kết quả dưới đây là tạm tính cho đến khi Ban Thường vụ xét công nhận."), "ok")
        return redirect(url_for("fill.result", **target), 303)
    flash(_("Đã lưu nháp."), "ok")
    return redirect(url_for("fill.fill", **target), 303)


def _reopen(form: UnitForm, page) -> UnitForm:
    """The form as stored now, the page set to build on its current revision with a new request token."""
    form = load_form(form.definition.id, form.year, form.unit_code)
    page.base_revision.data = str(form.submission["current_revision"])
    page.request_token.data = secrets.token_urlsafe(16)
    return form


def _try_again(form: UnitForm, page, files: dict, exc: BaseException, *, errors=None, reason=None):
    """The form again, holding everything typed (same request token and base revision), with a sentence to press save again.

    The failed write has rolled back (connection.write), so nothing is half-stored; a new upload that did
    get stored stays attached to the page like any kept file.
    """
    (log.warning if storage_trouble(exc) == "busy" else log.error)("form not stored, unit asked to save again: %s", exc)
    if _background():
        return _answer(503, message=_("Hệ thống đang bận, chưa lưu được; sẽ thử lại sau ít phút."))
    notice = _("Hệ thống đang bận, chưa lưu được; hãy bấm lưu lại — những gì bạn nhập vẫn còn dưới đây.")
    # A late post that could not be kept: say why the form is closed, but leave the buttons to send it again.
    html, _status = _render(form, page, files, errors=errors, notice=f"{reason} {notice}" if reason else notice)
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


def _collect_files(form: UnitForm, *, store_new: bool = True,
                   files: dict[str, str | None] | None = None) -> tuple[dict[str, str | None], dict[str, str]]:
    """For each file question: a new upload, else the file already kept (unless removed); errors beside the field.

    The new files are checked and written outside the write lock, then kept in one short transaction
    (`uploads.keep`). `files` is filled in place, kept files first, so that it still holds every kept file when
    keeping the new ones fails: none of them is kept then, to be chosen again.
    """
    db = forms_db()
    files = {} if files is None else files
    errors: dict[str, str] = {}
    questions = [q for q in form.definition.questions if q.type == "file"]
    sent_back = {q.id: request.form.get(f"{q.id}__keep") for q in questions}
    owned = uploads.owned_of(db, [t for t in sent_back.values() if t], form.unit_code, form.definition.id, form.year)
    for question in questions:
        kept = sent_back[question.id] if owned.get(sent_back[question.id]) == question.id else None
        files[question.id] = None if request.form.get(f"{question.id}__remove") else kept
    new = [(question, request.files.get(question.id)) for question in questions if store_new]
    items = []
    for question, upload in new:
        if upload is None or not upload.filename:
            continue
        try:
            items.append((question, uploads.prepared(question, upload)))
        except uploads.UploadError as exc:
            errors[question.id] = _upload_error(exc)
    if not items:
        return files, errors
    kept_files = dict(files)
    try:
        tokens, refused = uploads.keep(db, g.data_dir, items, unit_code=form.unit_code, form_id=form.definition.id,
                                       cycle_year=form.year, author=g.user.username)
    except BaseException:
        files.update(kept_files)
        raise
    files.update(tokens)
    errors.update({qid: _upload_error(exc) for qid, exc in refused.items()})
    return files, errors


def _upload_error(exc: uploads.UploadError) -> str:
    """The sentence beside a file field: the quota's lives in the rules' catalogue, the file checks' in this page's."""
    return exc.message(current_language()) if exc.code in uploads.MESSAGES else file_error_message(exc.code, exc.params)


def _rules(definition: Definition, lang: str) -> dict[str, str]:
    """Every scored question's rule in words (naming the proof it needs, the denominator that may make it not apply),
    worked out once per definition version and language."""
    return registry.built_once("rules", definition, lang, lambda d, lang: {
        q.id: describe_rule(q, lang, definition=d) for q in d.questions if q.has_rule})


def _render(form: UnitForm, page, files: dict, *, reason=None, notice=None, errors=None, status=200):
    definition = form.definition
    lang = current_language()
    answered = page.answers()
    answered.update({k: v for k, v in files.items() if v})
    shown = visibility(definition, answered)
    progress = []
    for section in definition.sections:
        visible = [q for q in section.questions if shown[q.id]]
        done = [q for q in visible if q.id in answered]
        progress.append({"id": section.id, "title": section.title.get(lang), "done": len(done), "count": len(visible),
                         "max": section.maximum, "pass_min": section.pass_min})
    errors = errors or {}
    live = _parts_above_wholes(definition, answered, lang, shown)
    readonly = reason is not None
    described = uploads.describe(forms_db(), [t for t in files.values() if t])
    rules, conditions = _rules(definition, lang), _conditions_json(definition)
    html = render_template(
        "fill/form.html", definition=definition, form=page, ctx=form, reason=reason, notice=notice, errors=errors,
        files=files, described=described, rules=rules, progress=progress, shown=shown, conditions=conditions,
        live=live, prepared=question_cache.prepared(form, page, errors=errors, live=live, shown=shown, files=files,
                                                    described=described, readonly=readonly, lang=lang, rules=rules,
                                                    conditions=conditions),
    )
    return html, status


def _parts_above_wholes(definition: Definition, answered: dict, lang: str,
                        shown: dict[str, bool]) -> dict[str, dict[str, str | None]]:
    """For each part with an `at_most`: the sentence form.js says as the unit types ({value} and {limit} filled in
    there), and the server's sentence when what the page holds is above its whole (the server stays the authority)."""
    parts = [q for q in definition.questions if q.at_most and definition.question(q.at_most)]
    if not parts:
        return {}
    now = {error.question: error.message(lang, beside_field=True)
           for error in parts_above_wholes(definition, answered, lang, shown)}
    return {q.id: {"error": now.get(q.id), "message": _(
        'Giá trị %(value)s không được lớn hơn "%(other)s" (%(limit)s).', value="{value}",
        other=definition.question(q.at_most).label.get(lang), limit="{limit}")} for q in parts}


def _conditions_json(definition: Definition) -> dict[str, str]:
    """Each `visible_if` as JSON for the page's script (the server applies the same rules regardless), worked out
    once per definition version."""
    return registry.built_once("conditions", definition, "", lambda d, _lang: {
        question["id"]: json.dumps(question["visible_if"], ensure_ascii=False)
        for section in d.as_json()["sections"] for question in section["questions"] if "visible_if" in question})


# Results and history: a unit sees its own; reviewers see any unit's.

@bp.route("/forms/<form_id>/<int:year>/result")
@capability_required("is_unit")
def result(form_id: str, year: int):
    """The score report of the unit's current revision, explained question by question."""
    return _result_page(load_form(form_id, year, g.user.unit_code))


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/result")
@capability_required("is_reviewer")
def unit_result(unit_code: str, form_id: str, year: int):
    """A reviewer reads any unit's result."""
    return _result_page(reviewed_form(form_id, year, unit_code))


def _result_page(form: UnitForm):
    if not form.has_answers:
        return render_template("fill/no_result.html", ctx=form), 404
    number, answers, report = reports.scored_report(form)
    return render_template("fill/result.html", ctx=form, report=report, chart=section_bars(report, current_language()),
                           number=number, newer_draft=submitting.has_unsubmitted_draft(form.submission),
                           decision=form.decision, can_review=not g.user.is_unit and may_review(form.unit_code),
                           described=uploads.describe(forms_db(), [v for v in answers.values() if isinstance(v, str)]),
                           **office.history_parts(form))


@bp.route("/forms/<form_id>/<int:year>/history")
@capability_required("is_unit")
def history(form_id: str, year: int):
    """Every revision of the unit's submission, newest first."""
    return _history_page(load_form(form_id, year, g.user.unit_code))


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/history")
@capability_required("is_reviewer")
def unit_history(unit_code: str, form_id: str, year: int):
    """A reviewer reads any unit's history."""
    return _history_page(reviewed_form(form_id, year, unit_code))


def _history_page(form: UnitForm):
    rows = submitting.revisions(forms_db(), form.submission["id"]) if form.submission else []
    return render_template("fill/history.html", ctx=form, rows=rows)


@bp.route("/forms/<form_id>/<int:year>/history/<int:number>")
@capability_required("is_unit")
def revision(form_id: str, year: int, number: int):
    """One past revision, read-only, with its score."""
    return _revision_page(load_form(form_id, year, g.user.unit_code), number)


@bp.route("/units/<unit_code>/forms/<form_id>/<int:year>/history/<int:number>")
@capability_required("is_reviewer")
def unit_revision(unit_code: str, form_id: str, year: int, number: int):
    """A reviewer reads one past revision of any unit."""
    return _revision_page(reviewed_form(form_id, year, unit_code), number)


def _revision_page(form: UnitForm, number: int):
    if form.submission is None:
        abort(404)
    answers = submitting.revision_answers(forms_db(), form.submission["id"], number)
    if answers is None:
        abort(404)
    meta = next((r for r in submitting.revisions(forms_db(), form.submission["id"]) if r["number"] == number), None)
    return render_template("fill/revision.html", ctx=form, report=reports.report(form, answers), number=number, meta=meta,
                           described=uploads.describe(forms_db(), [v for v in answers.values() if isinstance(v, str)]))


@bp.route("/files/<token>")
@capability_required("is_unit", "is_reviewer")
def download(token: str):
    """An uploaded file: to its own unit and to reviewers of that unit, never to another unit."""
    row = uploads.find(forms_db(), token)
    if row is None or (g.user.is_unit and row["unit_code"] != g.user.unit_code):
        abort(404)
    if not g.user.is_unit and not may_review(row["unit_code"]):  # a cluster lead: their clusters' files only
        abort(403)
    path = uploads.blob_path(g.data_dir, row["sha256"])
    content_type = uploads.CONTENT_TYPES.get(uploads.extension(row["original_name"]), "application/octet-stream")
    return send_file(path, mimetype=content_type, as_attachment=True, download_name=row["original_name"])
