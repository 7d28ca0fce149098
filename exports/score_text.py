"""A score report as a readable plain-text table, one block per section with its pass mark."""

from __future__ import annotations

from form_definitions.model import Definition
from scoring.rules import fmt

HEAD = {
    "vi": {
        "version": "phiên bản", "total": "Tổng điểm", "band": "Xếp loại", "recognised": "Đủ điều kiện công nhận",
        "yes": "Có", "no": "Không", "na": "—", "section": "Phần", "pass_min": "điểm đạt", "passed": "ĐẠT",
        "failed": "CHƯA ĐẠT", "question": "Câu hỏi", "points": "Điểm", "max": "Tối đa", "rule": "Cách tính",
        "missing": "Câu bắt buộc chưa trả lời", "criterion": "TC", "adjusted": "đã điều chỉnh",
        "unscored": "Biểu mẫu này được thu thập nhưng không tính điểm.",
    },
    "en": {
        "version": "version", "total": "Total", "band": "Band", "recognised": "Meets recognition rule",
        "yes": "Yes", "no": "No", "na": "—", "section": "Section", "pass_min": "pass mark", "passed": "PASSED",
        "failed": "NOT PASSED", "question": "Question", "points": "Points", "max": "Max", "rule": "Rule",
        "missing": "Required questions not answered", "criterion": "Crit.", "adjusted": "adjusted",
        "unscored": "This form is collected, not scored.",
    },
}


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_report(definition: Definition, report: dict, lang: str = "vi") -> str:
    """The report of `scoring.score` as text: header, then per section a table of its questions."""
    h = HEAD.get(lang, HEAD["vi"])
    yes_no = {True: h["yes"], False: h["no"], None: h["na"]}
    title = f"{definition.title.get(lang)} — {h['version']} {definition.version}"
    if not report["max_total"] and report["band"] is None and report["recognised"] is None:
        lines = [title, h["unscored"]]
        if report["missing_required"]:
            lines.append(f"{h['missing']}: {', '.join(report['missing_required'])}")
        return "\n".join(lines)
    lines = [
        title,
        f"{h['total']}: {fmt(report['total'], lang)} / {fmt(report['max_total'], lang)}"
        f"   {h['band']}: {report['band'] or h['na']}"
        f"   {h['recognised']}: {yes_no[report['recognised']]}",
    ]
    by_section: dict[str, list[dict]] = {}
    for question in report["questions"]:
        by_section.setdefault(question["section"], []).append(question)
    for section in report["sections"]:
        status = h["passed"] if section["passed"] else h["failed"]
        pass_text = f"{h['pass_min']} {fmt(section['pass_min'], lang)}" if section["pass_min"] is not None else h["na"]
        lines += [
            "",
            f"{h['section']} {section['id']}: {section['title']}",
            f"  {fmt(section['score'], lang)} / {fmt(section['max'], lang)}   ({pass_text})   {status}",
            f"  {h['question']:<34} {h['criterion']:<7} {h['points']:>6} {h['max']:>6}  {h['rule']}",
        ]
        for q in by_section.get(section["id"], []):
            rule = (f"[{h['adjusted']}] " if q.get("adjusted") else "") + q["rule"]
            lines.append(
                f"  {_cut(q['label'], 34):<34} {q.get('criterion') or '':<7} "
                f"{fmt(q['points'], lang):>6} {fmt(q['max_points'], lang):>6}  {rule}"
            )
    if report["missing_required"]:
        lines += ["", f"{h['missing']}: {', '.join(report['missing_required'])}"]
    return "\n".join(lines)
