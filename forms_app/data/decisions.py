"""Decisions and adjustments in forms.db: the committee's `decisions`, the reviewers' `adjustments`, the adjusted scores.

Both tables are appended to, never updated. The decision in force for a unit, form and year is the
one flagged `is_current = 1`, a flag the trigger `decisions_current` (m007, made again by m010) keeps on the
latest row at every insert; `current_decisions` is the view of those rows. The adjusted columns
(`submissions.adjusted_total`, `answers.adjusted_points`, `section_scores.adjusted_score`,
`criterion_scores.adjusted_points`) sit beside the automatic ones and are written only here.
"""

from __future__ import annotations

from typing import Iterable

from forms_app.data.connection import Database

DESCRIPTIONS = {
    "decisions": {
        "title": "Quyết định của Ban Thường vụ",
        "description": "Mỗi quyết định là một dòng mới, không ghi đè; "
                       "quyết định mới nhất của một đơn vị, biểu mẫu và năm là quyết định hiện hành.",
        "columns": {
            "id": "Mã quyết định", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm",
            "decision": "Quyết định (recognised: công nhận, not_recognised: không công nhận, "
                        "returned: trả lại để bổ sung, withdrawn: thu hồi công nhận, "
                        "accepted: tiếp nhận — biểu mẫu không tính điểm như bản đăng ký)",
            "comment": "Nhận xét gửi đơn vị",
            "reason": "Lý do (khi công nhận đơn vị chưa đạt điều kiện theo điểm, khi thu hồi công nhận)",
            "reopen_until": "Mở lại biểu mẫu cho đơn vị đến hết ngày (khi trả lại)",
            "decision_no": "Số quyết định", "decided_on": "Ngày quyết định", "commendation": "Đề nghị tuyên dương (1: có)",
            "source": "Nguồn (web: ghi trên trang, import: nhập từ tệp)", "recorded_by": "Người ghi",
            "recorded_at": "Thời điểm ghi (UTC)",
            "is_current": "Quyết định hiện hành (1: là quyết định mới nhất của đơn vị, biểu mẫu và năm này)",
        },
    },
    "adjustments": {
        "title": "Điều chỉnh điểm",
        "description": "Điều chỉnh điểm từng câu của người đánh giá, kèm lý do; điểm tự động vẫn giữ bên cạnh. "
                       "Điều chỉnh mới nhất của một câu là điều chỉnh hiện hành; điểm trống là huỷ điều chỉnh.",
        "columns": {
            "id": "Mã", "submission_id": "Mã bài nộp", "question_id": "Mã câu hỏi",
            "points": "Điểm sau điều chỉnh (trống: huỷ điều chỉnh)", "reason": "Lý do", "recorded_by": "Người điều chỉnh",
            "recorded_at": "Thời điểm (UTC)",
        },
    },
    "current_decisions": {
        "title": "Quyết định hiện hành",
        "description": "Quyết định mới nhất cho mỗi đơn vị, biểu mẫu và năm.",
        "columns": None,  # same columns as decisions
    },
}

# The columns a new decision or adjustment is written with (`insert` takes a dict of them, `insert_adjustments`
# tuples in this order).
DECISION_COLUMNS = ("unit_code", "form_id", "cycle_year", "decision", "comment", "reason", "reopen_until", "decision_no",
                    "decided_on", "commendation", "source", "recorded_by", "recorded_at")
ADJUSTMENT_COLUMNS = ("submission_id", "question_id", "points", "reason", "recorded_by", "recorded_at")
_DECISION_INSERT = (f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(DECISION_COLUMNS))})")
_ADJUSTMENT_INSERT = (f"INSERT INTO adjustments ({', '.join(ADJUSTMENT_COLUMNS)}) "
                      f"VALUES ({', '.join('?' * len(ADJUSTMENT_COLUMNS))})")


# Decisions

