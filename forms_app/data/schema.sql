-- The current schema of a data directory's two databases, generated from the migrations in
-- forms_app/data/migrations/ (read them for why). Do not edit: regenerate with
--   python -m forms_app.data.migrations > forms_app/data/schema.sql

-- forms.db
CREATE TABLE adjustments (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            question_id TEXT NOT NULL,
            points REAL,
            reason TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
CREATE TABLE answers (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            question_id TEXT NOT NULL,
            section_id TEXT NOT NULL,
            criterion TEXT,
            type TEXT NOT NULL,
            value,
            points REAL NOT NULL,
            max_points REAL NOT NULL,
            visible INTEGER NOT NULL, adjusted_points REAL,
            PRIMARY KEY (submission_id, question_id)
        ) WITHOUT ROWID;
CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            unit_code TEXT,
            form_id TEXT,
            cycle_year INTEGER,
            detail TEXT
        );
CREATE TABLE calendar_tokens (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
CREATE TABLE certificates (
            serial TEXT PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            decision_id INTEGER NOT NULL REFERENCES decisions(id),
            file TEXT NOT NULL,
            created_at TEXT NOT NULL, register_no INTEGER,
            UNIQUE (unit_code, form_id, cycle_year)
        );
CREATE TABLE criteria (
            form_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            criterion TEXT NOT NULL,
            label TEXT NOT NULL,
            PRIMARY KEY (form_id, version, criterion),
            FOREIGN KEY (form_id, version) REFERENCES form_versions(form_id, version)
        );
CREATE TABLE criterion_scores (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            criterion TEXT NOT NULL,
            points REAL NOT NULL,
            adjusted_points REAL,
            max_points REAL NOT NULL,
            PRIMARY KEY (submission_id, criterion)
        ) WITHOUT ROWID;
CREATE TABLE criterion_totals (
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            criterion TEXT NOT NULL,
            submissions INTEGER NOT NULL,
            points REAL NOT NULL,
            final_points REAL NOT NULL,
            max_points REAL NOT NULL,
            PRIMARY KEY (form_id, cycle_year, criterion)
        ) WITHOUT ROWID;
CREATE TABLE cycles (
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            opens TEXT NOT NULL,
            closes TEXT NOT NULL,
            changed_by TEXT,
            changed_at TEXT,
            PRIMARY KEY (form_id, cycle_year)
        );
CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            decision TEXT NOT NULL
                CHECK (decision IN ('recognised', 'not_recognised', 'returned', 'withdrawn', 'accepted')),
            comment TEXT,
            reason TEXT,
            reopen_until TEXT,
            decision_no TEXT,
            decided_on TEXT,
            commendation INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL DEFAULT 'web' CHECK (source IN ('web', 'import')),
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            is_current INTEGER NOT NULL DEFAULT 1
        );
CREATE TABLE extensions (
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            closes TEXT NOT NULL,
            reason TEXT,
            granted_by TEXT NOT NULL,
            granted_at TEXT NOT NULL,
            PRIMARY KEY (unit_code, form_id, cycle_year)
        );
CREATE TABLE facet_counts (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, year INTEGER NOT NULL, value NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (table_name, column_name, year, value)
    ) WITHOUT ROWID;
CREATE TABLE form_versions (
            form_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            title TEXT NOT NULL,
            max_total REAL NOT NULL,
            definition TEXT NOT NULL,
            loaded_at TEXT NOT NULL,
            PRIMARY KEY (form_id, version)
        );
CREATE TABLE inspections (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            inspected_on TEXT NOT NULL,
            members TEXT NOT NULL,
            conclusion TEXT NOT NULL,
            minutes_token TEXT NOT NULL REFERENCES uploads(token),
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            stamp TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
            rows_done INTEGER NOT NULL DEFAULT 0,
            rows_total INTEGER,
            file TEXT,
            size INTEGER,
            pid INTEGER,
            requested_by TEXT,
            created_at TEXT NOT NULL,
            started_at TEXT,
            updated_at TEXT NOT NULL,
            finished_at TEXT,
            error TEXT
        );
CREATE TABLE proposals (
            unit_code TEXT NOT NULL REFERENCES units(code),
            cycle_year INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('recognition', 'commendation', 'forum')),
            proposed_by TEXT NOT NULL,
            reason TEXT,
            proposed_at TEXT NOT NULL,
            PRIMARY KEY (unit_code, cycle_year, kind, proposed_by)
        );
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
        );
CREATE TABLE recognised_years (
        form_id TEXT NOT NULL, unit_code TEXT NOT NULL, years INTEGER NOT NULL, average REAL, commendation INTEGER,
        PRIMARY KEY (form_id, unit_code)
    ) WITHOUT ROWID;
CREATE TABLE reminders_sent (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            kind TEXT NOT NULL,
            address TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            UNIQUE (unit_code, form_id, cycle_year, kind)
        );
CREATE TABLE report_narratives (
            id INTEGER PRIMARY KEY,
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            section TEXT NOT NULL,
            body TEXT NOT NULL,
            written_by TEXT NOT NULL,
            written_at TEXT NOT NULL
        );
CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            number INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('save', 'submit', 'late', 'conflict')),
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            answers TEXT NOT NULL,
            total REAL,
            request_token TEXT, after_deadline INTEGER NOT NULL DEFAULT 0,
            UNIQUE (submission_id, number)
        );
CREATE TABLE section_scores (
            submission_id INTEGER NOT NULL REFERENCES submissions(id),
            section_id TEXT NOT NULL,
            score REAL NOT NULL,
            max REAL NOT NULL,
            pass_min REAL,
            passed INTEGER NOT NULL, adjusted_score REAL,
            PRIMARY KEY (submission_id, section_id)
        ) WITHOUT ROWID;
CREATE TABLE section_titles (
        form_id TEXT NOT NULL, version INTEGER NOT NULL, position INTEGER NOT NULL, section_id TEXT, title TEXT,
        PRIMARY KEY (form_id, version, position)
    ) WITHOUT ROWID;
CREATE TABLE selections (
            unit_code TEXT NOT NULL REFERENCES units(code),
            cycle_year INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('commendation', 'forum')),
            selected_by TEXT NOT NULL,
            selected_at TEXT NOT NULL,
            PRIMARY KEY (unit_code, cycle_year, kind)
        );
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
            submitted_at TEXT, submitted_revision INTEGER, adjusted_total REAL,
            UNIQUE (unit_code, form_id, cycle_year),
            FOREIGN KEY (form_id, form_version) REFERENCES form_versions(form_id, version)
        );
