"""The reviewers' charts: score distribution per year, section averages by cluster, recognition rate by year."""

from __future__ import annotations

from exports.charts import grouped_bars
from forms_app.data.reviewer_queries import ASSESSMENT

TOTAL = "COALESCE(s.adjusted_total, s.total)"


def charts(conn, year: str | None) -> list[dict]:
    """Each chart as {"title", "description", "svg"}, computed from forms.db with one query each."""
    years = [r[0] for r in conn.execute(
        "SELECT DISTINCT cycle_year FROM submissions WHERE form_id = ? AND status = 'submitted' ORDER BY 1", [ASSESSMENT])]
    if not years:
        return []
    chosen = int(year) if year and year.isdigit() and int(year) in years else years[-1]
    return [_distribution(conn, years), _sections_by_cluster(conn, chosen), _recognition(conn, years)]


def _distribution(conn, years: list[int]) -> dict:
    buckets = [f"{b}–{b + 9}" if b < 90 else "90–100" for b in range(0, 100, 10)]
    counts = {(y, b): n for y, b, n in conn.execute(
        f"SELECT s.cycle_year, CAST(MIN({TOTAL}, 99.99) / 10 AS INTEGER), COUNT(*) FROM submissions s "
        "WHERE s.form_id = ? AND s.status = 'submitted' GROUP BY 1, 2", [ASSESSMENT])}
    series = [(str(y), [counts.get((y, b), 0) for b in range(10)]) for y in years]
    top = max([n for _, values in series for n in values] + [1])
    return {
        "title": "Phân bố tổng điểm theo năm",
        "description": "Số đơn vị trong mỗi khoảng 10 điểm, mỗi màu một năm.",
        "svg": grouped_bars(buckets, series, maximum=top, label="Phân bố tổng điểm theo năm"),
    }


def _sections_by_cluster(conn, year: int) -> dict:
    rows = conn.execute(
        "SELECT u.cluster, ss.section_id, AVG(100.0 * COALESCE(ss.adjusted_score, ss.score) / ss.max) "
        "FROM section_scores ss JOIN submissions s ON s.id = ss.submission_id JOIN units u ON u.code = s.unit_code "
        "WHERE s.form_id = ? AND s.cycle_year = ? AND s.status = 'submitted' AND ss.max > 0 GROUP BY 1, 2 ORDER BY 1, 2",
        [ASSESSMENT, year]).fetchall()
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


def _recognition(conn, years: list[int]) -> dict:
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT s.cycle_year, COUNT(*), SUM(s.recognised = 1), "
        "SUM(EXISTS (SELECT 1 FROM current_decisions d WHERE d.unit_code = s.unit_code AND d.form_id = s.form_id "
        "AND d.cycle_year = s.cycle_year AND d.decision = 'recognised')) "
        "FROM submissions s WHERE s.form_id = ? AND s.status = 'submitted' GROUP BY 1", [ASSESSMENT])}
    by_score = [round(100.0 * (rows[y][1] or 0) / rows[y][0], 1) if y in rows else None for y in years]
    decided = [round(100.0 * (rows[y][2] or 0) / rows[y][0], 1) if y in rows else None for y in years]
    return {
        "title": "Tỉ lệ công nhận theo năm",
        "description": "Trong các đơn vị đã nộp: tỉ lệ đủ điều kiện theo điểm tự đánh giá, và tỉ lệ được Ban Thường vụ công nhận.",
        "svg": grouped_bars([str(y) for y in years], [("Đủ điều kiện theo điểm", by_score), ("Được công nhận", decided)],
                            maximum=100, unit="%", label="Tỉ lệ công nhận theo năm"),
    }
