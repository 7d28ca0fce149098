"""forms.db's schema, one migration per change, append-only: never edit one that has shipped, add the next.

The column descriptions reviewers read in Datasette live beside the SQL of each table
(`forms_app/data/<family>.py`, DESCRIPTIONS), collected by `forms_app.data.descriptions`;
`forms_app/data/schema.sql` is a snapshot of the schema these migrations build (a test keeps it current).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from forms_app.data import facet_counts, readable, statistics, summaries
from forms_app.data.text import fold

forms_migrations = Migrations("forms")


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


# What the trigger copies of a submission into `tong_quan` when its scores change (m007; m023 made it conditional).
_TONG_QUAN_SCORES = """            UPDATE tong_quan SET status = NEW.status, total = NEW.total, adjusted_total = NEW.adjusted_total,
                final_total = COALESCE(NEW.adjusted_total, NEW.total), band = NEW.band, recognised = NEW.recognised,
                submitted_at = NEW.submitted_at
            WHERE submission_id = NEW.id;"""
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
    # distribution, the units recognised every year (forms_app/data/reviewer_queries.py).
    db.execute("CREATE INDEX idx_tong_quan_rank ON tong_quan(form_id, cycle_year, status, cluster, final_total, "
               "submission_id, unit_code)")
    db.execute("CREATE INDEX idx_tong_quan_scores ON tong_quan(form_id, status, cycle_year, final_total)")
    db.execute("CREATE INDEX idx_tong_quan_recognition ON tong_quan(form_id, decision, unit_code, cycle_year, "
               "final_total, commendation)")
    db.execute(f"""
        CREATE TRIGGER tong_quan_insert AFTER INSERT ON submissions BEGIN
            INSERT INTO tong_quan {_TONG_QUAN_ROW} WHERE s.id = NEW.id;
        END""")
    db.execute(f"""
        CREATE TRIGGER tong_quan_update AFTER UPDATE ON submissions BEGIN
{_TONG_QUAN_SCORES}
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


