"""Reproducible synthetic data: units, accounts and scored answers over several cycle years.

Everything comes from one seeded generator, so the same parameters give the same database
(timestamps of generation aside). Answers are drawn around a per-unit "strength" that drifts
from year to year, so reviewers see a realistic spread of bands, weak criteria and late units.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import random
import string
from pathlib import Path
from typing import Any, Callable

from exports.certificate import render_pdf
from form_definitions import Definition, Question, shipped_folder
from forms_app.data import clock
from forms_app.data import connection as database
from forms_app.data.clock import stamp, today
from forms_app.rules import accounts, certificates, deciding, inspections, passwords, proposals, registry, submitting, verdict, windows
from forms_app.rules import units as units_rules
from forms_app.rules.submitting import scored_rows
from scoring import points, score, visibility, visible_answers
from scoring.answers import holds

FACULTIES = [
    "Khoa Toán – Tin", "Khoa Vật lý", "Khoa Hoá học", "Khoa Sinh học", "Khoa Ngữ văn", "Khoa Lịch sử",
    "Khoa Địa lý", "Khoa Tâm lý – Giáo dục", "Khoa Giáo dục Chính trị", "Khoa Tiếng Anh", "Khoa Tiếng Pháp",
    "Khoa Công nghệ Thông tin", "Khoa Giáo dục Tiểu học", "Khoa Giáo dục Mầm non", "Khoa Giáo dục Đặc biệt",
    "Khoa Nghệ thuật", "Khoa Giáo dục Thể chất", "Khoa Quản lý Giáo dục", "Khoa Việt Nam học", "Khoa Triết học",
    "Trường THPT Chuyên ĐHSP", "Trường Mầm non Búp Sen Xanh", "Viện Nghiên cứu Sư phạm", "Khối Phòng – Ban",
]
CLUSTERS = [
    "Cụm 1 – Khoa học Tự nhiên", "Cụm 2 – Khoa học Xã hội", "Cụm 3 – Ngoại ngữ", "Cụm 4 – Giáo dục",
    "Cụm 5 – Nghệ thuật và Thể chất", "Cụm 6 – Trường trực thuộc", "Cụm 7 – Khối Phòng – Ban", "Cụm 8 – Viện và Trung tâm",
]
DEMO_ACCOUNTS = 10  # unit accounts for the first units; hashing 50,000 argon2 passwords would take an hour
BATCH = 2000


class DemoError(Exception):
    pass


def unit_list(count: int, rng: random.Random) -> list[dict]:
    width = max(3, len(str(count)))
    units = []
    for i in range(count):
        base = FACULTIES[i % len(FACULTIES)]
        round_ = i // len(FACULTIES)
        name = f"Đoàn {base[0].lower()}{base[1:]}" if round_ == 0 else f"Đoàn cơ sở {base} – phân hiệu {round_ + 1}"
        units.append({"code": f"DCS{i + 1:0{width}d}", "name": name, "cluster": CLUSTERS[(i * 7 + round_) % len(CLUSTERS)]})
    return units


def _password(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(14))


ZERO_DENOMINATOR = 0.1  # how often a count that may honestly be zero (a not-applicable ratio's denominator) is 0


class AnswerMaker:
    """Answers for one definition, drawn around a strength in [0, 1]; always valid for the definition.

    A part never exceeds its whole (`at_most`); a stronger unit uploads more of its evidence files; a count
    that makes a ratio not applicable when it is 0 (no request received, no one in difficulty) is sometimes 0.
    """

    def __init__(self, definition: Definition):
        self.definition = definition
        self.may_be_zero = {q.ratio_to for q in definition.questions if q.may_not_apply}

    def make(self, rng: random.Random, strength: float, year: int) -> dict[str, Any]:
        return self.make_shown(rng, strength, year)[0]

    def make_shown(self, rng: random.Random, strength: float, year: int) -> tuple[dict[str, Any], dict[str, bool]]:
        """The answers a submit keeps (visible and answered), and which questions are shown."""
        answers: dict[str, Any] = {}
        for q in self.definition.questions:
            if rng.random() < 0.04 and not q.required:
                continue  # some optional questions left blank
            value = self._value(q, rng, strength, year, answers)
            if value is not None:
                answers[q.id] = value
        shown = visibility(self.definition, answers)
        return visible_answers(self.definition, answers, shown), shown

    def _value(self, q: Question, rng: random.Random, s: float, year: int, answers: dict) -> Any:
        good = rng.random() < s
        kind = q.type
        if kind == "boolean":
            best = (q.points_true or 0) >= (q.points_false or 0)
            return best if good else (not best if rng.random() < 0.5 else best)
        if kind == "single_choice":
            ranked = sorted(q.choices, key=lambda c: -(c.points or 0))
            index = min(len(ranked) - 1, int(abs(rng.gauss(0, 1.6 * (1 - s)))))
            return ranked[index].value
        if kind == "multi_choice":
            chosen = [c.value for c in q.choices if rng.random() < (0.25 + 0.7 * s if (c.points or 0) > 0 else 0.2)]
            low, high = q.min_selected or (1 if q.required else 0), q.max_selected or len(q.choices)
            while len(chosen) < low:
                extra = rng.choice([c.value for c in q.choices if c.value not in chosen])
                chosen.append(extra)
            chosen = chosen[:high]
            return [c.value for c in q.choices if c.value in chosen] or None
        if kind in ("integer", "number"):
            return self._number(q, rng, s, answers)
        if kind == "file":
            return f"demo-{q.id}.pdf" if q.required or rng.random() < 0.2 + s else None  # stronger units prove more
        if kind == "date":
            low = dt.date.fromisoformat(q.min) if q.min else dt.date(year - 1, 1, 1)
            high = dt.date.fromisoformat(q.max) if q.max else dt.date(year, 12, 31)
            target = min(max(dt.date(year - 1, 10, 1) + dt.timedelta(days=rng.randint(0, 60)), low), high)
            return target.isoformat()
        if kind == "text":
            if rng.random() < 0.5:
                return None
            text = rng.choice([
                "Đơn vị đã hoàn thành cơ bản các chỉ tiêu đăng ký.",
                "Cần tăng cường công tác tham mưu với cấp uỷ và phối hợp với các tổ chức trong đơn vị.",
                "Một số chi đoàn sinh hoạt chưa đều; Ban Chấp hành đã có kế hoạch khắc phục.",
            ])
            return text[: q.max_length] if q.max_length else text
        return None

    def _number(self, q: Question, rng: random.Random, s: float, answers: dict) -> int | float:
        low = q.min if q.min is not None else 0
        if q.id in self.may_be_zero and low <= 0 and rng.random() < ZERO_DENOMINATOR:
            return 0
        if q.ratio_to:
            denominator = answers.get(q.ratio_to)
            if not isinstance(denominator, (int, float)) or denominator <= 0:
                value = low
            else:
                top = q.bands[0].at_least if q.bands else 1.0
                ratio = max(0.0, min(rng.gauss(top * (0.45 + 0.6 * s), 0.15 * top), 1.6 * max(top, 1.0)))
                value = denominator * ratio
        elif q.bands:
            top = q.bands[0].at_least
            value = max(low, rng.gauss(top * (0.3 + 0.9 * s), 0.35 * max(top, 1)))
        else:
            # Denominators and plain counts: a unit of a few hundred members, some dozen branches.
            scale = {"doan_vien": 600, "chi_doan": 24}.get(next((k for k in ("doan_vien", "chi_doan") if k in q.id), ""), 20)
            value = max(low, rng.gauss(scale, scale * 0.35))
        if q.max is not None:
            value = min(value, q.max)
        whole = answers.get(q.at_most) if q.at_most else None
        if isinstance(whole, (int, float)) and not isinstance(whole, bool):
            value = min(value, whole)  # a part is never more than its whole (the demo's wholes are rounded already)
        value = max(value, low)
        return int(round(value)) if q.type == "integer" else round(value, 1)


# Certificates are issued only with a public address for their QR codes (never a loopback one): the demo's is a
# reserved example domain, so demo certificates can be made and read, and nobody mistakes them for real ones.
DEMO_PUBLIC_URL = "https://chung-nhan.example.edu.vn"


def make_demo(data_dir: Path, *, units: int, first_year: int, last_year: int, seed: int,
              progress: Callable[[str], None] = lambda text: None) -> str:
    """Fill an empty data directory (or find it already filled with the same parameters); a summary line."""
    data_dir = Path(data_dir)
    params = {"units": units, "years": [first_year, last_year], "seed": seed}
    marker = data_dir / "demo.json"
    if marker.exists():
        if json.loads(marker.read_text()) == params:
            return f"Dữ liệu mẫu đã có sẵn trong {data_dir}.\n" + sign_in_help(data_dir)
        raise DemoError(f"{data_dir} đã có dữ liệu mẫu khác ({marker.read_text()}); hãy dùng một thư mục dữ liệu trống.")
    database.migrate(data_dir)
    if not certificates.stored_settings(data_dir).get("public_url"):
        certificates.save_settings(data_dir, {"public_url": DEMO_PUBLIC_URL})
    forms = database.open_forms(data_dir)
    accounts_db = database.open_accounts(data_dir)
    try:
        if units_rules.count_units(forms):
            raise DemoError(f"{data_dir} đã có đơn vị; dữ liệu mẫu chỉ tạo trong một thư mục dữ liệu trống.")
        registry.load_definitions_into(forms, [shipped_folder()], actor="demo")
        definitions = registry.latest_definitions(forms)
        years = [y for y in range(first_year, last_year + 1)]
        rng = random.Random(seed)
        unit_rows = unit_list(units, rng)
        with database.bulk_load(forms):
            with database.write(forms):
                for d in definitions:
                    windows.add_default_windows(forms, d, years)
                units_rules.add_units(forms, unit_rows)
            demo_units = [u["code"] for u in unit_rows[:DEMO_ACCOUNTS]]
            _make_accounts(accounts_db, forms, rng, demo_units, data_dir)
            counts = _make_submissions(forms, definitions, unit_rows, years, rng, set(demo_units), progress)
            _make_inspections(forms, data_dir, definitions, years, demo_units)
            decided = _make_decisions(forms, definitions, years, seed)
            _make_proposals(forms, definitions, years, accounts.reviewer_clusters(accounts_db, LEAD))
            _open_for_demo_units(forms, definitions, demo_units, years[-1])
    finally:
        forms.close()
        accounts_db.close()
    marker.write_text(json.dumps(params))
    return (f"Đã tạo dữ liệu mẫu trong {data_dir}: {units} đơn vị, năm {first_year}–{last_year}, "
            f"{counts} bài nộp, {decided} quyết định.\n" + sign_in_help(data_dir))


def sign_in_help(data_dir: Path) -> str:
    """How to sign in as each role, from demo-accounts.csv (demo data only)."""
    path = Path(data_dir) / "demo-accounts.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    firsts = {}
    for row in rows:
        firsts.setdefault(row["role"], row)
    lines = [f"Đăng nhập tại /login — tất cả {len(rows)} tài khoản mẫu ở {path}:"]
    for role, label in accounts.ROLE_LABELS.items():
        if role in firsts:
            row = firsts[role]
            unit = f" (đơn vị {row['unit']}: biểu mẫu tự đánh giá 2022 đang mở để dùng thử)" if row["unit"] else ""
            clusters = f" (cụm: {row['clusters']})" if row.get("clusters") else ""
            name = f"{label['vi']} ({role})"
            lines.append(f"  {name:<30} tên đăng nhập: {row['username']:<11} mật khẩu: {row['password']}{unit}{clusters}")
    return "\n".join(lines)


def _make_accounts(accounts_db, forms, rng: random.Random, unit_codes: list[str], data_dir: Path) -> list[dict]:
    # The cluster lead is in charge of the clusters of the first two demo units (which have unit accounts too).
    lead_clusters = list(dict.fromkeys(units_rules.find_unit(forms, code)["cluster"] for code in unit_codes[:2]))
    rows = [
        {"username": "admin", "role": "admin", "unit": "", "clusters": ""},
        {"username": "vanphong", "role": "reviewer", "unit": "", "clusters": ""},
        {"username": "kiemtra", "role": "inspector", "unit": "", "clusters": ""},
        {"username": "phutrachcum", "role": "cluster_lead", "unit": "", "clusters": "; ".join(lead_clusters)},
    ] + [{"username": code.lower(), "role": "unit", "unit": code, "clusters": ""} for code in unit_codes]
    for row in rows:
        row["password"] = _password(rng)
        accounts.add_user(accounts_db, row["username"], row["password"], row["role"], row["unit"] or None,
                          clusters=lead_clusters if row["clusters"] else (),
                          hasher=passwords.CHEAP_HASHER)  # demo passwords are printed anyway; a sign-in rehashes them
    with (data_dir / "demo-accounts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["username", "password", "role", "unit", "clusters"])
        writer.writeheader()
        writer.writerows(rows)
    (data_dir / "demo-accounts.csv").chmod(0o600)
    return rows


def _moment(rng: random.Random, before: dt.date, days: int) -> str:
    """A UTC timestamp some day(s) up to `before` (a deadline), during office hours in Vietnam."""
    day = before - dt.timedelta(days=rng.randint(0, days))
    local = dt.datetime(day.year, day.month, day.day, rng.randint(8, 21), rng.randint(0, 59), tzinfo=clock.TIME_ZONE)
    return stamp(local)


def _make_submissions(forms, definitions: list[Definition], units: list[dict], years: list[int],
                      rng: random.Random, demo_units: set[str], progress) -> int:
    """Every unit's submissions, year by year: a form with requirements only where its `requires` (and their `when`,
    read on this unit's answers of the year) hold, as the web form would open it."""
    makers = {d.id: AnswerMaker(d) for d in definitions}
    registration = [d for d in definitions if not d.requires]
    assessments = [d for d in definitions if d.requires]
    demands = {d.id: [r.when for other in definitions for r in other.requirements if r.form == d.id and r.when]
               for d in definitions}
    next_id = submitting.next_submission_id(forms)
    count = 0
    buffers: dict[str, list[tuple]] = {"submissions": [], "revisions": [], "answers": [], "section_scores": [],
                                       "criterion_scores": []}
    for index, unit in enumerate(units):
        strength = min(0.98, max(0.05, rng.betavariate(5, 2)))
        diligence = rng.random()
        for year in years:
            strength = min(0.98, max(0.05, strength + rng.gauss(0.02, 0.06)))
            trial = unit["code"] in demo_units and year == years[-1]  # the demo accounts try this year's forms
            registered = trial or diligence > 0.08 or rng.random() < 0.5
            submitted: dict[str, dict] = {}  # this unit's kept answers of the year, by form id
            for definition in registration + assessments:
                is_assessment = bool(definition.requires)
                if is_assessment and (not _opens(definition, submitted) or (diligence < 0.15 and rng.random() < 0.5)):
                    continue
                if not is_assessment and not registered:
                    continue
                if is_assessment and trial:
                    continue  # left open for the demo accounts to fill
                # what a submit stores: the visible, answered answers and their scores (rules.submitting.record)
                kept, shown = _draw(makers[definition.id], rng, strength, year, demands[definition.id] if trial else [])
                submitted[definition.id] = kept
                _add_submission(buffers, next_id, unit["code"], definition, year, kept, shown, rng)
                next_id += 1
                count += 1
        if len(buffers["submissions"]) >= BATCH or index == len(units) - 1:
            _flush(forms, buffers)
            progress(f"  {index + 1}/{len(units)} đơn vị, {count} bài nộp")
    return count


