"""Cluster leads' comments on their units and proposals (for recognition, for commendation — tuyên dương —, for the
experience-sharing forums — diễn đàn chia sẻ kinh nghiệm), and the office's selection for commendation and the forums.

A cluster lead acts on the units of their clusters only (`clusters`; `deciding.check_clusters` refuses any other with
OutsideClusters). Every change is audited. No Flask here: a refusal is a `ProposalError` holding `Refusal`s; the
pages turn them into sentences with `message()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from forms_app.data import audit, clock
from forms_app.data import proposals as data
from forms_app.data.connection import Database, write
from forms_app.rules import deciding, messages, registry, units, windows
from forms_app.rules.messages import Refusal

KINDS = ("recognition", "commendation", "forum")
SELECTED_KINDS = ("commendation", "forum")  # what the office selects units for
KIND_LABELS = {
    "recognition": {"vi": "Công nhận", "en": "Recognition"},
    "commendation": {"vi": "Tuyên dương", "en": "Commendation"},
    "forum": {"vi": "Diễn đàn chia sẻ kinh nghiệm", "en": "Experience-sharing forum"},
}
MAX_COMMENT = 2000
MAX_REASON = 1000

MESSAGES: messages.Catalogue = {
    "comment_needed": {"vi": "Hãy viết nhận xét.", "en": "Write the comment."},
    "comment_long": {"vi": "Nhận xét dài quá {max} ký tự.", "en": "The comment is longer than {max} characters."},
    "kind": {"vi": "Hãy chọn đề xuất: công nhận, tuyên dương hoặc chia sẻ kinh nghiệm tại diễn đàn.",
             "en": "Choose what to propose: recognition, commendation or the experience-sharing forum."},
    "selection_kind": {"vi": "Hãy chọn tuyên dương hoặc diễn đàn chia sẻ kinh nghiệm.",
                       "en": "Choose commendation or the experience-sharing forum."},
    "reason_long": {"vi": "Lý do dài quá {max} ký tự.", "en": "The reason is longer than {max} characters."},
    "unknown_unit": {"vi": "Không có đơn vị mang mã \"{unit}\".", "en": "No unit has the code \"{unit}\"."},
    "unknown_year": {"vi": "Năm {year} không phải một chu kỳ của chương trình.", "en": "{year} is not a cycle year."},
    "no_proposal": {"vi": "Bạn chưa có đề xuất này để rút lại.", "en": "You have no such proposal to withdraw."},
    "not_recognised": {"vi": "Chỉ đơn vị đã được công nhận năm {year} mới được chọn tuyên dương.",
                       "en": "Only a unit recognised for {year} can be selected for commendation."},
}


def message(refusal: Refusal, lang: str = "vi") -> str:
    """The sentence of a refusal of this module, in `lang`."""
    return messages.text(MESSAGES, refusal.code, lang, **refusal.params)


class ProposalError(ValueError):
    """A refused comment, proposal or selection; nothing was written."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = list(refusals)
        super().__init__(", ".join(r.code for r in self.refusals))


def _check_unit_year(db: Database, unit_code: str, cycle_year: int, clusters: Iterable[str] | None) -> None:
    """OutsideClusters for a unit outside `clusters`; ProposalError for an unknown unit or year."""
    if not units.unit_exists(db, unit_code):
        raise ProposalError([Refusal("unknown_unit", None, {"unit": unit_code})])
    deciding.check_clusters(db, unit_code, clusters)
    if not windows.year_exists(db, cycle_year):
        raise ProposalError([Refusal("unknown_year", None, {"year": cycle_year})])


# Comments

def add_comment(db: Database, unit_code: str, cycle_year: int, comment: str, actor: str, *,
                clusters: Iterable[str] | None = None) -> dict:
    """Append a cluster lead's comment on a unit's year, audited as `unit_commented`; the stored row."""
    _check_unit_year(db, unit_code, cycle_year, clusters)
    comment = (comment or "").strip()
    if not comment:
        raise ProposalError([Refusal("comment_needed", "comment")])
    if len(comment) > MAX_COMMENT:
        raise ProposalError([Refusal("comment_long", "comment", {"max": MAX_COMMENT})])
    row = {"unit_code": unit_code, "cycle_year": cycle_year, "comment": comment, "written_by": actor,
           "written_at": clock.stamp()}
    with write(db):
        row["id"] = data.insert_comment(db, unit_code, cycle_year, comment, actor, row["written_at"])
        audit.record(db, actor, "unit_commented", unit_code, None, cycle_year, {"comment_id": row["id"], "comment": comment})
    return row


