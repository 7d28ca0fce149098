"""The English catalogue: complete, compiled, placeholders intact, and the pages really switch language.

The msgids are the Vietnamese text of the pages (templates and forms_app/*.py, wrapped in `_()`);
forms_app/translations/en/LC_MESSAGES/messages.po translates them. docs/translations.md says how to
update it.
"""

from __future__ import annotations

import ast
import html
import io
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from support.data import register
from support.web import csrf_token, form_fields, sign_in

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "forms_app"
PO = PACKAGE / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_]\w*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs%]")
# Letters only Vietnamese uses (with their tone marks); plain ASCII words such as "Zalo" never match.
VIETNAMESE = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)
# The plan's own name stays in Vietnamese in English text too, as the definitions write it.
KEPT_TERMS = ("3 chủ động",)


def msgid_text(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="en")


def extracted() -> dict[str, list[str]]:
    """Every msgid in the sources, as `pybabel extract -F babel.cfg` finds it now, with where it stands."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, []).append(f"forms_app/{filename}:{lineno}")
    return found


# The catalogue and its compiled form


def test_extraction_finds_the_pages_and_the_python_messages():
    found = extracted()
    places = {where.split(":")[0] for wheres in found.values() for where in wheres}
    assert any(p.startswith("forms_app/templates/") for p in places)
    assert "forms_app/adapters/web/fill.py" in places and "forms_app/adapters/web/errors.py" in places
    assert "Lưu nháp" in found and "Nộp biểu mẫu" in found and "Đăng nhập" in found


def test_every_extracted_message_has_an_english_translation():
    translations = {msgid_text(m): m for m in catalogue() if m.id}
    missing = {msgid: wheres for msgid, wheres in extracted().items()
               if msgid not in translations or not translations[msgid].string or translations[msgid].fuzzy}
    assert missing == {}, (
        "untranslated (run the commands in docs/translations.md, then translate the new msgstr): "
        + "; ".join(f"{msgid!r} at {', '.join(wheres)}" for msgid, wheres in missing.items())
    )


def test_the_compiled_catalogue_matches_the_po_file():
    assert MO.exists(), "compile it: .venv/bin/pybabel compile -d forms_app/translations"
    with MO.open("rb") as handle:
        shipped = read_mo(handle)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue())
    compiled.seek(0)
    expected = read_mo(compiled)

    def messages(cat):
        return {m.id: m.string for m in cat if m.id}

    assert messages(shipped) == messages(expected), (
        "messages.mo is stale: .venv/bin/pybabel compile -d forms_app/translations"
    )


def test_translations_keep_the_placeholders_of_their_msgid():
    wrong = {}
    for message in catalogue():
        if not message.id or not message.string:
            continue
        pairs = zip(message.id, message.string, strict=False) if isinstance(message.id, tuple) else [(message.id, message.string)]
        for source, target in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target)):
                wrong[source] = target
    assert wrong == {}


def test_translations_are_english():
    left = {}
    for message in catalogue():
        if message.id and message.string:
            text = message.string
            for term in KEPT_TERMS:
                text = text.replace(term, "")
            if VIETNAMESE.search(text):
                left[message.id] = message.string
    assert left == {}


def test_progress_count_starts_with_the_numbers_the_script_updates():
    # static/form.js rewrites the leading "done/count" of this text as answers change.
    message = catalogue().get("%(done)s/%(count)s câu")
    assert message is not None and message.string.startswith("%(done)s/%(count)s")


# Nothing user-facing is left outside `_()`


def _without_wrapped_strings(template: str) -> str:
    template = re.sub(r"\{#.*?#\}", "", template, flags=re.S)
    return re.sub(r"""\b_\(\s*("[^"]*"|'[^']*')""", "_(''", template)


# The other language's own name, shown in that language on the switch link.
TEMPLATE_LITERALS_ALLOWED = {"Tiếng Việt"}


def test_templates_have_no_vietnamese_outside_gettext():
    unwrapped = []
    for path in sorted((PACKAGE / "templates").rglob("*.html")):
        if path.parent.name == "datasette":
            continue  # Datasette's own pages: the reviewers' data, in Vietnamese only, like its metadata
        text = _without_wrapped_strings(path.read_text("utf-8"))
        for literal in TEMPLATE_LITERALS_ALLOWED:
            text = text.replace(f'"{literal}"', '""')
        for number, line in enumerate(text.splitlines(), 1):
            if VIETNAMESE.search(line):
                unwrapped.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert unwrapped == []


# Modules whose Vietnamese text is not page chrome or is already bilingual by other means:
# accounts (vi/en message pairs picked by language), charts (vi/en picked by its `lang` argument),
# cli, units and backup (command-line messages with vi/en pairs), demo (sample data), schema (the
# reviewers' data dictionary), i18n (WTForms' messages in Vietnamese); and the reviewers' Datasette
# (its metadata, canned queries, charts and gate), which is Vietnamese only; and the documents
# (exports' headers and sheet names, certificates, the year-end report), written in Vietnamese by design.
PY_MODULES_ALLOWED = {"downloads.py", "exporting.py", "certificates.py", "year_report.py",
                      "accounts.py", "backup.py", "charts.py", "cli.py", "demo.py", "i18n.py", "schema.py", "units.py",
                      "datasette_plugin.py", "reviewers.py", "reviewer_queries.py", "reviewer_charts.py", "web.py"}


