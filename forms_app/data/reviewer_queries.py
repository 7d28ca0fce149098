"""The canned queries reviewers start from in Datasette, each with a Vietnamese title and description.

Every scored form gets its own queries, titled with the form's title; the form (and the registration it requires)
is written into the SQL as a literal, so SQLite plans each query on its indexes as if typed by hand. With one scored
form the queries keep their plain names (`chua_nop`, …); with several, each name ends with `__<form id>`.
"""

from __future__ import annotations

from typing import NamedTuple

from forms_app.data import readable


class ScoredForm(NamedTuple):
    """What the queries need of a scored form: its id and title, its maximum total, the registration it requires."""

    id: str
    title: str
    maximum: float = 100.0
    registration: str | None = None


# A list longer than a page is cut at `:so_dong` rows (empty: 200), and says so in its description;
# its CSV link carries the same parameter, so a larger number gives the whole list. Rendering
# thousands of rows as HTML took most of a page's time at national scale (docs/benchmarks.md).
_ROWS = "COALESCE(CAST(NULLIF(:so_dong, '') AS INTEGER), 200)"


def _year(form: ScoredForm) -> str:
    """The year a query reads: the one chosen, else the form's latest cycle year (a query opened without a year shows
    the latest year's rows rather than none)."""
    return (f"COALESCE(CAST(NULLIF(:nam, '') AS INTEGER), "
            f"(SELECT MAX(cycle_year) FROM cycles WHERE form_id = {literal(form.id)}))")


def literal(text: str) -> str:
    """A value as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _submitted_year(form: ScoredForm, t: str = "") -> str:
    """The conditions of a scored report of the year chosen, submitted, on tong_quan (named `t` when given): the
    leading columns of idx_tong_quan_rank and idx_tong_quan_submitted_units."""
    on = f"{t}." if t else ""
    return f"{on}form_id = {literal(form.id)} AND {on}cycle_year = {_year(form)} AND {on}status = 'submitted'"


def _not_submitted(form: ScoredForm) -> dict:
    registered = (",\n       CASE WHEN r.unit_code IS NULL THEN 'chưa đăng ký' ELSE 'đã đăng ký' END AS \"Đăng ký\""
                  if form.registration else "")
    join = (f"\nLEFT JOIN submissions r ON r.unit_code = w.code AND r.form_id = {literal(form.registration)} "
            "AND r.cycle_year = c.cycle_year\n     AND r.status = 'submitted'" if form.registration else "")
    waiting = ("(COALESCE(:cum, '') = '' OR u.cluster = :cum)\n"
               f"    AND NOT EXISTS (SELECT 1 FROM tong_quan t WHERE {_submitted_year(form, 't')} AND t.unit_code = u.code)")
    extended = f"e.unit_code = u.code AND e.form_id = {literal(form.id)} AND e.cycle_year = {_year(form)}"
    return {
        "title": f"Đơn vị chưa nộp trong năm — {form.title}",
        "description": f"Các đơn vị chưa nộp (chưa có bài hoặc mới lưu nháp) “{form.title}” của năm đã chọn, "
                       "với hạn nộp (kể cả gia hạn) và số ngày còn lại tính theo giờ Việt Nam; số âm là đã quá hạn. "
                       "Hạn gần nhất trước; hiện tối đa “số dòng” đơn vị (để trống: 200), có thể lọc theo cụm.",
        # Every unit without an extension has the year's deadline: in the order shown (days left, cluster, name) they
        # come in their cluster and name's order, so they are read along idx_units_cluster_name, each looked up in
        # the year's submitted reports, until the page is full (about 1,000 index steps at 50,000 units, where the
        # query before read every unit and sorted the 9,600 that had not submitted: 64–86 ms). The units with an
        # extension (a few) are read whole and merged in by the final sort.
        "sql": f"""