def comments(db: Database, unit_code: str, cycle_year: int) -> list[dict]:
    """The comments on a unit's year, the latest first."""
    return data.comments(db, unit_code, cycle_year)


# Proposals

def propose(db: Database, unit_code: str, cycle_year: int, kind: str, reason: str | None, actor: str, *,
            clusters: Iterable[str] | None = None) -> None:
    """Propose a unit for `kind` (one of KINDS) with an optional reason, audited as `unit_proposed`; proposing the same
    again replaces the reason."""
    _check_unit_year(db, unit_code, cycle_year, clusters)
    reason = " ".join((reason or "").split()) or None
    refusals = []
    if kind not in KINDS:
        refusals.append(Refusal("kind", "kind"))
    if reason and len(reason) > MAX_REASON:
        refusals.append(Refusal("reason_long", "reason", {"max": MAX_REASON}))
    if refusals:
        raise ProposalError(refusals)
    with write(db):
        data.save_proposal(db, unit_code, cycle_year, kind, actor, reason, clock.stamp())
        audit.record(db, actor, "unit_proposed", unit_code, None, cycle_year, {"kind": kind, "reason": reason})


def withdraw(db: Database, unit_code: str, cycle_year: int, kind: str, actor: str, *,
             clusters: Iterable[str] | None = None) -> None:
    """Withdraw the actor's own proposal, audited as `proposal_withdrawn`."""
    _check_unit_year(db, unit_code, cycle_year, clusters)
    with write(db):
        if not data.delete_proposal(db, unit_code, cycle_year, kind, actor):
            raise ProposalError([Refusal("no_proposal", "kind")])
        audit.record(db, actor, "proposal_withdrawn", unit_code, None, cycle_year, {"kind": kind})


def proposals_of(db: Database, unit_code: str, cycle_year: int) -> list[dict]:
    """The proposals for a unit's year (unit_code, cycle_year, kind, proposed_by, reason, proposed_at), by kind."""
    return data.proposals_of(db, unit_code, cycle_year)


# The office's selection, and the year's list

def set_selected(db: Database, unit_code: str, cycle_year: int, kind: str, selected: bool, actor: str) -> bool:
    """Select a unit for commendation or a forum (or take the selection back), audited as `unit_selected` /
    `unit_unselected`; False when nothing changed. Commendation needs the unit recognised that year."""
    _check_unit_year(db, unit_code, cycle_year, None)
    if kind not in SELECTED_KINDS:
        raise ProposalError([Refusal("selection_kind", "kind")])
    with write(db):
        if selected and kind == "commendation" and not _recognised(db, unit_code, cycle_year):
            raise ProposalError([Refusal("not_recognised", "kind", {"year": cycle_year})])
        changed = (data.select(db, unit_code, cycle_year, kind, actor, clock.stamp()) if selected
                   else data.unselect(db, unit_code, cycle_year, kind))
        if changed:
            audit.record(db, actor, "unit_selected" if selected else "unit_unselected", unit_code, None, cycle_year,
                         {"kind": kind})
    return changed


def _recognised(db: Database, unit_code: str, cycle_year: int) -> bool:
    """Whether the unit's current decision on a scored form of the year is a recognition."""
    current = deciding.current_decisions(db, [unit_code])
    return any(current.get((unit_code, form.id, cycle_year), {}).get("decision") == "recognised"
               for form in registry.scored_forms(db))