CREATE TABLE summary_changes (version INTEGER PRIMARY KEY, unit_code TEXT);
CREATE TABLE tong_quan (
            submission_id INTEGER PRIMARY KEY REFERENCES submissions(id),
            unit_code TEXT NOT NULL, unit_name TEXT NOT NULL, cluster TEXT NOT NULL,
            form_id TEXT NOT NULL, cycle_year INTEGER NOT NULL, status TEXT NOT NULL,
            total REAL, adjusted_total REAL, final_total REAL, band TEXT, recognised INTEGER,
            decision TEXT, decision_no TEXT, decided_on TEXT, commendation INTEGER, submitted_at TEXT
        );
CREATE TABLE unit_comments (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            cycle_year INTEGER NOT NULL,
            comment TEXT NOT NULL,
            written_by TEXT NOT NULL,
            written_at TEXT NOT NULL
        );
CREATE TABLE units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            cluster TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        , name_ascii TEXT NOT NULL DEFAULT '', email TEXT);
CREATE VIRTUAL TABLE "units_fts" USING FTS5 (
    "name", "name_ascii",
    tokenize='unicode61 remove_diacritics 2',
    content="units"
);
CREATE TABLE 'units_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE 'units_fts_data'(id INTEGER PRIMARY KEY, block BLOB);
CREATE TABLE 'units_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
CREATE TABLE 'units_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
CREATE TABLE upload_quotas (
            unit_code TEXT PRIMARY KEY,
            quota_mb INTEGER NOT NULL CHECK (quota_mb > 0),
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL
        );
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
        );
CREATE TABLE year_counts (
        form_id TEXT NOT NULL, cycle_year INTEGER NOT NULL, cluster TEXT NOT NULL,
        submitted INTEGER NOT NULL, drafts INTEGER NOT NULL, total_sum REAL NOT NULL, total_n INTEGER NOT NULL,
        recognised INTEGER NOT NULL,
        PRIMARY KEY (form_id, cycle_year, cluster)
    ) WITHOUT ROWID;
CREATE VIEW current_decisions AS SELECT * FROM decisions WHERE is_current = 1;
CREATE VIEW diem_tieu_chi AS 
            SELECT ct.cycle_year AS "Năm", (SELECT title FROM form_versions f WHERE f.form_id = ct.form_id ORDER BY f.version DESC LIMIT 1) AS "Biểu mẫu", ct.criterion AS "Tiêu chí",
                   (SELECT label FROM criteria c WHERE c.form_id = ct.form_id AND c.criterion = ct.criterion
        ORDER BY c.version DESC LIMIT 1) AS "Nội dung tiêu chí", ct.submissions AS "Số bài nộp",
                   round(ct.final_points / ct.submissions, 2) AS "Điểm trung bình",
                   round(ct.max_points / ct.submissions, 2) AS "Điểm tối đa",
                   round(100.0 * ct.final_points / NULLIF(ct.max_points, 0), 1) AS "Tỉ lệ đạt được (%)",
                   round(ct.points / ct.submissions, 2) AS "Điểm trung bình tự động"
            FROM criterion_totals ct
            WHERE ct.submissions > 0;
CREATE VIEW ket_qua AS 
            SELECT t.unit_code AS "Mã đơn vị", t.unit_name AS "Tên đơn vị", t.cluster AS "Cụm", t.cycle_year AS "Năm",
                   CASE t.status WHEN 'draft' THEN 'Bản nháp' WHEN 'submitted' THEN 'Đã nộp' ELSE t.status END AS "Trạng thái", t.final_total AS "Tổng điểm", t.band AS "Xếp loại",
                   CASE t.recognised WHEN 1 THEN 'Đạt' WHEN 0 THEN 'Chưa đạt' ELSE t.recognised END AS "Điều kiện công nhận",
                   CASE t.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(t.decision, 'Chưa có quyết định') END AS "Quyết định", t.decision_no AS "Số quyết định",
                   strftime('%d/%m/%Y', t.decided_on) AS "Ngày quyết định",
                   CASE t.commendation WHEN 1 THEN 'Có' WHEN 0 THEN 'Không' ELSE t.commendation END AS "Đề nghị tuyên dương",
                   (SELECT group_concat(
            CASE WHEN substr(title, 1, 1) BETWEEN '0' AND '9' THEN rtrim(substr(title, 1, instr(title || ' ', ' ') - 1), '.')
                 ELSE title END
            || ': ' || CASE WHEN score = CAST(score AS INTEGER) THEN CAST(score AS INTEGER) ELSE score END || '/' || CASE WHEN max = CAST(max AS INTEGER) THEN CAST(max AS INTEGER) ELSE max END || ' (' || CASE passed WHEN 1 THEN 'Đạt' WHEN 0 THEN 'Chưa đạt' ELSE passed END || ')', '; ')
        FROM (SELECT st.title AS title,
                     COALESCE(ss.adjusted_score, ss.score) AS score, ss.max AS max, ss.passed AS passed
              FROM section_scores ss
              JOIN submissions sub ON sub.id = ss.submission_id
              JOIN section_titles st ON st.form_id = sub.form_id AND st.version = sub.form_version
                   AND st.section_id = ss.section_id
              WHERE ss.submission_id = t.submission_id AND ss.max > 0
              ORDER BY st.position)) AS "Điểm từng phần",
                   t.total AS "Điểm tự động", t.adjusted_total AS "Điểm sau điều chỉnh",
                   strftime('%d/%m/%Y %H:%M', t.submitted_at, '+7 hours') AS "Nộp lúc",
                   (SELECT title FROM form_versions f WHERE f.form_id = t.form_id ORDER BY f.version DESC LIMIT 1) AS "Biểu mẫu", t.submission_id AS "Mã bài nộp"
            FROM tong_quan t;
CREATE VIEW kiem_tra AS 
            SELECT k.id AS "Mã đợt kiểm tra", k.unit_code AS "Mã đơn vị", (SELECT name FROM units u WHERE u.code = k.unit_code) AS "Tên đơn vị",
                   k.cycle_year AS "Năm", (SELECT title FROM form_versions f WHERE f.form_id = k.form_id ORDER BY f.version DESC LIMIT 1) AS "Biểu mẫu",
                   strftime('%d/%m/%Y', k.inspected_on) AS "Ngày kiểm tra", k.members AS "Thành phần đoàn kiểm tra",
                   k.conclusion AS "Kết luận", k.recorded_by AS "Người ghi",
                   strftime('%d/%m/%Y %H:%M', k.recorded_at, '+7 hours') AS "Ghi lúc"
            FROM inspections k;
