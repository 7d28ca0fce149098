"""Datasette for reviewers: forms.db only (never accounts.db), metadata in Vietnamese, canned queries and charts for
every scored form.

Datasette runs in the same process as the web app and under the same address (`/data/`): `adapters/wsgi.py`
puts both behind one WSGI callable, `plugin.py` signs reviewers in from the web app's own session cookie,
refuses everyone else and prepares every connection (`data/reviewer_access.py`: reading only, limits), and
`responses.py` gives Datasette's answers the app's security headers, spreadsheet-safe CSV and Vietnamese refusals.
"""

from __future__ import annotations

from pathlib import Path

from datasette.app import Datasette

from forms_app.adapters.reviewers import counting
from forms_app.adapters.reviewers import plugin as datasette_plugin
from forms_app.data.connection import FORMS_DB
from forms_app.data.descriptions import DESCRIPTIONS

BASE_URL = "/data/"
SQL_TIME_LIMIT_MS = 1000
SQL_THREADS = 2
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "datasette"
# The app's own static files for Datasette's pages (datasette.css, datasette.js), under /data/app-static/: Datasette
# puts its base URL before every stylesheet and script a plugin names, so they cannot be the web app's /static/.
STATIC = Path(__file__).resolve().parents[2] / "static"
STATIC_MOUNT = "app-static"

# Default facets of the main tables. Each is counted by triggers (forms_app/data/facet_counts.py) and read from those
# counts on the page unfiltered or filtered by its year (`facets.KeptColumnFacet`), so a facet page stays under a
# twentieth of the time limit at 50,000 units × 5 years; filtered otherwise, each is still one index's range
# (forms_app/data/migrations/forms.py). The long-form tables (answers: ~34 rows per submission; section_scores;
# criterion_scores) have none: a reviewer reaches them filtered by a submission, and facets there on demand (`_facet=`).
# `submissions` keeps one: `tong_quan` is the table to facet scored reports on.
FACETS = {
    # The readable views (forms_app/data/readable.py): facets on plain columns, an index each. The decision as a word
    # ("Quyết định" of ket_qua and quyet_dinh) is counted too, so asked for it costs what these do; a word facet that
    # is not counted ("Trạng thái") computes a CASE for every row (100–220 ms): asked for, never by default.
    "ket_qua": ["Năm", "Cụm", "Xếp loại"],
    "quyet_dinh": ["Năm"],
    "kiem_tra": ["Năm"],
    "diem_tieu_chi": ["Năm"],
    "units": ["cluster"],
    "submissions": ["form_id"],
    "tong_quan": ["cycle_year", "cluster", "band", "decision"],
    "decisions": ["cycle_year", "decision"],
    "revisions": ["action"],
    "audit_log": ["action"],
}
SORT = {
    "ket_qua": ("sort_desc", "Tổng điểm"),
    "quyet_dinh": ("sort_desc", "Mã quyết định"),
    "kiem_tra": ("sort_desc", "Mã đợt kiểm tra"),
    "diem_tieu_chi": ("sort_desc", "Năm"),
    "units": ("sort", "name"),
    "submissions": ("sort_desc", "total"),
    "tong_quan": ("sort_desc", "final_total"),
    "decisions": ("sort_desc", "id"),
    "revisions": ("sort_desc", "created_at"),
    "audit_log": ("sort_desc", "id"),
    "reminders_sent": ("sort_desc", "sent_at"),  # who was reminded of what, newest first (idx_reminders_sent_at)
}
LABELS = {"units": "name", "form_versions": "title"}
# The columns of the readable views a reviewer may sort on: those an index orders (the rest are words made from a
# code, dates turned into text or values read per row, which a sort would compute for every row: up to seconds).
SORTABLE = {
    "ket_qua": ["Tổng điểm", "Năm", "Cụm", "Xếp loại", "Mã đơn vị", "Mã bài nộp"],
    "quyet_dinh": ["Mã quyết định", "Mã đơn vị", "Năm"],
    "kiem_tra": ["Mã đợt kiểm tra", "Mã đơn vị", "Năm"],
}


def metadata() -> dict:
    """Datasette metadata: a Vietnamese title and description for every table, view and column."""
    tables = {}
    for name, described in DESCRIPTIONS.items():
        columns = described["columns"] if described["columns"] is not None else DESCRIPTIONS["decisions"]["columns"]
        table = {"title": described["title"], "description": described["description"], "columns": columns}
        if name in FACETS:
            table["facets"] = FACETS[name]
        if name in SORT:
            key, column = SORT[name]
            table[key] = column
        if name in LABELS:
            table["label_column"] = LABELS[name]
        if name in SORTABLE:
            table["sortable_columns"] = SORTABLE[name]
        tables[name] = table
    tables["_sqlite_migrations"] = {"hidden": True}
    return {
        "title": "Đoàn cơ sở “3 chủ động” — dữ liệu cho người đánh giá",
        "description": "Đăng ký, báo cáo tự đánh giá, điểm và quyết định của các Đoàn cơ sở. Chỉ đọc; "
                       "tài khoản và mật khẩu không nằm trong cơ sở dữ liệu này.",
        "databases": {
            "forms": {
                "title": "Biểu mẫu và kết quả",
                "description": "Mỗi bảng và cột đều có mô tả; bấm vào tên bảng để lọc, tìm và xuất CSV/JSON.",
                "tables": tables,
                # The canned queries are the plugin's (`canned_queries`): one family per scored form, read from
                # the definitions stored when a page asks, so a form loaded while the server runs has them too.
            }
        },
    }


def make_datasette(data_dir: Path, secret: str) -> Datasette:
    """A Datasette on the data directory's forms.db, opened in normal (not immutable) mode since the app writes to it."""
    datasette_plugin.register()
    datasette = Datasette(
        files=[str(Path(data_dir) / FORMS_DB)],
        metadata=metadata(),
        template_dir=str(TEMPLATES),
        static_mounts=[(STATIC_MOUNT, str(STATIC))],
        secret=secret,
        settings={
            "base_url": BASE_URL,
            "sql_time_limit_ms": SQL_TIME_LIMIT_MS,
            "default_page_size": 50,
            "max_returned_rows": 5000,
            "allow_download": False,
            "default_allow_sql": True,
            "facet_time_limit_ms": 400,
            # Suggestions ran 20–45 extra queries per table page, most stopped at their own limit:
            # 0.7–1.4 s of SQL per page at national scale, for facets nobody asked for.
            "suggest_facets": False,
            # Reviewers' SQL runs on Datasette's own threads, never on the threads serving units' pages: two per
            # worker process, so reviewers' queries (each stopped at the time limit) take at most two cores of it.
            "num_sql_threads": SQL_THREADS,
        },
    )
    datasette.forms_app_data_dir = Path(data_dir)
    counting.skip_whole_counts(datasette.get_database("forms"))  # answers' count cannot be stopped: never waited for
    return datasette
