"""The office's side of a unit's year beyond its decisions: the inspection committee's inspections and adjustments,
the cluster leads' comments and proposals (parts of the review and result pages), and the yearly list of the units
proposed for commendation and the experience-sharing forums, with the office's selection."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from exports import tables
from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, limited_clusters, may_review, paged, today
from forms_app.adapters.web.forms import file_error_message, parse_number
from forms_app.adapters.web.i18n import current_language
from forms_app.rules import deciding, inspections, proposals, registry, reminders, units, uploads
from forms_app.rules.messages import Refusal
from forms_app.rules.unit_form import UnitForm
from scoring.rules import fmt

bp = Blueprint("office", __name__, url_prefix="/office")

INSPECTION_FIELDS = {"inspected_on": 20, "members": inspections.MAX_MEMBERS + 1,
                     "conclusion": inspections.MAX_CONCLUSION + 1, "minutes_kept": 40}


def kind_labels() -> dict[str, str]:
    """{kind: its name in the page's language} for proposals (recognition, commendation, forum)."""
    lang = current_language()
    return {kind: label.get(lang) or label["vi"] for kind, label in proposals.KIND_LABELS.items()}


# Parts of the review page and of the result page

def unit_year_parts(form: UnitForm, kept: Mapping | None = None) -> dict:
    """What the review page shows and offers about a unit's form and year beyond its decisions, by role: the
    inspections (and, for the inspection committee, the inspection form and the one form adjusting points), the
    cluster leads' comments and proposals (and, for a cluster lead of the unit, their forms). `kept` holds what a
    refused post typed and the sentences beside its fields (`inspection_values`, `inspection_errors`, …)."""
    db = forms_db()
    submitted = bool(form.submission and form.submission["status"] == "submitted")
    parts = {
        "inspections": inspections.history(db, form.unit_code, form.definition.id, form.year),
        "can_inspect": g.user.inspects and form.definition.scored,
        "adjusting": g.user.inspects and submitted and form.definition.scored,
        "comments": proposals.comments(db, form.unit_code, form.year),
        "proposals": proposals.proposals_of(db, form.unit_code, form.year),
        "can_propose": g.user.proposes and may_review(form.unit_code),
        "kind_labels": kind_labels(), "minutes_accept": ", ".join(inspections.MINUTES.accept), "review_page": True,
        "inspection_values": {}, "inspection_errors": {}, "comment_values": {}, "comment_errors": {},
        "proposal_values": {}, "proposal_errors": {},
        "reminders": reminders.sent_log(db, REMINDERS_PER_PAGE, lang=current_language(), where=reminders.LogFilter(
            year=form.year, form_id=form.definition.id, unit_code=form.unit_code)),
    }
    parts.update(kept or {})
    kept_minutes = parts["inspection_values"].get("minutes_kept")
    parts["kept_minutes"] = uploads.find(db, kept_minutes) if kept_minutes else None
    return parts


def history_parts(form: UnitForm) -> dict:
    """The unit's result page, read-only: the inspections of its form and year and the history of its adjustments."""
    db = forms_db()
    lang = current_language()
    return {
        "inspections": inspections.history(db, form.unit_code, form.definition.id, form.year),
        "adjustments": deciding.adjustment_history(db, form.submission["id"]) if form.submission else [],
        "labels": {q.id: q.label.get(lang) for q in form.definition.questions},
    }


def posted_adjustments(form: UnitForm) -> tuple[dict, dict, dict]:
    """The one adjustments form as posted: (what was typed per question, the changes {question: (points, reason)},
    the sentences of points that are not numbers {question: {"fields", "message"}}).

    A row counts as changed when its points differ from those shown when the page was made (`was-<question>`) or a
    reason was written: empty points remove the adjustment in force. Unchanged rows are left alone.
    """
    lang = current_language()
    kept: dict[str, dict] = {}
    changes: dict[str, tuple[float | None, str]] = {}
    errors: dict[str, dict] = {}
    for question in form.definition.questions:
        if f"points-{question.id}" not in request.form:
            continue
        text = (request.form.get(f"points-{question.id}") or "").strip()[:40]
        was = (request.form.get(f"was-{question.id}") or "").strip()[:40]
        reason = (request.form.get(f"reason-{question.id}") or "").strip()[:deciding.MAX_REASON + 1]
        kept[question.id] = {"points": text, "reason": reason}
        if _same_points(text, was, lang) and not reason:
            continue
        try:
            changes[question.id] = (parse_number(text, lang) if text else None, reason)
        except ValueError:
            errors[question.id] = {"fields": ["points"], "message": _adjustment_sentence(Refusal("points", "points"))}
    return kept, changes, errors


def _same_points(text: str, was: str, lang: str) -> bool:
    if text == was:
        return True
    try:
        return bool(text and was) and parse_number(text, lang) == parse_number(was, lang)
    except ValueError:
        return False


def adjustment_errors(form: UnitForm, refusals: list[Refusal]) -> dict[str, dict]:
    """Refused adjustments' sentences by question ({"fields": the fields to mark, "message"}); a refusal of the whole
    submission under ""."""
    errors: dict[str, dict] = {}
    for refusal in refusals:
        qid = refusal.params.get("question", "")
        question = form.definition.question(qid) if qid else None
        entry = errors.setdefault(qid, {"fields": [], "message": ""})
        entry["fields"].append(refusal.field)
        label = question.label.get(current_language()) if question else qid
        entry["message"] = f"{entry['message']} {_adjustment_sentence(refusal, question=label)}".strip()
    return errors


def _adjustment_sentence(refusal: Refusal, **more) -> str:
    lang = current_language()
    params = {k: fmt(v, lang) if isinstance(v, float) else v for k, v in {**refusal.params, **more}.items()}
    return deciding.message(refusal.code, lang, "adjustment", **params)


def posted_inspection() -> dict[str, str]:
    """The inspection's fields as posted (long texts cut just past their limit so the rule still refuses them)."""
    return {name: (request.form.get(name) or "").strip()[:limit] for name, limit in INSPECTION_FIELDS.items()}


def inspection_errors(exc: inspections.InspectionError) -> dict[str, str]:
    """The sentences of a refused inspection by the field they belong beside (`minutes` for the file)."""
    lang = current_language()
    errors: dict[str, list[str]] = {}
    for refusal in exc.refusals:
        errors.setdefault(refusal.field or "minutes", []).append(inspections.message(refusal, lang))
    if exc.upload_error is not None:
        error = exc.upload_error
        errors.setdefault("minutes", []).append(
            error.message(lang) if error.code in uploads.MESSAGES else file_error_message(error.code, error.params))
    return {field: " ".join(texts) for field, texts in errors.items()}


def proposal_errors(refusals: list[Refusal]) -> dict[str, str]:
    """The sentences of a refused comment, proposal or selection by field (`kind` when none)."""
    lang = current_language()
    errors: dict[str, list[str]] = {}
    for refusal in refusals:
        errors.setdefault(refusal.field or "kind", []).append(proposals.message(refusal, lang))
    return {field: " ".join(texts) for field, texts in errors.items()}


# The yearly list: units proposed for commendation and the forums (and for recognition), and the office's selection

PROPOSALS_PER_PAGE = 50
MAX_QUERY = 100
LIST_KINDS = ("commendation", "forum", "recognition")  # the order of the list's tabs


@dataclass(frozen=True)
class ProposalQuery:
    """The yearly list as the address (or a selection's form, which carries it) shows it: a year, a kind, a cluster,
    a search, the selected units only ("yes") or those not yet selected ("no"), a page."""

    year: int
    kind: str = LIST_KINDS[0]
    cluster: str = ""
    q: str = ""
    selection: str = ""
    page: int = 1

    @classmethod
    def read(cls, year: int, values: Mapping, clusters: list[str]) -> ProposalQuery:
        """From the request's values; an unknown kind, cluster (one of `clusters`) or selection reads as the default,
        never an error."""
        kind = values.get("kind") if values.get("kind") in LIST_KINDS else LIST_KINDS[0]
        cluster = values.get("cluster") if values.get("cluster") in clusters else ""
        selection = values.get("selection") if values.get("selection") in ("yes", "no") else ""
        try:
            page = min(max(1, int(values.get("page") or 1)), 100_000)
        except ValueError:
            page = 1
        return cls(year, kind, cluster, " ".join((values.get("q") or "").split())[:MAX_QUERY],
                   selection if kind in proposals.SELECTED_KINDS else "", page)

    def args(self, **changed) -> dict:
        """The address's arguments (for links to other pages), without the empty ones and page 1."""
        values = {"year": self.year, "kind": self.kind, "cluster": self.cluster, "q": self.q,
                  "selection": self.selection, "page": self.page, **changed}
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}

    def where(self) -> proposals.ListFilter:
        """The rules' filter: the cluster chosen, else a cluster lead's clusters (else every cluster)."""
        return proposals.ListFilter(self.kind, tuple([self.cluster] if self.cluster else limited_clusters()), self.q,
                                    {"yes": True, "no": False}.get(self.selection))