CREATE VIEW quyet_dinh AS 
            SELECT d.id AS "Mã quyết định", d.unit_code AS "Mã đơn vị", (SELECT name FROM units u WHERE u.code = d.unit_code) AS "Tên đơn vị",
                   d.cycle_year AS "Năm", (SELECT title FROM form_versions f WHERE f.form_id = d.form_id ORDER BY f.version DESC LIMIT 1) AS "Biểu mẫu",
                   CASE d.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(d.decision, 'Chưa có quyết định') END AS "Quyết định", d.decision_no AS "Số quyết định",
                   strftime('%d/%m/%Y', d.decided_on) AS "Ngày quyết định",
                   CASE d.commendation WHEN 1 THEN 'Có' WHEN 0 THEN 'Không' ELSE d.commendation END AS "Đề nghị tuyên dương",
                   CASE d.is_current WHEN 1 THEN 'Có' WHEN 0 THEN 'Không' ELSE d.is_current END AS "Hiện hành", d.comment AS "Nhận xét gửi đơn vị",
                   d.reason AS "Lý do", strftime('%d/%m/%Y', d.reopen_until) AS "Mở lại đến hết ngày",
                   CASE d.source WHEN 'web' THEN 'Ghi trên trang' WHEN 'import' THEN 'Nhập từ tệp' ELSE d.source END AS "Nguồn", d.recorded_by AS "Người ghi",
                   strftime('%d/%m/%Y %H:%M', d.recorded_at, '+7 hours') AS "Ghi lúc"
            FROM decisions d;
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX idx_adjustments_submission ON adjustments(submission_id, question_id, id);
CREATE INDEX idx_answers_criterion ON answers(criterion);
CREATE INDEX idx_answers_question ON answers(question_id);
CREATE INDEX idx_audit_action ON audit_log(action);
CREATE INDEX idx_audit_unit ON audit_log(unit_code, form_id, cycle_year);
CREATE INDEX idx_calendar_tokens_unit ON calendar_tokens(unit_code, revoked_at);
CREATE UNIQUE INDEX idx_certificates_register ON certificates(cycle_year, register_no);
CREATE INDEX idx_certificates_year ON certificates(form_id, cycle_year);
CREATE INDEX idx_decisions_current ON decisions(form_id, decision, is_current, unit_code, cycle_year);
CREATE INDEX idx_decisions_cycle_year ON decisions(cycle_year);
CREATE INDEX idx_decisions_decision ON decisions(decision);
CREATE INDEX idx_decisions_key ON decisions(unit_code, form_id, cycle_year, id);
CREATE INDEX idx_decisions_year ON decisions(form_id, cycle_year, decision);
CREATE INDEX idx_inspections_minutes ON inspections(minutes_token);
CREATE INDEX idx_inspections_unit ON inspections(unit_code, form_id, cycle_year);
CREATE INDEX idx_inspections_year ON inspections(cycle_year);
CREATE INDEX idx_jobs_document ON jobs(kind, form_id, cycle_year, id);
CREATE INDEX idx_proposals_year ON proposals(cycle_year, kind);
CREATE INDEX idx_recognised_years_rank ON recognised_years(form_id, years, average DESC, unit_code);
CREATE INDEX idx_reminders_sent_at ON reminders_sent(sent_at);
CREATE INDEX idx_report_narratives_key ON report_narratives(form_id, cycle_year, section, id);
CREATE INDEX idx_revisions_action ON revisions(action);
CREATE INDEX idx_revisions_after_deadline ON revisions(created_at) WHERE after_deadline = 1;
CREATE INDEX idx_revisions_created ON revisions(created_at);
CREATE UNIQUE INDEX idx_revisions_request ON revisions(request_token) WHERE request_token IS NOT NULL;
CREATE INDEX idx_section_scores_section ON section_scores(section_id);
CREATE INDEX idx_section_titles_section ON section_titles(form_id, version, section_id);
CREATE INDEX idx_selections_year ON selections(cycle_year, kind);
CREATE INDEX idx_submissions_band ON submissions(band);
CREATE INDEX idx_submissions_cycle_year ON submissions(cycle_year);
CREATE INDEX idx_submissions_form_id_cycle_year_status ON submissions(form_id, cycle_year, status);
CREATE INDEX idx_submissions_recognised ON submissions(recognised);
CREATE INDEX idx_submissions_total ON submissions(total);
CREATE INDEX idx_submissions_unit_code ON submissions(unit_code);
CREATE INDEX idx_tong_quan_band ON tong_quan(band);
CREATE INDEX idx_tong_quan_cluster ON tong_quan(cluster);
CREATE INDEX idx_tong_quan_cluster_band ON tong_quan(cluster, band);
CREATE INDEX idx_tong_quan_cluster_total ON tong_quan(cluster, final_total);
CREATE INDEX idx_tong_quan_cycle_year ON tong_quan(cycle_year);
CREATE INDEX idx_tong_quan_decision ON tong_quan(decision);
CREATE INDEX idx_tong_quan_final_total ON tong_quan(final_total);
CREATE INDEX idx_tong_quan_rank ON tong_quan(form_id, cycle_year, status, cluster, final_total, submission_id, unit_code);
CREATE INDEX idx_tong_quan_recognition ON tong_quan(form_id, decision, unit_code, cycle_year, final_total, commendation);
CREATE INDEX idx_tong_quan_scores ON tong_quan(form_id, status, cycle_year, final_total);
CREATE INDEX idx_tong_quan_status ON tong_quan(status);
CREATE INDEX idx_tong_quan_submitted_units ON tong_quan(form_id, cycle_year, status, unit_code);
CREATE INDEX idx_tong_quan_unit ON tong_quan(unit_code, form_id, cycle_year);
CREATE INDEX idx_tong_quan_year_band ON tong_quan(cycle_year, band);
CREATE INDEX idx_tong_quan_year_cluster ON tong_quan(cycle_year, cluster);
CREATE INDEX idx_unit_comments_unit ON unit_comments(unit_code, cycle_year);
CREATE INDEX idx_units_cluster ON units(cluster);
CREATE INDEX idx_units_cluster_name ON units(cluster, name, code);
CREATE INDEX idx_uploads_sha256_unit ON uploads(sha256, unit_code);
CREATE INDEX idx_uploads_unit ON uploads(unit_code, form_id, cycle_year);
CREATE INDEX idx_uploads_uploaded_at ON uploads(uploaded_at);
CREATE TRIGGER facet_counts_audit_log_delete AFTER DELETE ON audit_log BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'audit_log', 'action', COALESCE(OLD.cycle_year, 0), OLD.action, -1 WHERE OLD.action IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_audit_log_insert AFTER INSERT ON audit_log BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'audit_log', 'action', COALESCE(NEW.cycle_year, 0), NEW.action, 1 WHERE NEW.action IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_audit_log_update_0 AFTER UPDATE OF action, cycle_year ON audit_log WHEN OLD.action IS NOT NEW.action OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'audit_log', 'action', COALESCE(OLD.cycle_year, 0), OLD.action, -1 WHERE OLD.action IS NOT NULL UNION ALL SELECT 'audit_log', 'action', COALESCE(NEW.cycle_year, 0), NEW.action, 1 WHERE NEW.action IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER criterion_totals_delete AFTER DELETE ON criterion_scores BEGIN
            UPDATE criterion_totals SET submissions = submissions - 1, points = points - OLD.points,
                final_points = final_points - COALESCE(OLD.adjusted_points, OLD.points),
                max_points = max_points - OLD.max_points
            WHERE form_id = OLD.form_id AND cycle_year = OLD.cycle_year AND criterion = OLD.criterion;
        END;
