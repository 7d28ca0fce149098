"""The office's status board (the reviewers' dashboard), the queue "chờ quyết định" from which one decision (one number,
one date) is recorded for many units at once, and the page of such a decision with the units' certificates.

Nothing here is chosen by typing an id: forms are picked by title from a select, units by ticking them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from form_definitions import Definition
from forms_app.adapters.web.auth import capability_required
from forms_app.adapters.web.context import forms_db, forms_db_file, limited_clusters, today
from forms_app.adapters.web.i18n import current_language, format_date
from forms_app.rules import board, certificates, deciding, registry, units, verdict
from forms_app.rules.deciding import DecisionError, OutsideClusters
from forms_app.rules.unit_form import UnitForm

bp = Blueprint("board", __name__, url_prefix="/board")

PER_PAGE = 50
MAX_QUERY = 100
MAX_UNITS = 5000  # units one decision may name (a year's units of the largest university, and some)
# Certificates are made (~0.1 s each) while the request that records the decision lasts at most this long; the
# decision's page offers the rest, as long again per click.
ISSUE_SECONDS = 15.0


@dataclass(frozen=True)
class Filters:
    """What the board (or the queue) shows, read from the address; every value checked against what exists."""

    form: Definition
    forms: list[Definition]
    year: int | None  # None: every year
    years: list[int]
    cluster: str  # "": every cluster the user reads
    clusters: list[str]  # the clusters the user may choose from
    status: str  # "": every status
    query: str
    page: int
    include_open: bool = False  # the queue: also the forms still in their window
    meets: str = ""  # the queue: "yes" only results that meet the recognition rule, "no" those that do not

    def args(self, **changes) -> dict:
        """The address's parameters for these filters with some changed (empty ones and page 1 left out)."""
        values = {"form": self.form.id, "year": "all" if self.year is None else self.year, "cluster": self.cluster,
                  "status": self.status, "q": self.query, "page": self.page, "open": "1" if self.include_open else "",
                  "meets": self.meets}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}

    @property
    def confined(self) -> list[str]:
        """The clusters the rows are limited to: the one chosen, else a cluster lead's, else none (every unit)."""
        return [self.cluster] if self.cluster else limited_clusters()


def read_filters(*, scored_only: bool = False) -> Filters:
    """The filters of this request; an unknown form, year, cluster or status reads as the default (never an error)."""
    db = forms_db()
    args = request.values
    forms = [f for f in board.forms(db) if f.scored or not scored_only]
    if not forms:
        abort(404)
    form = next((f for f in forms if f.id == args.get("form")), forms[0])
    years, current = board.years(db, form, today())
    wanted = args.get("year", "")
    year = int(wanted) if wanted.isdigit() and int(wanted) in years else (
        None if wanted == "all" and not scored_only else current)
    clusters = limited_clusters() or units.cluster_names(db)
    cluster = args.get("cluster", "") if args.get("cluster", "") in clusters else ""
    status = args.get("status", "") if args.get("status", "") in board.STATUSES else ""
    page = min(max(1, args.get("page", 1, type=int) or 1), 100_000)
    return Filters(form, forms, year, years, cluster, clusters, status, (args.get("q") or "").strip()[:MAX_QUERY], page,
                   args.get("open") == "1", args.get("meets", "") if args.get("meets") in ("yes", "no") else "")


def _labels() -> dict[str, str]:
    lang = current_language()
    return {code: text[lang] for code, text in board.LABELS.items()}


def status_board():
    """The reviewers' dashboard: units × years with one status each, counts that filter, search and pages."""
    db = forms_db()
    filters = read_filters()
    listing = board.listing(db, filters.form, year=filters.year, clusters=filters.confined, query=filters.query,
                            today=today(), database_file=forms_db_file())
    found = board.paged_listing(listing.items, (filters.status,) if filters.status else None, filters.page, PER_PAGE,
                                listing.counts)
    page = replace(found, rows=board.rows_of(db, filters.form, [(unit, year) for unit, year, _s in found.rows], today()))
    lang = current_language()
    return render_template(
        "main/reviewer_dashboard.html", f=filters, page=page, labels=_labels(), statuses=board.STATUSES,
        required=registry.required_form(db, filters.form), limited=limited_clusters(),
        summary=board.year_summary(db, limited_clusters()), titles={d.id: d.title.get(lang) for d in filters.forms},
        scored_ids={d.id for d in filters.forms if d.scored},
        certifying_ids={d.id for d in filters.forms if d.certificate_title is not None}, catching_up=board.catching_up(),
        title=_("Bảng theo dõi các đơn vị"))


# The queue "chờ quyết định"