def _opens(definition: Definition, submitted: dict[str, dict]) -> bool:
    """Whether every form `definition` requires was submitted with answers meeting the requirement's `when`."""
    return all(r.form in submitted and (r.when is None or holds(r.when, submitted[r.form]))
               for r in definition.requirements)


def _draw(maker: AnswerMaker, rng: random.Random, strength: float, year: int,
          conditions: list) -> tuple[dict[str, Any], dict[str, bool]]:
    """Answers from `maker` and what is shown; drawn again (a few times at most) until every condition holds."""
    drawn = maker.make_shown(rng, strength, year)
    for _ in range(50):
        if all(holds(c, drawn[0]) for c in conditions):
            break
        drawn = maker.make_shown(rng, max(strength, 0.9), year)
    return drawn


def _add_submission(buffers: dict[str, list[tuple]], sid: int, unit_code: str, definition: Definition, year: int,
                    kept: dict[str, Any], shown: dict[str, bool], rng: random.Random) -> None:
    """The rows of one submitted answer set, scored, into the buffers."""
    result = points(definition, kept)
    closes = definition.schedule.window(year)[1]
    submitted_at = _moment(rng, closes, 25)
    buffers["submissions"].append((
        sid, unit_code, definition.id, year, definition.version, "submitted", 1, 1, result.total,
        result.max_total, result.band,
        None if result.recognised is None else int(result.recognised),
        submitted_at, submitted_at, submitted_at,
    ))
    buffers["revisions"].append((sid, 1, "submit", unit_code.lower(), submitted_at, kept, result.total))
    _sid, answer_rows, section_rows, criterion_rows = scored_rows(sid, definition, kept, result, shown, cycle_year=year)
    buffers["answers"].extend(answer_rows)
    buffers["section_scores"].extend(section_rows)
    buffers["criterion_scores"].extend(criterion_rows)


