"""Every link and form Datasette draws under /data/ leads somewhere: export links (CSV, JSON), sorting, facets, paging,
rows, the language switch, the filter form's redirect. Datasette 0.65 given the whole path writes base_url twice
(`/data/data/forms/…`, simonw/datasette#1590); adapters/wsgi.py hands it the path below /data."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

from test_readable_views import product, reviewer  # noqa: F401 (the module's fixture, reused)

PAGES = ["/data/", "/data/forms", "/data/forms/ket_qua", "/data/forms/tong_quan?_facet=unit_code",
         "/data/forms/tong_quan?_size=1", "/data/forms/quyet_dinh", "/data/forms/xep_hang_trong_cum?nam=2022",
         "/data/forms?sql=select+code+from+units", "/data/-/bieu-do"]


def links(page: str, at: str) -> set[str]:
    found = set()
    for href in re.findall(r'(?:href|action)="([^"]*)"', page):
        href = html.unescape(href)
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        url = urlsplit(urljoin("http://localhost" + at, href))
        if url.netloc in ("", "localhost"):
            found.add(url.path + ("?" + url.query if url.query else ""))
    return found


def test_every_link_of_the_data_pages_answers(product):  # noqa: F811
    client = reviewer(product)
    seen, broken = set(), []
    for at in PAGES:
        response = client.get(at)
        assert response.status_code == 200, at
        for link in links(response.get_data(as_text=True), at) - seen:
            seen.add(link)
            if link.startswith("/data/"):
                answer = client.get(link)
                if answer.status_code >= 400:
                    broken.append((at, link, answer.status_code))
    assert not [s for s in seen if s.startswith("/data/data")]
    assert len(seen) > 40 and not broken, broken


def test_the_filter_form_redirects_below_data(product):  # noqa: F811
    client = reviewer(product)
    answer = client.get("/data/forms/tong_quan", query_string={"_filter_column_1": "cycle_year", "_filter_op_1": "exact",
                                                                "_filter_value_1": "2022"})
    if answer.status_code in (301, 302):
        assert urlsplit(answer.headers["Location"]).path == "/data/forms/tong_quan"
        answer = client.get(answer.headers["Location"])
    assert answer.status_code == 200
