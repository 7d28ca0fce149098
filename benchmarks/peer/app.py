"""The minimal peer: the least a Flask + Flask-WTF app does to show one questionnaire and store a submit.

The yardstick of benchmarks/submissions.py (see README.md here): the same questions, read from the same definition
file (PEER_DEFINITION), rendered by a plain Jinja loop (templates/form.html); a POST checked by Flask-WTF (CSRF) and WTForms, its files
written under the data folder, its answers stored as one JSON row in SQLite; a 303 to …/result. Nothing else: no
accounts database, no scores, no revisions, no translations, no conditions.

    PEER_DEFINITION=form_definitions/x.json PEER_DATA=/tmp/peer gunicorn 'app:create_app()'   (from this folder)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from pathlib import Path

from flask import Flask, abort, g, redirect, render_template, session
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget


def text(value) -> str:
    """A label as the definition writes it: {"vi": …, "en": …} or one string."""
    return value.get("vi", "") if isinstance(value, dict) else str(value or "")


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_number(value: str):
    """'1.240' or '1 240' → 1240, '12,5' → 12.5 (the Vietnamese page's way); ValueError otherwise."""
    value = value.strip().replace(" ", "")
    if "," in value:
        return float(value.replace(".", "").replace(",", "."))
    return int(value.replace(".", ""))


def form_class(definition: dict) -> type[FlaskForm]:
    """One WTForms field per question of the definition, built once."""
    fields = {}
    for section in definition["sections"]:
        for q in section["questions"]:
            label, kind = text(q["label"]), q["type"]
            choices = [(str(c["value"]), text(c["label"])) for c in q.get("choices", [])]
            if kind == "boolean":
                fields[q["id"]] = RadioField(label, choices=[("true", "Có"), ("false", "Không")], validate_choice=False)
            elif kind == "single_choice":
                fields[q["id"]] = RadioField(label, choices=choices, validate_choice=False)
            elif kind == "multi_choice":
                fields[q["id"]] = Checkboxes(label, choices=choices, validate_choice=False)
            elif kind == "file":
                fields[q["id"]] = FileField(label)
            elif kind == "text" and q.get("multiline"):
                fields[q["id"]] = TextAreaField(label)
            else:
                fields[q["id"]] = StringField(label)
    return type("PeerForm", (FlaskForm,), fields)


def typed(kind: str, data):
    """A field's data as JSON: numbers parsed, yes/no as booleans, empty as None."""
    if data in (None, "", []):
        return None
    if kind in ("integer", "number"):
        try:
            return parse_number(data)
        except ValueError:
            return data
    if kind == "boolean":
        return data == "true"
    return data


def create_app(definition_path: str | None = None, data_dir: str | None = None) -> Flask:
    """The peer on a definition file and a data folder (PEER_DEFINITION, PEER_DATA)."""
    app = Flask(__name__, static_folder=str(Path(__file__).resolve().parents[2] / "forms_app" / "static"))
    definition = json.loads(Path(definition_path or os.environ["PEER_DEFINITION"]).read_text("utf-8"))
    data = Path(data_dir or os.environ["PEER_DATA"])
    (data / "uploads").mkdir(parents=True, exist_ok=True)
    app.config.update(SECRET_KEY=os.environ.get("PEER_SECRET", "peer-" + definition["id"]), WTF_CSRF_TIME_LIMIT=None,
                      MAX_CONTENT_LENGTH=40 * 1024 * 1024)
    questions = [q for section in definition["sections"] for q in section["questions"]]
    Form = form_class(definition)
    url = f"/forms/{definition['id']}/<int:year>"
    with sqlite3.connect(data / "peer.db") as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE IF NOT EXISTS submissions (id INTEGER PRIMARY KEY, unit TEXT NOT NULL, "
                   "year INTEGER NOT NULL, answers TEXT NOT NULL, created_at TEXT NOT NULL)")
        db.execute("CREATE INDEX IF NOT EXISTS submissions_unit ON submissions (unit, year, id)")
    # One idle connection for the process's life, as the product keeps (adapters/wsgi.py): a request's connection,
    # closed last, would otherwise checkpoint and delete the -wal file every time.
    app.extensions["peer_keep_open"] = sqlite3.connect(data / "peer.db", check_same_thread=False)

    def database() -> sqlite3.Connection:
        if "db" not in g:  # one connection per request (flaskr's get_db)
            g.db = sqlite3.connect(data / "peer.db", timeout=5)
            g.db.execute("PRAGMA synchronous = NORMAL")
        return g.db

    @app.teardown_appcontext
    def close(exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.get("/start/<unit>")
    def start(unit: str):
        """Sign a unit in (the benchmark's clients, once each)."""
        session["unit"] = unit
        return "ok"

    @app.route(url, methods=["GET", "POST"])
    def fill(year: int):
        unit = session.get("unit") or abort(403)
        row = database().execute("SELECT answers FROM submissions WHERE unit = ? AND year = ? ORDER BY id DESC LIMIT 1",
                                 (unit, year)).fetchone()
        stored = json.loads(row[0]) if row else {}
        shown = {q["id"]: ("true" if stored[q["id"]] else "false") if q["type"] == "boolean" else stored[q["id"]]
                 for q in questions if q["type"] != "file" and stored.get(q["id"]) is not None}
        form = Form(data=shown)
        if form.validate_on_submit():
            answers = {q["id"]: typed(q["type"], form[q["id"]].data) for q in questions if q["type"] != "file"}
            for q in (q for q in questions if q["type"] == "file"):
                upload = form[q["id"]].data
                if upload and upload.filename:
                    content = upload.read()
                    name = hashlib.sha256(content).hexdigest()
                    if not (data / "uploads" / name).exists():  # kept by content, as the product keeps them
                        (data / "uploads" / name).write_bytes(content)
                    answers[q["id"]] = name
                else:
                    answers[q["id"]] = stored.get(q["id"])
            with database() as db:  # one short write transaction
                db.execute("INSERT INTO submissions (unit, year, answers, created_at) VALUES (?, ?, ?, ?)",
                           (unit, year, json.dumps(answers, ensure_ascii=False), dt.datetime.now(dt.timezone.utc).isoformat()))
            return redirect(f"/forms/{definition['id']}/{year}/result", 303)
        status = 422 if form.errors else 200
        return render_template("form.html", d=definition, form=form, year=year, unit=unit, text=text,
                                      stored=stored), status

    @app.get(url + "/result")
    def result(year: int):
        unit = session.get("unit") or abort(403)
        count = database().execute("SELECT COUNT(*) FROM submissions WHERE unit = ? AND year = ?", (unit, year)).fetchone()
        return f"{unit}: {count[0]}"

    return app