def year_list(db: Database, cycle_year: int, clusters: Iterable[str] | None = None) -> dict[str, list[dict]]:
    """{kind: units} for a year, whole (the CSV download, the year-end review): every unit proposed (or selected) for
    each of KINDS, within `clusters` when given, by cluster then code.

    A unit's entry: unit_code, unit_name, cluster, `proposals` (proposed_by, reason, proposed_at and `source`: `lead`
    for a cluster lead's proposal, `decision` for a recognition that puts the unit forward for commendation, whose
    reason is its number; empty when the office selected the unit without either) and `selected` (for
    SELECTED_KINDS: who and when, or None).
    """
    rows = data.year_rows(db, cycle_year, list(clusters or []))
    selections = {(s["unit_code"], s["kind"]): s for s in data.selections_of_year(db, cycle_year)}
    listed: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
    for row in rows:
        entry = listed[row["kind"]].setdefault(row["unit_code"], {
            "unit_code": row["unit_code"], "unit_name": row["unit_name"], "cluster": row["cluster"], "proposals": [],
            "selected": selections.get((row["unit_code"], row["kind"]))})
        if row["source"] != "office":
            entry["proposals"].append({k: row[k] for k in ("proposed_by", "reason", "proposed_at", "source")})
    return {kind: list(found.values()) for kind, found in listed.items()}


@dataclass(frozen=True)
class ListFilter:
    """Which units of a year's list a page shows: those of one kind, within `clusters` (a cluster lead's, or the one
    chosen; every cluster when empty), whose code, name or cluster holds `query`, and only those selected (True) or
    not yet selected (False) when `selected` is not None."""

    kind: str = "commendation"
    clusters: tuple[str, ...] = ()
    query: str = ""
    selected: bool | None = None


@dataclass(frozen=True)
class KindCount:
    """How many units the year lists for a kind within a filter's clusters and search, and how many are selected."""

    total: int = 0
    selected: int = 0


def year_counts(db: Database, cycle_year: int, where: ListFilter) -> dict[str, KindCount]:
    """{kind: its KindCount} for every one of KINDS, within the filter's clusters and search (counted in SQL)."""
    found = data.year_counts(db, cycle_year, clusters=list(where.clusters), query=where.query)
    return {kind: KindCount(*found.get(kind, (0, 0))) for kind in KINDS}


def year_page(db: Database, cycle_year: int, where: ListFilter, page: int, per_page: int,
              counts: dict[str, KindCount] | None = None) -> tuple[int, list[dict]]:
    """(how many units the filter keeps, those of `page`, by cluster then code): the year's list of one kind, read one
    page at a time. `counts` (`year_counts` of the same filter) saves counting again.

    An entry is one of `year_list`'s with `decisions` too ({form id: the current decision} on the scored forms of the
    year).
    """
    count = (counts or year_counts(db, cycle_year, where))[where.kind]
    total = count.total if where.selected is None else count.selected if where.selected else count.total - count.selected
    rows = data.year_page(db, cycle_year, where.kind, clusters=list(where.clusters), query=where.query,
                          selected=where.selected, limit=per_page, offset=(max(1, page) - 1) * per_page)
    codes = [row["unit_code"] for row in rows]
    proposed: dict[str, list[dict]] = {}
    for row in data.proposals_for(db, cycle_year, where.kind, codes):
        proposed.setdefault(row.pop("unit_code"), []).append(row)
    current = deciding.current_decisions(db, codes)
    scored = [form.id for form in registry.scored_forms(db)]
    return total, [{
        "unit_code": row["unit_code"], "unit_name": row["unit_name"], "cluster": row["cluster"],
        "proposals": proposed.get(row["unit_code"], []),
        "selected": {"selected_by": row["selected_by"], "selected_at": row["selected_at"]} if row["selected_by"] else None,
        "decisions": {f: current[(row["unit_code"], f, cycle_year)] for f in scored
                      if (row["unit_code"], f, cycle_year) in current}} for row in rows]


def record_many(db: Database, comments: list[tuple], proposed: list[tuple], selected: list[tuple], *, actor: str) -> None:
    """Write many comments, proposals and selections at once (the demo), tuples in the order of
    `data.proposals.insert_comments`, `insert_proposals` and `insert_selections`; one audit entry in all."""
    with write(db):
        data.insert_comments(db, comments)
        data.insert_proposals(db, proposed)
        data.insert_selections(db, selected)
        audit.record(db, actor, "demo_proposals", detail={"comments": len(comments), "proposals": len(proposed),
                                                          "selections": len(selected)})


def list_years(db: Database) -> list[int]:
    """The years the list can show: every cycle year and every year with a proposal, newest first."""
    return sorted(set(data.proposal_years(db)) | set(windows.all_years(db)), reverse=True)
