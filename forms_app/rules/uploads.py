"""Evidence files: checked against the question's types and size, stored under their hash, readable by their unit and reviewers only."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from form_definitions import Question
from forms_app.data import uploads as data
from forms_app.data.clock import stamp
from forms_app.data.connection import Database, write

# The first bytes each accepted type starts with: an extension alone proves nothing.
SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF87a", b"GIF89a"],
    "doc": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
    "xls": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
    "ppt": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
    "odt": [b"PK\x03\x04"],
    "zip": [b"PK\x03\x04"],
}
CONTENT_TYPES = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
    "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class UploadError(ValueError):
    """A refused file; `code` is type, size, empty or content."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def store(db: Database, data_dir: Path, *, unit_code: str, form_id: str, cycle_year: int, question: Question,
          upload, author: str) -> str:
    """Check and keep one uploaded file (a werkzeug FileStorage or anything with `filename` and `stream`); its token is
    the answer's reference."""
    name = os.path.basename((upload.filename or "").replace("\\", "/"))[:200] or "tep"
    ext = extension(name)
    if ext not in question.accept:
        raise UploadError("type", accept=", ".join(question.accept))
    limit = int((question.max_mb or 10) * 1024 * 1024)
    content = upload.stream.read(limit + 1)
    if len(content) > limit:
        raise UploadError("size", max_mb=question.max_mb)
    if not content:
        raise UploadError("empty")
    signatures = SIGNATURES.get(ext)
    if signatures and not any(content.startswith(s) for s in signatures):
        raise UploadError("content", ext=ext)
    digest = hashlib.sha256(content).hexdigest()
    target = blob_path(data_dir, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f"{target.name}.{secrets.token_hex(4)}.part")  # one per request: no two writers share it
        try:
            temporary.write_bytes(content)
            os.replace(temporary, target)  # complete or absent, never half a file
        except BaseException:
            temporary.unlink(missing_ok=True)  # a full disk leaves no half-written part behind
            raise
    token = secrets.token_urlsafe(18)
    with write(db):
        data.insert(db, {
            "token": token, "unit_code": unit_code, "form_id": form_id, "cycle_year": cycle_year,
            "question_id": question.id, "original_name": name, "sha256": digest, "size": len(content),
            "uploaded_by": author, "uploaded_at": stamp(),
        })
    return token


def blob_path(data_dir: Path, digest: str) -> Path:
    return Path(data_dir) / "uploads" / digest[:2] / digest


def find(db: Database, token: str) -> dict | None:
    """The row of one upload, or None."""
    return data.find(db, token)


def owned(db: Database, token: str, unit_code: str, form_id: str, cycle_year: int, question_id: str) -> bool:
    """Whether a reference sent back by a form really is this unit's file for this question."""
    row = find(db, token)
    return bool(row and row["unit_code"] == unit_code and row["form_id"] == form_id
                and row["cycle_year"] == cycle_year and row["question_id"] == question_id)


def describe(db: Database, tokens: list[str]) -> dict[str, dict]:
    """{token: row} of the uploads among `tokens` (other answers are left out)."""
    return data.by_tokens(db, tokens)
