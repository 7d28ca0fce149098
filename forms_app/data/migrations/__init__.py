"""The schema of both databases, as sqlite-utils migrations, with the Vietnamese description of every column beside it.

`forms.db` is what reviewers browse in Datasette, so its tables and columns carry descriptions
(`DESCRIPTIONS`); `accounts.db` holds password hashes and sessions and is never given to Datasette.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

forms_migrations = Migrations("forms")
accounts_migrations = Migrations("accounts")


@forms_migrations()
def m001_core(db: Database) -> None:
    db.execute("""
        CREATE TABLE units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            cluster TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_units_cluster ON units(cluster)")
    db.execute("""
        CREATE TABLE form_versions (
            form_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            title TEXT NOT NULL,
            max_total REAL NOT NULL,
            definition TEXT NOT NULL,
            loaded_at TEXT NOT NULL,
            PRIMARY KEY (form_id, version)
        )""")
    db.execute("""
        CREATE TABLE questions (
            form_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            section_id TEXT NOT NULL,
            criterion TEXT,
            type TEXT NOT NULL,
            label TEXT NOT NULL,
            max_points REAL NOT NULL,
            PRIMARY KEY (form_id, version, question_id),
            FOREIGN KEY (form_id, version) REFERENCES form_versions(form_id, version)
        )""")
    db.execute("""
        CREATE TABLE criteria (
            form_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            criterion TEXT NOT NULL,
            label TEXT NOT NULL,
            PRIMARY KEY (form_id, version, criterion),
            FOREIGN KEY (form_id, version) REFERENCES form_versions(form_id, version)
        )""")
    db.execute("""
        CREATE TABLE cycles (
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            opens TEXT NOT NULL,
            closes TEXT NOT NULL,
            changed_by TEXT,
            changed_at TEXT,
            PRIMARY KEY (form_id, cycle_year)
        )""")
    db.execute("""
        CREATE TABLE extensions (
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            closes TEXT NOT NULL,
            reason TEXT,
            granted_by TEXT NOT NULL,
            granted_at TEXT NOT NULL,
            PRIMARY KEY (unit_code, form_id, cycle_year)
        )""")
    db.execute("""
        CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            form_version INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('draft', 'submitted')),
            current_revision INTEGER NOT NULL DEFAULT 0,
            total REAL,
            max_total REAL,
            band TEXT,
            recognised INTEGER,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            submitted_at TEXT,
            UNIQUE (unit_code, form_id, cycle_year),
            FOREIGN KEY (form_id, form_version) REFERENCES form_versions(form_id, version)
        )""")
    for columns in ("form_id, cycle_year, status", "cycle_year", "band", "recognised", "unit_code"):
        name = "idx_submissions_" + columns.replace(", ", "_")
        db.execute(f"CREATE INDEX {name} ON submissions({columns})")
    db.execute("""
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            number INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('save', 'submit', 'late', 'conflict')),
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            answers TEXT NOT NULL,
            total REAL,
            request_token TEXT,
            UNIQUE (submission_id, number)
        )""")
    db.execute("CREATE UNIQUE INDEX idx_revisions_request ON revisions(request_token) WHERE request_token IS NOT NULL")
    db.execute("""
        CREATE TABLE answers (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            question_id TEXT NOT NULL,
            section_id TEXT NOT NULL,
            criterion TEXT,
            type TEXT NOT NULL,
            value,
            points REAL NOT NULL,
            max_points REAL NOT NULL,
            visible INTEGER NOT NULL,
            PRIMARY KEY (submission_id, question_id)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_answers_criterion ON answers(criterion)")
    db.execute("CREATE INDEX idx_answers_question ON answers(question_id)")
    db.execute("""
        CREATE TABLE section_scores (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            section_id TEXT NOT NULL,
            score REAL NOT NULL,
            max REAL NOT NULL,
            pass_min REAL,
            passed INTEGER NOT NULL,
            PRIMARY KEY (submission_id, section_id)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_section_scores_section ON section_scores(section_id)")
    db.execute("""
        CREATE TABLE uploads (
            token TEXT PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            original_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            uploaded_by TEXT NOT NULL,
            uploaded_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_uploads_unit ON uploads(unit_code, form_id, cycle_year)")
    db.execute("""
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            unit_code TEXT,
            form_id TEXT,
            cycle_year INTEGER,
            detail TEXT
        )""")
    db.execute("CREATE INDEX idx_audit_unit ON audit_log(unit_code, form_id, cycle_year)")
    db.execute("CREATE INDEX idx_audit_action ON audit_log(action)")


@forms_migrations()
def m002_submitted_revision(db: Database) -> None:
    """A draft saved after a submit no longer withdraws the submission: the submitted revision is kept apart."""
    db.execute("ALTER TABLE submissions ADD COLUMN submitted_revision INTEGER")
    db.execute("UPDATE submissions SET submitted_revision = current_revision WHERE status = 'submitted'")


@forms_migrations()
def m003_decisions(db: Database) -> None:
    """The standing committee's decisions and the reviewers' point adjustments: appended, never overwritten."""
    db.execute("""
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('recognised', 'not_recognised', 'returned', 'withdrawn')),
            comment TEXT,
            reopen_until TEXT,
            decision_no TEXT,
            decided_on TEXT,
            commendation INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL DEFAULT 'web' CHECK (source IN ('web', 'import')),
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_decisions_key ON decisions(unit_code, form_id, cycle_year, id)")
    db.execute("CREATE INDEX idx_decisions_year ON decisions(form_id, cycle_year, decision)")
    db.execute("""
        CREATE TABLE adjustments (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            question_id TEXT NOT NULL,
            points REAL,
            reason TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_adjustments_submission ON adjustments(submission_id, question_id, id)")
    db.execute("ALTER TABLE submissions ADD COLUMN adjusted_total REAL")
    db.execute("ALTER TABLE answers ADD COLUMN adjusted_points REAL")
    db.execute("ALTER TABLE section_scores ADD COLUMN adjusted_score REAL")
    db.execute("""
        CREATE VIEW current_decisions AS
        SELECT d.* FROM decisions d
        WHERE d.id = (SELECT MAX(d2.id) FROM decisions d2
                      WHERE d2.unit_code = d.unit_code AND d2.form_id = d.form_id AND d2.cycle_year = d.cycle_year)""")


@forms_migrations()
def m004_unit_search(db: Database) -> None:
    """Full-text search on unit names that finds "Toán" and "Đoàn" when typed "toan", "doan"."""
    from forms_app.data.text import fold

    db.execute("ALTER TABLE units ADD COLUMN name_ascii TEXT NOT NULL DEFAULT ''")
    for code, name in db.execute("SELECT code, name FROM units").fetchall():
        db.execute("UPDATE units SET name_ascii = ? WHERE code = ?", [fold(name), code])
    db["units"].enable_fts(["name", "name_ascii"], tokenize="unicode61 remove_diacritics 2", create_triggers=True)


@forms_migrations()
def m005_overview(db: Database) -> None:
    """One row per submission with its unit's name and cluster and the current decision: what reviewers facet on."""
    db.execute("""
        CREATE VIEW tong_quan AS
        SELECT s.id AS submission_id, s.unit_code, u.name AS unit_name, u.cluster, s.form_id, s.cycle_year, s.status,
               s.total, s.adjusted_total, COALESCE(s.adjusted_total, s.total) AS final_total, s.band, s.recognised,
               d.decision, d.decision_no, d.decided_on, d.commendation, s.submitted_at
        FROM submissions s
        JOIN units u ON u.code = s.unit_code
        LEFT JOIN current_decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year""")


@forms_migrations()
def m006_certificates(db: Database) -> None:
    """One certificate per unit, form and year: its serial never changes, its PDF follows the recognising decision."""
    db.execute("""
        CREATE TABLE certificates (
            serial TEXT PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            decision_id INTEGER NOT NULL REFERENCES decisions(id),
            file TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (unit_code, form_id, cycle_year)
        )""")
    db.execute("CREATE INDEX idx_certificates_year ON certificates(form_id, cycle_year)")


_TONG_QUAN_ROW = """
        SELECT s.id, s.unit_code, u.name, u.cluster, s.form_id, s.cycle_year, s.status,
               s.total, s.adjusted_total, COALESCE(s.adjusted_total, s.total), s.band, s.recognised,
               d.decision, d.decision_no, d.decided_on, d.commendation, s.submitted_at
        FROM submissions s
        JOIN form_versions f ON f.form_id = s.form_id AND f.version = s.form_version AND f.max_total > 0
        JOIN units u ON u.code = s.unit_code
        LEFT JOIN decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year
             AND d.is_current = 1"""


@forms_migrations()
def m007_summaries(db: Database) -> None:
    """Summaries kept up to date by triggers, so reviewers' pages never scan the big tables.

    Measured on 50,000 units × 5 years (docs/benchmarks.md): the `tong_quan` view, the correlated
    MAX(id) of `current_decisions`, criterion averages over 15.9 M answer rows and the late-revision
    scan each took 0.3–3.9 s. Now: `decisions.is_current` flags the decision in force; `tong_quan`
    is a table with one row per submission of a scored form (the self-assessment, not the
    registration); `criterion_scores` holds each submitted self-assessment's
    points per criterion and `criterion_totals` their sums per form, year and criterion;
    `revisions.after_deadline` marks what was saved after the unit's deadline. The triggers keep
    them right whichever code writes the base tables.
    """
    db.execute("ALTER TABLE decisions ADD COLUMN is_current INTEGER NOT NULL DEFAULT 1")
    db.execute("""
        UPDATE decisions SET is_current = 0 WHERE id != (
            SELECT MAX(d2.id) FROM decisions d2 WHERE d2.unit_code = decisions.unit_code
            AND d2.form_id = decisions.form_id AND d2.cycle_year = decisions.cycle_year)""")
    db.execute("CREATE INDEX idx_decisions_current ON decisions(form_id, decision, is_current, unit_code, cycle_year)")
    db.execute("CREATE INDEX idx_decisions_cycle_year ON decisions(cycle_year)")
    db.execute("CREATE INDEX idx_decisions_decision ON decisions(decision)")
    db.execute("CREATE INDEX idx_submissions_total ON submissions(total)")
    db.execute("DROP VIEW current_decisions")
    db.execute("CREATE VIEW current_decisions AS SELECT * FROM decisions WHERE is_current = 1")

    db.execute("DROP VIEW tong_quan")
    db.execute("""
        CREATE TABLE tong_quan (
            submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
            unit_code TEXT NOT NULL, unit_name TEXT NOT NULL, cluster TEXT NOT NULL,
            form_id TEXT NOT NULL, cycle_year INTEGER NOT NULL, status TEXT NOT NULL,
            total REAL, adjusted_total REAL, final_total REAL, band TEXT, recognised INTEGER,
            decision TEXT, decision_no TEXT, decided_on TEXT, commendation INTEGER, submitted_at TEXT
        )""")
    db.execute(f"INSERT INTO tong_quan {_TONG_QUAN_ROW}")
    # One index per default facet and the default sort: a facet is then a scan of one small index.
    for column in ("cluster", "cycle_year", "status", "band", "decision", "final_total"):
        db.execute(f"CREATE INDEX idx_tong_quan_{column} ON tong_quan({column})")
    db.execute("CREATE INDEX idx_tong_quan_unit ON tong_quan(unit_code, form_id, cycle_year)")
    # The canned queries read these indexes alone: the ranking and the units not submitted, the score
    # distribution, the units recognised every year (forms_app/reviewer_queries.py).
    db.execute("CREATE INDEX idx_tong_quan_rank ON tong_quan(form_id, cycle_year, status, cluster, final_total, "
               "submission_id, unit_code)")
    db.execute("CREATE INDEX idx_tong_quan_scores ON tong_quan(form_id, status, cycle_year, final_total)")
    db.execute("CREATE INDEX idx_tong_quan_recognition ON tong_quan(form_id, decision, unit_code, cycle_year, "
               "final_total, commendation)")
    db.execute(f"""
        CREATE TRIGGER tong_quan_insert AFTER INSERT ON submissions BEGIN
            INSERT INTO tong_quan {_TONG_QUAN_ROW} WHERE s.id = NEW.id;
        END""")
    db.execute("""
        CREATE TRIGGER tong_quan_update AFTER UPDATE ON submissions BEGIN
            UPDATE tong_quan SET status = NEW.status, total = NEW.total, adjusted_total = NEW.adjusted_total,
                final_total = COALESCE(NEW.adjusted_total, NEW.total), band = NEW.band, recognised = NEW.recognised,
                submitted_at = NEW.submitted_at
            WHERE submission_id = NEW.id;
        END""")
    db.execute("""
        CREATE TRIGGER tong_quan_delete AFTER DELETE ON submissions BEGIN
            DELETE FROM tong_quan WHERE submission_id = OLD.id;
        END""")
    db.execute("""
        CREATE TRIGGER tong_quan_unit AFTER UPDATE OF name, cluster ON units BEGIN
            UPDATE tong_quan SET unit_name = NEW.name, cluster = NEW.cluster WHERE unit_code = NEW.code;
        END""")
    db.execute("""
        CREATE TRIGGER decisions_current AFTER INSERT ON decisions BEGIN
            UPDATE decisions SET is_current = (id = (
                SELECT MAX(id) FROM decisions
                WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year))
            WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year;
            UPDATE tong_quan SET (decision, decision_no, decided_on, commendation) = (
                SELECT decision, decision_no, decided_on, commendation FROM decisions
                WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year
                  AND is_current = 1)
            WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year;
        END""")

    db.execute("""
        CREATE TABLE criterion_scores (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            criterion TEXT NOT NULL,
            points REAL NOT NULL,
            adjusted_points REAL,
            max_points REAL NOT NULL,
            PRIMARY KEY (submission_id, criterion)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TABLE criterion_totals (
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            criterion TEXT NOT NULL,
            submissions INTEGER NOT NULL,
            points REAL NOT NULL,
            final_points REAL NOT NULL,
            max_points REAL NOT NULL,
            PRIMARY KEY (form_id, cycle_year, criterion)
        ) WITHOUT ROWID""")
    db.execute("""
        CREATE TRIGGER criterion_totals_insert AFTER INSERT ON criterion_scores BEGIN
            INSERT INTO criterion_totals (form_id, cycle_year, criterion, submissions, points, final_points, max_points)
            VALUES (NEW.form_id, NEW.cycle_year, NEW.criterion, 1, NEW.points,
                    COALESCE(NEW.adjusted_points, NEW.points), NEW.max_points)
            ON CONFLICT (form_id, cycle_year, criterion) DO UPDATE SET
                submissions = submissions + 1, points = points + excluded.points,
                final_points = final_points + excluded.final_points, max_points = max_points + excluded.max_points;
        END""")
    db.execute("""
        CREATE TRIGGER criterion_totals_delete AFTER DELETE ON criterion_scores BEGIN
            UPDATE criterion_totals SET submissions = submissions - 1, points = points - OLD.points,
                final_points = final_points - COALESCE(OLD.adjusted_points, OLD.points),
                max_points = max_points - OLD.max_points
            WHERE form_id = OLD.form_id AND cycle_year = OLD.cycle_year AND criterion = OLD.criterion;
        END""")
    db.execute("""
        CREATE TRIGGER criterion_totals_adjust AFTER UPDATE OF adjusted_points ON criterion_scores BEGIN
            UPDATE criterion_totals
            SET final_points = final_points - COALESCE(OLD.adjusted_points, OLD.points)
                                            + COALESCE(NEW.adjusted_points, NEW.points)
            WHERE form_id = NEW.form_id AND cycle_year = NEW.cycle_year AND criterion = NEW.criterion;
        END""")
    db.execute("""
        INSERT INTO criterion_scores (submission_id, form_id, cycle_year, criterion, points, adjusted_points, max_points)
        SELECT a.submission_id, s.form_id, s.cycle_year, a.criterion, SUM(a.points),
               CASE WHEN COUNT(a.adjusted_points) THEN SUM(COALESCE(a.adjusted_points, a.points)) END, SUM(a.max_points)
        FROM submissions s JOIN answers a ON a.submission_id = s.id
        WHERE s.status = 'submitted' AND a.criterion IS NOT NULL AND a.max_points > 0
        GROUP BY a.submission_id, a.criterion""")

    db.execute("ALTER TABLE revisions ADD COLUMN after_deadline INTEGER NOT NULL DEFAULT 0")
    db.execute("""
        UPDATE revisions SET after_deadline = 1 WHERE id IN (
            SELECT r.id FROM revisions r
            JOIN submissions s ON s.id = r.submission_id
            JOIN cycles c ON c.form_id = s.form_id AND c.cycle_year = s.cycle_year
            LEFT JOIN extensions e ON e.unit_code = s.unit_code AND e.form_id = s.form_id AND e.cycle_year = s.cycle_year
            WHERE julianday(r.created_at) > julianday(COALESCE(e.closes, c.closes), '+1 day', '-7 hours'))""")
    db.execute("CREATE INDEX idx_revisions_after_deadline ON revisions(created_at) WHERE after_deadline = 1")
    db.execute("CREATE INDEX idx_revisions_created ON revisions(created_at)")
    db.execute("CREATE INDEX idx_revisions_action ON revisions(action)")



@forms_migrations()
def m008_units_not_submitted(db: Database) -> None:
    """An index for `chua_nop` (units that have not submitted): the year's submitted units read from four
    short columns instead of the seven of idx_tong_quan_rank, 64 → 41 ms on 50,000 units × 5 years.

    A database with statistics (the demo runs ANALYZE) gets them renewed for tong_quan: seeing a new
    index without statistics beside older ones with, the planner would read the ranking
    (`xep_hang_trong_cum`) through it instead of its covering index, 60 → 110 ms.
    """
    db.execute("CREATE INDEX IF NOT EXISTS idx_tong_quan_submitted_units "
               "ON tong_quan(form_id, cycle_year, status, unit_code)")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute("ANALYZE tong_quan")

@accounts_migrations()
def a001_accounts(db: Database) -> None:
    db.execute("""
        CREATE TABLE users (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('unit', 'reviewer', 'admin')),
            unit_code TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            CHECK ((role = 'unit') = (unit_code IS NOT NULL))
        )""")
    db.execute("CREATE INDEX idx_users_unit ON users(unit_code)")
    db.execute("""
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            expires_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_sessions_user ON sessions(username)")
    db.execute("""
        CREATE TABLE pending_posts (
            token_hash TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            fields TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")


@accounts_migrations()
def a002_reviewer_clusters(db: Database) -> None:
    """A reviewer may be limited to the units of some emulation clusters (a cluster lead)."""
    db.execute("""
        CREATE TABLE reviewer_clusters (
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            cluster TEXT NOT NULL,
            PRIMARY KEY (username, cluster)
        )""")


# Datasette metadata lives here, beside the schema, so a column never exists without its description.
DESCRIPTIONS: dict[str, dict] = {
    "units": {
        "title": "Đơn vị (Đoàn cơ sở)",
        "description": "Các Đoàn cơ sở trực thuộc, theo cụm thi đua.",
        "columns": {
            "code": "Mã đơn vị", "name": "Tên đơn vị", "cluster": "Cụm thi đua",
            "name_ascii": "Tên đơn vị viết không dấu (để tìm kiếm)",
            "created_at": "Thời điểm tạo (UTC)", "updated_at": "Thời điểm cập nhật gần nhất (UTC)",
        },
    },
    "form_versions": {
        "title": "Phiên bản biểu mẫu",
        "description": "Mỗi phiên bản định nghĩa biểu mẫu đã nạp; bài nộp luôn ghi phiên bản đã dùng.",
        "columns": {
            "form_id": "Mã biểu mẫu", "version": "Phiên bản", "sha256": "Mã băm SHA-256 của định nghĩa",
            "title": "Tên biểu mẫu", "max_total": "Tổng điểm tối đa", "definition": "Toàn văn định nghĩa (JSON)",
            "loaded_at": "Thời điểm nạp (UTC)",
        },
    },
    "questions": {
        "title": "Câu hỏi",
        "description": "Các câu hỏi của từng phiên bản biểu mẫu, với phần, tiêu chí và điểm tối đa.",
        "columns": {
            "form_id": "Mã biểu mẫu", "version": "Phiên bản biểu mẫu", "question_id": "Mã câu hỏi",
            "position": "Thứ tự trong biểu mẫu", "section_id": "Mã phần (nhóm tiêu chí)",
            "criterion": "Tiêu chí của Kế hoạch (ví dụ 2.1.3)", "type": "Kiểu câu hỏi", "label": "Nội dung câu hỏi",
            "max_points": "Điểm tối đa",
        },
    },
    "criteria": {
        "title": "Tiêu chí",
        "description": "13 tiêu chí của Kế hoạch, theo phiên bản biểu mẫu.",
        "columns": {"form_id": "Mã biểu mẫu", "version": "Phiên bản biểu mẫu", "criterion": "Mã tiêu chí",
                    "label": "Nội dung tiêu chí"},
    },
    "cycles": {
        "title": "Chu kỳ (năm)",
        "description": "Thời hạn mở và đóng của mỗi biểu mẫu trong từng năm; mặc định theo định nghĩa, quản trị viên có thể đổi.",
        "columns": {
            "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "opens": "Ngày mở (bao gồm)", "closes": "Ngày đóng (bao gồm, hết ngày)",
            "changed_by": "Người thay đổi gần nhất", "changed_at": "Thời điểm thay đổi (UTC)",
        },
    },
    "extensions": {
        "title": "Gia hạn theo đơn vị",
        "description": "Hạn nộp riêng được gia hạn cho một đơn vị.",
        "columns": {
            "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "closes": "Hạn mới (bao gồm)",
            "reason": "Lý do", "granted_by": "Người gia hạn", "granted_at": "Thời điểm gia hạn (UTC)",
        },
    },
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
    "uploads": {
        "title": "Tệp minh chứng",
        "description": "Tệp đơn vị tải lên; nội dung lưu theo mã băm, chỉ đơn vị và người đánh giá được xem.",
        "columns": {
            "token": "Mã tệp", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm",
            "question_id": "Mã câu hỏi", "original_name": "Tên tệp gốc", "sha256": "Mã băm SHA-256",
            "size": "Kích thước (byte)", "uploaded_by": "Người tải lên", "uploaded_at": "Thời điểm tải lên (UTC)",
        },
    },
    "decisions": {
        "title": "Quyết định của Ban Thường vụ",
        "description": "Mỗi quyết định là một dòng mới, không ghi đè; quyết định mới nhất của một đơn vị, biểu mẫu và năm là quyết định hiện hành.",
        "columns": {
            "id": "Mã quyết định", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm",
            "decision": "Quyết định (recognised: công nhận, not_recognised: không công nhận, returned: trả lại để sửa, withdrawn: thu hồi công nhận)",
            "comment": "Nhận xét gửi đơn vị", "reopen_until": "Mở lại biểu mẫu cho đơn vị đến hết ngày (khi trả lại)",
            "decision_no": "Số quyết định", "decided_on": "Ngày quyết định", "commendation": "Đề nghị tuyên dương (1: có)",
            "source": "Nguồn (web: ghi trên trang, import: nhập từ tệp)", "recorded_by": "Người ghi",
            "recorded_at": "Thời điểm ghi (UTC)",
            "is_current": "Quyết định hiện hành (1: là quyết định mới nhất của đơn vị, biểu mẫu và năm này)",
        },
    },
    "adjustments": {
        "title": "Điều chỉnh điểm",
        "description": "Điều chỉnh điểm từng câu của người đánh giá, kèm lý do; điểm tự động vẫn giữ bên cạnh. Điều chỉnh mới nhất của một câu là điều chỉnh hiện hành; điểm trống là huỷ điều chỉnh.",
        "columns": {
            "id": "Mã", "submission_id": "Mã bài nộp", "question_id": "Mã câu hỏi",
            "points": "Điểm sau điều chỉnh (trống: huỷ điều chỉnh)", "reason": "Lý do", "recorded_by": "Người điều chỉnh",
            "recorded_at": "Thời điểm (UTC)",
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
    },
    "current_decisions": {
        "title": "Quyết định hiện hành",
        "description": "Quyết định mới nhất cho mỗi đơn vị, biểu mẫu và năm.",
        "columns": None,  # same columns as decisions
    },
    "certificates": {
        "title": "Giấy chứng nhận",
        "description": "Giấy chứng nhận Đoàn cơ sở “3 chủ động” đã cấp; số hiệu dùng để kiểm tra tại /verify/<số hiệu>.",
        "columns": {
            "serial": "Số hiệu (in trên giấy, không đoán được)", "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu",
            "cycle_year": "Năm", "decision_id": "Mã quyết định công nhận đã in trên giấy",
            "file": "Tệp PDF trong thư mục dữ liệu", "created_at": "Thời điểm cấp lần đầu (UTC)",
        },
    },
    "audit_log": {
        "title": "Nhật ký",
        "description": "Mọi thay đổi quan trọng: ai, khi nào, làm gì.",
        "columns": {
            "id": "Mã", "at": "Thời điểm (UTC)", "actor": "Người thực hiện", "action": "Hành động",
            "unit_code": "Mã đơn vị", "form_id": "Mã biểu mẫu", "cycle_year": "Năm", "detail": "Chi tiết (JSON)",
        },
    },
}


def migrate_forms(db: Database) -> None:
    forms_migrations.apply(db)


def migrate_accounts(db: Database) -> None:
    accounts_migrations.apply(db)
