"""What reviewers find in Datasette for every scored form: its canned queries, and its charts (score distribution per
year, section averages by cluster, recognition rate by year)."""

from __future__ import annotations

import re
from pathlib import Path

from exports.charts import grouped_bars
from form_definitions import Definition
from forms_app.data import cycles, reporting, reviewer_queries, units
from forms_app.rules import registry, summaries
from forms_app.rules.exporting import section_number
from scoring.rules import fmt


def canned_queries(conn: reporting.Readable) -> dict[str, dict]:
    """Datasette's canned queries for every scored form stored now, each titled with the form's title, the
    registration being the form it requires (data.reviewer_queries)."""
    forms = []
    for form in registry.scored_forms(conn):
        registration = registry.required_form(conn, form)
        forms.append(reviewer_queries.ScoredForm(form.id, form.title.get(form.default_language), form.maximum,
                                                 registration.id if registration else None))
    return {name: shown_results_first(query) for name, query in reviewer_queries.canned_queries(forms).items()}


# A canned query's parameters in the order its page asks for them (templates/datasette/query.html labels each).
PARAMETERS = ("nam", "cum", "ma_don_vi", "so_hang", "so_dong")
_PARAMETER = re.compile(r":([a-z_]+)\b")


def shown_results_first(query: dict) -> dict:
    """A canned query whose page opens on its results: the SQL behind a link (`hide_sql`), its parameters named in
    the order reviewers fill them (`params`)."""
    used = set(_PARAMETER.findall(query["sql"]))
    ordered = [name for name in PARAMETERS if name in used] + sorted(used - set(PARAMETERS))
    return {**query, "hide_sql": True, "params": ordered}


def parameter_choices(conn: reporting.Readable) -> dict[str, list]:
    """What the canned queries' pickers offer: the cycle years (newest first) and the emulation clusters."""
    return {"nam": cycles.years_of_all(conn), "cum": units.cluster_names(conn)}


def charts(conn: reporting.Readable, year: str | None, database_file: Path | None = None) -> list[dict]:
    """For every scored form with a submitted submission: {"form": its title, "figures": [{"title", "description",
    "svg"}]}, computed from forms.db with one query per chart.

    `conn` is the raw sqlite3 connection Datasette's `execute_fn` hands over (a sqlite-utils Database works too).
    Computed once per change of the data they read, then kept (`summaries.kept`); shared: never change them. With
    `database_file` (forms.db's path), they are kept for every connection to it, and drawn again after a write by a
    thread of their own while those drawn before are shown (`drawing_again`): a second at national scale, after every
    submit.
    """
    chosen = year if year and year.isdigit() and len(year) <= 4 else None  # anything else shows the last year
    return summaries.kept(conn, "charts", chosen, lambda on: _charts(on, chosen), file=database_file)


def drawing_again() -> bool:
    """Whether charts are being drawn again after a write (those shown were drawn before it)."""
    return summaries.behind("charts")


def _charts(conn: reporting.Readable, year: str | None) -> list[dict]:
    found = []
    for form in registry.scored_forms(conn):
        figures = form_charts(conn, form, year)
        if figures:
            found.append({"form": form.title.get(form.default_language), "figures": figures})
    return found


def form_charts(conn: reporting.Readable, form: Definition, year: str | None) -> list[dict]:
    """The three charts of one scored form; none before its first submitted submission."""
    years = reporting.submitted_years(conn, form.id)
    if not years:
        return []
    chosen = int(year) if year and year.isdigit() and int(year) in years else years[-1]
    return [_distribution(conn, form, years), _sections_by_cluster(conn, form, chosen),
            _recognition(conn, form.id, years)]


def _distribution(conn: reporting.Readable, form: Definition, years: list[int]) -> dict:
    buckets = score_buckets(form.maximum)
    counts = reporting.score_distribution(conn, form.id, form.maximum)
    series = [(str(y), [counts.get((y, b), 0) for b in range(10)]) for y in years]
    top = max([n for _, values in series for n in values] + [1])
    return {
        "title": "Phân bố tổng điểm theo năm",
        "description": "Số đơn vị trong mỗi khoảng một phần mười điểm tối đa, mỗi màu một năm.",
        "svg": grouped_bars(buckets, series, maximum=top, label="Phân bố tổng điểm theo năm"),
    }


def score_buckets(maximum: float) -> list[str]:
    """The ten ranges of a total, each a tenth of the form's maximum: "0–9", …, "90–100" for a maximum of 100."""
    step = (maximum or 100.0) / 10
    if step == int(step):
        step = int(step)
        return [f"{b * step}–{b * step + step - 1}" if b < 9 else f"{9 * step}–{10 * step}" for b in range(10)]
    return [f"{fmt(b * step)}–{fmt((b + 1) * step)}" for b in range(10)]


def _sections_by_cluster(conn: reporting.Readable, form: Definition, year: int) -> dict:
    rows = reporting.section_averages_by_cluster(conn, form.id, year)
    clusters = sorted({r[0] for r in rows})
    found = {r[1] for r in rows}
    # In the form's order (sections of an older version only, at the end)
    sections = [s.id for s in form.sections if s.id in found] + sorted(found - {s.id for s in form.sections})
    names = {s.id: _section_name(s.title.get(form.default_language)) for s in form.sections}
    values = {(r[0], r[1]): round(r[2], 1) for r in rows}
    series = [(names.get(section, section), [values.get((c, section)) for c in clusters]) for section in sections]
    return {
        "title": f"Điểm trung bình từng phần theo cụm — năm {year}",
        "description": "Tỉ lệ điểm trung bình (% điểm tối đa của phần) của các bài đã nộp, mỗi màu một nhóm tiêu chí. "
                       "Chọn năm khác bằng ?nam=….",
        "svg": grouped_bars([c.split(" – ")[0] if " – " in c else c for c in clusters], series, maximum=100, unit="%",
                            label=f"Điểm trung bình từng phần theo cụm, năm {year}"),
    }


def _section_name(title: str) -> str:
    """A legend's name for a section: "Nhóm 2.1" for a title that starts with its number, else the title, shortened."""
    number = section_number(title)
    if number:
        return f"Nhóm {number}"
    return title if len(title) <= 40 else title[:39].rstrip() + "…"


def _recognition(conn: reporting.Readable, form_id: str, years: list[int]) -> dict:
    rows = reporting.recognition_by_year(conn, form_id)
    by_score = [round(100.0 * (rows[y][1] or 0) / rows[y][0], 1) if y in rows else None for y in years]
    decided = [round(100.0 * (rows[y][2] or 0) / rows[y][0], 1) if y in rows else None for y in years]
    return {
        "title": "Tỉ lệ công nhận theo năm",
        "description": "Trong các đơn vị đã nộp: tỉ lệ đủ điều kiện theo điểm tự đánh giá, và tỉ lệ được Ban Thường vụ công nhận.",
        "svg": grouped_bars([str(y) for y in years], [("Đủ điều kiện theo điểm", by_score), ("Được công nhận", decided)],
                            maximum=100, unit="%", label="Tỉ lệ công nhận theo năm"),
    }