@dataclass(frozen=True)
class Choice:
    """What the office chose in the queue: the units ticked (or every unit the filters keep) and the one decision."""

    units: tuple[str, ...] = ()
    every: bool = False
    kind: str = "recognised"
    decision_no: str = ""
    decided_on: str = ""
    reason: str = ""

    @classmethod
    def posted(cls) -> Choice:
        form = request.form
        ticked = tuple(dict.fromkeys(u.strip()[:64] for u in form.getlist("unit") if u.strip()))[:MAX_UNITS]
        return cls(ticked, form.get("every") == "1", (form.get("decision") or "recognised").strip()[:40],
                   (form.get("decision_no") or "").strip()[:200], (form.get("decided_on") or "").strip()[:40],
                   (form.get("reason") or "").strip()[:deciding.MAX_REASON + 1])


def queue_listing(filters: Filters) -> tuple[tuple[str, int, str], ...]:
    """(unit, year, status) of every row of the queue the filters keep, on every page, in the board's order: submitted
    scored forms of the year without a decision (those still in their window too when asked); only those whose result
    meets the rule, or only those whose result does not, when the filters ask."""
    return board.queue(forms_db(), filters.form, year=filters.year, clusters=filters.confined, query=filters.query,
                       statuses=board.QUEUE_WITH_OPEN if filters.include_open else board.QUEUE, meets=filters.meets,
                       today=today())


@bp.route("/queue")
@capability_required("decides")
def queue():
    """The year's submitted scored forms without a decision, to tick and decide in one go."""
    return _queue_page(read_filters(scored_only=True), Choice())


@bp.route("/queue", methods=["POST"])
@capability_required("decides")
def decide():
    """"Tiếp tục": what will be recorded, to confirm; "Xác nhận": recorded for every unit at once (CSRF-checked)."""
    filters = read_filters(scored_only=True)
    if filters.year is None:  # a form without any cycle
        abort(404)
    choice = Choice.posted()
    step = request.form.get("step")
    if step == "edit":
        return _queue_page(filters, choice)
    codes = [unit for unit, _year, _status in queue_listing(filters)] if choice.every else list(choice.units)
    if not codes:
        return _queue_page(filters, choice, {"units": [_("Hãy chọn ít nhất một đơn vị.")]}, 422)
    rows = _chosen(filters, codes)
    if step != "record":
        return _confirm_page(filters, choice, rows)
    entries = [deciding.Entry(
        row["unit_code"], filters.form.id, filters.year, choice.kind,
        comment=row["why_vi"] if choice.kind == "not_recognised" and row["meets"] is False else None,
        reason=choice.reason if choice.kind == "recognised" and row["meets"] is False else None) for row in rows]
    try:
        recorded = deciding.record_many(forms_db(), entries, g.user.username, decision_no=choice.decision_no,
                                        decided_on=choice.decided_on, clusters=limited_clusters(), today=today())
    except OutsideClusters:
        abort(403)
    except DecisionError as exc:
        return _confirm_page(filters, choice, rows, _errors(exc), 422)
    made, left = _issue_certificates(filters.form, filters.year,
                                     [r["unit_code"] for r in recorded if r["decision"] == "recognised"])
    flash(" ".join(filter(None, [
        _("Đã ghi quyết định cho %(n)s đơn vị.", n=len(recorded)),
        _("Đã cấp %(n)s giấy chứng nhận.", n=made) if made else "",
        _("Còn %(n)s giấy chứng nhận chưa cấp.", n=left) if left else ""])), "ok")
    return redirect(url_for("board.decision", form=filters.form.id, year=filters.year, no=recorded[0]["decision_no"],
                            on=recorded[0]["decided_on"]), 303)


def _chosen(filters: Filters, codes: list[str]) -> list[dict]:
    """The queue's rows of these units, each with the sentence of why its result meets the rule or not; a unit no
    longer awaiting a decision, or outside the user's clusters, drops out."""
    every = Filters(filters.form, filters.forms, filters.year, filters.years, "", filters.clusters, "", "", 1,
                    include_open=True)
    wanted = set(codes)
    keys = [(unit, year) for unit, year, _status in queue_listing(every) if unit in wanted]
    rows = board.with_standings(forms_db(), board.rows_of(forms_db(), filters.form, keys, today()))
    lang = current_language()
    for row in rows:
        row["why"] = board.why(row, lang)
        row["why_vi"] = row["why"] if lang == "vi" else board.why(row, "vi")  # the comment sent to the unit
    return rows


def _errors(exc: DecisionError) -> dict[str, list[str]]:
    """The refusals as sentences by field: each sentence once (the number's and the date's are the same for every
    unit), a unit's own prefixed with its code, the missing reasons as one sentence beside the reason field."""
    lang = current_language()
    refused = getattr(exc, "refused", None) or {None: exc.refusals}
    found: dict[str, list[str]] = {}
    reasons = 0
    for key, refusals in refused.items():
        for refusal in refusals:
            field = refusal.field if refusal.field in ("decision_no", "decided_on", "reason") else "decision"
            if refusal.code == "recognition_reason":
                reasons += 1
                continue
            sentence = deciding.message(refusal.code, lang, **refusal.params)
            if key is not None and field in ("reason", "decision") and refusal.code != "kind":
                sentence = _("Đơn vị %(unit)s: %(sentence)s", unit=key[0], sentence=sentence)
            found.setdefault(field, []).append(sentence)
    if reasons:
        found.setdefault("reason", []).append(
            _("Hãy ghi lý do công nhận %(n)s đơn vị chưa đạt điều kiện công nhận (danh sách ở trên).", n=reasons))
    return {field: list(dict.fromkeys(sentences)) for field, sentences in found.items()}


