"""Reads behind the year's exports when they are streamed (forms_app/rules/exporting.py): one submission's answers at
a time, so that a writer never holds a year's answers, and the number of rows a year's export writes."""

from __future__ import annotations

from forms_app.data.connection import Database


def submission_answers(db: Database, submission_id: int) -> dict[str, object]:
    """{question id: value as stored} of a submission's visible answers (one range of the answers' primary key)."""
    return dict(db.execute("SELECT question_id, value FROM answers WHERE submission_id = ? AND visible = 1",
                           [submission_id]))


def row_counts(db: Database, form_id: str, cycle_year: int) -> tuple[int, int]:
    """(units, submissions of the form and year): the rows of a year's results and of each of its answer tables."""
    units = db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    submissions = db.execute("SELECT COUNT(*) FROM submissions WHERE form_id = ? AND cycle_year = ?",
                             [form_id, cycle_year]).fetchone()[0]
    return units, submissions
