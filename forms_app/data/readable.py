"""The views reviewers read first in Datasette (issue 17): Vietnamese column names and Vietnamese words for the codes
stored in the tables, so "Đã nộp", "Công nhận" where the tables say `submitted`, `recognised`.

WORDS is the one home of those words in the data layer: migration m017 writes them into the views as CASE
expressions. A join to a table of words instead would let SQLite count a facet on the word through an index, but
every other facet and count of the view would then pay the join: on 50,000 units × 5 years the overview's year facet
went from 11 to 280 ms. A word changed here reaches an existing database only through a new migration that
re-creates the views. Every view reads the trigger-kept summaries (`tong_quan`, `criterion_totals`) or small tables, never
`answers` or `revisions`, so a page of 50 rows and its facets stay cheap at national scale (docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt

from forms_app.data.clock import TIME_ZONE

# {column of the tables: {stored code: Vietnamese word}}; a code missing here would show as itself.
WORDS: dict[str, dict] = {
    "status": {"draft": "Bản nháp", "submitted": "Đã nộp"},
    "decision": {"recognised": "Công nhận", "not_recognised": "Không công nhận", "returned": "Trả lại để bổ sung",
                 "withdrawn": "Thu hồi công nhận", "accepted": "Tiếp nhận", None: "Chưa có quyết định"},
    "recognised": {1: "Đạt", 0: "Chưa đạt"},
    "passed": {1: "Đạt", 0: "Chưa đạt"},
    "yes_no": {1: "Có", 0: "Không"},
    "source": {"web": "Ghi trên trang", "import": "Nhập từ tệp"},
}

# The views in the order reviewers meet them on the database page. The sections are a column of `ket_qua` ("Điểm từng
# phần"), not a view of their own: one row per section would have Datasette count every scored section for its page,
# 0.5–1 s at 50,000 units × 5 years; section_scores stays for analysts.
VIEWS = ("ket_qua", "diem_tieu_chi", "quyet_dinh", "kiem_tra")


def case(column: str, kind: str) -> str:
    """A CASE expression turning the codes of `column` into WORDS[kind]; a code without a word stays as it is."""
    words = WORDS[kind]
    branches = " ".join(f"WHEN {_literal(code)} THEN {_literal(word)}" for code, word in words.items() if code is not None)
    otherwise = f"COALESCE({column}, {_literal(words[None])})" if None in words else column
    return f"CASE {column} {branches} ELSE {otherwise} END"


def local_date(column: str, with_time: bool = False) -> str:
    """A stored date (YYYY-MM-DD) as dd/mm/yyyy, or a stored UTC moment as dd/mm/yyyy hh:mm in the deployment's
    time zone (a fixed offset: Asia/Ho_Chi_Minh has no summer time)."""
    if not with_time:
        return f"strftime('%d/%m/%Y', {column})"
    hours = int(dt.datetime(2000, 1, 1, tzinfo=TIME_ZONE).utcoffset().total_seconds() // 3600)
    return f"strftime('%d/%m/%Y %H:%M', {column}, '{hours:+d} hours')"


def _number(column: str) -> str:
    """A number as text without a trailing ".0" (30.0 → "30", 27.5 → "27.5"): SQLite has no format a reviewer may call."""
    return f"CASE WHEN {column} = CAST({column} AS INTEGER) THEN CAST({column} AS INTEGER) ELSE {column} END"


def _literal(value) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


_FORM_TITLE = "(SELECT title FROM form_versions f WHERE f.form_id = {t}.form_id ORDER BY f.version DESC LIMIT 1)"
_UNIT_NAME = "(SELECT name FROM units u WHERE u.code = {t}.unit_code)"
# A section's title, read from the definition of the version the submission was answered on, in its first language:
# `section_titles`, kept from form_versions by a trigger (SECTION_TITLES, migration m021). Parsing the definition
# (70 KB) for every row shown took 11 of the 13 ms of a page of 50 rows on the 50,000-unit demo; the table reads 0.3.
_TITLE = "json_extract(section.value, '$.title.' || json_extract({f}.definition, '$.languages[0]'))"
# Every scored section of a submission in one line, "2.1: 30/40 (Đạt); 2.2: …": a section is named by the number its
# title starts with (its whole title when it has none), as the exports name it. Read for the 50 rows of a page only.
_SECTIONS_SUMMARY = f"""(SELECT group_concat(
            CASE WHEN substr(title, 1, 1) BETWEEN '0' AND '9' THEN rtrim(substr(title, 1, instr(title || ' ', ' ') - 1), '.')
                 ELSE title END
            || ': ' || {_number("score")} || '/' || {_number("max")} || ' (' || {case("passed", "passed")} || ')', '; ')
        FROM (SELECT st.title AS title,
                     COALESCE(ss.adjusted_score, ss.score) AS score, ss.max AS max, ss.passed AS passed
              FROM section_scores ss
              JOIN submissions sub ON sub.id = ss.submission_id
              JOIN section_titles st ON st.form_id = sub.form_id AND st.version = sub.form_version
                   AND st.section_id = ss.section_id
              WHERE ss.submission_id = t.submission_id AND ss.max > 0
              ORDER BY st.position))"""
_SECTION_ROWS = ("INSERT INTO section_titles (form_id, version, position, section_id, title) "
                 "SELECT {f}.form_id, {f}.version, section.key, json_extract(section.value, '$.id'), "
                 f"{_TITLE} FROM {{source}}json_each({{f}}.definition, '$.sections') section")
# section_titles (m021): one row per section of every stored definition version, in the definition's order, with its
# title in the definition's first language; definitions are never changed in place, but an update or a delete of a
# version is followed all the same.
SECTION_TITLES = [
    """CREATE TABLE section_titles (
        form_id TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL, section_id TEXT, title TEXT,
        PRIMARY KEY (form_id, version, position)
    ) WITHOUT ROWID""",
    "CREATE INDEX idx_section_titles_section ON section_titles(form_id, version, section_id)",
    _SECTION_ROWS.format(f="f", source="form_versions f, "),
    f"CREATE TRIGGER section_titles_insert AFTER INSERT ON form_versions BEGIN "
    f"{_SECTION_ROWS.format(f='NEW', source='')}; END",
    "CREATE TRIGGER section_titles_delete AFTER DELETE ON form_versions BEGIN DELETE FROM section_titles "
    "WHERE form_id = OLD.form_id AND version = OLD.version; END",
    f"CREATE TRIGGER section_titles_update AFTER UPDATE OF form_id, version, definition ON form_versions BEGIN "
    f"DELETE FROM section_titles WHERE form_id = OLD.form_id AND version = OLD.version; "
    f"{_SECTION_ROWS.format(f='NEW', source='')}; END",
]
# A criterion's label in the latest version of its form that names it.
_CRITERION_LABEL = """(SELECT label FROM criteria c WHERE c.form_id = ct.form_id AND c.criterion = ct.criterion
        ORDER BY c.version DESC LIMIT 1)"""


def view_sql() -> dict[str, str]:
    """{view name: its SELECT}, as migration m017 creates them."""
    return {
        "ket_qua": f"""
            SELECT t.unit_code AS "Mã đơn vị", t.unit_name AS "Tên đơn vị", t.cluster AS "Cụm", t.cycle_year AS "Năm",
                   {case("t.status", "status")} AS "Trạng thái", t.final_total AS "Tổng điểm", t.band AS "Xếp loại",
                   {case("t.recognised", "recognised")} AS "Điều kiện công nhận",
                   {case("t.decision", "decision")} AS "Quyết định", t.decision_no AS "Số quyết định",
                   {local_date("t.decided_on")} AS "Ngày quyết định",
                   {case("t.commendation", "yes_no")} AS "Đề nghị tuyên dương",
                   {_SECTIONS_SUMMARY} AS "Điểm từng phần",
                   t.total AS "Điểm tự động", t.adjusted_total AS "Điểm sau điều chỉnh",
                   {local_date("t.submitted_at", with_time=True)} AS "Nộp lúc",
                   {_FORM_TITLE.format(t="t")} AS "Biểu mẫu", t.submission_id AS "Mã bài nộp"
            FROM tong_quan t""",
        "diem_tieu_chi": f"""
            SELECT ct.cycle_year AS "Năm", {_FORM_TITLE.format(t="ct")} AS "Biểu mẫu", ct.criterion AS "Tiêu chí",
                   {_CRITERION_LABEL} AS "Nội dung tiêu chí", ct.submissions AS "Số bài nộp",
                   round(ct.final_points / ct.submissions, 2) AS "Điểm trung bình",
                   round(ct.max_points / ct.submissions, 2) AS "Điểm tối đa",
                   round(100.0 * ct.final_points / NULLIF(ct.max_points, 0), 1) AS "Tỉ lệ đạt được (%)",
                   round(ct.points / ct.submissions, 2) AS "Điểm trung bình tự động"
            FROM criterion_totals ct
            WHERE ct.submissions > 0""",
        "quyet_dinh": f"""
            SELECT d.id AS "Mã quyết định", d.unit_code AS "Mã đơn vị", {_UNIT_NAME.format(t="d")} AS "Tên đơn vị",
                   d.cycle_year AS "Năm", {_FORM_TITLE.format(t="d")} AS "Biểu mẫu",
                   {case("d.decision", "decision")} AS "Quyết định", d.decision_no AS "Số quyết định",
                   {local_date("d.decided_on")} AS "Ngày quyết định",
                   {case("d.commendation", "yes_no")} AS "Đề nghị tuyên dương",
                   {case("d.is_current", "yes_no")} AS "Hiện hành", d.comment AS "Nhận xét gửi đơn vị",
                   d.reason AS "Lý do", {local_date("d.reopen_until")} AS "Mở lại đến hết ngày",
                   {case("d.source", "source")} AS "Nguồn", d.recorded_by AS "Người ghi",
                   {local_date("d.recorded_at", with_time=True)} AS "Ghi lúc"
            FROM decisions d""",
        "kiem_tra": f"""
            SELECT k.id AS "Mã đợt kiểm tra", k.unit_code AS "Mã đơn vị", {_UNIT_NAME.format(t="k")} AS "Tên đơn vị",
                   k.cycle_year AS "Năm", {_FORM_TITLE.format(t="k")} AS "Biểu mẫu",
                   {local_date("k.inspected_on")} AS "Ngày kiểm tra", k.members AS "Thành phần đoàn kiểm tra",
                   k.conclusion AS "Kết luận", k.recorded_by AS "Người ghi",
                   {local_date("k.recorded_at", with_time=True)} AS "Ghi lúc"
            FROM inspections k""",
    }


_UNIT = {"Mã đơn vị": "Mã đơn vị", "Tên đơn vị": "Tên đơn vị (hiện tại)", "Năm": "Năm của đợt đánh giá",
         "Biểu mẫu": "Tên biểu mẫu (theo phiên bản mới nhất)"}
DESCRIPTIONS = {
    "ket_qua": {
        "title": "Kết quả từng đơn vị theo năm",
        "description": "Xem trước tiên: mỗi dòng là báo cáo tự đánh giá của một đơn vị trong một năm — trạng thái, "
                       "điểm, xếp loại, điểm từng phần và quyết định hiện hành, bằng tiếng Việt. Có sẵn số báo cáo "
                       "theo năm, cụm và xếp loại; bấm tên cột để sắp xếp.",
        "columns": {**_UNIT, "Cụm": "Cụm thi đua", "Trạng thái": "Đã nộp hay còn là bản nháp",
                    "Tổng điểm": "Tổng điểm dùng để xét (sau điều chỉnh nếu có, nếu không là điểm tự động)",
                    "Điểm tự động": "Tổng điểm do hệ thống tính từ câu trả lời",
                    "Điểm sau điều chỉnh": "Tổng điểm sau điều chỉnh của người đánh giá (trống: không điều chỉnh)",
                    "Xếp loại": "Xếp loại theo tổng điểm",
                    "Điều kiện công nhận": "Đạt: đủ điều kiện công nhận theo điểm (tổng điểm và mọi phần đạt điểm cần đạt)",
                    "Quyết định": "Quyết định hiện hành của Ban Thường vụ",
                    "Số quyết định": "Số quyết định", "Ngày quyết định": "Ngày quyết định (ngày/tháng/năm)",
                    "Đề nghị tuyên dương": "Có: quyết định đề nghị tuyên dương",
                    "Điểm từng phần": "Điểm từng phần / điểm tối đa (đạt hay chưa đạt điểm cần đạt của phần)",
                    "Nộp lúc": "Thời điểm nộp (giờ Việt Nam, ngày/tháng/năm giờ:phút)",
                    "Mã bài nộp": "Mã bài nộp (để tìm trong các bảng gốc)"},
    },
    "diem_tieu_chi": {
        "title": "Điểm theo tiêu chí",
        "description": "Mỗi dòng là một tiêu chí trong một năm: số báo cáo đã nộp, điểm trung bình và tỉ lệ điểm đạt "
                       "được so với điểm tối đa — tiêu chí nào các đơn vị còn yếu.",
        "columns": {"Năm": "Năm của đợt đánh giá", "Biểu mẫu": "Tên biểu mẫu (theo phiên bản mới nhất)",
                    "Tiêu chí": "Số hiệu tiêu chí", "Nội dung tiêu chí": "Nội dung tiêu chí (theo phiên bản mới nhất)",
                    "Số bài nộp": "Số báo cáo đã nộp có tiêu chí này",
                    "Điểm trung bình": "Điểm trung bình của tiêu chí (sau điều chỉnh nếu có)",
                    "Điểm tối đa": "Điểm tối đa trung bình của tiêu chí",
                    "Tỉ lệ đạt được (%)": "Tổng điểm đạt được / tổng điểm tối đa, phần trăm",
                    "Điểm trung bình tự động": "Điểm trung bình do hệ thống tính, trước điều chỉnh"},
    },
    "quyet_dinh": {
        "title": "Quyết định",
        "description": "Mọi quyết định của Ban Thường vụ, mới nhất trước: công nhận, không công nhận, trả lại, thu hồi, "
                       "tiếp nhận; cột “Hiện hành” cho biết quyết định đang có hiệu lực.",
        "columns": {"Mã quyết định": "Mã quyết định (tăng dần theo thời điểm ghi)", **_UNIT,
                    "Quyết định": "Nội dung quyết định", "Số quyết định": "Số quyết định",
                    "Ngày quyết định": "Ngày quyết định (ngày/tháng/năm)",
                    "Đề nghị tuyên dương": "Có: quyết định đề nghị tuyên dương",
                    "Hiện hành": "Có: quyết định mới nhất của đơn vị, biểu mẫu và năm này",
                    "Nhận xét gửi đơn vị": "Nhận xét gửi đơn vị",
                    "Lý do": "Lý do (khi công nhận đơn vị chưa đạt điều kiện theo điểm, khi thu hồi công nhận)",
                    "Mở lại đến hết ngày": "Khi trả lại: đơn vị được sửa và nộp lại đến hết ngày này",
                    "Nguồn": "Ghi trên trang hay nhập từ tệp", "Người ghi": "Tài khoản đã ghi quyết định",
                    "Ghi lúc": "Thời điểm ghi (giờ Việt Nam)"},
    },
    "kiem_tra": {
        "title": "Kiểm tra",
        "description": "Các đợt kiểm tra của Ủy ban Kiểm tra, mới nhất trước: đơn vị, ngày, thành phần đoàn và kết luận "
                       "(biên bản là tệp đính kèm, không hiện ở đây).",
        "columns": {"Mã đợt kiểm tra": "Mã đợt kiểm tra", **_UNIT, "Ngày kiểm tra": "Ngày kiểm tra (ngày/tháng/năm)",
                    "Thành phần đoàn kiểm tra": "Thành phần đoàn kiểm tra", "Kết luận": "Kết luận",
                    "Người ghi": "Tài khoản đã ghi", "Ghi lúc": "Thời điểm ghi (giờ Việt Nam)"},
    },
}
