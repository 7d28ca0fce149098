"""Reminders by e-mail (`forms-app remind`, issue 16), against a real SMTP server started here (aiosmtpd on loopback):
the right units get the right messages, once; an extension moves the deadline's reminders; nothing is marked sent when
the server is down; `--dry-run` sends and marks nothing; units import with their addresses."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from support.data import PUBLIC_URL, SELF, build_data_dir, opened

from forms_app.adapters.cli import cli
from forms_app.rules import registry, windows

ADDRESSES = {"TOAN": "toan@example.edu.vn", "VAN": "van@example.edu.vn"}  # LY has no address


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    yield inbox
    controller.stop()


@pytest.fixture
def data_dir(tmp_path):
    data_dir = build_data_dir(tmp_path / "data")
    units = tmp_path / "don-vi.csv"
    units.write_text("mã,tên,cụm,thư điện tử\n"
                     "TOAN,Đoàn khoa Toán – Tin,Cụm 1 – Khoa học Tự nhiên,toan@example.edu.vn\n"
                     "VAN,Đoàn khoa Ngữ văn,Cụm 2 – Khoa học Xã hội,van@example.edu.vn\n"
                     "LY,Đoàn khoa Vật lý,Cụm 1 – Khoa học Tự nhiên,\n", "utf-8")
    result = CliRunner().invoke(cli, ["units", "import", str(units), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return data_dir


def remind(data_dir, url, *args, now="2022-09-28T03:00:00"):
    env = {"FORMS_APP_SMTP_URL": url, "FORMS_APP_MAIL_FROM": "doantruong@example.edu.vn", "FORMS_APP_PUBLIC_URL": ""}
    return CliRunner().invoke(cli, ["remind", "--data-dir", str(data_dir), "--now", now, *args], env=env)


def sent_rows(data_dir) -> list[tuple]:
    with opened(data_dir) as forms:
        return [tuple(r) for r in forms.execute(
            "SELECT unit_code, form_id, cycle_year, kind, address FROM reminders_sent ORDER BY unit_code, kind")]


def submit_directly(data_dir, unit: str) -> None:
    with opened(data_dir) as forms:
        forms.execute("INSERT INTO submissions (unit_code, form_id, cycle_year, form_version, status, created_at, "
                      "updated_at) VALUES (?, ?, 2022, 1, 'submitted', '2022-09-01', '2022-09-01')", [unit, SELF])
        forms.conn.commit()


def title(data_dir) -> str:
    with opened(data_dir) as forms:
        return registry.form_titles(forms, "vi")[SELF]


def test_units_import_reads_the_email_column_and_refuses_a_bad_address(data_dir, tmp_path):
    with opened(data_dir) as forms:
        assert dict(forms.execute("SELECT code, email FROM units").fetchall()) == {**ADDRESSES, "LY": None}
    bad = tmp_path / "sai.csv"
    bad.write_text("code,name,cluster,email\nTOAN,Đoàn khoa Toán – Tin,Cụm 1,khong-phai-dia-chi\n", "utf-8")
    result = CliRunner().invoke(cli, ["units", "import", str(bad), "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert "khong-phai-dia-chi" in result.output
    without = tmp_path / "khong-email.csv"
    without.write_text("code,name,cluster\nTOAN,Đoàn khoa Toán – Tin,Cụm 1\n", "utf-8")
    assert CliRunner().invoke(cli, ["units", "import", str(without), "--data-dir", str(data_dir)]).exit_code == 0
    with opened(data_dir) as forms:  # a file without the column keeps the addresses
        assert forms.execute("SELECT email FROM units WHERE code = 'TOAN'").fetchone()[0] == ADDRESSES["TOAN"]


def test_the_units_that_have_not_submitted_are_reminded_of_the_deadline_once(data_dir, smtp):
    submit_directly(data_dir, "VAN")
    result = remind(data_dir, smtp.url)
    assert result.exit_code == 0, result.output
    assert [to for to, _ in smtp.messages] == [[ADDRESSES["TOAN"]]]
    message = smtp.messages[0][1]
    body = message.get_content()
    assert title(data_dir) in message["Subject"] and SELF not in message["Subject"]
    assert "Còn 3 ngày" in body and "01/10/2022" in body
    assert f"/forms/{SELF}/2022" in body
    assert sent_rows(data_dir) == [("TOAN", SELF, 2022, "due-3", ADDRESSES["TOAN"])]
    again = remind(data_dir, smtp.url)
    assert again.exit_code == 0, again.output
    assert len(smtp.messages) == 1  # each reminder once
    assert remind(data_dir, smtp.url, now="2022-09-30T03:00:00").exit_code == 0
    assert [m["To"] for _, m in smtp.messages[1:]] == [ADDRESSES["TOAN"]]
    assert "Còn 1 ngày" in smtp.messages[1][1].get_content()


def test_the_link_uses_the_public_address(data_dir, smtp):
    from support.data import set_public_url

    set_public_url(data_dir)
    env = {"FORMS_APP_SMTP_URL": smtp.url, "FORMS_APP_MAIL_FROM": "doantruong@example.edu.vn"}
    result = CliRunner().invoke(cli, ["remind", "--data-dir", str(data_dir), "--now", "2022-09-15T03:00:00"], env=env)
    assert result.exit_code == 0, result.output
    assert sorted(m["To"] for _, m in smtp.messages) == sorted(ADDRESSES.values())
    assert all(f"{PUBLIC_URL}/forms/{SELF}/2022" in m.get_content() for _, m in smtp.messages)
    assert {row[3] for row in sent_rows(data_dir)} == {"opens"}


def test_an_extension_moves_the_deadlines_reminders(data_dir, smtp):
    import datetime as dt

    with opened(data_dir) as forms:
        windows.grant_extension(forms, "TOAN", SELF, 2022, dt.date(2022, 10, 20), "lũ lụt", "admin",
                                on=dt.date(2022, 9, 20))
    assert remind(data_dir, smtp.url).exit_code == 0
    kinds = {(row[0], row[3]) for row in sent_rows(data_dir)}
    assert kinds == {("TOAN", "opens"), ("VAN", "due-3")}
    assert remind(data_dir, smtp.url, now="2022-10-17T03:00:00").exit_code == 0
    assert ("TOAN", "due-3") in {(row[0], row[3]) for row in sent_rows(data_dir)}
    assert "20/10/2022" in smtp.messages[-1][1].get_content()


def test_a_return_and_a_decision_are_reminded(data_dir, smtp):
    from forms_app.data import decisions

    with opened(data_dir) as forms:
        for unit, decision, until in (("TOAN", "returned", "2022-10-05"), ("VAN", "not_recognised", None)):
            decisions.insert(forms, {"unit_code": unit, "form_id": SELF, "cycle_year": 2022, "decision": decision,
                                     "comment": None, "reason": None, "reopen_until": until, "decision_no": None,
                                     "decided_on": None, "commendation": 0, "source": "web", "recorded_by": "vanphong",
                                     "recorded_at": "2022-09-27T03:00:00+00:00"})
        forms.conn.commit()
    assert remind(data_dir, smtp.url).exit_code == 0
    kinds = sorted((row[0], row[3].split("-")[0]) for row in sent_rows(data_dir))
    assert kinds == [("TOAN", "due"), ("TOAN", "returned"), ("VAN", "decision")]
    bodies = [(m["To"], m.get_content()) for _, m in smtp.messages]
    assert any(to == ADDRESSES["TOAN"] and "trả lại" in body and "05/10/2022" in body for to, body in bodies)
    assert any(to == ADDRESSES["VAN"] and "không công nhận" in body for to, body in bodies)


def test_nothing_is_marked_sent_when_the_server_is_down(data_dir):
    result = remind(data_dir, f"smtp://127.0.0.1:{free_port()}")
    assert result.exit_code == 1
    assert "127.0.0.1" in result.output
    assert sent_rows(data_dir) == []


def test_dry_run_sends_and_marks_nothing(data_dir, smtp):
    result = remind(data_dir, smtp.url, "--dry-run")
    assert result.exit_code == 0, result.output
    assert ADDRESSES["TOAN"] in result.output and ADDRESSES["VAN"] in result.output
    assert smtp.messages == []
    assert sent_rows(data_dir) == []