CREATE TRIGGER criterion_totals_insert AFTER INSERT ON criterion_scores BEGIN
            INSERT INTO criterion_totals (form_id, cycle_year, criterion, submissions, points, final_points, max_points)
            VALUES (NEW.form_id, NEW.cycle_year, NEW.criterion, 1, NEW.points,
                    COALESCE(NEW.adjusted_points, NEW.points), NEW.max_points)
            ON CONFLICT (form_id, cycle_year, criterion) DO UPDATE SET
                submissions = submissions + 1, points = points + excluded.points,
                final_points = final_points + excluded.final_points, max_points = max_points + excluded.max_points;
        END;
CREATE TRIGGER criterion_totals_update AFTER UPDATE OF points, adjusted_points, max_points ON criterion_scores
        WHEN OLD.points IS NOT NEW.points OR OLD.adjusted_points IS NOT NEW.adjusted_points
            OR OLD.max_points IS NOT NEW.max_points BEGIN
            UPDATE criterion_totals
            SET points = points - OLD.points + NEW.points,
                final_points = final_points - COALESCE(OLD.adjusted_points, OLD.points)
                                            + COALESCE(NEW.adjusted_points, NEW.points),
                max_points = max_points - OLD.max_points + NEW.max_points
            WHERE form_id = NEW.form_id AND cycle_year = NEW.cycle_year AND criterion = NEW.criterion;
        END;
CREATE TRIGGER summary_changes_cycles_delete AFTER DELETE ON cycles BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER summary_changes_cycles_insert AFTER INSERT ON cycles BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER summary_changes_cycles_update AFTER UPDATE ON cycles BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
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
        END;