WITH waiting AS (
  SELECT u.code, u.name, u.cluster, e.closes
  FROM extensions e CROSS JOIN units u ON u.code = e.unit_code  -- the few extensions first, whatever the statistics say
  WHERE e.form_id = {literal(form.id)} AND e.cycle_year = {_year(form)}
    AND {waiting}
  UNION ALL
  SELECT * FROM (
    SELECT u.code, u.name, u.cluster, NULL
    FROM units u
    WHERE {waiting}
      AND NOT EXISTS (SELECT 1 FROM extensions e WHERE {extended})
    ORDER BY u.cluster, u.name, u.code
    LIMIT {_ROWS})
)
SELECT w.code AS "Mã đơn vị", w.name AS "Tên đơn vị", w.cluster AS "Cụm",
       CASE WHEN s.status IS NULL THEN 'chưa có bài' ELSE 'bản nháp' END AS "Tình trạng",
       COALESCE(w.closes, c.closes) AS "Hạn nộp",
       CAST(julianday(COALESCE(w.closes, c.closes)) - julianday(date('now', '+7 hours')) AS INTEGER) AS "Số ngày còn lại"{registered}
FROM waiting w
JOIN cycles c ON c.form_id = {literal(form.id)} AND c.cycle_year = {_year(form)}
LEFT JOIN submissions s ON s.unit_code = w.code AND s.form_id = c.form_id AND s.cycle_year = c.cycle_year{join}
ORDER BY "Số ngày còn lại", w.cluster, w.name, w.code
LIMIT {_ROWS}""",
    }


def _ranking(form: ScoredForm) -> dict:
    places = "COALESCE(CAST(NULLIF(:so_hang, '') AS INTEGER), 10)"
    return {
        "title": f"Xếp hạng trong từng cụm thi đua — {form.title}",
        "description": f"Thứ hạng theo tổng điểm (sau điều chỉnh nếu có) của các đơn vị đã nộp “{form.title}” "
                       "trong năm đã chọn, xếp trong từng cụm; hiện các hạng đến “số hạng” (để trống: 10) của mỗi cụm.",
        # Ranking every submitted report of the year (40,000 at 50,000 units) to keep ten places a cluster took
        # 56–94 ms. Read instead along idx_tong_quan_rank: the clusters one step each (`cum`), in each the total of
        # the `so_hang`-th best report (`muc`), and only the reports at or above it, which hold every place up to
        # `so_hang` with the rank the whole cluster gives them (every better report is among them). A cluster with
        # fewer reports, or fewer with a total, is read whole.
        "sql": f"""
WITH RECURSIVE cum(cluster) AS (
  SELECT MIN(cluster) FROM tong_quan WHERE {_submitted_year(form)}
  UNION ALL
  SELECT (SELECT MIN(t.cluster) FROM tong_quan t WHERE {_submitted_year(form, 't')} AND t.cluster > cum.cluster)
  FROM cum WHERE cum.cluster IS NOT NULL
),
muc AS MATERIALIZED (
  SELECT cluster, (SELECT t.final_total FROM tong_quan t WHERE {_submitted_year(form, 't')} AND t.cluster = cum.cluster
                   ORDER BY t.final_total DESC LIMIT 1 OFFSET {places} - 1) AS diem
  FROM cum WHERE cluster IS NOT NULL
),
xep AS (
  SELECT t.submission_id, t.cluster, t.final_total,
         RANK() OVER (PARTITION BY t.cluster ORDER BY t.final_total DESC) AS hang
  FROM muc m JOIN tong_quan t ON {_submitted_year(form, 't')} AND t.cluster = m.cluster
  WHERE m.diem IS NULL OR t.final_total >= m.diem
)
SELECT x.cluster AS "Cụm", x.hang AS "Hạng trong cụm", t.unit_code AS "Mã đơn vị", t.unit_name AS "Tên đơn vị",
       x.final_total AS "Tổng điểm", t.band AS "Xếp loại",
       CASE t.recognised WHEN 1 THEN 'đủ điều kiện' WHEN 0 THEN 'chưa đủ' END AS "Theo điểm"
FROM xep x JOIN tong_quan t ON t.submission_id = x.submission_id
WHERE x.hang <= {places}
ORDER BY x.cluster, x.hang, t.unit_name""",
    }


def _weakest_criteria(form: ScoredForm) -> dict:
    return {
        "title": f"Điểm trung bình theo tiêu chí (tiêu chí yếu nhất trước) — {form.title}",
        "description": f"Với các bài “{form.title}” đã nộp của năm đã chọn: điểm trung bình mỗi đơn vị đạt ở từng "
                       "tiêu chí, so với điểm tối đa của tiêu chí; tỉ lệ thấp nhất đứng đầu.",
        "sql": f"""
