"""A small valid definition using every question type, as a plain dict, and its model."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from form_definitions.model import Definition, build

MINIMAL = {
    "$schema": "schema/form-definition.schema.json",
    "id": "mau-thu",
    "version": 1,
    "title": {"vi": "Biểu mẫu thử", "en": "Test form"},
    "languages": ["vi", "en"],
    "schedule": {"first_year": 2018, "last_year": 2022,
                 "opens": {"month": 8, "day": 1}, "closes": {"month": 10, "day": 1}},
    "criteria": [{"id": "2.1.1", "label": {"vi": "Tiêu chí một", "en": "Criterion one"}}],
    "sections": [
        {
            "id": "phan_a",
            "title": {"vi": "Phần A", "en": "Part A"},
            "pass_min": 5,
            "questions": [
                {"id": "co_ke_hoach", "type": "boolean", "label": {"vi": "Có kế hoạch?", "en": "Has a plan?"},
                 "required": True, "criterion": "2.1.1", "points": {"true": 4, "false": 0}},
                {"id": "tong_so", "type": "integer", "label": {"vi": "Tổng số đoàn viên", "en": "Members"},
                 "min": 0, "max": 100000, "points": {"bands": [{"at_least": 100, "points": 3}, {"at_least": 10, "points": 1}]}},
                {"id": "danh_gia", "type": "integer", "label": {"vi": "Số đoàn viên được đánh giá", "en": "Assessed"},
                 "min": 0, "points": {"ratio_to": "tong_so", "bands": [{"at_least": 0.5, "points": 5}, {"at_least": 0.2, "points": 3}]}},
                {"id": "hinh_thuc", "type": "single_choice", "label": {"vi": "Hình thức", "en": "Form"},
                 "choices": [{"value": "truc_tiep", "label": {"vi": "Trực tiếp", "en": "In person"}, "points": 2},
                             {"value": "truc_tuyen", "label": {"vi": "Trực tuyến", "en": "Online"}, "points": 1}]},
                {"id": "kenh", "type": "multi_choice", "label": {"vi": "Kênh", "en": "Channels"}, "max_points": 3,
                 "min_selected": 1, "max_selected": 3,
                 "choices": [{"value": "zalo", "label": "Zalo", "points": 2}, {"value": "facebook", "label": "Facebook", "points": 2},
                             {"value": "khac", "label": {"vi": "Khác", "en": "Other"}}],
                 "visible_if": {"question": "co_ke_hoach", "equals": True}},
                {"id": "minh_chung", "type": "file", "label": {"vi": "Minh chứng", "en": "Evidence"},
                 "accept": ["pdf"], "max_mb": 5, "points": {"if_provided": 1},
                 "visible_if": {"any": [{"question": "kenh", "in": ["zalo"]}, {"not": {"question": "tong_so", "at_least": 1}}]}},
                {"id": "ghi_chu", "type": "text", "label": {"vi": "Ghi chú", "en": "Notes"}, "multiline": True, "max_length": 200},
                {"id": "ngay", "type": "date", "label": {"vi": "Ngày", "en": "Date"}, "min": "2018-01-01", "max": "2022-12-31"},
                {"id": "ti_le", "type": "number", "label": {"vi": "Tỉ lệ", "en": "Rate"}, "min": 0, "max": 1,
                 "required": True, "visible_if": {"question": "tong_so", "answered": True}},
            ],
        },
    ],
    "result": {
        "bands": [{"at_least": 12, "label": {"vi": "Tốt", "en": "Good"}}, {"at_least": 0, "label": {"vi": "Chưa đạt", "en": "Not yet"}}],
        "recognised_if": {"total_at_least": 8, "all_sections_pass": True},
    },
}


def minimal_document() -> dict:
    """A fresh deep copy of a small valid definition using every question type."""
    return copy.deepcopy(MINIMAL)


def make_definition(document: dict | None = None, file: str = "mau-thu.json") -> Definition:
    """The model of a (schema-valid) document, without running the checks."""
    return build(document or minimal_document(), file)


def next_version_folder(forms, form_id: str, folder: Path, change) -> dict:
    """Write into `folder` (made here) the stored latest version of `form_id` as version + 1, changed in place by
    `change(document)`, beside the shipped files of the forms it requires (already loaded: nothing new); the
    document written. Load it with `registry.load_definitions_into(forms, [folder])`."""
    from form_definitions import shipped_folder
    from forms_app.rules import registry

    latest = registry.definition(forms, form_id)
    document = json.loads(latest.source)
    document["version"] = latest.version + 1
    change(document)
    folder.mkdir()
    for required in latest.requires:
        for path in shipped_folder().glob("*.json"):
            if json.loads(path.read_text("utf-8"))["id"] == required:
                shutil.copy(path, folder)
    (folder / f"{form_id}.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return document
