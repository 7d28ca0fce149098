"""Issue 18: the form page's questions are rendered once per definition version, language and read-only state, with
only a request's values filled in — the page is the same as the one the macro writes, and a new definition version
loaded while the app runs shows its own questions."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from support.data import SELF, example_answers, opened
from support.web import SELF_URL, complete_self_assessment, form_fields, pdf_upload, post_answers

from forms_app.adapters.cli import cli
from forms_app.adapters.web import question_cache
from forms_app.rules import registry

NEW_QUESTION = "cau_hoi_moi_cua_phien_ban_sau"


def _without_tokens(page: str) -> str:
    """The page without its CSRF and request tokens (new ones in every response) and the revision it builds on."""
    return re.sub(r'name="(csrf_token|request_token|base_revision)"( type="hidden")? value="[^"]*"', "", page)


@pytest.fixture
def by_macro(monkeypatch):
    """A function that gives the page of `call()` as the macro writes every question (no skeleton used)."""

    def render(call):
        with monkeypatch.context() as patched:
            patched.setattr(question_cache, "prepared", lambda *args, **kwargs: {})
            return call()

    return render


def _same_page(call, by_macro) -> str:
    cached = call()
    macro = by_macro(call)
    assert cached.status_code == macro.status_code
    text = _without_tokens(cached.get_data(as_text=True))
    assert text == _without_tokens(macro.get_data(as_text=True))
    return text


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_empty_form_is_the_page_the_macro_writes(toan, by_macro, lang):
    toan.get(f"{SELF_URL}?lang={lang}")
    page = _same_page(lambda: toan.get(SELF_URL), by_macro)
    assert page.count('class="question') == len(example_answers(SELF)) or 'class="question' in page
    assert " data-hidden" in page  # questions hidden by a condition are still marked so


def test_stored_answers_are_filled_in_as_the_macro_fills_them(toan, by_macro):
    answers = complete_self_assessment()
    assert post_answers(toan, answers, "save").status_code == 303
    toan.get(SELF_URL)  # the page that says "saved" (once)
    page = _same_page(lambda: toan.get(SELF_URL), by_macro)
    assert " checked" in page and 'value="' in page


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_kept_files_are_shown_as_the_macro_shows_them(app, toan, by_macro, lang):
    with opened(app.config["DATA_DIR"]) as forms:
        definition = registry.definition(forms, SELF)
    evidence = [q.id for q in definition.questions if q.type == "file"][:2]
    files = {qid: pdf_upload(f"minh-chung-{i}.pdf") for i, qid in enumerate(evidence)}
    assert post_answers(toan, complete_self_assessment(), "save", files=files).status_code == 303
    toan.get(f"{SELF_URL}?lang={lang}")
    page = _same_page(lambda: toan.get(SELF_URL), by_macro)
    assert 'class="file-kept"' in page and "minh-chung-1.pdf" in page
    assert f'name="{evidence[0]}__remove"' in page and f'name="{evidence[0]}__keep"' in page


def test_values_that_need_escaping_are_escaped(app, toan, by_macro):
    with opened(app.config["DATA_DIR"]) as forms:
        definition = registry.definition(forms, SELF)
    text_id = next(q.id for q in definition.questions if q.type == "text" and not q.visible_if)
    assert post_answers(toan, {text_id: '<b>"Đoàn" & \'Hội\'</b>'}, "save").status_code == 303
    toan.get(SELF_URL)
    page = _same_page(lambda: toan.get(SELF_URL), by_macro)
    assert "<b>" not in page and "&lt;b&gt;&#34;Đoàn&#34; &amp; &#39;Hội&#39;&lt;/b&gt;" in page


def test_a_page_sent_back_with_errors_is_the_page_the_macro_writes(toan, by_macro):
    answers = complete_self_assessment()
    answers["so_doan_vien_moi"] = "mười hai"
    answers["so_kien_nghi_duoc_giai_quyet"] = "50"  # a part above its whole (so_kien_nghi_tiep_nhan: 5)

    def post():  # each on a page just loaded: its own request token and base revision
        return post_answers(toan, answers, "submit", fields=form_fields(toan.get(SELF_URL).get_data(as_text=True)))

    page = _same_page(post, by_macro)
    assert 'class="field-error" id="so_doan_vien_moi-error"' in page and "has-error" in page


def test_a_read_only_page_is_the_page_the_macro_writes(app, signed_in, by_macro):
    waiting = signed_in("toan")  # the registration is not submitted: the self-assessment waits for it, read-only
    page = _same_page(lambda: waiting.get(SELF_URL), by_macro)
    assert " disabled" in page and 'name="action"' not in page


def test_a_new_version_loaded_while_the_app_runs_shows_its_question(app, toan, tmp_path):
    data_dir = app.config["DATA_DIR"]
    before = toan.get(SELF_URL).get_data(as_text=True)
    assert NEW_QUESTION not in before
    with opened(data_dir) as forms:
        latest = registry.latest_definitions(forms)
    folder = tmp_path / "definitions"
    folder.mkdir()
    for definition in latest:
        document = json.loads(definition.source)
        if definition.id == SELF:
            document["version"] = definition.version + 1
            first = document["sections"][0]
            first["questions"].append({"id": NEW_QUESTION, "type": "text",
                                       "label": {"vi": "Câu hỏi mới của phiên bản sau", "en": "A new question"}})
        (folder / f"{definition.id}.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")

    result = CliRunner().invoke(cli, ["init", "--definitions", str(folder), "--data-dir", str(data_dir)])

    assert result.exit_code == 0, result.output
    after = toan.get(SELF_URL).get_data(as_text=True)
    assert f'id="q-{NEW_QUESTION}"' in after and "Câu hỏi mới của phiên bản sau" in after
    assert 'id="q-' in after and after.count('class="question') == before.count('class="question') + 1