@forms_migrations()
def m009_upload_budget(db: Database) -> None:
    """Uploads get a budget: a quota per unit (`unit_code` '*' is the one every unit without its own gets; no row
    at all: the product's default), and indexes for the cleanup of files no revision refers to.

    `idx_uploads_sha256` answers "does any row still point at this blob" before a file is deleted;
    `idx_uploads_uploaded_at` finds the uploads old enough to be removed.
    """
    db.execute("""
        CREATE TABLE upload_quotas (
            unit_code TEXT PRIMARY KEY,
            quota_mb INTEGER NOT NULL CHECK (quota_mb > 0),
            changed_by TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_uploads_sha256 ON uploads(sha256)")
    db.execute("CREATE INDEX idx_uploads_uploaded_at ON uploads(uploaded_at)")


@forms_migrations()
def m010_decisions_accepted_and_reasons(db: Database) -> None:
    """Decisions as the plan takes them (issue 14): a form without a result (the registration) is `accepted` by the
    office instead of recognised, and a decision keeps its written `reason` (why a unit whose result does not meet the
    rule is recognised all the same, why a recognition is withdrawn) apart from the comment sent to the unit.

    SQLite cannot change a CHECK constraint in place: `decisions` is rebuilt with the same rows, ids and flags.
    `certificates` refers to its ids: the foreign keys are checked at the commit, once every row is back; the
    trigger and the indexes dropped with the table are made again, the same as m003 and m007 made them.
    """
    db.execute("PRAGMA defer_foreign_keys = ON")
    columns = ("id, unit_code, form_id, cycle_year, decision, comment, reopen_until, decision_no, decided_on, "
               "commendation, source, recorded_by, recorded_at, is_current")
    db.execute(f"CREATE TEMP TABLE m010_decisions AS SELECT {columns} FROM main.decisions")
    db.execute("DROP TABLE main.decisions")
    db.execute("""
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
        )""")
    db.execute(f"INSERT INTO main.decisions ({columns}) SELECT {columns} FROM temp.m010_decisions ORDER BY id")
    db.execute("DROP TABLE temp.m010_decisions")
    db.execute("CREATE INDEX idx_decisions_key ON decisions(unit_code, form_id, cycle_year, id)")
    db.execute("CREATE INDEX idx_decisions_year ON decisions(form_id, cycle_year, decision)")
    db.execute("CREATE INDEX idx_decisions_current ON decisions(form_id, decision, is_current, unit_code, cycle_year)")
    db.execute("CREATE INDEX idx_decisions_cycle_year ON decisions(cycle_year)")
    db.execute("CREATE INDEX idx_decisions_decision ON decisions(decision)")
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


@forms_migrations()
def m011_inspections_and_proposals(db: Database) -> None:
    """The inspection committee's inspections, and the cluster leads' comments and proposals with the office's
    selection (issue 14).

    An inspection is appended, never changed: its date, team, conclusion and minutes (an upload whose row `cleanup`
    keeps while an inspection names it). A cluster lead's comment on a unit and year is appended too. A proposal is
    one row per unit, year, kind and proposer (proposing again replaces the reason, withdrawing deletes it); a
    selection is one row per unit, year and kind while the office keeps the unit selected. The audit log keeps
    every change of the last two.
    """
    db.execute("""
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
        )""")
    db.execute("CREATE INDEX idx_inspections_unit ON inspections(unit_code, form_id, cycle_year)")
    db.execute("CREATE INDEX idx_inspections_minutes ON inspections(minutes_token)")
    db.execute("""
        CREATE TABLE unit_comments (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            cycle_year INTEGER NOT NULL,
            comment TEXT NOT NULL,
            written_by TEXT NOT NULL,
            written_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_unit_comments_unit ON unit_comments(unit_code, cycle_year)")
    db.execute("""
        CREATE TABLE proposals (
            unit_code TEXT NOT NULL REFERENCES units(code),
            cycle_year INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('recognition', 'commendation', 'forum')),
            proposed_by TEXT NOT NULL,
            reason TEXT,
            proposed_at TEXT NOT NULL,
            PRIMARY KEY (unit_code, cycle_year, kind, proposed_by)
        )""")
    db.execute("CREATE INDEX idx_proposals_year ON proposals(cycle_year, kind)")
    db.execute("""
        CREATE TABLE selections (
            unit_code TEXT NOT NULL REFERENCES units(code),
            cycle_year INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('commendation', 'forum')),
            selected_by TEXT NOT NULL,
            selected_at TEXT NOT NULL,
            PRIMARY KEY (unit_code, cycle_year, kind)
        )""")
    db.execute("CREATE INDEX idx_selections_year ON selections(cycle_year, kind)")


@forms_migrations()
def m012_board_statistics(db: Database) -> None:
    """A database with statistics (the demo runs ANALYZE) gets those of `decisions` renewed: m010 rebuilt the table and
    its indexes lost theirs, and beside the other tables' statistics the planner then read the yearly summary of the
    office's status board (`submissions.year_summary`) through idx_decisions_current instead of idx_decisions_key,
    50 ms → 5 s on 2,000 units × 5 years (as m008 did for tong_quan)."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute("ANALYZE decisions")


@forms_migrations()
def m013_certificate_register(db: Database) -> None:
    """Each certificate's number in its year's register ("Số vào sổ: 0001/2022", issue 15): certificates already
    issued are numbered in the order they were first issued; a reissued certificate keeps its number."""
    db.execute("ALTER TABLE certificates ADD COLUMN register_no INTEGER")
    db.execute("""
        UPDATE certificates SET register_no = (
            SELECT COUNT(*) FROM certificates earlier
            WHERE earlier.cycle_year = certificates.cycle_year
              AND (earlier.created_at, earlier.serial) <= (certificates.created_at, certificates.serial))""")
    db.execute("CREATE UNIQUE INDEX idx_certificates_register ON certificates(cycle_year, register_no)")


@forms_migrations()
def m014_report_narratives(db: Database) -> None:
    """The narrative of the year-end review and of the phase review, section by section, as the office writes it
    before printing: appended, never updated (the current text of a section is its latest row, the rest its history).
    `cycle_year` 0 is the phase review; section `so` holds the report's number ("Số: …-BC/ĐTN")."""
    db.execute("""
        CREATE TABLE report_narratives (
            id INTEGER PRIMARY KEY,
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            section TEXT NOT NULL,
            body TEXT NOT NULL,
            written_by TEXT NOT NULL,
            written_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_report_narratives_key ON report_narratives(form_id, cycle_year, section, id)")


@forms_migrations()
def m015_calendar_tokens(db: Database) -> None:
    """The units' private calendar feeds (issue 16): the SHA-256 of each token a unit created, never the token; a
    renewed or revoked token gets `revoked_at`."""
    db.execute("""
        CREATE TABLE calendar_tokens (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""")
    db.execute("CREATE INDEX idx_calendar_tokens_unit ON calendar_tokens(unit_code, revoked_at)")


@forms_migrations()
def m016_reminders(db: Database) -> None:
    """Reminders by e-mail (issue 16): each unit's address (`units.email`, from `units import` or the admin pages)
    and the log of every reminder sent (`forms-app remind` sends each reminder once: its key is unit, form, year and
    kind)."""
    db.execute("ALTER TABLE units ADD COLUMN email TEXT")
    db.execute("""
        CREATE TABLE reminders_sent (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL REFERENCES units(code),
            form_id TEXT NOT NULL,
            cycle_year INTEGER NOT NULL,
            kind TEXT NOT NULL,
            address TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            UNIQUE (unit_code, form_id, cycle_year, kind)
        )""")
    db.execute("CREATE INDEX idx_reminders_sent_at ON reminders_sent(sent_at)")


@forms_migrations()
def m017_readable_views(db: Database) -> None:
    """Views reviewers read first (issue 17): Vietnamese column names and words instead of the stored codes, over the
    trigger-kept summaries and small tables (forms_app/data/readable.py); the tables stay, for analysts.

    Indexes: inspections by year, the default facet of `kiem_tra`; `tong_quan` by year and cluster and by year and
    band, so the cluster and band facets of one year (a reviewer's first filter, on `ket_qua` as on `tong_quan`)
    read one range of an index instead of the whole table: 200 → 3 ms each on the 50,000-unit demo (a busy machine).
    Statistics renewed as m008 does, when the database has them.
    """
    for name, select in readable.view_sql().items():
        db.execute(f"CREATE VIEW {name} AS {select}")
    db.execute("CREATE INDEX idx_inspections_year ON inspections(cycle_year)")
    db.execute("CREATE INDEX idx_tong_quan_year_cluster ON tong_quan(cycle_year, cluster)")
    db.execute("CREATE INDEX idx_tong_quan_year_band ON tong_quan(cycle_year, band)")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        db.execute("ANALYZE tong_quan")
        db.execute("ANALYZE inspections")


@forms_migrations()
def m018_export_jobs(db: Database) -> None:
    """Heavy documents are jobs, not requests (issue 18): each export or review built once per change of its data, by
    a process of its own, kept as a file under <data dir>/exports/. `stamp` is the version of the data it was built
    for (forms_app/data/jobs.py `data_stamp`); a job is queued, running, done (its `file`) or failed (its `error`
    code); `rows_done` of `rows_total` is what the waiting page shows."""
    db.execute("""
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
        )""")
    db.execute("CREATE INDEX idx_jobs_document ON jobs(kind, form_id, cycle_year, id)")


@forms_migrations()
def m019_summary_changes(db: Database) -> None:
    """Reviewers' pages from summaries (issue 18): the status board's statuses, its year summary and the charts are
    computed once per change of the data they read and kept (forms_app/rules/summaries.py); `summary_changes` says
    when, and for which units, written by a trigger on every write to those tables (forms_app/data/summaries.py)."""
    for statement in summaries.migration_statements() + summaries.year_counts_statements():
        db.execute(statement)


@forms_migrations()
def m021_facet_counts(db: Database) -> None:
    """Every canned query and facet page under a twentieth of the time limit (issue 18): the default facets and the
    word facets of the readable views counted by triggers (`facet_counts`, forms_app/data/facet_counts.py), the units
    recognised every year kept per unit (`recognised_years`, forms_app/data/summaries.py), and units in the order
    `chua_nop` lists them (cluster, name), so the query walks that index and stops at its last row instead of sorting
    every unit that has not submitted. The sections' titles of every definition version are kept apart
    (`section_titles`, forms_app/data/readable.py) and `ket_qua` made again to read them instead of parsing a
    definition for every row it shows. A reviewer of one cluster (a cluster lead's first filter) gets the band facet and
    the best results of the cluster from an index each, `(cluster, band)` and `(cluster, final_total)`: 136 → 2 ms and
    20 → 0.3 ms on the 50,000-unit demo. Filled from the rows already there; statistics renewed as m008 does."""
    for statement in (facet_counts.migration_statements() + summaries.recognised_years_statements()
                      + readable.SECTION_TITLES):
        db.execute(statement)
    db.execute("DROP VIEW ket_qua")
    db.execute(f"CREATE VIEW ket_qua AS {readable.view_sql()['ket_qua']}")
    db.execute("CREATE INDEX idx_units_cluster_name ON units(cluster, name, code)")
    db.execute("CREATE INDEX idx_tong_quan_cluster_band ON tong_quan(cluster, band)")
    db.execute("CREATE INDEX idx_tong_quan_cluster_total ON tong_quan(cluster, final_total)")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        for table in ("units", "tong_quan", "facet_counts", "recognised_years", "section_titles"):
            db.execute(f"ANALYZE {table}")


@forms_migrations()
def m022_uploads_by_content_and_unit(db: Database) -> None:
    """A save's files the unit already holds are found by content and unit (`data.uploads.unit_blobs`), one index entry
    each: by content alone, the same evidence file sent by many units (or one unit's many saves) was a run of rows
    read until the unit's own. `(sha256, unit_code)` also answers "does any row point at this blob" (cleanup).
    A database analysed in bulk (the demo) forgets the statistics of the tables it had left nearly empty
    (forms_app/data/statistics.py): `uploads`, analysed with two rows, was scanned whole for every form page."""
    db.execute("DROP INDEX idx_uploads_sha256")
    db.execute("CREATE INDEX idx_uploads_sha256_unit ON uploads(sha256, unit_code)")
    statistics.forget_small(db)


@forms_migrations()
def m023_tong_quan_follows_what_changed(db: Database) -> None:
    """`tong_quan` copied a submission's scores at every update of its row, whatever changed: each draft saved and each
    submit wrote the same values again into ten of its fifteen indexes (an index is written for every column an UPDATE
    sets, whether the value moved or not) — about ten leaf pages of 440,000-entry indexes per submit on the 50,000 × 5
    demo, under the write lock. Now the scores are copied when one of them changed, the submit time alone when only it
    did, nothing for a draft saved."""
    db.execute("DROP TRIGGER tong_quan_update")
    db.execute(f"""
        CREATE TRIGGER tong_quan_update AFTER UPDATE OF status, total, adjusted_total, band, recognised ON submissions
        WHEN OLD.status IS NOT NEW.status OR OLD.total IS NOT NEW.total OR OLD.adjusted_total IS NOT NEW.adjusted_total
            OR OLD.band IS NOT NEW.band OR OLD.recognised IS NOT NEW.recognised BEGIN
{_TONG_QUAN_SCORES}
        END""")
    db.execute("""
        CREATE TRIGGER tong_quan_submitted_at AFTER UPDATE OF submitted_at ON submissions
        WHEN OLD.submitted_at IS NOT NEW.submitted_at BEGIN
            UPDATE tong_quan SET submitted_at = NEW.submitted_at WHERE submission_id = NEW.id;
        END""")


@forms_migrations()
def m024_criterion_scores_updated_in_place(db: Database) -> None:
    """A submit wrote its criteria by deleting and inserting them again: 13 rows out and in, and 26 updates of
    `criterion_totals` by triggers, under the write lock, however little had changed. They are now updated in place
    (`data.submissions.CRITERION_UPDATE`), and `criterion_totals` follows an update of the points, the adjusted points
    or the maximum when one of them moved (the trigger it replaces followed the adjusted points only: the points and
    maximum of a row never changed in place before)."""
    db.execute("DROP TRIGGER criterion_totals_adjust")
    db.execute("""
        CREATE TRIGGER criterion_totals_update AFTER UPDATE OF points, adjusted_points, max_points ON criterion_scores
        WHEN OLD.points IS NOT NEW.points OR OLD.adjusted_points IS NOT NEW.adjusted_points
            OR OLD.max_points IS NOT NEW.max_points BEGIN
            UPDATE criterion_totals
            SET points = points - OLD.points + NEW.points,
                final_points = final_points - COALESCE(OLD.adjusted_points, OLD.points)
                                            + COALESCE(NEW.adjusted_points, NEW.points),
                max_points = max_points - OLD.max_points + NEW.max_points
            WHERE form_id = NEW.form_id AND cycle_year = NEW.cycle_year AND criterion = NEW.criterion;
        END""")
