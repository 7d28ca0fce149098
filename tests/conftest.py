"""Shared fixtures: the web app on a copy of a data directory built once per session, and files in tmp_path.

The helpers live in `support/` (definitions, data, web, server): import them from there.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.data import OPEN_DAY, TEMPLATES, build_data_dir, register
from support.web import signed_in_clients

from forms_app.adapters.web.app import create_app


@pytest.fixture(scope="session", autouse=True)
def data_templates(tmp_path_factory) -> Path:
    """The folder where this session (this xdist worker) builds each kind of data directory once."""
    root = tmp_path_factory.mktemp("templates")
    TEMPLATES.start(root)
    return root


@pytest.fixture
def write_json(tmp_path: Path):
    """Write a document (or raw text) to a file in tmp_path and return its path."""

    def write(document, name: str = "mau-thu.json") -> Path:
        path = tmp_path / name
        path.write_text(document if isinstance(document, str) else json.dumps(document, ensure_ascii=False), "utf-8")
        return path

    return write


@pytest.fixture
def app(tmp_path):
    """The web app on a fresh data directory (shipped definitions, three units, one account per role) on OPEN_DAY."""
    return create_app({"DATA_DIR": build_data_dir(tmp_path / "data"), "TESTING": True, "NOW": OPEN_DAY})


@pytest.fixture
def client(app):
    """A test client of `app`, signed out."""
    return app.test_client()


@pytest.fixture
def signed_in(app):
    """A factory of test clients on `app`, each signed in as one of the accounts (the login form has its own tests)."""
    return signed_in_clients(app)


@pytest.fixture
def toan(app, signed_in):
    """A client signed in as toan (unit TOAN), whose 2022 registration is submitted: the self-assessment is open."""
    register(app, "TOAN")
    return signed_in("toan")