CREATE TRIGGER facet_counts_decisions_delete AFTER DELETE ON decisions BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'decisions', 'cycle_year', COALESCE(OLD.cycle_year, 0), OLD.cycle_year, -1 WHERE OLD.cycle_year IS NOT NULL UNION ALL SELECT 'decisions', 'decision', COALESCE(OLD.cycle_year, 0), OLD.decision, -1 WHERE OLD.decision IS NOT NULL UNION ALL SELECT 'decisions', 'Quyết định', COALESCE(OLD.cycle_year, 0), CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END, -1 WHERE CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_decisions_insert AFTER INSERT ON decisions BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'decisions', 'cycle_year', COALESCE(NEW.cycle_year, 0), NEW.cycle_year, 1 WHERE NEW.cycle_year IS NOT NULL UNION ALL SELECT 'decisions', 'decision', COALESCE(NEW.cycle_year, 0), NEW.decision, 1 WHERE NEW.decision IS NOT NULL UNION ALL SELECT 'decisions', 'Quyết định', COALESCE(NEW.cycle_year, 0), CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END, 1 WHERE CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_decisions_update_0 AFTER UPDATE OF cycle_year ON decisions WHEN OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'decisions', 'cycle_year', COALESCE(OLD.cycle_year, 0), OLD.cycle_year, -1 WHERE OLD.cycle_year IS NOT NULL UNION ALL SELECT 'decisions', 'cycle_year', COALESCE(NEW.cycle_year, 0), NEW.cycle_year, 1 WHERE NEW.cycle_year IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_decisions_update_1 AFTER UPDATE OF decision, cycle_year ON decisions WHEN OLD.decision IS NOT NEW.decision OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'decisions', 'decision', COALESCE(OLD.cycle_year, 0), OLD.decision, -1 WHERE OLD.decision IS NOT NULL UNION ALL SELECT 'decisions', 'decision', COALESCE(NEW.cycle_year, 0), NEW.decision, 1 WHERE NEW.decision IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_decisions_update_2 AFTER UPDATE OF decision, cycle_year ON decisions WHEN OLD.decision IS NOT NEW.decision OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'decisions', 'Quyết định', COALESCE(OLD.cycle_year, 0), CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END, -1 WHERE CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END IS NOT NULL UNION ALL SELECT 'decisions', 'Quyết định', COALESCE(NEW.cycle_year, 0), CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END, 1 WHERE CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER summary_changes_decisions_delete AFTER DELETE ON decisions BEGIN INSERT INTO summary_changes (unit_code) VALUES (OLD.unit_code); END;
CREATE TRIGGER summary_changes_decisions_insert AFTER INSERT ON decisions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NEW.unit_code); END;
CREATE TRIGGER summary_changes_decisions_update AFTER UPDATE ON decisions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NEW.unit_code); END;
CREATE TRIGGER year_counts_decision AFTER INSERT ON decisions BEGIN INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) SELECT form_id, cycle_year, cluster, 1 * submitted, 1 * drafts, 1 * total_sum, 1 * total_n, 1 * recognised FROM (SELECT s.form_id, s.cycle_year, u.cluster, 0 AS submitted, 0 AS drafts, 0 AS total_sum, 0 AS total_n, (NEW.decision = 'recognised') - COALESCE((SELECT decision = 'recognised' FROM decisions WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year AND id < NEW.id ORDER BY id DESC LIMIT 1), 0) AS recognised FROM submissions s JOIN units u ON u.code = s.unit_code WHERE s.unit_code = NEW.unit_code AND s.form_id = NEW.form_id AND s.cycle_year = NEW.cycle_year) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, recognised = recognised + excluded.recognised; END;
CREATE TRIGGER summary_changes_extensions_delete AFTER DELETE ON extensions BEGIN INSERT INTO summary_changes (unit_code) VALUES (OLD.unit_code); END;
CREATE TRIGGER summary_changes_extensions_insert AFTER INSERT ON extensions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NEW.unit_code); END;
CREATE TRIGGER summary_changes_extensions_update AFTER UPDATE ON extensions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NEW.unit_code); END;
CREATE TRIGGER section_titles_delete AFTER DELETE ON form_versions BEGIN DELETE FROM section_titles WHERE form_id = OLD.form_id AND version = OLD.version; END;
CREATE TRIGGER section_titles_insert AFTER INSERT ON form_versions BEGIN INSERT INTO section_titles (form_id, version, position, section_id, title) SELECT NEW.form_id, NEW.version, section.key, json_extract(section.value, '$.id'), json_extract(section.value, '$.title.' || json_extract(NEW.definition, '$.languages[0]')) FROM json_each(NEW.definition, '$.sections') section; END;
CREATE TRIGGER section_titles_update AFTER UPDATE OF form_id, version, definition ON form_versions BEGIN DELETE FROM section_titles WHERE form_id = OLD.form_id AND version = OLD.version; INSERT INTO section_titles (form_id, version, position, section_id, title) SELECT NEW.form_id, NEW.version, section.key, json_extract(section.value, '$.id'), json_extract(section.value, '$.title.' || json_extract(NEW.definition, '$.languages[0]')) FROM json_each(NEW.definition, '$.sections') section; END;
CREATE TRIGGER summary_changes_form_versions_delete AFTER DELETE ON form_versions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER summary_changes_form_versions_insert AFTER INSERT ON form_versions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER summary_changes_form_versions_update AFTER UPDATE ON form_versions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER facet_counts_inspections_delete AFTER DELETE ON inspections BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'inspections', 'cycle_year', COALESCE(OLD.cycle_year, 0), OLD.cycle_year, -1 WHERE OLD.cycle_year IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_inspections_insert AFTER INSERT ON inspections BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'inspections', 'cycle_year', COALESCE(NEW.cycle_year, 0), NEW.cycle_year, 1 WHERE NEW.cycle_year IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_inspections_update_0 AFTER UPDATE OF cycle_year ON inspections WHEN OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'inspections', 'cycle_year', COALESCE(OLD.cycle_year, 0), OLD.cycle_year, -1 WHERE OLD.cycle_year IS NOT NULL UNION ALL SELECT 'inspections', 'cycle_year', COALESCE(NEW.cycle_year, 0), NEW.cycle_year, 1 WHERE NEW.cycle_year IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_revisions_delete AFTER DELETE ON revisions BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'revisions', 'action', 0, OLD.action, -1 WHERE OLD.action IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_revisions_insert AFTER INSERT ON revisions BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'revisions', 'action', 0, NEW.action, 1 WHERE NEW.action IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_revisions_update_0 AFTER UPDATE OF action ON revisions WHEN OLD.action IS NOT NEW.action BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'revisions', 'action', 0, OLD.action, -1 WHERE OLD.action IS NOT NULL UNION ALL SELECT 'revisions', 'action', 0, NEW.action, 1 WHERE NEW.action IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER summary_changes_section_scores_adjusted AFTER UPDATE OF adjusted_score ON section_scores WHEN OLD.adjusted_score IS NOT NEW.adjusted_score BEGIN INSERT INTO summary_changes (unit_code) VALUES ((SELECT unit_code FROM submissions WHERE id = NEW.submission_id)); END;
CREATE TRIGGER facet_counts_submissions_delete AFTER DELETE ON submissions BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'submissions', 'form_id', COALESCE(OLD.cycle_year, 0), OLD.form_id, -1 WHERE OLD.form_id IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_submissions_insert AFTER INSERT ON submissions BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'submissions', 'form_id', COALESCE(NEW.cycle_year, 0), NEW.form_id, 1 WHERE NEW.form_id IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_submissions_update_0 AFTER UPDATE OF form_id, cycle_year ON submissions WHEN OLD.form_id IS NOT NEW.form_id OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'submissions', 'form_id', COALESCE(OLD.cycle_year, 0), OLD.form_id, -1 WHERE OLD.form_id IS NOT NULL UNION ALL SELECT 'submissions', 'form_id', COALESCE(NEW.cycle_year, 0), NEW.form_id, 1 WHERE NEW.form_id IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER summary_changes_submissions_delete AFTER DELETE ON submissions BEGIN INSERT INTO summary_changes (unit_code) VALUES (OLD.unit_code); END;
CREATE TRIGGER summary_changes_submissions_insert AFTER INSERT ON submissions BEGIN INSERT INTO summary_changes (unit_code) VALUES (NEW.unit_code); END;
CREATE TRIGGER summary_changes_submissions_update AFTER UPDATE ON submissions WHEN OLD.unit_code IS NOT NEW.unit_code OR OLD.form_id IS NOT NEW.form_id OR OLD.cycle_year IS NOT NEW.cycle_year OR OLD.form_version IS NOT NEW.form_version OR OLD.status IS NOT NEW.status OR OLD.submitted_at IS NOT NEW.submitted_at OR OLD.total IS NOT NEW.total OR OLD.max_total IS NOT NEW.max_total OR OLD.band IS NOT NEW.band OR OLD.recognised IS NOT NEW.recognised OR OLD.adjusted_total IS NOT NEW.adjusted_total BEGIN INSERT INTO summary_changes (unit_code) VALUES (CASE WHEN OLD.unit_code IS NEW.unit_code THEN NEW.unit_code END); END;
CREATE TRIGGER tong_quan_delete AFTER DELETE ON submissions BEGIN
            DELETE FROM tong_quan WHERE submission_id = OLD.id;
        END;