def _queue_page(filters: Filters, choice: Choice, errors: dict | None = None, status: int = 200):
    found = board.paged_listing([] if filters.year is None else queue_listing(filters), None, filters.page, PER_PAGE)
    page = replace(found, rows=board.with_standings(forms_db(), board.rows_of(
        forms_db(), filters.form, [(unit, year) for unit, year, _s in found.rows], today())))  # this page's only
    for row in page.rows:
        row["why"] = board.why(row, current_language())
    ticked = set(choice.units)
    if request.args.get("select") == "all":
        ticked |= {row["unit_code"] for row in page.rows}
    return render_template("board/queue.html", f=filters, page=page, choice=choice, ticked=ticked,
                           errors=errors or {}, labels=_labels(), today=today(), title=_("Chờ quyết định")), status


def _confirm_page(filters: Filters, choice: Choice, rows: list[dict], errors: dict | None = None, status: int = 200):
    return render_template(
        "board/confirm.html", f=filters, choice=choice, rows=rows, errors=errors or {},
        failing=[row for row in rows if row["meets"] is False], meeting=[row for row in rows if row["meets"]],
        certifying=certificates.issues_certificates(forms_db(), filters.form.id), title=_("Xác nhận quyết định")), status


# The page of one decision recorded for many units


@bp.route("/decision")
@capability_required("decides")
def decision():
    """The units of one decision (form, year, number, date) with their certificates: what the office just recorded."""
    filters = read_filters(scored_only=True)
    number, on = (request.args.get("no") or "")[:200], (request.args.get("on") or "")[:10]
    rows = board.decided_together(forms_db(), filters.form, filters.year, number, on, limited_clusters())
    if not rows:
        abort(404)
    certifying = certificates.issues_certificates(forms_db(), filters.form.id)
    missing = [r for r in rows if certifying and r["decision"] == "recognised" and not r["serial"]]
    return render_template("board/decision.html", f=filters, rows=rows, number=number, on=on, certifying=certifying,
                           missing=missing, title=_("Quyết định số %(no)s ngày %(date)s", no=number,
                                                    date=format_date(on)))


@bp.route("/decision/certificates", methods=["POST"])
@capability_required("decides")
def issue():
    """Make the certificates still missing for one decision's recognised units (CSRF-checked), for ISSUE_SECONDS."""
    filters = read_filters(scored_only=True)
    number, on = (request.form.get("no") or "")[:200], (request.form.get("on") or "")[:10]
    rows = board.decided_together(forms_db(), filters.form, filters.year, number, on, limited_clusters())
    if not rows:
        abort(404)
    made, left = _issue_certificates(filters.form, filters.year,
                                     [r["unit_code"] for r in rows if r["decision"] == "recognised" and not r["serial"]])
    flash(" ".join(filter(None, [_("Đã cấp %(n)s giấy chứng nhận.", n=made),
                                 _("Còn %(n)s giấy chứng nhận chưa cấp.", n=left) if left else ""])), "ok")
    return redirect(url_for("board.decision", form=filters.form.id, year=filters.year, no=number, on=on), 303)


def _issue_certificates(form: Definition, year: int, unit_codes: list[str]) -> tuple[int, int]:
    """Make the certificates of these recognised units for as long as ISSUE_SECONDS (when the form issues them):
    (how many were made, how many are left)."""
    db = forms_db()
    if not certificates.issues_certificates(db, form.id):
        return 0, 0
    started, made = time.monotonic(), 0
    for done, unit_code in enumerate(unit_codes):
        if time.monotonic() - started > ISSUE_SECONDS:
            return made, len(unit_codes) - done
        try:
            certificates.issue(db, g.data_dir, unit_code, year, form.id)
        except certificates.NotRecognised:
            continue
        except certificates.NoPublicAddress as exc:  # none can be issued: say what to set, the rest are left
            flash(exc.message(current_language()), "error")
            return made, len(unit_codes) - done
        made += 1
    return made, 0


# The review page's summary


def review_summary(form: UnitForm, report: dict | None) -> dict:
    """What the review page shows above its per-question table beside the decision box: why the result meets the
    recognition rule or not (`why`, `meets`), and the registration's targets beside the results (`targets`)."""
    if report is None or not form.definition.scored:
        return {"why": None, "meets": None, "targets": []}
    lang = current_language()
    return {"why": verdict.why(report, form.definition, lang), "meets": verdict.meets(report),
            "targets": board.targets(forms_db(), form.definition, form.unit_code, form.year, report, lang)}
