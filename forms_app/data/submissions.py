"""Submissions in forms.db: one per unit, form and year, its immutable revisions, and the long-form score rows.

`submissions` holds the state and the scores of the scored revision; `revisions` every save or
submit as it was; `answers`, `section_scores` and `criterion_scores` the scored revision one row
per question, section and criterion (what reviewers filter and compare); `tong_quan` and
`criterion_totals` are summaries kept by triggers (migration m007).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, NamedTuple

from sqlite_utils import Database

from forms_app.data.connection import insert_rows

DESCRIPTIONS = {
    "submissions": {
        "title": "Bài nộp",
        "description": "Mỗi đơn vị, biểu mẫu và năm có một bài nộp; điểm là điểm tự động của bản đã nộp (hoặc của bản nháp khi chưa nộp).",
        "columns": {
            "id": "Mã bài nộp", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm",
            "form_version": "Phiên bản biểu mẫu đã dùng", "status": "Trạng thái (draft: bản nháp, submitted: đã nộp)",
            "current_revision": "Số bản đang sửa (bản lưu hoặc nộp gần nhất)",
            "submitted_revision": "Số bản đã nộp gần nhất (điểm, câu trả lời và điểm theo phần là của bản này)",
            "total": "Tổng điểm", "max_total": "Tổng điểm tối đa",
            "band": "Xếp loại", "recognised": "Đủ điều kiện công nhận theo điểm (1: có, 0: không)",
            "created_at": "Thời điểm tạo (UTC)", "updated_at": "Thời điểm cập nhật (UTC)",
            "submitted_at": "Thời điểm nộp gần nhất (UTC)",
            "adjusted_total": "Tổng điểm sau điều chỉnh của người đánh giá (trống: chưa điều chỉnh)",
        },
    },
    "revisions": {
        "title": "Các bản lưu",
        "description": "Bản chụp bất biến của mỗi lần lưu hoặc nộp.",
        "columns": {
            "id": "Mã bản", "submission_id": "Mã bài nộp", "number": "Số thứ tự bản",
            "action": "Hành động (save: lưu nháp, submit: nộp, late: gửi sau hạn, conflict: xung đột chỉnh sửa)",
            "author": "Người lưu", "created_at": "Thời điểm (UTC)", "answers": "Câu trả lời (JSON)",
            "total": "Tổng điểm của bản", "request_token": "Mã yêu cầu (chống gửi hai lần)",
            "after_deadline": "Lưu sau hạn nộp của đơn vị (kể cả gia hạn) đang áp dụng lúc lưu (1: có)",
        },
    },
    "answers": {
        "title": "Câu trả lời",
        "description": "Câu trả lời của bản đã nộp (hoặc bản nháp khi chưa nộp), mỗi dòng một câu hỏi, với điểm và điểm tối đa.",
        "columns": {
            "submission_id": "Mã bài nộp", "question_id": "Mã câu hỏi", "section_id": "Mã phần",
            "criterion": "Tiêu chí", "type": "Kiểu câu hỏi", "value": "Giá trị trả lời",
            "points": "Điểm đạt được", "max_points": "Điểm tối đa", "visible": "Câu hỏi có hiển thị (1) hay bị ẩn (0)",
            "adjusted_points": "Điểm sau điều chỉnh của người đánh giá (trống: không điều chỉnh)",
        },
    },
    "section_scores": {
        "title": "Điểm theo phần",
        "description": "Điểm từng phần (nhóm tiêu chí) của bài nộp, so với điểm đạt.",
        "columns": {
            "submission_id": "Mã bài nộp", "section_id": "Mã phần", "score": "Điểm", "max": "Điểm tối đa",
            "pass_min": "Điểm đạt của phần", "passed": "Đạt (1) hay chưa đạt (0)",
            "adjusted_score": "Điểm phần sau điều chỉnh (trống: không điều chỉnh)",
        },
    },
    "criterion_scores": {
        "title": "Điểm theo tiêu chí",
        "description": "Điểm từng tiêu chí của Kế hoạch trong mỗi bài đã nộp (bản đã nộp gần nhất), so với điểm tối đa của tiêu chí.",
        "columns": {
            "submission_id": "Mã bài nộp", "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "criterion": "Tiêu chí",
            "points": "Điểm tự động", "adjusted_points": "Điểm sau điều chỉnh (trống: không điều chỉnh)",
            "max_points": "Điểm tối đa của tiêu chí",
        },
    },
    "criterion_totals": {
        "title": "Tổng điểm theo tiêu chí và năm",
        "description": "Cộng dồn điểm theo tiêu chí của mọi bài đã nộp, theo biểu mẫu và năm; chia cho số bài để ra điểm trung bình.",
        "columns": {
            "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "criterion": "Tiêu chí", "submissions": "Số bài đã nộp",
            "points": "Tổng điểm tự động", "final_points": "Tổng điểm sau điều chỉnh", "max_points": "Tổng điểm tối đa",
        },
    },
    "tong_quan": {
        "title": "Tổng quan bài nộp",
        "description": "Mỗi bài của biểu mẫu có chấm điểm (báo cáo tự đánh giá) một dòng, kèm tên, cụm của đơn vị và "
                       "quyết định hiện hành; lọc theo cụm, năm, trạng thái, xếp loại. Bảng được cập nhật tự động "
                       "mỗi khi bài nộp, đơn vị hoặc quyết định thay đổi.",
        "columns": {
            "submission_id": "Mã bài nộp", "unit_code": "Mã đơn vị", "unit_name": "Tên đơn vị", "cluster": "Cụm thi đua",
            "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "status": "Trạng thái (draft: nháp, submitted: đã nộp)",
            "total": "Tổng điểm tự động", "adjusted_total": "Tổng điểm sau điều chỉnh",
            "final_total": "Tổng điểm dùng để xét (sau điều chỉnh nếu có)", "band": "Xếp loại",
            "recognised": "Đủ điều kiện công nhận theo điểm (1: có, 0: không)", "decision": "Quyết định hiện hành",
            "decision_no": "Số quyết định", "decided_on": "Ngày quyết định", "commendation": "Đề nghị tuyên dương (1: có)",
            "submitted_at": "Thời điểm nộp (UTC)",
        },
    },}


def stored_value(value: Any) -> Any:
    """An answer as one SQLite value: numbers and text as they are, booleans as 0/1, lists as JSON."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def answer_value(kind: str, value: Any) -> Any:
    """An answer of a question of type `kind` read back from `answers.value` as `stored_value` wrote it: booleans from
    0/1, a multiple choice from its JSON list, anything else as stored."""
    if value is None:
        return None
    if kind == "boolean":
        return bool(value)
    if kind == "multi_choice" and isinstance(value, str):
        return json.loads(value)
    return value