CREATE TRIGGER tong_quan_insert AFTER INSERT ON submissions BEGIN
            INSERT INTO tong_quan 
        SELECT s.id, s.unit_code, u.name, u.cluster, s.form_id, s.cycle_year, s.status,
               s.total, s.adjusted_total, COALESCE(s.adjusted_total, s.total), s.band, s.recognised,
               d.decision, d.decision_no, d.decided_on, d.commendation, s.submitted_at
        FROM submissions s
        JOIN form_versions f ON f.form_id = s.form_id AND f.version = s.form_version AND f.max_total > 0
        JOIN units u ON u.code = s.unit_code
        LEFT JOIN decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year
             AND d.is_current = 1 WHERE s.id = NEW.id;
        END;
CREATE TRIGGER tong_quan_submitted_at AFTER UPDATE OF submitted_at ON submissions
        WHEN OLD.submitted_at IS NOT NEW.submitted_at BEGIN
            UPDATE tong_quan SET submitted_at = NEW.submitted_at WHERE submission_id = NEW.id;
        END;
CREATE TRIGGER tong_quan_update AFTER UPDATE OF status, total, adjusted_total, band, recognised ON submissions
        WHEN OLD.status IS NOT NEW.status OR OLD.total IS NOT NEW.total OR OLD.adjusted_total IS NOT NEW.adjusted_total
            OR OLD.band IS NOT NEW.band OR OLD.recognised IS NOT NEW.recognised BEGIN
            UPDATE tong_quan SET status = NEW.status, total = NEW.total, adjusted_total = NEW.adjusted_total,
                final_total = COALESCE(NEW.adjusted_total, NEW.total), band = NEW.band, recognised = NEW.recognised,
                submitted_at = NEW.submitted_at
            WHERE submission_id = NEW.id;
        END;
