"""The reviewers' charts: score distribution per year, section averages by cluster, recognition rate by year."""

from __future__ import annotations

from exports.charts import grouped_bars
from forms_app.data import reporting
from forms_app.data.reviewer_queries import ASSESSMENT


def charts(conn: reporting.Readable, year: str | None) -> list[dict]:
    """Each chart as {"title", "description", "svg"}, computed from forms.db with one query each.

    `conn` is the raw sqlite3 connection Datasette's `execute_fn` hands over (a sqlite-utils Database works too).
    """
    years = reporting.submitted_years(conn, ASSESSMENT)
    if not years:
        return []
    chosen = int(year) if year and year.isdigit() and int(year) in years else years[-1]
    return [_distribution(conn, years), _sections_by_cluster(conn, chosen), _recognition(conn, years)]


def _distribution(conn: reporting.Readable, years: list[int]) -> dict:
    buckets = [f"{b}–{b + 9}" if b < 90 else "90–100" for b in range(0, 100, 10)]
    counts = reporting.score_distribution(conn, ASSESSMENT)
    series = [(str(y), [counts.get((y, b), 0) for b in range(10)]) for y in years]
    top = max([n for _, values in series for n in values] + [1])
    return {
        "title": "Phân bố tổng điểm theo năm",
        "description": "Số đơn vị trong mỗi khoảng 10 điểm, mỗi màu một năm.",
        "svg": grouped_bars(buckets, series, maximum=top, label="Phân bố tổng điểm theo năm"),
    }


def _sections_by_cluster(conn: reporting.Readable, year: int) -> dict:
    rows = reporting.section_averages_by_cluster(conn, ASSESSMENT, year)
    clusters = sorted({r[0] for r in rows})
    sections = sorted({r[1] for r in rows})
    values = {(r[0], r[1]): round(r[2], 1) for r in rows}
    series = [(_section_name(section), [values.get((c, section)) for c in clusters]) for section in sections]
    return {
        "title": f"Điểm trung bình từng phần theo cụm — năm {year}",
        "description": "Tỉ lệ điểm trung bình (% điểm tối đa của phần) của các bài đã nộp, mỗi màu một nhóm tiêu chí. "
                       "Chọn năm khác bằng ?nam=….",
        "svg": grouped_bars([c.split(" – ")[0] if " – " in c else c for c in clusters], series, maximum=100, unit="%",
                            label=f"Điểm trung bình từng phần theo cụm, năm {year}"),
    }


def _section_name(section_id: str) -> str:
    # nhom_2_1 → "Nhóm 2.1"
    if section_id.startswith("nhom_"):
        return "Nhóm " + section_id[5:].replace("_", ".")
    return section_id


def _recognition(conn: reporting.Readable, years: list[int]) -> dict:
    rows = reporting.recognition_by_year(conn, ASSESSMENT)
    by_score = [round(100.0 * (rows[y][1] or 0) / rows[y][0], 1) if y in rows else None for y in years]
    decided = [round(100.0 * (rows[y][2] or 0) / rows[y][0], 1) if y in rows else None for y in years]
    return {
        "title": "Tỉ lệ công nhận theo năm",
        "description": "Trong các đơn vị đã nộp: tỉ lệ đủ điều kiện theo điểm tự đánh giá, và tỉ lệ được Ban Thường vụ công nhận.",
        "svg": grouped_bars([str(y) for y in years], [("Đủ điều kiện theo điểm", by_score), ("Được công nhận", decided)],
                            maximum=100, unit="%", label="Tỉ lệ công nhận theo năm"),
    }