def _vietnamese_literals_outside_gettext(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    wrapped: set[int] = set()
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in KEYWORDS and node.args:
            wrapped.add(id(node.args[0]))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and VIETNAMESE.search(node.value)
        and id(node) not in wrapped and id(node) not in docstrings
    ]


def test_web_modules_have_no_vietnamese_outside_gettext():
    unwrapped = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name in PY_MODULES_ALLOWED:
            continue
        for lineno, value in _vietnamese_literals_outside_gettext(path.read_text("utf-8")):
            unwrapped.append(f"{path.relative_to(ROOT)}:{lineno}: {value[:80]!r}")
    assert unwrapped == []


def test_the_literal_check_sees_unwrapped_strings():
    found = _vietnamese_literals_outside_gettext('x = _("Lưu nháp")\ny = "Nộp biểu mẫu"\n')
    assert found == [(2, "Nộp biểu mẫu")]


# The pages

VIETNAMESE_CHROME = ("Đăng nhập", "Đăng xuất", "Lưu nháp", "Nộp biểu mẫu", "Trang chính", "Mật khẩu", "Tài khoản")


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return html.unescape(response.get_data(as_text=True))


def vietnamese_fragments() -> list[str]:
    """Pieces of the catalogue's Vietnamese msgids long enough not to occur by chance in data."""
    pieces = set()
    for message in catalogue():
        if message.id:
            for piece in PLACEHOLDER.split(msgid_text(message)):
                piece = piece.strip(" .,:;()")
                if VIETNAMESE.search(piece) and len(piece.split()) >= 2:
                    pieces.add(piece)
    return sorted(pieces)


def assert_english(text: str, *expected: str) -> None:
    assert '<html lang="en">' in text
    for phrase in expected:
        assert phrase in text, phrase
    for word in VIETNAMESE_CHROME:
        assert word not in text, word
    left = [piece for piece in vietnamese_fragments() if piece in text]
    assert left == [], left


def english_client(app):
    client = app.test_client()
    text = page(client, "/login?lang=en")
    assert_english(text, "Sign in", "Username", "Password")
    return client


def test_login_page_in_english_and_the_cookie_keeps_it(app):
    client = english_client(app)
    assert client.get_cookie("lang").value == "en"
    assert_english(page(client, "/login"), "Sign in", "Tiếng Việt")


def test_wrong_password_is_told_in_english(app):
    client = english_client(app)
    response = client.post("/login", data={"username": "toan", "password": "sai-mat-khau-123",
                                           "csrf_token": csrf_token(client)})
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 401
    assert_english(text, "Wrong username or password.")


def test_unit_pages_in_english(app):
    register(app, "TOAN")
    client = english_client(app)
    sign_in(client, "toan")
    dashboard = page(client, "/")
    assert_english(dashboard, "Sign out", "Unit code", "Year 2022", "Fill in the form")

    url = "/forms/tu-danh-gia-3-chu-dong/2022"
    form = page(client, url)
    assert_english(form, "Save draft", "Submit", "Home", "Deadline", "Progress", "answered")

    response = client.post(url, data={**form_fields(form), "action": "save"})
    assert response.status_code == 303
    assert_english(page(client, url), "Draft saved.")
    assert_english(page(client, url + "/result"), "Total score", "Provisional result", "Revision history")
    assert_english(page(client, url + "/history"), "Revision history", "Saved by", "Save draft")
    assert_english(page(client, url + "/history/1"), "Revision 1")
    assert_english(page(client, "/account/password"), "Change password", "Current password")


def test_error_page_in_english(app):
    client = english_client(app)
    sign_in(client, "toan")
    assert_english(page(client, "/forms/khong-co/2022", 404), "This could not be done", "Page not found.")


def test_reviewer_and_admin_pages_in_english(app):
    reviewer = english_client(app)
    sign_in(reviewer, "vanphong")
    assert_english(page(reviewer, "/"), "Units' status board", "Summary by year", "Search")

    admin = english_client(app)
    sign_in(admin, "admin")
    assert_english(page(admin, "/admin/users"), "Accounts", "Create an account", "Role", "Administrator")
    assert_english(page(admin, "/admin/cycles"), "Deadlines by year", "Extend one unit’s deadline")
    assert_english(page(admin, "/admin/users/toan/password"), "Reset the password of toan")


def test_vietnamese_is_the_default(app):
    client = app.test_client()
    text = page(client, "/login")
    assert '<html lang="vi">' in text
    assert "Đăng nhập" in text and "Sign in" not in text and "English" in text
    assert client.get_cookie("lang") is None
    sign_in(client, "toan")
    register(app, "TOAN")
    form = page(client, "/forms/tu-danh-gia-3-chu-dong/2022")
    assert "Lưu nháp" in form and "Nộp biểu mẫu" in form and "Save draft" not in form


def test_switching_back_to_vietnamese_is_remembered(app):
    client = english_client(app)
    text = page(client, "/login?lang=vi")
    assert '<html lang="vi">' in text and "Đăng nhập" in text and "Sign in" not in text
    assert client.get_cookie("lang").value == "vi"
    assert "Đăng nhập" in page(client, "/login")