def _flush(forms, buffers: dict[str, list[tuple]]) -> None:
    submitting.record_many(forms, buffers["submissions"], buffers["revisions"],
                           (buffers["answers"], buffers["section_scores"], buffers["criterion_scores"]))
    for rows in buffers.values():
        rows.clear()


DECISION_DAY = (10, 20)  # the standing committee meets in October, after the reports are in (1 October)
ADJUSTMENT_REASON = "Ban Kiểm tra: minh chứng chưa đúng nội dung yêu cầu của tiêu chí."


def _make_decisions(forms, definitions: list[Definition], years: list[int], seed: int) -> int:
    """The year's decisions for every year already decided, as the office records them: the registrations
    accepted, then two inspections' adjustments, then one decision of the standing committee per year (one number,
    one date in October) for every submitted self-assessment (`deciding.record_many`).

    A unit is recognised when its result (the adjustments applied) meets the recognition rule, and not recognised
    otherwise, with the reason its result gives (`verdict.why`: the total or the sections under their marks); each
    year's best recognised units are put forward for commendation. The demo accounts' units have no last-year
    submission, so that year stays open and undecided for them; in the last decided year about one unit in four
    is left waiting for its decision (`_left_waiting`). Drawn from its own generator, so the answers above
    do not depend on it.
    """
    rng = random.Random(seed * 1009 + 17)
    assessed = [d for d in definitions if d.result is not None and d.result.has_recognition_rule]
    decided_years = [y for y in years if dt.date(y, *DECISION_DAY) <= today()]
    if not assessed or not decided_years:
        return 0
    meetings = {y: (f"{rng.randint(100, 399)}-QĐ/ĐTN", dt.date(y, 10, rng.randint(12, DECISION_DAY[1]))) for y in decided_years}
    accepted = _accept_registrations(forms, [d for d in definitions if not d.scored], decided_years)
    submitted = submitting.submitted_scored(forms, [d.id for d in assessed], decided_years)
    adjustments = _demo_adjustments(forms, {d.id: d for d in assessed}, [r for r in submitted if r[4]], rng, meetings)
    if adjustments:
        deciding.record_adjustments_many(forms, adjustments, actor="demo")
    facts = deciding.read_facts(forms, [(unit, form_id, year) for _sid, unit, form_id, year, _r, _t in submitted])
    commended = _commended(facts)
    recorded = 0
    for year in decided_years:
        number, day = meetings[year]
        moment = stamp(dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=clock.TIME_ZONE))
        entries = [_verdict(key, fact, key in commended) for key, fact in facts.items()
                   if key[2] == year and not (year == decided_years[-1] and _left_waiting(key[0]))]
        if entries:
            deciding.record_many(forms, entries, "demo", decision_no=number, decided_on=day, source="import",
                                 recorded_at=moment)
            recorded += len(entries)
    return accepted + recorded


