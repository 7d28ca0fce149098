"""Deadlines the office sets are sane: an extension never moves a unit's deadline earlier nor into the past, a window
never closes before it opens (the rules, whoever calls them, and the admin's page with a sentence beside the field);
the first registration window of the phase follows the plan (20 July 2018), through `schedule.first_window`."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from support.data import REGISTRATION, SELF, forms_sql, opened
from support.definitions import minimal_document
from support.web import FormPage, csrf_token, unescape

from form_definitions import check_paths, shipped_folder
from forms_app.data import connection

TODAY = dt.date(2022, 9, 15)  # OPEN_DAY in Hà Nội; the 2022 self-assessment closes on 1 October 2022


def refusal_codes(call) -> list[str]:
    from forms_app.rules.windows import WindowError

    with pytest.raises(WindowError) as caught:
        call()
    return [r.code for r in caught.value.refusals]


@pytest.fixture
def forms(app):
    db = connection.open_forms(app.config["DATA_DIR"])
    yield db
    db.close()


# The rules

def test_an_extension_before_the_units_deadline_or_in_the_past_is_refused(app, forms):
    from forms_app.rules import windows

    def extend(day: dt.date):
        return lambda: windows.grant_extension(forms, "TOAN", SELF, 2022, day, "x", "admin", on=TODAY)

    assert refusal_codes(extend(dt.date(2022, 9, 20))) == ["extension_earlier"]  # before 1 October
    assert refusal_codes(extend(dt.date(2022, 9, 1))) == ["extension_past", "extension_earlier"]
    assert forms_sql(app, "SELECT COUNT(*) FROM extensions") == [(0,)]
    assert forms_sql(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'deadline_extended'") == [(0,)]

    extend(dt.date(2022, 10, 15))()
    assert refusal_codes(extend(dt.date(2022, 10, 10))) == ["extension_earlier"]  # the unit's deadline is now 15/10
    extend(dt.date(2022, 10, 15))()  # the same day again (a new reason) changes nothing of the deadline
    extend(dt.date(2022, 10, 31))()
    assert forms_sql(app, "SELECT closes FROM extensions") == [("2022-10-31",)]


def test_an_extension_of_a_past_cycle_must_still_end_from_today_on(app, forms):
    from forms_app.rules import windows

    assert refusal_codes(lambda: windows.grant_extension(forms, "TOAN", SELF, 2020, dt.date(2021, 1, 1), None, "admin",
                                                         on=TODAY)) == ["extension_past"]
    windows.grant_extension(forms, "TOAN", SELF, 2020, dt.date(2022, 9, 30), None, "admin", on=TODAY)
    assert refusal_codes(lambda: windows.grant_extension(forms, "KHONGCO", SELF, 2022, dt.date(2022, 12, 1), None,
                                                         "admin", on=TODAY)) == ["unknown_cycle"]


def test_a_window_that_closes_before_it_opens_is_refused(app, forms):
    from forms_app.rules import windows

    before = forms_sql(app, "SELECT opens, closes FROM cycles WHERE form_id = ? AND cycle_year = 2022", (SELF,))
    assert refusal_codes(lambda: windows.set_window(forms, SELF, 2022, dt.date(2022, 10, 1), dt.date(2022, 9, 1),
                                                    "admin")) == ["window_reversed"]
    assert forms_sql(app, "SELECT opens, closes FROM cycles WHERE form_id = ? AND cycle_year = 2022", (SELF,)) == before
    assert windows.set_window(forms, SELF, 2022, dt.date(2022, 9, 1), dt.date(2022, 9, 1), "admin")  # one day is fine


# The admin's page

def post_extension(client, **fields):
    data = {"csrf_token": csrf_token(client, "/admin/cycles"), "unit_code": "TOAN", "form_id": SELF,
            "cycle_year": "2022", "closes": "2022-10-15", "reason": "Ốm đau", **fields}
    return client.post("/admin/extensions", data=data)


def test_the_cycles_page_refuses_an_earlier_or_past_extension_with_a_sentence_and_keeps_what_was_typed(app, signed_in):
    admin = signed_in("admin")
    response = post_extension(admin, closes="2022-09-20")
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Hạn mới (20/09/2022) sớm hơn hạn hiện tại của đơn vị (01/10/2022)" in html
    form = FormPage(html)
    assert "ext-closes-error" in form.error_ids()
    typed = {a["id"]: a.get("value") for a in form.inputs if a.get("id", "").startswith("ext-")}
    assert typed == {"ext-unit_code": "TOAN", "ext-cycle_year": "2022", "ext-closes": "2022-09-20", "ext-reason": "Ốm đau"}
    past = post_extension(admin, closes="2022-09-01")
    assert past.status_code == 422 and "đã qua; hãy chọn một ngày từ hôm nay (15/09/2022) trở đi" in unescape(
        past.get_data(as_text=True))
    unknown = post_extension(admin, unit_code="KHONGCO")
    assert unknown.status_code == 422 and "ext-unit_code-error" in FormPage(unknown.get_data(as_text=True)).error_ids()
    assert forms_sql(app, "SELECT COUNT(*) FROM extensions") == [(0,)]

    done = post_extension(admin)
    assert done.status_code == 303
    assert forms_sql(app, "SELECT unit_code, closes, reason, granted_by FROM extensions") == [
        ("TOAN", "2022-10-15", "Ốm đau", "admin")]


def test_the_cycles_page_refuses_a_window_closing_before_it_opens(app, signed_in):
    admin = signed_in("admin")
    url = f"/admin/cycles/{SELF}/2022"
    response = admin.post(url, data={"csrf_token": csrf_token(admin, "/admin/cycles"), "opens": "2022-10-01",
                                     "closes": "2022-08-01"})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert "Ngày đóng (01/08/2022) phải sau hoặc bằng ngày mở (01/10/2022)." in html
    assert f'id="cycle-error-{SELF}-2022"' in html and 'value="2022-08-01"' in html
    assert forms_sql(app, "SELECT opens, closes FROM cycles WHERE form_id = ? AND cycle_year = 2022", (SELF,)) == [
        ("2022-08-01", "2022-10-01")]


# The first registration window of the phase

def registration_windows(forms) -> dict[int, tuple[str, str]]:
    return {year: (opens, closes) for year, opens, closes in forms.execute(
        "SELECT cycle_year, opens, closes FROM cycles WHERE form_id = ?", [REGISTRATION])}


def test_the_first_registration_window_follows_the_plan(forms):
    found = registration_windows(forms)
    assert found[2018] == ("2018-05-16", "2018-07-20")  # the plan: plans and registrations in by 20 July 2018
    assert found[2019] == ("2018-07-01", "2018-10-10")  # then before 10 October of the previous year
    assert found[2022] == ("2021-07-01", "2021-10-10")


@pytest.mark.parametrize("first", ["v1", "v2"])
def test_the_first_window_does_not_depend_on_the_order_versions_are_loaded_in(tmp_path, first):
    from forms_app.rules import registry

    files = {"v1": shipped_folder() / f"{REGISTRATION}.json", "v2": shipped_folder() / f"{REGISTRATION}-v2.json"}
    data_dir = tmp_path / "data"
    connection.migrate(data_dir)
    forms = connection.open_forms(data_dir)
    try:
        for name in (first, "v2" if first == "v1" else "v1"):
            folder = tmp_path / name
            folder.mkdir()
            shutil.copy(files[name], folder)
            registry.load_definitions_into(forms, [folder])
        assert registration_windows(forms)[2018] == ("2018-05-16", "2018-07-20")
    finally:
        forms.close()


def test_an_admins_window_is_kept_when_a_version_with_a_first_window_is_loaded(tmp_path):
    from forms_app.rules import registry, windows

    data_dir = tmp_path / "data"
    connection.migrate(data_dir)
    v1 = tmp_path / "v1"
    v1.mkdir()
    shutil.copy(shipped_folder() / f"{REGISTRATION}.json", v1)
    with opened(data_dir) as forms:
        registry.load_definitions_into(forms, [v1])
        assert registration_windows(forms)[2018] == ("2017-07-01", "2017-10-10")  # version 1's rule
        windows.set_window(forms, REGISTRATION, 2018, dt.date(2018, 6, 1), dt.date(2018, 7, 31), "admin")
        registry.load_definitions_into(forms, [shipped_folder()])
        assert registration_windows(forms)[2018] == ("2018-06-01", "2018-07-31")


def test_check_reads_and_refuses_a_first_window(tmp_path):
    document = minimal_document()
    first_year = document["schedule"]["first_year"]
    document["schedule"]["first_window"] = {"opens": f"{first_year}-05-16", "closes": f"{first_year}-07-20"}
    path = tmp_path / "mau-thu.json"
    path.write_text(json.dumps(document), "utf-8")
    [definition], problems = check_paths([path])
    assert problems == []
    assert definition.schedule.window(first_year) == (dt.date(first_year, 5, 16), dt.date(first_year, 7, 20))
    assert definition.schedule.window(first_year + 1) == definition.schedule.rule_window(first_year + 1)

    document["schedule"]["first_window"] = {"opens": f"{first_year}-07-21", "closes": f"{first_year}-07-20"}
    path.write_text(json.dumps(document), "utf-8")
    _found, problems = check_paths([path])
    assert [(p.code, p.path) for p in problems] == [("window_empty", "$.schedule.first_window.opens")]

    document["schedule"]["first_window"] = {"opens": "2018-02-30", "closes": "2018-07-20"}
    path.write_text(json.dumps(document), "utf-8")
    _found, problems = check_paths([path])
    assert [(p.code, p.path) for p in problems] == [("schema.format", "$.schedule.first_window.opens")]


def test_version_1_of_the_registration_is_untouched():
    document = json.loads((shipped_folder() / f"{REGISTRATION}.json").read_text("utf-8"))
    assert "first_window" not in document["schedule"]
