"""Data directories for the tests, built through the product's own functions, and what the tests read back.

A data directory (migrations, the shipped definitions, WEB_UNITS, one account per role) takes ~0.2 s
to build and ~2 ms to copy: each kind is built once per test session (per xdist worker), in the
folder the session fixture `data_templates` hands to `TEMPLATES`, and copied for every test that asks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Callable, Iterator

from form_definitions import shipped_folder
from forms_app.data import connection
from forms_app.data.connection import Database
from forms_app.rules import accounts, passwords, registry, submitting, units, windows

PASSWORD = "mat-khau-thu-nghiem"
WEB_UNITS = [
    {"code": "TOAN", "name": "Đoàn khoa Toán – Tin", "cluster": "Cụm 1 – Khoa học Tự nhiên"},
    {"code": "VAN", "name": "Đoàn khoa Ngữ văn", "cluster": "Cụm 2 – Khoa học Xã hội"},
    {"code": "LY", "name": "Đoàn khoa Vật lý", "cluster": "Cụm 1 – Khoa học Tự nhiên"},
]
ACCOUNTS = [("toan", "unit", "TOAN"), ("toan2", "unit", "TOAN"), ("van", "unit", "VAN"),
            ("vanphong", "reviewer", None), ("kiemtra", "inspector", None), ("phutrachcum", "cluster_lead", None),
            ("admin", "admin", None)]
# Each cluster lead's clusters: phutrachcum is in charge of TOAN's and LY's cluster, not VAN's.
LEAD_CLUSTERS = {"phutrachcum": ["Cụm 1 – Khoa học Tự nhiên"]}
# Inside the 2022 self-assessment window (1 Aug – 1 Oct 2022) and after the 2022 registration closed.
OPEN_DAY = dt.datetime(2022, 9, 15, 3, 0, tzinfo=dt.timezone.utc)
SELF = "tu-danh-gia-3-chu-dong"
REGISTRATION = "dang-ky-3-chu-dong"
REGISTRATION_ANSWERS = {  # valid on every shipped version of the registration, and committing (opens the self-assessment)
    "cam_ket_xay_dung": True, "file_ke_hoach_3_chu_dong": "ke-hoach.pdf", "ngay_ban_hanh_ke_hoach": "2021-09-20",
    "so_can_bo_phu_trach": 3, "da_dang_ky_voi_cap_uy": True,
}


class Templates:
    """Data directories built once and copied: `copy(name, build, data_dir)` builds `name` the first time."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.built: dict[str, Path] = {}

    def start(self, root: Path) -> None:
        """Build templates under `root` from now on (a test session's temporary folder)."""
        self.root, self.built = root, {}

    def copy(self, name: str, build: Callable[[Path], Path], data_dir: Path) -> Path:
        """`data_dir` as `build` leaves it: a copy of the template; built in place outside a test session."""
        if self.root is None:
            return build(data_dir)
        if name not in self.built:
            self.built[name] = build(self.root / name)
        # The builders close every connection they open: the .db files alone hold the data (no -wal beside them).
        shutil.copytree(self.built[name], data_dir, dirs_exist_ok=True)
        return data_dir


TEMPLATES = Templates()


@contextlib.contextmanager
def opened(data_dir: Path, which: Callable[[Path], Database] = connection.open_forms) -> Iterator[Database]:
    """One of the data directory's databases, closed after the block."""
    db = which(data_dir)
    try:
        yield db
    finally:
        db.close()


def build_data_dir(data_dir: Path) -> Path:
    """A migrated data directory with the shipped definitions, WEB_UNITS and accounts for every role."""
    return TEMPLATES.copy("web", _build_web, data_dir)


PUBLIC_URL = "https://doan.example.edu.vn"  # certificates are issued only with a public, non-loopback address


def set_public_url(data_dir: Path, public_url: str | None = PUBLIC_URL) -> None:
    """certificate.json with this public address (None: without one), as the admin's settings page writes it."""
    from forms_app.rules import certificates

    path = Path(data_dir) / certificates.SETTINGS_FILE
    values = json.loads(path.read_text("utf-8")) if path.exists() else {}
    values.pop("public_url", None)
    path.write_text(json.dumps({**values, **({"public_url": public_url} if public_url else {})}, ensure_ascii=False),
                    "utf-8")


def _build_web(data_dir: Path) -> Path:
    connection.migrate(data_dir)
    set_public_url(data_dir)
    with opened(data_dir) as forms:
        registry.load_definitions_into(forms, [shipped_folder()])
        units.save_units(forms, WEB_UNITS)
    add_accounts(data_dir)
    return data_dir


def add_accounts(data_dir: Path) -> None:
    """ACCOUNTS (a cluster lead with its LEAD_CLUSTERS), each with PASSWORD."""
    with opened(data_dir, connection.open_accounts) as accounts_db:
        for username, role, unit in ACCOUNTS:
            accounts.add_user(accounts_db, username, PASSWORD, role, unit, clusters=LEAD_CLUSTERS.get(username, ()),
                              hasher=passwords.CHEAP_HASHER)


def open_for_toan_today(data_dir: Path) -> Path:
    """`build_data_dir`, with TOAN registered for 2022 and its self-assessment open until today + 30 days
    (for `forms-app serve`, which reads the real clock)."""
    return TEMPLATES.copy("toan-today", _build_open_for_toan_today, data_dir)