SELECT t.criterion AS "Tiêu chí",
       (SELECT k.label FROM criteria k WHERE k.form_id = t.form_id AND k.criterion = t.criterion
        ORDER BY k.version DESC LIMIT 1) AS "Nội dung tiêu chí",
       ROUND(t.final_points / t.submissions, 2) AS "Điểm trung bình",
       ROUND(t.max_points / t.submissions, 2) AS "Điểm tối đa",
       ROUND(100.0 * t.final_points / t.max_points, 1) AS "Tỉ lệ (%)",
       t.submissions AS "Số bài"
FROM criterion_totals t
WHERE t.form_id = {literal(form.id)} AND t.cycle_year = {_year(form)} AND t.submissions > 0 AND t.max_points > 0
ORDER BY "Tỉ lệ (%)", t.criterion""",
    }


def _unit_history(form: ScoredForm) -> dict:
    registered = (f"COALESCE({readable.case('r.status', 'status')}, 'chưa có') AS \"Đăng ký\",\n       "
                  if form.registration else "")
    join = (f"LEFT JOIN submissions r ON r.unit_code = :ma_don_vi AND r.form_id = {literal(form.registration)} "
            "AND r.cycle_year = c.cycle_year\n" if form.registration else "")
    return {
        "title": f"Lịch sử một đơn vị qua giai đoạn — {form.title}",
        "description": "Từng năm của một đơn vị (nhập mã đơn vị, ví dụ DCS001): "
                       + ("đăng ký, " if form.registration else "")
                       + f"“{form.title}”, điểm, xếp loại và quyết định của Ban Thường vụ.",
        "sql": f"""
SELECT c.cycle_year AS "Năm",
       {registered}COALESCE({readable.case('s.status', 'status')}, 'chưa có') AS "Báo cáo",
       s.total AS "Điểm tự động", s.adjusted_total AS "Điểm sau điều chỉnh", s.band AS "Xếp loại",
       {readable.case('d.decision', 'decision')} AS "Quyết định", d.decision_no AS "Số quyết định",
       {readable.local_date('d.decided_on')} AS "Ngày quyết định",
       d.commendation AS "Đề nghị tuyên dương"
FROM cycles c
LEFT JOIN submissions s ON s.unit_code = :ma_don_vi AND s.form_id = c.form_id AND s.cycle_year = c.cycle_year
{join}LEFT JOIN current_decisions d ON d.unit_code = :ma_don_vi AND d.form_id = c.form_id AND d.cycle_year = c.cycle_year
WHERE c.form_id = {literal(form.id)}
ORDER BY c.cycle_year""",
    }


def _recognised_every_year(form: ScoredForm) -> dict:
    return {
        "title": f"Đơn vị được công nhận tất cả các năm của giai đoạn — {form.title}",
        "description": f"Ứng viên đề nghị tuyên dương: các đơn vị có quyết định công nhận (hiện hành) theo “{form.title}” "
                       "ở mọi năm của giai đoạn, với tổng điểm trung bình; điểm cao nhất trước, tối đa “số dòng” "
                       "đơn vị (để trống: 200).",
        # Read from recognised_years (kept by triggers, forms_app/data/summaries.py: the same count, average and
        # commendation per unit the query grouped every recognised report for), along its index in this order.
        "sql": f"""
WITH moi_nam AS (
  SELECT unit_code, years AS so_nam, average AS diem, commendation AS tuyen_duong
  FROM recognised_years
  WHERE form_id = {literal(form.id)}
    AND years = (SELECT COUNT(*) FROM cycles WHERE form_id = {literal(form.id)})  -- one row per unit and year
  ORDER BY diem DESC, unit_code
  LIMIT {_ROWS}
)
SELECT u.code AS "Mã đơn vị", u.name AS "Tên đơn vị", u.cluster AS "Cụm", m.so_nam AS "Số năm được công nhận",
       m.diem AS "Điểm trung bình", m.tuyen_duong AS "Đã được đề nghị tuyên dương"
