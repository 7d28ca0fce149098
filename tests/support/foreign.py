"""A questionnaire pair written elsewhere with every format 1.1 key (tests/data/foreign), loaded the way a deployment
loads its own folder: `forms-app init --definitions`.

`ghi-danh-doi-tinh-nguyen` is the sign-up (a commitment `dong_y_tham_gia` and a plan file `tep_ke_hoach`);
`danh-gia-doi-tinh-nguyen` the scored assessment, which opens only once the sign-up is submitted with the commitment
"Có" and the plan attached.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from forms_app.rules import registry, submitting, units
from support.data import PASSWORD, TEMPLATES, WEB_UNITS, add_accounts, opened, set_public_url

FOREIGN = Path(__file__).resolve().parents[1] / "data" / "foreign"
SIGNUP = "ghi-danh-doi-tinh-nguyen"
ASSESSMENT = "danh-gia-doi-tinh-nguyen"
YEAR = 2025
NOW = dt.datetime(2025, 6, 15, 3, 0, tzinfo=dt.timezone.utc)  # inside the 2025 windows (1 January – 31 December)
SIGNUP_URL = f"/forms/{SIGNUP}/{YEAR}"
ASSESSMENT_URL = f"/forms/{ASSESSMENT}/{YEAR}"
# The sentence the program says while the sign-up does not open the assessment.
WAITING = ("Cần nộp Ghi danh Đội tình nguyện với “Đơn vị đồng ý tham gia đợt đánh giá” = Có và đã đính kèm "
           "“Kế hoạch hoạt động của đội” trước khi mở Đánh giá Đội tình nguyện.")


def init(data_dir: Path, definitions: Path = FOREIGN) -> None:
    """`forms-app init --data-dir DATA_DIR --definitions DEFINITIONS` (exit code 0 asserted)."""
    from click.testing import CliRunner

    from forms_app.adapters.cli import cli

    result = CliRunner().invoke(cli, ["init", "--data-dir", str(data_dir), "--definitions", str(definitions)])
    assert result.exit_code == 0, result.output


def build_foreign_data_dir(data_dir: Path) -> Path:
    """A data directory holding only the foreign pair, WEB_UNITS and the accounts of support.data (PASSWORD)."""
    return TEMPLATES.copy("foreign", _build, data_dir)


def _build(data_dir: Path) -> Path:
    init(data_dir)
    set_public_url(data_dir)
    with opened(data_dir) as forms:
        units.save_units(forms, WEB_UNITS)
    add_accounts(data_dir)
    return data_dir


def sign_up(data_dir: Path, unit_code: str, year: int = YEAR, *, committed: bool = True, plan: bool = True,
            action: str = "submit", expected: int = 12) -> None:
    """Record a unit's sign-up through the rules (the web's own path has its tests): committed or not, with a plan
    file reference or without, `expected` members."""
    answers = {"dong_y_tham_gia": committed, "so_doi_vien_du_kien": expected}
    if plan:
        answers["tep_ke_hoach"] = "ke-hoach.pdf"
    with opened(data_dir) as forms:
        submitting.record(forms, unit_code=unit_code, definition=registry.definition(forms, SIGNUP), cycle_year=year,
                          answers=answers, action=action, author="test", base_revision=None, request_token=None)


__all__ = ["ASSESSMENT", "ASSESSMENT_URL", "FOREIGN", "NOW", "PASSWORD", "SIGNUP", "SIGNUP_URL", "WAITING", "YEAR",
           "build_foreign_data_dir", "init", "sign_up"]
