"""The canned queries reviewers start from in Datasette, each with a Vietnamese title and description."""

from __future__ import annotations

ASSESSMENT = "tu-danh-gia-3-chu-dong"
REGISTRATION = "dang-ky-3-chu-dong"

# End of a closing day in Vietnam (UTC+7), as a Julian day, to compare with the UTC timestamps stored.
_DEADLINE = "julianday(COALESCE(e.closes, c.closes), '+1 day', '-7 hours')"
_TOTAL = "COALESCE(s.adjusted_total, s.total)"

QUERIES: dict[str, dict] = {
    "chua_nop": {
        "title": "Đơn vị chưa nộp báo cáo tự đánh giá trong năm",
        "description": "Các đơn vị chưa nộp (chưa có bài hoặc mới lưu nháp) báo cáo tự đánh giá của năm đã chọn, "
                       "với hạn nộp (kể cả gia hạn) và số ngày còn lại tính theo giờ Việt Nam; số âm là đã quá hạn.",
        "sql": f"""
SELECT u.code AS "Mã đơn vị", u.name AS "Tên đơn vị", u.cluster AS "Cụm",
       CASE WHEN s.status IS NULL THEN 'chưa có bài' ELSE 'bản nháp' END AS "Tình trạng",
       COALESCE(e.closes, c.closes) AS "Hạn nộp",
       CAST(julianday(COALESCE(e.closes, c.closes)) - julianday(date('now', '+7 hours')) AS INTEGER) AS "Số ngày còn lại",
       CASE WHEN r.unit_code IS NULL THEN 'chưa đăng ký' ELSE 'đã đăng ký' END AS "Đăng ký"
FROM units u
JOIN cycles c ON c.form_id = '{ASSESSMENT}' AND c.cycle_year = CAST(:nam AS INTEGER)
LEFT JOIN submissions s ON s.unit_code = u.code AND s.form_id = c.form_id AND s.cycle_year = c.cycle_year
LEFT JOIN extensions e ON e.unit_code = u.code AND e.form_id = c.form_id AND e.cycle_year = c.cycle_year
LEFT JOIN submissions r ON r.unit_code = u.code AND r.form_id = '{REGISTRATION}' AND r.cycle_year = c.cycle_year
     AND r.status = 'submitted'
WHERE s.status IS NULL OR s.status != 'submitted'
ORDER BY "Số ngày còn lại", u.cluster, u.name""",
    },
    "xep_hang_trong_cum": {
        "title": "Xếp hạng trong từng cụm thi đua",
        "description": "Thứ hạng theo tổng điểm (sau điều chỉnh nếu có) của các đơn vị đã nộp báo cáo tự đánh giá "
                       "trong năm đã chọn, xếp trong từng cụm.",
        "sql": f"""
SELECT u.cluster AS "Cụm",
       RANK() OVER (PARTITION BY u.cluster ORDER BY {_TOTAL} DESC) AS "Hạng trong cụm",
       u.code AS "Mã đơn vị", u.name AS "Tên đơn vị", {_TOTAL} AS "Tổng điểm", s.band AS "Xếp loại",
       CASE s.recognised WHEN 1 THEN 'đủ điều kiện' WHEN 0 THEN 'chưa đủ' END AS "Theo điểm"
FROM submissions s JOIN units u ON u.code = s.unit_code
WHERE s.form_id = '{ASSESSMENT}' AND s.cycle_year = CAST(:nam AS INTEGER) AND s.status = 'submitted'
ORDER BY u.cluster, "Hạng trong cụm", u.name""",
    },
    "tieu_chi_yeu_nhat": {
        "title": "Điểm trung bình theo tiêu chí (tiêu chí yếu nhất trước)",
        "description": "Với các bài đã nộp của năm đã chọn: điểm trung bình mỗi đơn vị đạt ở từng tiêu chí của Kế hoạch, "
                       "so với điểm tối đa của tiêu chí; tỉ lệ thấp nhất đứng đầu.",
        "sql": f"""
SELECT a.criterion AS "Tiêu chí", MIN(k.label) AS "Nội dung tiêu chí",
       ROUND(SUM(COALESCE(a.adjusted_points, a.points)) * 1.0 / COUNT(DISTINCT a.submission_id), 2) AS "Điểm trung bình",
       ROUND(SUM(a.max_points) * 1.0 / COUNT(DISTINCT a.submission_id), 2) AS "Điểm tối đa",
       ROUND(100.0 * SUM(COALESCE(a.adjusted_points, a.points)) / SUM(a.max_points), 1) AS "Tỉ lệ (%)",
       COUNT(DISTINCT a.submission_id) AS "Số bài"
FROM answers a
JOIN submissions s ON s.id = a.submission_id
LEFT JOIN criteria k ON k.form_id = s.form_id AND k.version = s.form_version AND k.criterion = a.criterion
WHERE s.form_id = '{ASSESSMENT}' AND s.cycle_year = CAST(:nam AS INTEGER) AND s.status = 'submitted'
  AND a.criterion IS NOT NULL AND a.max_points > 0
GROUP BY a.criterion
ORDER BY "Tỉ lệ (%)", a.criterion""",
    },
    "lich_su_don_vi": {
        "title": "Lịch sử một đơn vị qua giai đoạn",
        "description": "Từng năm của một đơn vị (nhập mã đơn vị, ví dụ DCS001): đăng ký, báo cáo tự đánh giá, điểm, "
                       "xếp loại và quyết định của Ban Thường vụ.",
        "sql": f"""
SELECT c.cycle_year AS "Năm",
       COALESCE(r.status, 'không') AS "Đăng ký",
       COALESCE(s.status, 'không') AS "Báo cáo",
       s.total AS "Điểm tự động", s.adjusted_total AS "Điểm sau điều chỉnh", s.band AS "Xếp loại",
       d.decision AS "Quyết định", d.decision_no AS "Số quyết định", d.decided_on AS "Ngày quyết định",
       d.commendation AS "Đề nghị tuyên dương"
FROM cycles c
LEFT JOIN submissions s ON s.unit_code = :ma_don_vi AND s.form_id = c.form_id AND s.cycle_year = c.cycle_year
LEFT JOIN submissions r ON r.unit_code = :ma_don_vi AND r.form_id = '{REGISTRATION}' AND r.cycle_year = c.cycle_year
LEFT JOIN current_decisions d ON d.unit_code = :ma_don_vi AND d.form_id = c.form_id AND d.cycle_year = c.cycle_year
WHERE c.form_id = '{ASSESSMENT}'
ORDER BY c.cycle_year""",
    },
    "cong_nhan_moi_nam": {
        "title": "Đơn vị được công nhận tất cả các năm của giai đoạn",
        "description": "Ứng viên đề nghị tuyên dương: các đơn vị có quyết định công nhận “3 chủ động” (hiện hành) "
                       "ở mọi năm của giai đoạn, với tổng điểm trung bình.",
        "sql": f"""
SELECT u.code AS "Mã đơn vị", u.name AS "Tên đơn vị", u.cluster AS "Cụm",
       COUNT(DISTINCT d.cycle_year) AS "Số năm được công nhận",
       ROUND(AVG({_TOTAL}), 1) AS "Điểm trung bình",
       MAX(d.commendation) AS "Đã được đề nghị tuyên dương"
FROM current_decisions d
JOIN units u ON u.code = d.unit_code
LEFT JOIN submissions s ON s.unit_code = d.unit_code AND s.form_id = d.form_id AND s.cycle_year = d.cycle_year
WHERE d.form_id = '{ASSESSMENT}' AND d.decision = 'recognised'
GROUP BY u.code
HAVING COUNT(DISTINCT d.cycle_year) = (SELECT COUNT(*) FROM cycles WHERE form_id = '{ASSESSMENT}')
ORDER BY "Điểm trung bình" DESC""",
    },
    "sua_sau_han": {
        "title": "Bài được sửa hoặc gửi sau hạn",
        "description": "Các bản lưu, nộp hoặc gửi sau hạn nộp (kể cả hạn gia hạn của đơn vị), mới nhất trước; "
                       "bản “late” là bài gửi sau hạn đã bị từ chối nhưng được giữ lại.",
        "sql": f"""
SELECT u.code AS "Mã đơn vị", u.name AS "Tên đơn vị", s.form_id AS "Biểu mẫu", s.cycle_year AS "Năm",
       r.number AS "Bản", r.action AS "Thao tác", r.author AS "Người lưu", r.created_at AS "Thời điểm (UTC)",
       COALESCE(e.closes, c.closes) AS "Hạn nộp"
FROM revisions r
JOIN submissions s ON s.id = r.submission_id
JOIN units u ON u.code = s.unit_code
JOIN cycles c ON c.form_id = s.form_id AND c.cycle_year = s.cycle_year
LEFT JOIN extensions e ON e.unit_code = s.unit_code AND e.form_id = s.form_id AND e.cycle_year = s.cycle_year
WHERE julianday(r.created_at) > {_DEADLINE} OR r.action = 'late'
ORDER BY r.created_at DESC""",
    },
    "phan_bo_diem": {
        "title": "Phân bố tổng điểm theo năm",
        "description": "Số đơn vị theo khoảng 10 điểm của tổng điểm (sau điều chỉnh nếu có), cho mỗi năm.",
        "sql": f"""
SELECT s.cycle_year AS "Năm",
       CAST(MIN({_TOTAL}, 99.99) / 10 AS INTEGER) * 10 AS "Từ điểm",
       CAST(MIN({_TOTAL}, 99.99) / 10 AS INTEGER) * 10 + 10 AS "Đến dưới",
       COUNT(*) AS "Số đơn vị"
FROM submissions s
WHERE s.form_id = '{ASSESSMENT}' AND s.status = 'submitted'
GROUP BY 1, 2
ORDER BY 1, 2""",
    },
}


def canned_queries() -> dict[str, dict]:
    """Datasette `queries` metadata: SQL stripped, titles and descriptions as they are."""
    return {name: {**query, "sql": query["sql"].strip()} for name, query in QUERIES.items()}