CREATE TRIGGER year_counts_delete AFTER DELETE ON submissions BEGIN INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) SELECT form_id, cycle_year, cluster, -1 * submitted, -1 * drafts, -1 * total_sum, -1 * total_n, -1 * recognised FROM (SELECT OLD.form_id AS form_id, OLD.cycle_year AS cycle_year, u.cluster AS cluster, OLD.status = 'submitted' AS submitted, OLD.status = 'draft' AS drafts, CASE WHEN OLD.status = 'submitted' THEN COALESCE(OLD.total, 0) ELSE 0 END AS total_sum, OLD.status = 'submitted' AND OLD.total IS NOT NULL AS total_n, COALESCE((SELECT decision = 'recognised' FROM decisions WHERE unit_code = OLD.unit_code AND form_id = OLD.form_id AND cycle_year = OLD.cycle_year AND is_current = 1), 0) AS recognised FROM units u WHERE u.code = OLD.unit_code) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, recognised = recognised + excluded.recognised; END;
CREATE TRIGGER year_counts_insert AFTER INSERT ON submissions BEGIN INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) SELECT form_id, cycle_year, cluster, 1 * submitted, 1 * drafts, 1 * total_sum, 1 * total_n, 1 * recognised FROM (SELECT NEW.form_id AS form_id, NEW.cycle_year AS cycle_year, u.cluster AS cluster, NEW.status = 'submitted' AS submitted, NEW.status = 'draft' AS drafts, CASE WHEN NEW.status = 'submitted' THEN COALESCE(NEW.total, 0) ELSE 0 END AS total_sum, NEW.status = 'submitted' AND NEW.total IS NOT NULL AS total_n, COALESCE((SELECT decision = 'recognised' FROM decisions WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year AND is_current = 1), 0) AS recognised FROM units u WHERE u.code = NEW.unit_code) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, recognised = recognised + excluded.recognised; END;
CREATE TRIGGER year_counts_update AFTER UPDATE ON submissions WHEN OLD.unit_code IS NOT NEW.unit_code OR OLD.form_id IS NOT NEW.form_id OR OLD.cycle_year IS NOT NEW.cycle_year OR OLD.status IS NOT NEW.status OR OLD.total IS NOT NEW.total BEGIN INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) SELECT form_id, cycle_year, cluster, -1 * submitted, -1 * drafts, -1 * total_sum, -1 * total_n, -1 * recognised FROM (SELECT OLD.form_id AS form_id, OLD.cycle_year AS cycle_year, u.cluster AS cluster, OLD.status = 'submitted' AS submitted, OLD.status = 'draft' AS drafts, CASE WHEN OLD.status = 'submitted' THEN COALESCE(OLD.total, 0) ELSE 0 END AS total_sum, OLD.status = 'submitted' AND OLD.total IS NOT NULL AS total_n, COALESCE((SELECT decision = 'recognised' FROM decisions WHERE unit_code = OLD.unit_code AND form_id = OLD.form_id AND cycle_year = OLD.cycle_year AND is_current = 1), 0) AS recognised FROM units u WHERE u.code = OLD.unit_code) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, recognised = recognised + excluded.recognised; INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) SELECT form_id, cycle_year, cluster, 1 * submitted, 1 * drafts, 1 * total_sum, 1 * total_n, 1 * recognised FROM (SELECT NEW.form_id AS form_id, NEW.cycle_year AS cycle_year, u.cluster AS cluster, NEW.status = 'submitted' AS submitted, NEW.status = 'draft' AS drafts, CASE WHEN NEW.status = 'submitted' THEN COALESCE(NEW.total, 0) ELSE 0 END AS total_sum, NEW.status = 'submitted' AND NEW.total IS NOT NULL AS total_n, COALESCE((SELECT decision = 'recognised' FROM decisions WHERE unit_code = NEW.unit_code AND form_id = NEW.form_id AND cycle_year = NEW.cycle_year AND is_current = 1), 0) AS recognised FROM units u WHERE u.code = NEW.unit_code) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, recognised = recognised + excluded.recognised; END;
CREATE TRIGGER summary_changes_kept AFTER INSERT ON summary_changes BEGIN DELETE FROM summary_changes WHERE version <= NEW.version - 100000; END;
CREATE TRIGGER facet_counts_tong_quan_delete AFTER DELETE ON tong_quan BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'tong_quan', 'cycle_year', COALESCE(OLD.cycle_year, 0), OLD.cycle_year, -1 WHERE OLD.cycle_year IS NOT NULL UNION ALL SELECT 'tong_quan', 'cluster', COALESCE(OLD.cycle_year, 0), OLD.cluster, -1 WHERE OLD.cluster IS NOT NULL UNION ALL SELECT 'tong_quan', 'band', COALESCE(OLD.cycle_year, 0), OLD.band, -1 WHERE OLD.band IS NOT NULL UNION ALL SELECT 'tong_quan', 'decision', COALESCE(OLD.cycle_year, 0), OLD.decision, -1 WHERE OLD.decision IS NOT NULL UNION ALL SELECT 'tong_quan', 'Quyết định', COALESCE(OLD.cycle_year, 0), CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END, -1 WHERE CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_tong_quan_insert AFTER INSERT ON tong_quan BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'tong_quan', 'cycle_year', COALESCE(NEW.cycle_year, 0), NEW.cycle_year, 1 WHERE NEW.cycle_year IS NOT NULL UNION ALL SELECT 'tong_quan', 'cluster', COALESCE(NEW.cycle_year, 0), NEW.cluster, 1 WHERE NEW.cluster IS NOT NULL UNION ALL SELECT 'tong_quan', 'band', COALESCE(NEW.cycle_year, 0), NEW.band, 1 WHERE NEW.band IS NOT NULL UNION ALL SELECT 'tong_quan', 'decision', COALESCE(NEW.cycle_year, 0), NEW.decision, 1 WHERE NEW.decision IS NOT NULL UNION ALL SELECT 'tong_quan', 'Quyết định', COALESCE(NEW.cycle_year, 0), CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END, 1 WHERE CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_tong_quan_update_0 AFTER UPDATE OF cycle_year ON tong_quan WHEN OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'tong_quan', 'cycle_year', COALESCE(OLD.cycle_year, 0), OLD.cycle_year, -1 WHERE OLD.cycle_year IS NOT NULL UNION ALL SELECT 'tong_quan', 'cycle_year', COALESCE(NEW.cycle_year, 0), NEW.cycle_year, 1 WHERE NEW.cycle_year IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_tong_quan_update_1 AFTER UPDATE OF cluster, cycle_year ON tong_quan WHEN OLD.cluster IS NOT NEW.cluster OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'tong_quan', 'cluster', COALESCE(OLD.cycle_year, 0), OLD.cluster, -1 WHERE OLD.cluster IS NOT NULL UNION ALL SELECT 'tong_quan', 'cluster', COALESCE(NEW.cycle_year, 0), NEW.cluster, 1 WHERE NEW.cluster IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_tong_quan_update_2 AFTER UPDATE OF band, cycle_year ON tong_quan WHEN OLD.band IS NOT NEW.band OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'tong_quan', 'band', COALESCE(OLD.cycle_year, 0), OLD.band, -1 WHERE OLD.band IS NOT NULL UNION ALL SELECT 'tong_quan', 'band', COALESCE(NEW.cycle_year, 0), NEW.band, 1 WHERE NEW.band IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_tong_quan_update_3 AFTER UPDATE OF decision, cycle_year ON tong_quan WHEN OLD.decision IS NOT NEW.decision OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'tong_quan', 'decision', COALESCE(OLD.cycle_year, 0), OLD.decision, -1 WHERE OLD.decision IS NOT NULL UNION ALL SELECT 'tong_quan', 'decision', COALESCE(NEW.cycle_year, 0), NEW.decision, 1 WHERE NEW.decision IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_tong_quan_update_4 AFTER UPDATE OF decision, cycle_year ON tong_quan WHEN OLD.decision IS NOT NEW.decision OR OLD.cycle_year IS NOT NEW.cycle_year BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'tong_quan', 'Quyết định', COALESCE(OLD.cycle_year, 0), CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END, -1 WHERE CASE OLD.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(OLD.decision, 'Chưa có quyết định') END IS NOT NULL UNION ALL SELECT 'tong_quan', 'Quyết định', COALESCE(NEW.cycle_year, 0), CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END, 1 WHERE CASE NEW.decision WHEN 'recognised' THEN 'Công nhận' WHEN 'not_recognised' THEN 'Không công nhận' WHEN 'returned' THEN 'Trả lại để bổ sung' WHEN 'withdrawn' THEN 'Thu hồi công nhận' WHEN 'accepted' THEN 'Tiếp nhận' ELSE COALESCE(NEW.decision, 'Chưa có quyết định') END IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER recognised_years_delete AFTER DELETE ON tong_quan WHEN OLD.decision = 'recognised' BEGIN DELETE FROM recognised_years WHERE form_id = OLD.form_id AND unit_code = OLD.unit_code; INSERT INTO recognised_years (form_id, unit_code, years, average, commendation) SELECT form_id, unit_code, COUNT(*), ROUND(AVG(final_total), 1), MAX(commendation) FROM tong_quan WHERE form_id = OLD.form_id AND decision = 'recognised' AND unit_code = OLD.unit_code GROUP BY form_id, unit_code; END;
CREATE TRIGGER recognised_years_insert AFTER INSERT ON tong_quan WHEN NEW.decision = 'recognised' BEGIN DELETE FROM recognised_years WHERE form_id = NEW.form_id AND unit_code = NEW.unit_code; INSERT INTO recognised_years (form_id, unit_code, years, average, commendation) SELECT form_id, unit_code, COUNT(*), ROUND(AVG(final_total), 1), MAX(commendation) FROM tong_quan WHERE form_id = NEW.form_id AND decision = 'recognised' AND unit_code = NEW.unit_code GROUP BY form_id, unit_code; END;
CREATE TRIGGER recognised_years_update AFTER UPDATE OF decision, final_total, commendation, unit_code, form_id ON tong_quan WHEN (OLD.decision = 'recognised' OR NEW.decision = 'recognised') AND (OLD.decision IS NOT NEW.decision OR OLD.final_total IS NOT NEW.final_total OR OLD.commendation IS NOT NEW.commendation OR OLD.unit_code IS NOT NEW.unit_code OR OLD.form_id IS NOT NEW.form_id) BEGIN DELETE FROM recognised_years WHERE form_id = OLD.form_id AND unit_code = OLD.unit_code; INSERT INTO recognised_years (form_id, unit_code, years, average, commendation) SELECT form_id, unit_code, COUNT(*), ROUND(AVG(final_total), 1), MAX(commendation) FROM tong_quan WHERE form_id = OLD.form_id AND decision = 'recognised' AND unit_code = OLD.unit_code GROUP BY form_id, unit_code; DELETE FROM recognised_years WHERE form_id = NEW.form_id AND unit_code = NEW.unit_code; INSERT INTO recognised_years (form_id, unit_code, years, average, commendation) SELECT form_id, unit_code, COUNT(*), ROUND(AVG(final_total), 1), MAX(commendation) FROM tong_quan WHERE form_id = NEW.form_id AND decision = 'recognised' AND unit_code = NEW.unit_code GROUP BY form_id, unit_code; END;
CREATE TRIGGER facet_counts_units_delete AFTER DELETE ON units BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'units', 'cluster', 0, OLD.cluster, -1 WHERE OLD.cluster IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_units_insert AFTER INSERT ON units BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'units', 'cluster', 0, NEW.cluster, 1 WHERE NEW.cluster IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER facet_counts_units_update_0 AFTER UPDATE OF cluster ON units WHEN OLD.cluster IS NOT NEW.cluster BEGIN INSERT INTO facet_counts (table_name, column_name, year, value, n) SELECT * FROM (SELECT 'units', 'cluster', 0, OLD.cluster, -1 WHERE OLD.cluster IS NOT NULL UNION ALL SELECT 'units', 'cluster', 0, NEW.cluster, 1 WHERE NEW.cluster IS NOT NULL) WHERE true ON CONFLICT (table_name, column_name, year, value) DO UPDATE SET n = n + excluded.n; END;
CREATE TRIGGER summary_changes_units_delete AFTER DELETE ON units BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER summary_changes_units_insert AFTER INSERT ON units BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER summary_changes_units_update AFTER UPDATE ON units BEGIN INSERT INTO summary_changes (unit_code) VALUES (NULL); END;
CREATE TRIGGER tong_quan_unit AFTER UPDATE OF name, cluster ON units BEGIN
            UPDATE tong_quan SET unit_name = NEW.name, cluster = NEW.cluster WHERE unit_code = NEW.code;
        END;
