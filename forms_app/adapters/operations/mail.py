"""Sending reminders by e-mail (`forms-app remind`) through the SMTP server in FORMS_APP_SMTP_URL
(`smtp://host:port`, `smtps://host:port`, optional `user:password@`), from FORMS_APP_MAIL_FROM; Python's smtplib.

A reminder is logged as sent only once the server has accepted it; when the server cannot be reached nothing is.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from forms_app.data import connection as database
from forms_app.rules import messages
from forms_app.rules import reminders as rules

TIMEOUT = 30

MESSAGES: messages.Catalogue = {
    "no_server": {"vi": "Chưa đặt máy chủ thư: hãy đặt FORMS_APP_SMTP_URL (smtp://máy:cổng hoặc smtps://…) và "
                        "FORMS_APP_MAIL_FROM (địa chỉ gửi).",
                  "en": "No mail server: set FORMS_APP_SMTP_URL (smtp://host:port or smtps://…) and FORMS_APP_MAIL_FROM "
                        "(the sender's address)."},
    "bad_url": {"vi": "FORMS_APP_SMTP_URL không hợp lệ: {url} (cần smtp://máy:cổng hoặc smtps://máy:cổng).",
                "en": "FORMS_APP_SMTP_URL is invalid: {url} (expected smtp://host:port or smtps://host:port)."},
    "unreachable": {"vi": "Không kết nối được máy chủ thư {host}:{port} ({reason}); chưa gửi thư nào và không đánh "
                          "dấu thư nào là đã gửi.",
                    "en": "Cannot reach the mail server {host}:{port} ({reason}); nothing was sent or marked as sent."},
    "would_send": {"vi": "Sẽ gửi đến {address} ({unit}, {kind}): {subject}",
                   "en": "Would send to {address} ({unit}, {kind}): {subject}"},
    "sent": {"vi": "Đã gửi đến {address} ({unit}, {kind}): {subject}",
             "en": "Sent to {address} ({unit}, {kind}): {subject}"},
    "refused": {"vi": "Máy chủ thư từ chối thư đến {address} ({reason}); thư sẽ được gửi lại lần sau.",
                "en": "The mail server refused the message to {address} ({reason}); it will be tried again next time."},
    "done": {"vi": "Đã gửi {sent}/{due} thư nhắc.", "en": "Sent {sent} of {due} reminder(s)."},
    "dry_done": {"vi": "{due} thư nhắc đến hạn; không gửi thư nào (--dry-run).",
                 "en": "{due} reminder(s) due; nothing sent (--dry-run)."},
}


class MailError(Exception):
    """The SMTP server cannot be used (unset, invalid or unreachable): nothing was sent."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(code)

    def message(self, lang: str = "vi") -> str:
        return messages.text(MESSAGES, self.code, lang, **self.params)


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    secure: bool
    user: str | None
    password: str | None


def server_from(url: str | None) -> Server:
    """The server of FORMS_APP_SMTP_URL; MailError when unset or invalid."""
    if not url:
        raise MailError("no_server")
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailError("bad_url", url=url)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return Server(parts.hostname, port or (465 if parts.scheme == "smtps" else 25), parts.scheme == "smtps", user,
                  password)


def connect(server: Server) -> smtplib.SMTP:
    """A connection, logged in when the URL has a user (STARTTLS first on smtp:// when the server offers it)."""
    try:
        if server.secure:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
        if server.user:
            smtp.login(server.user, server.password or "")
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError("unreachable", host=server.host, port=server.port, reason=str(exc) or type(exc).__name__) from exc
    return smtp


def email_of(reminder: rules.Reminder, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, reminder.address, reminder.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(reminder.body)
    return message


def send(reminders: list[rules.Reminder], server: Server, sender: str, on_sent: Callable[[rules.Reminder], None],
         on_refused: Callable[[rules.Reminder, str], None]) -> None:
    """Send each reminder on one connection, calling `on_sent` once the server accepted it (MailError, nothing sent,
    when the server cannot be reached)."""
    smtp = connect(server)
    try:
        for reminder in reminders:
            try:
                smtp.send_message(email_of(reminder, sender))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                on_refused(reminder, str(exc))
                continue
            on_sent(reminder)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def remind(data_dir: Path, now: dt.datetime, *, dry_run: bool, smtp_url: str | None, sender: str | None,
           echo: Callable[[str], None], lang: str = "vi") -> int:
    """Send (or with `dry_run` only list) every reminder due at `now`, logging each one the server accepted: how
    many were sent (MailError when the server is unset, invalid or unreachable: nothing sent or logged)."""
    forms = database.open_forms(data_dir)
    try:
        due = rules.pending(forms, data_dir, now)
        if dry_run:
            for r in due:
                echo(messages.text(MESSAGES, "would_send", lang, address=r.address, unit=r.unit_code, kind=r.kind,
                                   subject=r.subject))
            echo(messages.text(MESSAGES, "dry_done", lang, due=len(due)))
            return 0
        server = server_from(smtp_url)
        if not sender:
            raise MailError("no_server")
        sent: list[rules.Reminder] = []

        def on_sent(r: rules.Reminder) -> None:
            rules.mark_sent(forms, [r], now)
            sent.append(r)
            echo(messages.text(MESSAGES, "sent", lang, address=r.address, unit=r.unit_code, kind=r.kind,
                               subject=r.subject))

        if due:
            send(due, server, sender, on_sent,
                 lambda r, why: echo(messages.text(MESSAGES, "refused", lang, address=r.address, reason=why)))
        echo(messages.text(MESSAGES, "done", lang, sent=len(sent), due=len(due)))
        return len(sent)
    finally:
        forms.close()