def current(db: Database, unit_code: str, form_id: str, cycle_year: int) -> dict | None:
    """The decision in force (`is_current = 1`) for a unit, form and year, or None."""
    rows = list(db.query(
        "SELECT * FROM decisions WHERE unit_code = ? AND form_id = ? AND cycle_year = ? AND is_current = 1",
        [unit_code, form_id, cycle_year]))
    return rows[0] if rows else None


def history(db: Database, unit_code: str, form_id: str, cycle_year: int) -> list[dict]:
    """Every decision for a unit, form and year, newest first."""
    return list(db.query(
        "SELECT * FROM decisions WHERE unit_code = ? AND form_id = ? AND cycle_year = ? ORDER BY id DESC",
        [unit_code, form_id, cycle_year]))


def current_of_units(db: Database, unit_codes: list[str]) -> list[dict]:
    """The decision in force of every (form, year) of these units."""
    if not unit_codes:
        return []
    marks = ",".join("?" * len(unit_codes))
    return list(db.query(f"SELECT * FROM decisions WHERE is_current = 1 AND unit_code IN ({marks})", unit_codes))


def insert(db: Database, row: dict) -> int:
    """Append one decision ({column: value} of DECISION_COLUMNS); its id. The trigger makes it the current one."""
    cursor = db.execute(_DECISION_INSERT, [row.get(column) for column in DECISION_COLUMNS])
    return cursor.lastrowid


def current_of_keys(db: Database, keys: list[tuple[str, str, int]]) -> list[dict]:
    """The decision in force of each (unit, form, year) of `keys` that has one."""
    found = []
    for chunk in _chunks(keys):
        found += db.query(f"WITH k(unit_code, form_id, cycle_year) AS (VALUES {_marks(chunk)}) "
                          "SELECT d.* FROM k JOIN decisions d ON d.unit_code = k.unit_code AND d.form_id = k.form_id "
                          "AND d.cycle_year = k.cycle_year AND d.is_current = 1", [v for key in chunk for v in key])
    return found


def submitted_units(db: Database, form_id: str, cycle_year: int) -> list[str]:
    """The codes of the units that submitted a form for a year (those a decision may be taken on), in code order."""
    return [code for (code,) in db.execute(
        "SELECT unit_code FROM submissions WHERE form_id = ? AND cycle_year = ? AND status = 'submitted' "
        "ORDER BY unit_code", [form_id, cycle_year])]


def stored_results(db: Database, keys: list[tuple[str, str, int]]) -> tuple[list[dict], list[dict]]:
    """For each (unit, form, year) of `keys` that has a submission: its row (status, version, stored and adjusted
    totals), and the stored rows of its sections (score, adjusted score, applicable maximum, pass mark applied)."""
    submissions, sections = [], []
    for chunk in _chunks(keys):
        params = [v for key in chunk for v in key]
        found = list(db.query(
            f"WITH k(unit_code, form_id, cycle_year) AS (VALUES {_marks(chunk)}) "
            "SELECT s.id, s.unit_code, s.form_id, s.cycle_year, s.form_version, s.status, s.total, s.adjusted_total, "
            "s.max_total FROM k JOIN submissions s ON s.unit_code = k.unit_code AND s.form_id = k.form_id "
            "AND s.cycle_year = k.cycle_year", params))
        submissions += found
        ids = [row["id"] for row in found]
        if ids:
            sections += db.query(
                "SELECT submission_id, section_id, score, adjusted_score, max, pass_min FROM section_scores "
                f"WHERE submission_id IN ({','.join('?' * len(ids))})", ids)
    return submissions, sections


_CHUNK = 5000  # keys per statement: three parameters each, under SQLite's limit of 32,766