def _left_waiting(unit_code: str) -> bool:
    """About one unit in four is left without the last year's decision: the office's queue "chờ quyết định" has
    something to show (and to decide) in the demo."""
    return int(hashlib.sha256(unit_code.encode()).hexdigest(), 16) % 4 == 0


def _verdict(key: tuple[str, str, int], fact: deciding.Facts, commended: bool) -> deciding.Entry:
    """The standing committee's decision on one unit: recognised when its result meets the rule, else not, saying why."""
    if verdict.meets(fact.standing):
        return deciding.Entry(*key, "recognised", commendation=commended)
    return deciding.Entry(*key, "not_recognised", comment=fact.why("vi"))


def _commended(facts: dict[tuple[str, str, int], deciding.Facts]) -> set[tuple[str, str, int]]:
    """Each year, the best fifth of the units recognised that year (one at least), by their total."""
    by_year: dict[int, list[tuple[float, tuple[str, str, int]]]] = {}
    for key, fact in facts.items():
        if verdict.meets(fact.standing):
            by_year.setdefault(key[2], []).append((fact.standing["total"], key))
    return {key for ranked in by_year.values() for _total, key in sorted(ranked, reverse=True)[:max(1, len(ranked) // 5)]}


def _accept_registrations(forms, registrations: list[Definition], years: list[int]) -> int:
    """The office accepts every submitted registration of the decided years: one batch per form and year, recorded
    two weeks after the registration closed."""
    count = 0
    for definition in registrations:
        for year in years:
            keys = [(unit, definition.id, year) for unit in deciding.submitted_units(forms, definition.id, year)]
            if not keys:
                continue
            day = definition.schedule.window(year)[1] + dt.timedelta(days=14)
            moment = stamp(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=clock.TIME_ZONE))
            deciding.record_many(forms, [deciding.Entry(*key, "accepted") for key in keys], "demo", decision_no=None,
                                 decided_on=None, source="import", today=day, recorded_at=moment)
            count += len(keys)
    return count


def _demo_adjustments(forms, definitions: dict[str, Definition], recognised: list[tuple], rng: random.Random,
                      meetings: dict) -> list[tuple]:
    """Two inspections that take away points resting on an evidence file (the file's own, or those of a question
    bound to it by `evidence`), chosen so the recognition still holds."""
    chosen = []
    for sid, _unit, form_id, year, _recognised, _total in rng.sample(recognised, min(len(recognised), 40)):
        definition = definitions[form_id]
        answers = submitting.revision_answers(forms, sid, 1)
        question = _proven(definition, answers) or submitting.first_scored_file(forms, sid)
        if question is None:
            continue
        if not score(definition, answers, {question: 0})["recognised"]:
            continue
        day = meetings[year][1] - dt.timedelta(days=5)
        moment = stamp(dt.datetime(day.year, day.month, day.day, 14, 0, tzinfo=clock.TIME_ZONE))
        chosen.append((sid, question, 0.0, ADJUSTMENT_REASON, "kiemtra", moment))
        if len(chosen) == 2:
            break
    return chosen


def _proven(definition: Definition, answers: dict[str, Any]) -> str | None:
    """The first question whose points rest on an evidence file (`evidence`) and that earned some, or None."""
    earned = points(definition, answers).questions
    return next((q.id for q in definition.questions if q.evidence and earned.get(q.id, 0) > 0), None)


def _open_for_demo_units(forms, definitions: list[Definition], unit_codes: list[str], year: int) -> None:
    """The demo accounts' units get the last year's self-assessment extended to a month from today, to try it."""
    until = clock.today() + dt.timedelta(days=30)
    for definition in definitions:
        if definition.requires:
            for code in unit_codes:
                if windows.window(forms, code, definition.id, year).closes >= until:
                    continue  # open long enough already: an extension only moves a deadline later
                windows.grant_extension(forms, code, definition.id, year, until, "Dữ liệu mẫu: mở để dùng thử", "demo")


# The inspection committee's inspections, the cluster lead's comments and proposals, the office's selections

INSPECTOR, LEAD, OFFICE = "kiemtra", "phutrachcum", "vanphong"
INSPECTION_DAY = (10, 8)  # after the reports (1 October), before the standing committee meets
INSPECTION_TEAM = "Đ/c Nguyễn Văn An (Chủ nhiệm Ủy ban Kiểm tra), Đ/c Trần Thị Bình (Ủy viên), Đ/c Lê Minh Châu (Ủy viên)"


class _File:
    """An uploaded file as `rules.uploads.store` reads one (a name and a stream)."""

    def __init__(self, filename: str, content: bytes):
        self.filename, self.stream = filename, io.BytesIO(content)


def _decided_years(years: list[int]) -> list[int]:
    return [y for y in years if dt.date(y, *DECISION_DAY) <= today()]


def _make_inspections(forms, data_dir: Path, definitions: list[Definition], years: list[int], units: list[str]) -> int:
    """The inspection committee inspects the first two demo units' self-assessment of the year before the last one
    decided (the demo accounts read it back on their result page): an inspection with its minutes (a PDF) and two
    adjustments taking a point from questions that earned points, recorded before the committee decides."""
    decided = _decided_years(years)
    scored = [d for d in definitions if d.scored]
    if not decided or not scored:
        return 0
    year, definition = decided[-2] if len(decided) > 1 else decided[-1], scored[0]
    day = dt.date(year, *INSPECTION_DAY)
    moment = stamp(dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=clock.TIME_ZONE))
    adjustments = []
    for code in units[:2]:
        submission = submitting.find(forms, code, definition.id, year)
        if not submission or submission["status"] != "submitted":
            continue
        answers = submitting.revision_answers(forms, submission["id"], 1) or {}
        report = score(definition, answers)
        earned = [q for q in report["questions"] if q["visible"] and q["max_points"] > 0 and q["points"] >= 1][:2]
        if score(definition, answers, {q["id"]: q["points"] - 1 for q in earned})["recognised"] != report["recognised"]:
            earned = []  # the demo's decisions follow the automatic result: an adjustment here never turns it
        name = units_rules.find_unit(forms, code)["name"]
        conclusion = (f"{name} thực hiện cơ bản đúng kế hoạch năm {year}. " + (
            f"Minh chứng của {len(earned)} nội dung chưa đầy đủ; Ủy ban Kiểm tra điều chỉnh điểm các nội dung đó."
            if earned else "Minh chứng đầy đủ, đúng nội dung yêu cầu."))
        inspections.record_inspection(
            forms, data_dir, unit_code=code, form_id=definition.id, cycle_year=year, inspected_on=day,
            members=INSPECTION_TEAM, conclusion=conclusion, actor=INSPECTOR, today=today(), recorded_at=moment,
            minutes_upload=_File(f"bien-ban-kiem-tra-{code}-{year}.pdf", _minutes_pdf(name, year, day, conclusion)))
        reason = f"Biên bản kiểm tra ngày {day:%d/%m/%Y}: minh chứng chưa đầy đủ."
        adjustments += [(submission["id"], q["id"], q["points"] - 1, reason, INSPECTOR, moment) for q in earned]
    if adjustments:
        deciding.record_adjustments_many(forms, adjustments, actor="demo")
    return len(adjustments)


def _minutes_pdf(unit_name: str, year: int, day: dt.date, conclusion: str) -> bytes:
    """The minutes of a demo inspection, as a PDF."""
    return render_pdf(
        "<html lang='vi'><body style='font-family: sans-serif'><h1>Biên bản kiểm tra</h1>"
        f"<p>Đơn vị: {html.escape(unit_name)} — năm {year}</p><p>Ngày kiểm tra: {day:%d/%m/%Y}</p>"
        f"<p>Thành phần: {html.escape(INSPECTION_TEAM)}</p><p>Kết luận: {html.escape(conclusion)}</p>"
        "<p><em>Dữ liệu mẫu.</em></p></body></html>")


def _make_proposals(forms, definitions: list[Definition], years: list[int], clusters: list[str]) -> int:
    """The cluster lead's comments and proposals on the units of their clusters for the last decided year in which
    some of them were decided (made before the committee met), and the office's selection afterwards: two of the
    recognised units proposed for commendation, one unit proposed for the forum."""
    decided = _decided_years(years)
    scored = [d for d in definitions if d.scored]
    if not decided or not scored or not clusters:
        return 0
    form_id = scored[0].id
    _total, found = units_rules.search_units(forms, clusters=clusters, query="", page=1, per_page=40)
    current = deciding.current_decisions(forms, [u["code"] for u in found])
    verdicts = {y: {u["code"]: current[(u["code"], form_id, y)]["decision"] for u in found
                    if (u["code"], form_id, y) in current} for y in decided}
    year = next((y for y in reversed(decided) if verdicts[y]), None)
    if year is None:
        return 0
    recognised = [code for code, kind in verdicts[year].items() if kind == "recognised"]
    others = [code for code in verdicts[year] if code not in recognised]
    proposed_at = stamp(dt.datetime(year, 10, 5, 10, 0, tzinfo=clock.TIME_ZONE))
    selected_at = stamp(dt.datetime(year, 11, 15, 9, 0, tzinfo=clock.TIME_ZONE))
    comments = [(code, year, "Đã dự sinh hoạt chi đoàn cùng đơn vị; Ban Chấp hành nắm chắc tình hình đoàn viên.", LEAD,
                 proposed_at) for code in (recognised + others)[:3]]
    forum = (recognised + others)[:2]
    proposed = ([(code, year, "commendation", LEAD, "Dẫn đầu cụm thi đua, hoàn thành xuất sắc các chỉ tiêu đăng ký.",
                  proposed_at) for code in recognised[:4]]
                + [(code, year, "forum", LEAD, "Mô hình sinh hoạt chi đoàn trực tuyến đáng chia sẻ.", proposed_at)
                   for code in forum]
                + [(code, year, "recognition", LEAD, None, proposed_at) for code in (recognised[4:6] + others)[:4]])
    selected = ([(code, year, "commendation", OFFICE, selected_at) for code in recognised[:2]]
                + [(code, year, "forum", OFFICE, selected_at) for code in forum[:1]])
    proposals.record_many(forms, comments, proposed, selected, actor="demo")
    return len(proposed)
