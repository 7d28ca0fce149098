"""Reminders by e-mail (`forms-app remind`): what is due at a given moment, each reminder once.

A unit with an address is reminded: when a form opens for it (while it is open, not submitted, more than 7 days from
its deadline: nearer, the deadline's reminder says it); 7, 3 and 1 days
before its own deadline (its extension, or the day a return reopens the form until) while it has not submitted; when its
form is returned; when the standing committee decides (recognised, not_recognised, accepted, withdrawn). A return or a
decision is reminded within DECISION_DAYS of being recorded (a first run on an old database does not mail the past).
`due` is pure over what the data functions read; `pending` reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from forms_app.data import reminders as data_reminders
from forms_app.data.clock import stamp, today
from forms_app.data.connection import Database, write
from forms_app.rules import certificates, messages, registry, windows

DUE_DAYS = (1, 3, 7)  # the reminders before a deadline, by days left (the smallest that applies is sent)
DECISION_DAYS = 14
DECIDED = ("recognised", "not_recognised", "accepted", "withdrawn")
DECISION_WORDS = {"recognised": "công nhận đạt", "not_recognised": "không công nhận", "accepted": "tiếp nhận",
                  "withdrawn": "thu hồi công nhận"}


@dataclass(frozen=True)
class Reminder:
    """One message to one unit: `kind` is opens, due-7, due-3, due-1, returned-<decision id> or decision-<id>."""

    unit_code: str
    address: str
    form_id: str
    cycle_year: int
    kind: str
    subject: str
    body: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        return self.unit_code, self.form_id, self.cycle_year, self.kind


@dataclass(frozen=True)
class Facts:
    """What `due` decides from (read by `pending`)."""

    units: list[dict]  # {code, name, email}
    cycles: list[dict]  # {form_id, cycle_year, opens, closes}
    extensions: dict  # {(unit, form, year): date}
    submitted: set  # {(unit, form, year)}
    decisions: dict  # {(unit, form, year): current decision row}
    sent: set  # {(unit, form, year, kind)}
    titles: dict  # {form id: title}
    public_url: str  # "" when unset: links are paths


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _kinds(facts: Facts, unit: str, cycle: dict, day: dt.date, since: str) -> list[tuple[str, str]]:
    """(kind, the sentence saying why) of every reminder due for one unit and one cycle on `day`."""
    key = (unit, cycle["form_id"], cycle["cycle_year"])
    decision = facts.decisions.get(key)
    window = windows.unit_window(dt.date.fromisoformat(cycle["opens"]), dt.date.fromisoformat(cycle["closes"]),
                                 facts.extensions.get(key), decision)
    found = []
    if decision is not None and decision["recorded_at"] >= since:
        if decision["decision"] == "returned":
            until = f" Biểu mẫu được mở lại đến hết ngày {_day(window.closes)}." if window.reopened_until else ""
            found.append((f"returned-{decision['id']}", "Bài của đơn vị đã được trả lại để bổ sung." + until))
        elif decision["decision"] in DECIDED:
            found.append((f"decision-{decision['id']}",
                          f"Ban Thường vụ đã quyết định: {DECISION_WORDS[decision['decision']]}."))
    if window.state(day) != "open" or key in facts.submitted:
        return found
    left = window.days_left(day)
    threshold = next((n for n in DUE_DAYS if left <= n), None)
    if threshold is None and not (decision and decision["decision"] == "returned"):
        found.append(("opens", f"Biểu mẫu đã mở từ ngày {_day(window.opens)} đến hết ngày {_day(window.closes)}."))
    if threshold is not None:
        found.append((f"due-{threshold}", f"Còn {left} ngày đến hạn nộp (hết ngày {_day(window.closes)}); "
                                          "đơn vị chưa nộp."))
    return found


def _message(facts: Facts, unit: dict, cycle: dict, why: str) -> tuple[str, str]:
    title = facts.titles.get(cycle["form_id"]) or "Biểu mẫu"
    link = f"{facts.public_url}/forms/{cycle['form_id']}/{cycle['cycle_year']}"
    subject = f"[{title} {cycle['cycle_year']}] Nhắc việc cho {unit['name']}"
    body = (f"Kính gửi {unit['name']},\n\n{why}\n\nBiểu mẫu: {title} — năm {cycle['cycle_year']}\n"
            f"Mở biểu mẫu: {link}\n\nThư này được gửi tự động; vui lòng không trả lời.\n")
    return subject, body


def due(facts: Facts, now: dt.datetime) -> list[Reminder]:
    """Every reminder due at `now` and not sent before, unit by unit (pure)."""
    day = today(now)
    since = stamp(now - dt.timedelta(days=DECISION_DAYS))
    found = []
    for unit in facts.units:
        for cycle in facts.cycles:
            if cycle["form_id"] not in facts.titles:
                continue
            for kind, why in _kinds(facts, unit["code"], cycle, day, since):
                if (unit["code"], cycle["form_id"], cycle["cycle_year"], kind) in facts.sent:
                    continue
                subject, body = _message(facts, unit, cycle, why)
                found.append(Reminder(unit["code"], unit["email"].strip(), cycle["form_id"], cycle["cycle_year"],
                                      kind, subject, body))
    return found


def pending(db: Database, data_dir: Path, now: dt.datetime) -> list[Reminder]:
    """Every reminder due at `now` and not sent before, from the database."""
    first_year = today(now).year - 1
    _issuer, public_url = certificates.settings(data_dir)
    facts = Facts(units=data_reminders.recipients(db), cycles=data_reminders.cycles_open_by(db, today(now)),
                  extensions=data_reminders.extensions_from(db, first_year),
                  submitted=data_reminders.submitted_from(db, first_year),
                  decisions=data_reminders.current_decisions_from(db, first_year),
                  sent=data_reminders.sent_keys(db), titles=registry.form_titles(db, "vi"), public_url=public_url)
    return due(facts, now)


def mark_sent(db: Database, sent: list[Reminder], now: dt.datetime | None = None) -> None:
    """Log these reminders as sent (each once)."""
    with write(db):
        data_reminders.record_sent(db, [(*r.key[:4], r.address) for r in sent], stamp(now))


# What each kind of reminder was about, as the office's pages say it (the stored `kind` is a code).
KIND_TEXTS = {
    "opens": {"vi": "Biểu mẫu mở", "en": "The form opens"},
    "due": {"vi": "Sắp hết hạn (còn {days} ngày)", "en": "Deadline near ({days} days left)"},
    "returned": {"vi": "Bài bị trả lại", "en": "Returned for changes"},
    "decision": {"vi": "Có quyết định", "en": "A decision was made"},
}


def kind_text(kind: str, lang: str = "vi") -> str:
    """What a reminder of this stored kind was about, as a sentence: due-3 → "Sắp hết hạn (còn 3 ngày)"; an unknown
    kind as stored."""
    head, _dash, tail = kind.partition("-")
    if head not in KIND_TEXTS:
        return kind
    return messages.text(KIND_TEXTS, head, lang, days=tail)


@dataclass(frozen=True)
class LogFilter:
    """Which reminders the office's log shows: of a year, a form, a unit (each when given), of the units of
    `clusters` when given (a cluster lead's)."""

    year: int | None = None
    form_id: str | None = None
    unit_code: str | None = None
    clusters: tuple[str, ...] = ()

    def values(self) -> dict:
        return {"year": self.year, "form_id": self.form_id, "unit_code": self.unit_code, "clusters": list(self.clusters)}


def sent_log(db: Database, limit: int = 500, *, offset: int = 0, where: LogFilter = LogFilter(),
             lang: str = "vi") -> list[dict]:
    """The latest reminders sent, newest first: who was reminded of what, when; each row with `about`, what the
    reminder was about in `lang` (`kind_text`)."""
    rows = data_reminders.sent_log(db, limit, offset=offset, **where.values())
    return [{**row, "about": kind_text(row["kind"], lang)} for row in rows]


def sent_page(db: Database, where: LogFilter, page: int, per_page: int, lang: str = "vi") -> tuple[int, list[dict]]:
    """(how many reminders the filter keeps, those of `page`, newest first)."""
    total = data_reminders.sent_count(db, **where.values())
    return total, sent_log(db, per_page, offset=(max(1, page) - 1) * per_page, where=where, lang=lang)


def sent_years(db: Database) -> list[int]:
    """The years reminders were sent about, newest first."""
    return data_reminders.sent_years(db)