def _chunks(keys: list[tuple]) -> Iterable[list[tuple]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


def _marks(chunk: list[tuple]) -> str:
    return ", ".join(["(?, ?, ?)"] * len(chunk))


# Adjustments

def adjustment_history(db: Database, submission_id: int) -> list[dict]:
    """Every adjustment of a submission, newest first."""
    return list(db.query("SELECT * FROM adjustments WHERE submission_id = ? ORDER BY id DESC", [submission_id]))


def latest_adjustments(db: Database, submission_id: int) -> list[tuple[str, float | None, str]]:
    """(question, points, reason) of the latest adjustment of each adjusted question; points None: removed."""
    return db.execute(
        "SELECT a.question_id, a.points, a.reason FROM adjustments a WHERE a.submission_id = ? AND a.id = "
        "(SELECT MAX(b.id) FROM adjustments b WHERE b.submission_id = a.submission_id AND b.question_id = a.question_id)",
        [submission_id]).fetchall()


def insert_adjustment(db: Database, row: dict) -> int:
    """Append one adjustment ({column: value} of ADJUSTMENT_COLUMNS); its id."""
    cursor = db.execute(_ADJUSTMENT_INSERT, [row.get(column) for column in ADJUSTMENT_COLUMNS])
    return cursor.lastrowid


def insert_adjustments(db: Database, rows: Iterable[tuple]) -> None:
    """Append adjustments in one statement (the demo), each a tuple in the order of ADJUSTMENT_COLUMNS."""
    db.conn.executemany(_ADJUSTMENT_INSERT, rows)


# Adjusted scores

def clear_adjusted_scores(db: Database, submission_id: int) -> None:
    """Empty the adjusted points of a submission's questions, sections and criteria (not its total)."""
    db.execute("UPDATE answers SET adjusted_points = NULL WHERE submission_id = ?", [submission_id])
    db.execute("UPDATE section_scores SET adjusted_score = NULL WHERE submission_id = ?", [submission_id])
    # Only the rows that hold a value: each update of criterion_scores fires the criterion_totals trigger.
    db.execute("UPDATE criterion_scores SET adjusted_points = NULL WHERE submission_id = ? AND adjusted_points IS NOT NULL",
               [submission_id])


def store_adjusted_scores(db: Database, submission_id: int, total: float | None, *,
                          questions: Iterable[tuple[str, float]] = (), sections: Iterable[tuple[str, float]] = (),
                          criteria: Iterable[tuple[str, float]] = ()) -> None:
    """Write a submission's adjusted total (None: nothing adjusted) and its questions', sections', criteria's.

    `questions`, `sections` and `criteria` are (id, adjusted points) pairs; the other rows keep theirs.
    """
    db.execute("UPDATE submissions SET adjusted_total = ? WHERE id = ?", [total, submission_id])
    db.conn.executemany("UPDATE answers SET adjusted_points = ? WHERE submission_id = ? AND question_id = ?",
                        [(points, submission_id, qid) for qid, points in questions])
    db.conn.executemany("UPDATE section_scores SET adjusted_score = ? WHERE submission_id = ? AND section_id = ?",
                        [(score, submission_id, sid) for sid, score in sections])
    db.conn.executemany("UPDATE criterion_scores SET adjusted_points = ? WHERE submission_id = ? AND criterion = ?",
                        [(points, submission_id, criterion) for criterion, points in criteria])


# Papers: a decision's document

def under_number(db: Database, decision_no: str) -> list[dict]:
    """The decisions in force recorded under this number (any form, year and date), each with its unit's name and
    cluster and its submission's total (adjusted when adjusted) and band: the rows of a decision's document."""
    return list(db.query(
        "SELECT d.id, d.unit_code, d.form_id, d.cycle_year, d.decision, d.decision_no, d.decided_on, "
        "u.name AS unit_name, u.cluster, COALESCE(s.adjusted_total, s.total) AS total, s.band "
        "FROM decisions d JOIN units u ON u.code = d.unit_code "
        "LEFT JOIN submissions s ON s.unit_code = d.unit_code AND s.form_id = d.form_id AND s.cycle_year = d.cycle_year "
        "WHERE d.decision_no = ? AND d.is_current = 1 ORDER BY u.cluster, u.code", [decision_no]))