def find(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dict | None:
    """The unit's submission of a form for a year, or None."""
    rows = list(db.query("SELECT * FROM submissions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
                         [unit_code, form_id, cycle_year]))
    return rows[0] if rows else None


def by_id(db: Database, submission_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM submissions WHERE id = ?", [submission_id]))
    return rows[0] if rows else None


def status(db: Database, unit_code: str, form_id: str, cycle_year: int) -> str | None:
    """'draft', 'submitted', or None when the unit has not started the form."""
    row = db.execute("SELECT status FROM submissions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
                     [unit_code, form_id, cycle_year]).fetchone()
    return row[0] if row else None


def of_units(db: Database, unit_codes: list[str]) -> list[dict]:
    """Every submission of these units (form, year, status, total, band), oldest year first."""
    if not unit_codes:
        return []
    marks = ",".join("?" * len(unit_codes))
    return list(db.query(f"SELECT unit_code, form_id, cycle_year, status, total, band FROM submissions "
                         f"WHERE unit_code IN ({marks}) ORDER BY cycle_year", unit_codes))


def create(db: Database, unit_code: str, form_id: str, cycle_year: int, form_version: int, now: str) -> dict:
    """A new draft submission with no revision yet; its row."""
    [row] = db.query("INSERT INTO submissions (unit_code, form_id, cycle_year, form_version, status, current_revision, "
                     "created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', 0, ?, ?) RETURNING *",
                     [unit_code, form_id, cycle_year, form_version, now, now])  # read to its end: the statement done
    return row


def update(db: Database, submission_id: int, changes: dict[str, Any]) -> None:
    """Set some columns of a submission (names from the product's code, never from a user)."""
    columns = ", ".join(f"{name} = ?" for name in changes)
    db.execute(f"UPDATE submissions SET {columns} WHERE id = ?", [*changes.values(), submission_id])


def next_id(db: Database) -> int:
    return 1 + db.execute("SELECT COALESCE(MAX(id), 0) FROM submissions").fetchone()[0]


class WriteState(NamedTuple):
    """What a save or submit reads under the write lock before writing, in one statement (`write_state`)."""

    seen: tuple[int, int] | None  # (revision number, submission id) a request token already stored
    submission: dict | None  # the unit's submission of the form for the year
    last_number: int  # its last revision's number (0: none yet)
    adjusted: bool  # whether a reviewer ever adjusted it (a removed adjustment counts)


def write_state(db: Database, request_token: str | None, unit_code: str, form_id: str, cycle_year: int) -> WriteState:
    """Everything `rules.submitting.record` reads before it writes, in one statement: under the write lock every
    statement is a moment when another thread may hold the interpreter while every writer waits (docs/benchmarks.md)."""
    [row] = db.query(
        "SELECT s.*, (SELECT json_array(number, submission_id) FROM revisions WHERE request_token = :token) "
        "AS seen_, (SELECT MAX(number) FROM revisions r WHERE r.submission_id = s.id) AS last_number_, "
        "EXISTS (SELECT 1 FROM adjustments a WHERE a.submission_id = s.id) AS adjusted_ "
        "FROM (SELECT 1) LEFT JOIN submissions s "
        "ON s.unit_code = :unit AND s.form_id = :form AND s.cycle_year = :year",
        {"token": request_token, "unit": unit_code, "form": form_id, "year": cycle_year})
    seen, last, adjusted = row.pop("seen_"), row.pop("last_number_"), row.pop("adjusted_")
    return WriteState(tuple(json.loads(seen)) if seen else None, row if row["id"] is not None else None, last or 0,
                      bool(adjusted))


def add_revision(db: Database, submission_id: int, number: int, action: str, author: str, now: str, answers: dict,
                 total: float | None, request_token: str | None, after_deadline: bool) -> None:
    db.execute(
        "INSERT INTO revisions (submission_id, number, action, author, created_at, answers, total, request_token, "
        "after_deadline) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [submission_id, number, action, author, now, answers_json(answers), total, request_token, int(after_deadline)])


def answers_json(answers: dict) -> str:
    """A revision's answers as stored: JSON, keys sorted, Vietnamese kept readable."""
    return json.dumps(answers, ensure_ascii=False, sort_keys=True)


def revision_author(db: Database, submission_id: int, number: int) -> tuple[str, str] | None:
    """(author, created_at) of one revision, or None."""
    row = db.execute("SELECT author, created_at FROM revisions WHERE submission_id = ? AND number = ?",
                     [submission_id, number]).fetchone()
    return (row[0], row[1]) if row else None


def revisions(db: Database, submission_id: int) -> list[dict]:
    """Every revision of a submission (without its answers), newest first."""
    return list(db.query(
        "SELECT number, action, author, created_at, total FROM revisions WHERE submission_id = ? ORDER BY number DESC",
        [submission_id]))


def revision_answers(db: Database, submission_id: int, number: int) -> dict | None:
    row = db.execute("SELECT answers FROM revisions WHERE submission_id = ? AND number = ?", [submission_id, number]).fetchone()
    return json.loads(row[0]) if row else None


ANSWER_INSERT = ("INSERT INTO answers (submission_id, question_id, section_id, criterion, type, value, points, "
                 "max_points, visible)")
SECTION_INSERT = "INSERT INTO section_scores (submission_id, section_id, score, max, pass_min, passed)"
CRITERION_INSERT = ("INSERT INTO criterion_scores (submission_id, form_id, cycle_year, criterion, points, "
                    "adjusted_points, max_points)")
SUBMISSION_INSERT = ("INSERT INTO submissions (id, unit_code, form_id, cycle_year, form_version, status, current_revision, "
                     "submitted_revision, total, max_total, band, recognised, created_at, updated_at, submitted_at) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
REVISION_INSERT = "INSERT INTO revisions (submission_id, number, action, author, created_at, answers, total) VALUES (?,?,?,?,?,?,?)"


# A submission's answers and sections are the same keys at every save (its definition version never changes): their
# rows are updated in place. Deleted and inserted again, each of the 34 answers also left and re-entered both indexes
# of `answers` (by question, by criterion) — about seventy leaf pages of 17-million-entry indexes written at every
# submit on the 50,000 × 5 demo, all of it under the write lock. An adjustment made after a save is cleared as a
# delete did; `submitting.refresh_adjusted_scores` applies the reviewers' adjustments again. criterion_scores keep
# their delete and insert: their triggers keep `criterion_totals`.
ANSWER_UPDATE = (" ON CONFLICT (submission_id, question_id) DO UPDATE SET value = excluded.value, "
                 "points = excluded.points, max_points = excluded.max_points, visible = excluded.visible, "
                 "adjusted_points = NULL")
SECTION_UPDATE = (" ON CONFLICT (submission_id, section_id) DO UPDATE SET score = excluded.score, max = excluded.max, "
                  "pass_min = excluded.pass_min, passed = excluded.passed, adjusted_score = NULL")
CRITERION_UPDATE = (" ON CONFLICT (submission_id, criterion) DO UPDATE SET points = excluded.points, "
                    "adjusted_points = NULL, max_points = excluded.max_points")


def replace_scores(db: Database, answers: list[tuple], sections: list[tuple], criteria: list[tuple] | None) -> None:
    """Write the long-form rows of one submission (inside the caller's transaction), in place: its answers, its
    sections and, when given (a submit), its criteria (ANSWER_UPDATE, SECTION_UPDATE, CRITERION_UPDATE).

    Nothing is deleted: a submission has a row for every question, section and criterion of the definition version it
    was started on, which it keeps (`record` refuses another), and a version once loaded never changes
    (`rules.registry`), so every save writes the same keys."""
    insert_rows(db, ANSWER_INSERT, answers, ANSWER_UPDATE)
    insert_rows(db, SECTION_INSERT, sections, SECTION_UPDATE)
    if criteria is not None:
        insert_rows(db, CRITERION_INSERT, criteria, CRITERION_UPDATE)


def insert_scores(db: Database, answers: Iterable[tuple], sections: Iterable[tuple], criteria: Iterable[tuple] | None) -> None:
    """Insert long-form rows (of one or many submissions: the demo batches them), many rows a statement."""
    insert_rows(db, ANSWER_INSERT, list(answers))
    insert_rows(db, SECTION_INSERT, list(sections))
    if criteria:
        insert_rows(db, CRITERION_INSERT, list(criteria))


def insert_many(db: Database, submissions: Iterable[tuple], revisions: Iterable[tuple]) -> None:
    """Insert whole submissions and their first revisions at once (the demo), columns in the order of
    SUBMISSION_INSERT and REVISION_INSERT; their long-form rows go through `insert_scores`."""
    db.conn.executemany(SUBMISSION_INSERT, submissions)
    db.conn.executemany(REVISION_INSERT, ((*row[:5], answers_json(row[5]), *row[6:]) for row in revisions))


def submitted_scored(db: Database, form_ids: list[str], years: list[int]) -> list[tuple]:
    """(id, unit, form, year, recognised, total) of every submitted, scored submission of these forms and years, by id."""
    marks = ",".join("?" * len(form_ids)), ",".join("?" * len(years))
    return db.execute(
        f"SELECT id, unit_code, form_id, cycle_year, recognised, total FROM submissions WHERE status = 'submitted' "
        f"AND recognised IS NOT NULL AND form_id IN ({marks[0]}) AND cycle_year IN ({marks[1]}) ORDER BY id",
        [*form_ids, *years]).fetchall()


def first_scored_file(db: Database, submission_id: int) -> str | None:
    """The first visible file question (by id) that earned points in a submission's scored revision, or None."""
    row = db.execute("SELECT question_id FROM answers WHERE submission_id = ? AND type = 'file' AND visible = 1 "
                     "AND points > 0 ORDER BY question_id LIMIT 1", [submission_id]).fetchone()
    return row[0] if row else None


def year_summary(db: Database, clusters: list[str]) -> list[dict]:
    """Per form and year: submitted, drafts, average total of the submitted, recognised (units of `clusters` only when
    given), newest year first."""
    in_clusters = (f"JOIN units u ON u.code = s.unit_code AND u.cluster IN ({','.join('?' * len(clusters))})"
                   if clusters else "")
    return list(db.query(
        "SELECT s.form_id, s.cycle_year, SUM(s.status = 'submitted') AS submitted, SUM(s.status = 'draft') AS drafts, "
        "ROUND(AVG(CASE WHEN s.status = 'submitted' THEN s.total END), 1) AS average, "
        "SUM(d.decision = 'recognised') AS recognised "
        f"FROM submissions s {in_clusters} LEFT JOIN current_decisions d ON d.unit_code = s.unit_code "
        "AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year "
        "GROUP BY s.form_id, s.cycle_year ORDER BY s.cycle_year DESC, s.form_id", clusters))