FROM moi_nam m JOIN units u ON u.code = m.unit_code
ORDER BY m.diem DESC, u.code""",
    }


def _times(n: str, step: float) -> str:
    """`n` × `step` in SQL: an integer for a whole step (the shipped 10), else rounded so 3 × 1.6 reads 4.8."""
    if float(step).is_integer():
        return f"{n} * {int(step)}"
    return f"ROUND({n} * {float(step)!r}, 6)"


def _distribution(form: ScoredForm) -> dict:
    step = (form.maximum or 100.0) / 10
    low, high = _times("b.n", step), _times("(b.n + 1)", step)
    width = str(int(step)) if float(step).is_integer() else f"{step:g}".replace(".", ",")
    return {
        "title": f"Phân bố tổng điểm theo năm — {form.title}",
        "description": f"Số đơn vị theo khoảng {width} điểm (một phần mười điểm tối đa) của tổng điểm (sau điều "
                       f"chỉnh nếu có) các bài “{form.title}” đã nộp, cho mỗi năm.",
        # Ten range counts a year on one index, not a GROUP BY over every submitted report (95 ms at 50,000 units).
        "sql": f"""
WITH RECURSIVE buckets(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM buckets WHERE n < 9),
counted AS MATERIALIZED (
  SELECT c.cycle_year, {low} AS low, {high} AS high,
         (SELECT COUNT(*) FROM tong_quan t
          WHERE t.form_id = c.form_id AND t.status = 'submitted' AND t.cycle_year = c.cycle_year
            AND t.final_total >= {low} AND t.final_total < CASE WHEN b.n = 9 THEN 1e308 ELSE {high} END) AS n
  FROM cycles c, buckets b
  WHERE c.form_id = {literal(form.id)}
)
SELECT cycle_year AS "Năm", low AS "Từ điểm", high AS "Đến dưới", n AS "Số đơn vị"
FROM counted
WHERE n > 0
ORDER BY 1, 2""",
    }


# One family of queries per scored form, in the order reviewers use them.
PER_FORM = {
    "chua_nop": _not_submitted,
    "xep_hang_trong_cum": _ranking,
    "tieu_chi_yeu_nhat": _weakest_criteria,
    "lich_su_don_vi": _unit_history,
    "cong_nhan_moi_nam": _recognised_every_year,
    "phan_bo_diem": _distribution,
}

# Queries over every form.
LATE = {
    "sua_sau_han": {
        "title": "Bài được sửa hoặc gửi sau hạn",
        "description": "Các bản lưu, nộp hoặc gửi sau hạn nộp của đơn vị (kể cả gia hạn, theo hạn đang áp dụng lúc lưu), "
                       "mới nhất trước, tối đa “số dòng” bản (để trống: 200); bản “late” là bài gửi sau hạn đã bị từ "
                       "chối nhưng được giữ lại.",
        "sql": f"""
SELECT u.code AS "Mã đơn vị", u.name AS "Tên đơn vị",
       (SELECT f.title FROM form_versions f WHERE f.form_id = s.form_id ORDER BY f.version DESC LIMIT 1) AS "Biểu mẫu",
       s.cycle_year AS "Năm",
       r.number AS "Bản", r.action AS "Thao tác", r.author AS "Người lưu", r.created_at AS "Thời điểm (UTC)",
       COALESCE(e.closes, c.closes) AS "Hạn nộp"
FROM revisions r
JOIN submissions s ON s.id = r.submission_id
JOIN units u ON u.code = s.unit_code
JOIN cycles c ON c.form_id = s.form_id AND c.cycle_year = s.cycle_year
LEFT JOIN extensions e ON e.unit_code = s.unit_code AND e.form_id = s.form_id AND e.cycle_year = s.cycle_year
WHERE r.after_deadline = 1
ORDER BY r.created_at DESC
LIMIT {_ROWS}""",
    },
}


def canned_queries(forms: list[ScoredForm]) -> dict[str, dict]:
    """Datasette `queries`: each family of PER_FORM for every scored form (the plain name when there is one form,
    `name__<form id>` when there are several), then LATE; titles and descriptions in Vietnamese, SQL stripped."""
    found = {}
    for form in forms:
        for name, make in PER_FORM.items():
            query = make(form)
            found[name if len(forms) == 1 else f"{name}__{form.id}"] = {**query, "sql": query["sql"].strip()}
    for name, query in LATE.items():
        found[name] = {**query, "sql": query["sql"].strip()}
    return found
