"""The data-directory commands through click's CliRunner: init, units import, users add, demo."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from forms_app.adapters.cli import cli

UNITS_CSV = (
    "code,name,cluster\n"
    "TOAN,Đoàn khoa Toán – Tin,Cụm 1 – Khoa học Tự nhiên\n"
    "VAN,Đoàn khoa Ngữ văn,Cụm 2 – Khoa học Xã hội\n"
    "GDTC,Đoàn khoa Giáo dục Thể chất,Cụm 5 – Nghệ thuật và Thể chất\n"
)
LONG_PASSWORD = "mot-mat-khau-du-dai"


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    assert "Traceback" not in result.output
    return result


def rows(data_dir: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(data_dir / "forms.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def shipped_definitions() -> list:
    """Every definition shipped in form_definitions/ (each version of each form)."""
    from form_definitions import check_paths, shipped_folder

    definitions, problems = check_paths([shipped_folder()])
    assert problems == []
    return definitions


def account_rows(data_dir: Path, sql: str, params=()) -> list[tuple]:
    conn = sqlite3.connect(data_dir / "accounts.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    path = tmp_path / "data"
    result = run("init", "--data-dir", path)
    assert result.exit_code == 0, result.output
    return path


def _units_file(tmp_path: Path, text: str = UNITS_CSV, name: str = "units.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")  # as Excel saves "CSV UTF-8": with a byte order mark
    return path


# init

def test_init_twice_is_safe_and_loads_the_shipped_definitions_once(tmp_path):
    data_dir = tmp_path / "data"
    first = run("init", "--data-dir", data_dir)
    assert first.exit_code == 0, first.output
    second = run("init", "--data-dir", data_dir)
    assert second.exit_code == 0, second.output
    shipped = shipped_definitions()
    assert sorted(rows(data_dir, "SELECT form_id, version FROM form_versions")) == sorted(
        (d.id, d.version) for d in shipped)
    assert ("tu-danh-gia-3-chu-dong", 1) in {(d.id, d.version) for d in shipped}
    for form_id in {d.id for d in shipped}:  # a cycle per year of any version's schedule
        years = set().union(*(d.schedule.years for d in shipped if d.id == form_id))
        assert rows(data_dir, "SELECT COUNT(*) FROM cycles WHERE form_id = ?", [form_id]) == [(len(years),)]
    assert (data_dir / "accounts.db").exists()
    assert (data_dir / "secret_key").exists()
    assert "(mới)" in first.output and "(mới)" not in second.output


def test_init_with_a_broken_definitions_folder_exits_1_and_loads_nothing(tmp_path):
    from form_definitions import shipped_folder

    folder = tmp_path / "definitions"
    folder.mkdir()
    shutil.copy(shipped_folder() / "dang-ky-3-chu-dong.json", folder)  # a good one beside the broken one
    broken = json.loads((shipped_folder() / "tu-danh-gia-3-chu-dong.json").read_text("utf-8"))
    broken["sections"][0]["questions"][0]["type"] = "slider"
    (folder / "hong.json").write_text(json.dumps(broken, ensure_ascii=False), "utf-8")
    data_dir = tmp_path / "data"
    result = run("init", "--definitions", folder, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "hong.json" in result.stderr
    assert "không nạp gì cả" in result.stderr
    assert rows(data_dir, "SELECT COUNT(*) FROM form_versions") == [(0,)]
    assert rows(data_dir, "SELECT COUNT(*) FROM cycles") == [(0,)]


def test_init_refuses_new_content_under_an_old_version_number(data_dir, tmp_path):
    from form_definitions import shipped_folder

    folder = tmp_path / "definitions"
    folder.mkdir()
    document = json.loads((shipped_folder() / "dang-ky-3-chu-dong.json").read_text("utf-8"))
    document["title"]["vi"] = "Đăng ký (đã sửa mà không tăng phiên bản)"
    (folder / "dang-ky-3-chu-dong.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    result = run("init", "--definitions", folder, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "version" in result.stderr
    assert rows(data_dir, "SELECT title FROM form_versions WHERE form_id = 'dang-ky-3-chu-dong'") != [(document["title"]["vi"],)]


def test_init_adds_a_new_version_beside_the_old_one(data_dir, tmp_path):
    from form_definitions import shipped_folder

    folder = tmp_path / "definitions"
    folder.mkdir()
    document = json.loads((shipped_folder() / "dang-ky-3-chu-dong.json").read_text("utf-8"))
    versions = sorted(d.version for d in shipped_definitions() if d.id == "dang-ky-3-chu-dong")
    document["version"] = versions[-1] + 1
    (folder / "dang-ky-3-chu-dong.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    assert run("init", "--definitions", folder, "--data-dir", data_dir).exit_code == 0
    assert rows(data_dir, "SELECT version FROM form_versions WHERE form_id = 'dang-ky-3-chu-dong' ORDER BY version") == [
        (v,) for v in versions + [versions[-1] + 1]]


# units import

def test_units_import_reads_a_csv_with_vietnamese_names_and_a_byte_order_mark(data_dir, tmp_path):
    result = run("units", "import", _units_file(tmp_path), "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert sorted(rows(data_dir, "SELECT code, name, cluster FROM units")) == [
        ("GDTC", "Đoàn khoa Giáo dục Thể chất", "Cụm 5 – Nghệ thuật và Thể chất"),
        ("TOAN", "Đoàn khoa Toán – Tin", "Cụm 1 – Khoa học Tự nhiên"),
        ("VAN", "Đoàn khoa Ngữ văn", "Cụm 2 – Khoa học Xã hội"),
    ]


def test_units_import_reads_an_xlsx_workbook(data_dir, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Mã đơn vị", "Tên đơn vị", "Cụm thi đua"])
    sheet.append(["HOA", "Đoàn khoa Hoá học", "Cụm 1 – Khoa học Tự nhiên"])
    sheet.append(["SU", "Đoàn khoa Lịch sử", "Cụm 2 – Khoa học Xã hội"])
    path = tmp_path / "don-vi.xlsx"
    book.save(path)
    result = run("units", "import", path, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert sorted(rows(data_dir, "SELECT code, name FROM units")) == [("HOA", "Đoàn khoa Hoá học"), ("SU", "Đoàn khoa Lịch sử")]


def test_units_import_with_a_bad_row_names_the_row_and_imports_nothing(data_dir, tmp_path):
    assert run("units", "import", _units_file(tmp_path), "--data-dir", data_dir).exit_code == 0
    bad = _units_file(tmp_path, "code,name,cluster\nSINH,Đoàn khoa Sinh học,Cụm 1\nMÃ SAI,Đoàn khoa Địa lý,Cụm 2\n"
                                "TOAN,Đổi tên Toán,Cụm 1\n", "bad.csv")
    result = run("units", "import", bad, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "Dòng 3" in result.stderr
    assert rows(data_dir, "SELECT COUNT(*) FROM units") == [(3,)]
    assert rows(data_dir, "SELECT name FROM units WHERE code = 'TOAN'") == [("Đoàn khoa Toán – Tin",)]


def test_units_import_names_a_duplicate_code_and_a_missing_name_by_row(data_dir, tmp_path):
    bad = _units_file(tmp_path, "code,name,cluster\nA1,Một,C\nB2,,C\nA1,Lặp lại,C\n", "bad.csv")
    result = run("units", "import", bad, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "Dòng 3" in result.stderr and "Dòng 4" in result.stderr
    assert rows(data_dir, "SELECT COUNT(*) FROM units") == [(0,)]


def test_units_import_numbers_rows_as_the_spreadsheet_shows_them_across_blank_lines(data_dir, tmp_path):
    bad = _units_file(tmp_path, "code,name,cluster\nA1,Một,C\n\nMÃ SAI,Hai,C\n", "blank.csv")
    result = run("units", "import", bad, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "Dòng 4" in result.stderr and "Dòng 3" not in result.stderr


def test_units_import_again_updates_existing_units(data_dir, tmp_path):
    assert run("units", "import", _units_file(tmp_path), "--data-dir", data_dir).exit_code == 0
    changed = _units_file(tmp_path, "code,name,cluster\nTOAN,Đoàn khoa Toán học,Cụm 1 – Khoa học Tự nhiên\n"
                                    "LY,Đoàn khoa Vật lý,Cụm 1 – Khoa học Tự nhiên\n", "again.csv")
    result = run("units", "import", changed, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert "Đã nhập 1 đơn vị mới, cập nhật 1 đơn vị." in result.output
    assert rows(data_dir, "SELECT name FROM units WHERE code = 'TOAN'") == [("Đoàn khoa Toán học",)]
    assert rows(data_dir, "SELECT COUNT(*) FROM units") == [(4,)]


# users add

def test_users_add_reads_the_password_from_stdin_and_the_account_can_sign_in(data_dir, tmp_path):
    from support.web import csrf_token

    from forms_app.adapters.web.app import create_app

    assert run("units", "import", _units_file(tmp_path), "--data-dir", data_dir).exit_code == 0
    result = run("users", "add", "bithu.toan", "--role", "unit", "--unit", "TOAN", "--data-dir", data_dir,
                 input=LONG_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert LONG_PASSWORD not in result.output
    [(role, unit, hashed)] = account_rows(data_dir, "SELECT role, unit_code, password_hash FROM users WHERE username = 'bithu.toan'")
    assert (role, unit) == ("unit", "TOAN") and hashed.startswith("$argon2id$")

    client = create_app({"DATA_DIR": data_dir, "TESTING": True}).test_client()
    response = client.post("/login", data={"username": "bithu.toan", "password": LONG_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_users_add_for_an_unknown_unit_exits_1(data_dir):
    result = run("users", "add", "ai.do", "--role", "unit", "--unit", "KHONGCO", "--data-dir", data_dir,
                 input=LONG_PASSWORD + "\n")
    assert result.exit_code == 1
    assert "Không có đơn vị mang mã này" in result.stderr
    assert account_rows(data_dir, "SELECT COUNT(*) FROM users") == [(0,)]


def test_users_add_with_a_short_password_exits_1(data_dir):
    result = run("users", "add", "vanphong", "--role", "reviewer", "--data-dir", data_dir, input="ngan\n")
    assert result.exit_code == 1
    assert "ít nhất 10 ký tự" in result.stderr
    assert account_rows(data_dir, "SELECT COUNT(*) FROM users") == [(0,)]


def test_users_add_refuses_a_taken_username_and_a_unit_account_without_a_unit(data_dir):
    assert run("users", "add", "vanphong", "--role", "reviewer", "--data-dir", data_dir, input=LONG_PASSWORD + "\n").exit_code == 0
    again = run("users", "add", "vanphong", "--role", "admin", "--data-dir", data_dir, input=LONG_PASSWORD + "\n")
    assert again.exit_code == 1
    no_unit = run("users", "add", "donvi", "--role", "unit", "--data-dir", data_dir, input=LONG_PASSWORD + "\n")
    assert no_unit.exit_code == 1
    assert account_rows(data_dir, "SELECT username, role FROM users") == [("vanphong", "reviewer")]


def test_users_add_takes_no_password_argument(data_dir):
    result = run("users", "add", "x", "--role", "admin", "--password", LONG_PASSWORD, "--data-dir", data_dir)
    assert result.exit_code == 2


# demo

TIMESTAMPS = {"created_at", "updated_at", "submitted_at", "granted_at", "loaded_at", "at"}


def _table(data_dir: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(data_dir / "forms.db")
    try:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[1] not in TIMESTAMPS]
        return conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1, 2, 3").fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo_dirs(tmp_path_factory):
    made = []
    for name in ("demo-a", "demo-b"):
        data_dir = tmp_path_factory.mktemp(name) / "data"
        result = CliRunner().invoke(cli, ["demo", "--units", "12", "--years", "2020-2022", "--seed", "7", "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        made.append(data_dir)
    return made


def test_demo_with_the_same_seed_gives_the_same_units_and_submissions(demo_dirs):
    first, second = demo_dirs
    assert len(_table(first, "units")) == 12
    submissions = _table(first, "submissions")
    assert submissions, "the demo made no submissions"
    assert {row[3] for row in rows(first, "SELECT * FROM submissions")} <= {2020, 2021, 2022}
    for table in ("units", "submissions", "revisions", "answers", "section_scores"):
        assert _table(first, table) == _table(second, table), table


def test_demo_writes_accounts_that_can_sign_in(demo_dirs):
    from support.web import csrf_token

    from forms_app.adapters.web.app import create_app

    data_dir = demo_dirs[0]
    with (data_dir / "demo-accounts.csv").open(encoding="utf-8") as handle:
        accounts = list(csv.DictReader(handle))
    roles = {row["role"] for row in accounts}
    assert {"admin", "reviewer", "inspector", "cluster_lead", "unit"} <= roles  # one account per role of the plan
    assert next(row for row in accounts if row["role"] == "cluster_lead")["clusters"]
    with (demo_dirs[1] / "demo-accounts.csv").open(encoding="utf-8") as handle:
        assert list(csv.DictReader(handle)) == accounts  # reproducible too
    app = create_app({"DATA_DIR": data_dir, "TESTING": True})
    for role in ("unit", "admin", "inspector", "cluster_lead"):
        account = next(row for row in accounts if row["role"] == role)
        client = app.test_client()
        response = client.post("/login", data={"username": account["username"], "password": account["password"],
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302, account["username"]
        assert client.get("/").status_code == 200


def test_demo_again_on_the_same_directory_is_harmless(demo_dirs):
    data_dir = demo_dirs[0]
    before = _table(data_dir, "submissions")
    result = run("demo", "--units", "12", "--years", "2020-2022", "--seed", "7", "--data-dir", data_dir)
    assert result.exit_code == 0
    assert _table(data_dir, "submissions") == before


def test_demo_records_the_committees_decisions_reproducibly_and_leaves_the_demo_units_last_year_open(demo_dirs):
    first, second = demo_dirs
    for table in ("decisions", "adjustments"):
        assert _table(first, table) == _table(second, table), table
    kinds = dict(rows(first, "SELECT decision, COUNT(*) FROM decisions GROUP BY decision"))
    assert kinds.get("recognised") and kinds.get("not_recognised") and kinds.get("accepted")  # registrations accepted
    # The decision follows the automatic result, with a number and a date in October of the year.
    assert rows(first, "SELECT COUNT(*) FROM decisions d JOIN submissions s ON s.unit_code = d.unit_code "
                       "AND s.form_id = d.form_id AND s.cycle_year = d.cycle_year WHERE d.decision != 'accepted' "
                       "AND ((d.decision = 'recognised') != (s.recognised = 1) OR d.decision_no IS NULL "
                       "OR d.decided_on NOT LIKE d.cycle_year || '-10-%')") == [(0,)]
    assert rows(first, "SELECT COUNT(*) FROM decisions WHERE commendation = 1")[0][0] >= 1
    assert rows(first, "SELECT COUNT(*) FROM adjustments")[0][0] >= 2  # two inspections' own, and those of `kiemtra`'s
    assert rows(first, "SELECT COUNT(*) FROM submissions WHERE adjusted_total IS NOT NULL")[0][0] >= 1
    with (first / "demo-accounts.csv").open(encoding="utf-8") as handle:
        demo_units = [row["unit"] for row in csv.DictReader(handle) if row["unit"]]
    marks = ",".join("?" * len(demo_units))
    assert rows(first, f"SELECT COUNT(*) FROM decisions WHERE cycle_year = 2022 AND decision != 'accepted' "
                       f"AND unit_code IN ({marks})", demo_units) == [(0,)]


def test_demo_has_an_inspection_with_its_minutes_and_a_cluster_leads_proposals_the_office_selected_from(demo_dirs):
    first, second = demo_dirs
    for table in ("proposals", "selections", "unit_comments"):
        assert _table(first, table) == _table(second, table), table
    inspection = "SELECT unit_code, form_id, cycle_year, inspected_on, members, conclusion FROM inspections ORDER BY id"
    assert rows(first, inspection) == rows(second, inspection)  # the minutes' reference is random, like every upload's
    [(unit, year, by, name, size)] = rows(first, "SELECT i.unit_code, i.cycle_year, i.recorded_by, u.original_name, u.size "
                                                 "FROM inspections i JOIN uploads u ON u.token = i.minutes_token LIMIT 1")
    assert (year, by) == (2021, "kiemtra") and name.endswith(".pdf") and size > 1000
    blob = rows(first, "SELECT sha256 FROM uploads WHERE original_name = ?", (name,))[0][0]
    assert (first / "uploads" / blob[:2] / blob).read_bytes().startswith(b"%PDF-")
    with (first / "demo-accounts.csv").open(encoding="utf-8") as handle:
        accounts = {row["username"]: row for row in csv.DictReader(handle)}
    assert accounts["kiemtra"]["role"] == "inspector" and unit in {row["unit"] for row in accounts.values()}
    assert rows(first, "SELECT DISTINCT proposed_by FROM proposals") == [("phutrachcum",)]
    assert {kind for (kind,) in rows(first, "SELECT kind FROM proposals")} >= {"recognition", "forum"}
    # The office selected for commendation only units recognised that year, among those proposed.
    assert rows(first, "SELECT COUNT(*) FROM selections s WHERE s.kind = 'commendation' AND NOT EXISTS (SELECT 1 FROM "
                       "decisions d WHERE d.unit_code = s.unit_code AND d.cycle_year = s.cycle_year AND d.is_current = 1 "
                       "AND d.decision = 'recognised')") == [(0,)]
    assert rows(first, "SELECT COUNT(*) FROM selections WHERE selected_by = 'vanphong'")[0][0] >= 1