def _clusters() -> list[str]:
    """The clusters the list may be narrowed to: a cluster lead's, or every cluster."""
    return limited_clusters() or units.cluster_names(forms_db())


@bp.route("/proposals")
@capability_required("is_reviewer")
def proposal_list():
    """A year's units proposed for commendation, for the experience-sharing forums or for recognition, one kind at a
    time by pages: who proposed them and why, their recognition, and the office's selection; by cluster (a cluster
    lead sees their clusters only), code or name, selected or not. `format=csv`: the year's whole list."""
    db = forms_db()
    years = proposals.list_years(db)
    year = request.args.get("year", type=int)
    if year is None:
        current = today().year
        year = next((y for y in years if y <= current), years[0] if years else current)
    elif year not in years:
        abort(404)
    if request.args.get("format") == "csv":
        return _csv(year)
    return _list_page(ProposalQuery.read(year, request.args, _clusters()))


def _list_page(query: ProposalQuery, *, error: dict | None = None, status: int = 200):
    db = forms_db()
    lang = current_language()
    scored = registry.scored_forms(db)
    where = query.where()
    counts = proposals.year_counts(db, query.year, where)
    paging, entries = paged(lambda page: proposals.year_page(db, query.year, where, page, PROPOSALS_PER_PAGE, counts),
                            query.page, PROPOSALS_PER_PAGE)
    return render_template("office/proposals.html", f=replace(query, page=paging.page), page=paging, entries=entries,
                           first=(paging.page - 1) * PROPOSALS_PER_PAGE + 1,
                           counts=counts, kinds=LIST_KINDS, years=proposals.list_years(db), clusters=_clusters(),
                           limited=limited_clusters(), labels=kind_labels(), scored=scored,
                           titles={d.id: d.title.get(lang) for d in scored},
                           selectable=query.kind in proposals.SELECTED_KINDS, error=error or {}), status