def _build_open_for_toan_today(data_dir: Path) -> Path:
    build_data_dir(data_dir)
    _register(data_dir, "TOAN", 2022)
    with opened(data_dir) as forms:
        closes = dt.date.today() + dt.timedelta(days=30)
        windows.grant_extension(forms, "TOAN", SELF, 2022, closes, "thử nghiệm", "admin")
    return data_dir


def register(app, unit_code: str, year: int = 2022) -> None:
    """Record a submitted registration for a unit (the self-assessment requires it)."""
    _register(app.config["DATA_DIR"], unit_code, year)


def _register(data_dir: Path, unit_code: str, year: int) -> None:
    with opened(data_dir) as forms:
        submitting.record(forms, unit_code=unit_code, definition=registry.definition(forms, REGISTRATION),
                          cycle_year=year, answers=REGISTRATION_ANSWERS, action="submit", author="test",
                          base_revision=None, request_token=None)


# What the tests read back, through the product's functions.

def submission_row(app, unit_code: str, form_id: str = SELF, year: int = 2022) -> dict | None:
    """The unit's submission (its row of `submissions`), or None."""
    with opened(app.config["DATA_DIR"]) as forms:
        return submitting.find(forms, unit_code, form_id, year)


def current_answers(app, unit_code: str, form_id: str = SELF, year: int = 2022) -> dict:
    """The answers of the revision being edited ({} before the first save)."""
    with opened(app.config["DATA_DIR"]) as forms:
        return submitting.current_answers(forms, submitting.find(forms, unit_code, form_id, year))


def revision_rows(app, unit_code: str, form_id: str = SELF, year: int = 2022) -> list[dict]:
    """Every revision of a unit's submission, oldest first, with its answers and its request token."""
    with opened(app.config["DATA_DIR"]) as forms:
        submission = submitting.find(forms, unit_code, form_id, year)
        if submission is None:
            return []
        # No product function hands out a revision's request token (only "which revision had this token").
        tokens = dict(forms.execute("SELECT number, request_token FROM revisions WHERE submission_id = ?",
                                    [submission["id"]]).fetchall())
        return [{"number": r["number"], "action": r["action"], "author": r["author"],
                 "answers": submitting.revision_answers(forms, submission["id"], r["number"]), "total": r["total"],
                 "request_token": tokens[r["number"]]}
                for r in reversed(submitting.revisions(forms, submission["id"]))]


def forms_sql(app, sql: str, params=()) -> list[tuple]:
    """Raw rows of a query on forms.db: for assertions on a table's rows that no product function reads."""
    with opened(app.config["DATA_DIR"]) as forms:
        return forms.execute(sql, params).fetchall()


# Certificates: TOAN and VAN (renamed to an injection attempt) recognised for 2022, LY submitted and not recognised.
TRICKY = '<img src="file:///etc/passwd"> Đoàn khoa Ngữ văn'
EXAMPLES = Path(__file__).resolve().parents[2] / "form_definitions" / "examples"


def latest_shipped_version(form_id: str = SELF) -> int:
    """The highest version of a form among the shipped definitions (read from the files, without checking them)."""
    versions = [document["version"] for document in (json.loads(p.read_text("utf-8")) for p in shipped_folder().glob("*.json"))
                if document.get("id") == form_id]
    return max(versions)


def example_answers(form_id: str = SELF, version: int | None = None) -> dict:
    """The example answers shipped for a version of a form (default: its latest shipped version):
    form_definitions/examples/<id>.answers.json for version 1, <id>-v<N>.answers.json for version N."""
    version = version or latest_shipped_version(form_id)
    name = f"{form_id}.answers.json" if version == 1 else f"{form_id}-v{version}.answers.json"
    return json.loads((EXAMPLES / name).read_text("utf-8"))


EXAMPLE_ANSWERS = example_answers(SELF)  # the latest self-assessment's example: recognised ("Khá"), with evidence


def recognised_app(data_dir: Path):
    """The app on a data directory where TOAN and VAN are recognised for 2022 and LY is not (no certificate made)."""
    from forms_app.adapters.web.app import create_app
    from forms_app.rules import registry, submitting, units
    from forms_app.rules.deciding import record_decision

    build_data_dir(data_dir)
    app = create_app({"DATA_DIR": data_dir, "TESTING": True, "NOW": OPEN_DAY})
    with opened(data_dir) as forms:
        van = next(u for u in WEB_UNITS if u["code"] == "VAN")
        units.save_units(forms, [{**van, "name": TRICKY}])
        definition = registry.definition(forms, SELF)
        for unit in ("TOAN", "VAN", "LY"):
            register(app, unit)
            submitting.record(forms, unit_code=unit, definition=definition, cycle_year=2022, answers=EXAMPLE_ANSWERS,
                              action="submit", author=unit.lower(), base_revision=None, request_token=None)
        for unit, kind in (("TOAN", "recognised"), ("VAN", "recognised"), ("LY", "not_recognised")):
            record_decision(forms, unit, SELF, 2022, kind, "vanphong", decision_no="45-QĐ/ĐTN",
                            decided_on=dt.date(2022, 10, 20), today=dt.date(2022, 10, 20))
    return app


def issue_certificate(app, unit: str, year: int = 2022):
    """`rules.certificates.issue` for a unit and year of the app's data directory."""
    from forms_app.rules import certificates

    with opened(app.config["DATA_DIR"]) as forms:
        return certificates.issue(forms, app.config["DATA_DIR"], unit, year)