CREATE TRIGGER "units_ad" AFTER DELETE ON "units" BEGIN
  INSERT INTO "units_fts" ("units_fts", rowid, "name", "name_ascii") VALUES('delete', old.rowid, old."name", old."name_ascii");
END;
CREATE TRIGGER "units_ai" AFTER INSERT ON "units" BEGIN
  INSERT INTO "units_fts" (rowid, "name", "name_ascii") VALUES (new.rowid, new."name", new."name_ascii");
END;
CREATE TRIGGER "units_au" AFTER UPDATE ON "units" BEGIN
  INSERT INTO "units_fts" ("units_fts", rowid, "name", "name_ascii") VALUES('delete', old.rowid, old."name", old."name_ascii");
  INSERT INTO "units_fts" (rowid, "name", "name_ascii") VALUES (new.rowid, new."name", new."name_ascii");
END;
CREATE TRIGGER year_counts_cluster AFTER UPDATE OF cluster ON units WHEN OLD.cluster IS NOT NEW.cluster BEGIN INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) SELECT form_id, cycle_year, cluster, -1 * submitted, -1 * drafts, -1 * total_sum, -1 * total_n, -1 * recognised FROM (SELECT s.form_id, s.cycle_year, OLD.cluster AS cluster, SUM(s.status = 'submitted') AS submitted, SUM(s.status = 'draft') AS drafts, TOTAL(CASE WHEN s.status = 'submitted' THEN s.total END) AS total_sum, SUM(s.status = 'submitted' AND s.total IS NOT NULL) AS total_n, SUM(COALESCE(d.decision = 'recognised', 0)) AS recognised FROM submissions s JOIN units u ON u.code = s.unit_code LEFT JOIN decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year AND d.is_current = 1 WHERE s.unit_code = NEW.code GROUP BY s.form_id, s.cycle_year) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, recognised = recognised + excluded.recognised; INSERT INTO year_counts (form_id, cycle_year, cluster, submitted, drafts, total_sum, total_n, recognised) SELECT form_id, cycle_year, cluster, 1 * submitted, 1 * drafts, 1 * total_sum, 1 * total_n, 1 * recognised FROM (SELECT s.form_id, s.cycle_year, NEW.cluster AS cluster, SUM(s.status = 'submitted') AS submitted, SUM(s.status = 'draft') AS drafts, TOTAL(CASE WHEN s.status = 'submitted' THEN s.total END) AS total_sum, SUM(s.status = 'submitted' AND s.total IS NOT NULL) AS total_n, SUM(COALESCE(d.decision = 'recognised', 0)) AS recognised FROM submissions s JOIN units u ON u.code = s.unit_code LEFT JOIN decisions d ON d.unit_code = s.unit_code AND d.form_id = s.form_id AND d.cycle_year = s.cycle_year AND d.is_current = 1 WHERE s.unit_code = NEW.code GROUP BY s.form_id, s.cycle_year) WHERE true ON CONFLICT (form_id, cycle_year, cluster) DO UPDATE SET submitted = submitted + excluded.submitted, drafts = drafts + excluded.drafts, total_sum = total_sum + excluded.total_sum, total_n = total_n + excluded.total_n, recognised = recognised + excluded.recognised; END;

-- accounts.db
CREATE TABLE known_clients (
            username TEXT NOT NULL,
            client TEXT NOT NULL,
            last_success TEXT NOT NULL,
            PRIMARY KEY (username, client)
        ) WITHOUT ROWID;
CREATE TABLE pending_posts (
            token_hash TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            fields TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
CREATE TABLE reviewer_clusters (
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            cluster TEXT NOT NULL,
            PRIMARY KEY (username, cluster)
        );
CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
CREATE TABLE sign_in_throttle (
            scope TEXT NOT NULL CHECK (scope IN ('pair', 'client', 'account', 'password')),
            client TEXT NOT NULL,
            username TEXT NOT NULL,
            level REAL NOT NULL,
            blocked_until TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (scope, client, username)
        ) WITHOUT ROWID;
CREATE TABLE users (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('unit', 'reviewer', 'inspector', 'cluster_lead', 'admin')),
            unit_code TEXT,
            email TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL,
            password_changed_at TEXT NOT NULL,
            CHECK ((role = 'unit') = (unit_code IS NOT NULL))
        );
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX idx_known_clients_seen ON known_clients(last_success);
CREATE INDEX idx_sessions_user ON sessions(username);
CREATE INDEX idx_sign_in_throttle_updated ON sign_in_throttle(updated_at);
CREATE INDEX idx_sign_in_throttle_user ON sign_in_throttle(username);
CREATE INDEX idx_users_unit ON users(unit_code);