@bp.route("/proposals/<int:year>/selection", methods=["POST"])
@capability_required("decides")
def select(year: int):
    """Select a unit for commendation or a forum, or take the selection back (audited), then back to the same page of
    the list; refused with a sentence beside the unit."""
    unit_code = (request.form.get("unit_code") or "").strip()[:64]
    kind = (request.form.get("kind") or "")[:20]
    selected = request.form.get("selected") == "1"
    query = ProposalQuery.read(year, request.form, _clusters())
    try:
        changed = proposals.set_selected(forms_db(), unit_code, year, kind, selected, g.user.username)
    except proposals.ProposalError as exc:
        message = " ".join(proposal_errors(exc.refusals).values())
        return _list_page(query, error={"unit_code": unit_code, "kind": kind, "message": message}, status=422)
    if changed:
        label = kind_labels().get(kind, kind).lower()
        flash(_("Đã chọn đơn vị %(unit)s: %(kind)s.", unit=unit_code, kind=label) if selected
              else _("Đã bỏ chọn đơn vị %(unit)s: %(kind)s.", unit=unit_code, kind=label), "ok")
    return redirect(url_for("office.proposal_list", **query.args(), _anchor=f"{kind}-{unit_code}"), 303)


def _csv(year: int):
    """The year's whole list as a CSV file (`exports.tables.csv_bytes`: UTF-8 with a BOM, no cell a spreadsheet would
    run): one line per unit and kind, within a cluster lead's clusters."""
    labels = kind_labels()
    listed = proposals.year_list(forms_db(), year, limited_clusters())
    header = [_("Loại"), _("Mã đơn vị"), _("Đơn vị"), _("Cụm thi đua"), _("Người đề xuất"), _("Lý do"), _("Được chọn")]
    lead_word = _("Ban Thường vụ (quyết định công nhận)")
    yes, no = _("Có"), _("Không")
    rows = [[labels[kind], entry["unit_code"], entry["unit_name"], entry["cluster"],
             "; ".join(p["proposed_by"] if p["source"] == "lead" else lead_word for p in entry["proposals"]),
             "; ".join(p["reason"] or "" for p in entry["proposals"]),
             (yes if entry["selected"] else no) if kind in proposals.SELECTED_KINDS else ""]
            for kind, entries in listed.items() for entry in entries]
    response = make_response(tables.csv_bytes(header, rows))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="de-xuat-{year}.csv"'
    return response


# Who was reminded when: the log of `forms-app remind`

REMINDERS_PER_PAGE = 50


@dataclass(frozen=True)
class ReminderQuery:
    """The reminders page's filters as the address gives them: a year, a form, a unit's code, a page."""

    year: int | None = None
    form: str = ""
    unit: str = ""
    page: int = 1

    @classmethod
    def from_request(cls) -> ReminderQuery:
        return cls(request.args.get("year", type=int), (request.args.get("form") or "").strip()[:100],
                   (request.args.get("unit") or "").strip()[:64], max(1, request.args.get("page", type=int) or 1))

    def args(self, **changed) -> dict:
        """The address's arguments (for links to other pages), without the empty ones."""
        values = {"year": self.year, "form": self.form, "unit": self.unit, "page": self.page, **changed}
        return {name: value for name, value in values.items() if value not in ("", None)}


@bp.route("/reminders")
@capability_required("is_reviewer")
def reminder_log():
    """The reminders sent by e-mail, newest first: to which unit, about what, for which form, to which address, when;
    by year, form or unit, by pages (a cluster lead sees their clusters' units only)."""
    db = forms_db()
    lang = current_language()
    query = ReminderQuery.from_request()
    where = reminders.LogFilter(year=query.year, form_id=query.form or None, unit_code=query.unit or None,
                                clusters=tuple(limited_clusters()))
    paging, rows = paged(lambda page: reminders.sent_page(db, where, page, REMINDERS_PER_PAGE, lang), query.page,
                         REMINDERS_PER_PAGE)
    titles = registry.form_titles(db, lang)
    return render_template("office/reminders.html", rows=rows, f=replace(query, page=paging.page), page=paging,
                           years=reminders.sent_years(db), titles=titles)
