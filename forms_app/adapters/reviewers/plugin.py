"""Datasette hooks: reviewers signed in to the web app are signed in here; nobody else sees anything."""

from __future__ import annotations

import functools
import math
import re
import sys
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import urlencode

from babel.support import Translations
from datasette import hookimpl
from datasette.facets import ColumnFacet
from datasette.plugins import pm
from datasette.utils.asgi import Base400, Forbidden, NotFound, Request, Response
from datasette.views.base import DatasetteError

from forms_app.adapters.reviewers import facets
from forms_app.adapters.web.app import LANGUAGES
from forms_app.adapters.web.context import SESSION_COOKIE
from forms_app.data import connection as database
from forms_app.data import reviewer_access
from forms_app.data.descriptions import EVERYDAY
from forms_app.rules import accounts
from forms_app.rules import charts as reviewing

READ_ACTIONS = {"view-instance", "view-database", "view-table", "view-query", "execute-sql", "view-database-download"}
# Datasette's pages about the server itself: absolute paths (databases), versions (versions, plugins), threads,
# settings. Nobody needs them through the web, admins included: the server's operator reads them on the server.
SERVER_PAGES = r"^/-/(versions|plugins|threads|settings|config|databases)(\.json)?$"
# The app's catalogues: Datasette's pages speak the language of the web app's pages (msgids Vietnamese).
TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
STYLESHEET = "/app-static/datasette.css"  # adapters/reviewers/__init__.py: STATIC_MOUNT
SCRIPT = "/app-static/datasette.js"
LANGUAGE_COOKIE_AGE = 365 * 86400


def register() -> None:
    """Register this module as a Datasette plugin, once per process."""
    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name="forms_app")


# The language of the page being drawn, set per request by `asgi_wrapper` for the hooks called without the request.
_PAGE_LANGUAGE: ContextVar[str | None] = ContextVar("page_language", default=None)


@hookimpl
def actor_from_request(datasette, request):
    """The web app's session cookie → {"id", "role", "clusters", "browses_data"}; None for anyone else."""
    data_dir = getattr(datasette, "forms_app_data_dir", None)
    token = request.cookies.get(SESSION_COOKIE)
    if data_dir is None or not token:
        return None
    conn = database.open_accounts(data_dir)
    try:
        user = accounts.session_user(conn, token)
        if user is None:
            return None
        clusters = accounts.reviewer_clusters(conn, user.username)
    finally:
        conn.close()
    return {"id": user.username, "role": user.role, "clusters": clusters, "browses_data": user.browses_data}


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    """The roles that browse data (`User.browses_data`) read; only admins see debugging pages; everyone else is
    refused everything."""
    if not actor or not actor.get("browses_data"):
        return False
    database_name = resource[0] if isinstance(resource, (tuple, list)) else resource
    if database_name == reviewer_access.CATALOGUE:  # Datasette's own catalogue: the databases' absolute paths
        return False
    if action in ("debug-menu", "permissions-debug"):
        return actor.get("role") == "admin"
    if action in READ_ACTIONS:
        return True
    return None


@hookimpl
def canned_queries(datasette, database, actor):
    """Every scored form's canned queries, read from the definitions stored now. Listed whoever asks (Datasette checks
    a query's visibility as an anonymous actor too); `permission_allowed` lets only reviewers see or run one."""
    if database != "forms":
        return None

    async def queries():
        return await datasette.get_database(database).execute_fn(reviewing.canned_queries)

    return queries


@hookimpl(hookwrapper=True)
def register_facet_classes():
    """Datasette's column facet replaced, in the list Datasette builds, by one that reads the counts triggers keep
    when it can (`facets.KeptColumnFacet`: same type, same results, Datasette's own query otherwise)."""
    outcome = yield
    outcome.force_result([[facets.KeptColumnFacet if found is ColumnFacet else found for found in classes]
                          for classes in outcome.get_result()])


@hookimpl
def prepare_connection(conn, database, datasette):
    """Reading only, through an allow-list (no ATTACH, so accounts.db is out of reach; no secret column), and limits."""
    reviewer_access.prepare(conn, database)


@hookimpl
def menu_links(datasette, actor, request):
    """Reviewers' links in the app's header: the data's home, the charts page, and the web app's pages."""
    if not (actor and actor.get("browses_data")):
        return []
    _ = translator(page_language(request))
    return [
        {"href": "/", "label": _("Trang quản lý")},
        {"href": datasette.urls.instance(), "label": _("Dữ liệu tổng hợp")},
        {"href": datasette.urls.path("/-/bieu-do"), "label": _("Biểu đồ")},
    ]


@hookimpl(tryfirst=True)
def handle_exception(datasette, request, exception):
    """Datasette's refusals of an address a reviewer typed (a sort on a column without an index, a page size…): a 400
    with a sentence in the page's language instead of a 500 in English; Datasette's own handler then draws the page."""
    if isinstance(exception, DatasetteError):
        sentence = _client_error(str(exception.message), page_language(request))
        if sentence:
            exception.message, exception.status = sentence, 400
    elif isinstance(exception, Base400) and exception.args:
        sentence = _client_error(str(exception.args[0]), page_language(request))
        if sentence:
            exception.args = (sentence,)
    return None


def _client_error(message: str, lang: str) -> str | None:
    _ = translator(lang)
    if found := re.fullmatch(r"Cannot sort table by (.+)", message):
        return _("Không sắp xếp được theo cột “%(column)s”: chỉ sắp xếp được theo các cột có tên là liên kết ở dòng tiêu đề.",
                 column=found[1])
    if message == "Cannot use _sort and _sort_desc at the same time":
        return _("Chỉ chọn một cách sắp xếp: tăng dần hoặc giảm dần.")
    if message == "_size must be a positive integer":
        return _("Số dòng mỗi trang phải là một số nguyên dương.")
    if found := re.fullmatch(r"_size must be <= (\d+)", message):
        return _("Mỗi trang có tối đa %(limit)s dòng.", limit=found[1])
    if message == "Cannot search by that column":
        return _("Không tìm được theo cột này.")
    return None


@hookimpl
def register_routes():
    """The charts page, /-/bieu-do; Datasette's pages about the server answer 404 (plugins' routes come first)."""
    return [(r"^/-/bieu-do$", charts_page), (SERVER_PAGES, server_page)]


async def server_page(datasette, request):
    """Not found, for everyone: Datasette's pages about the server itself."""
    raise NotFound("Không có trang này.")


async def charts_page(datasette, request):
    """Charts reviewers would rather look at than read, for every scored form, drawn on the server as SVG (no script,
    no network)."""
    if not await datasette.permission_allowed(request.actor, "view-database", "forms", default=False):
        raise Forbidden("Permission denied")  # said in the page's language by templates/datasette/error.html
    db = datasette.get_database("forms")
    data_dir = getattr(datasette, "forms_app_data_dir", None)
    file = Path(data_dir) / database.FORMS_DB if data_dir else None
    forms = await db.execute_fn(lambda conn: reviewing.charts(conn, request.args.get("nam"), file))
    html = await datasette.render_template("bieu_do.html", {"forms": forms, "year": request.args.get("nam"),
                                                            "drawing_again": reviewing.drawing_again()}, request=request)
    return Response.html(html)


@hookimpl
def extra_css_urls():
    """The app's look around Datasette's pages (its header, colours, a monospace font with Vietnamese glyphs)."""
    return [STYLESHEET]


@hookimpl
def startup(datasette):
    """Defaults for the pages Datasette renders without the plugins' variables (its error pages): Vietnamese, the
    app's stylesheet."""
    datasette.jinja_env.globals.update({
        "lang": "vi", "_": translator("vi"), "number": number, "other_language": "en", "switch_language_url": "?lang=en",
        "extra_css_urls": [{"url": datasette.urls.path(STYLESHEET)}],
        "title_of": lambda database=None, table=None: title_of(datasette, database, table),
    })


@hookimpl
def extra_js_urls(template):
    """Names CodeMirror's input for screen readers (the label of the editor it replaces); on the pages with an editor."""
    return [SCRIPT] if template in ("database.html", "query.html") else []


@hookimpl
def extra_template_vars(datasette, request, database):
    """What our templates (templates/datasette) need: `_` in the page's language, the language itself, the way to
    switch it, titles from the metadata, numbers written the Vietnamese way and, on a canned query, its fields."""
    lang = page_language(request)
    other = "en" if lang == "vi" else "vi"
    return {
        "lang": lang,
        "_": translator(lang),
        "number": functools.partial(number, lang=lang),
        "other_language": other,
        "switch_language_url": switched_url(datasette, request, other) if request else "",
        "title_of": lambda database=None, table=None: title_of(datasette, database, table),
        "query_choices": lambda: _query_choices(datasette, database),
        "everyday_views": EVERYDAY,
    }


@hookimpl
def asgi_wrapper(datasette):
    """The page's language for the hooks Datasette calls without the request (`render_cell`); `?lang=` on a Datasette
    page is remembered in the app's `lang` cookie, as on the web app's pages."""

    def wrap(app):
        async def remembering(scope, receive, send):
            lang = _asked_language(scope)
            if lang is not None:  # `lang` is not a column: Datasette would filter the rows on it
                kept = [pair for pair in scope["query_string"].split(b"&") if pair.partition(b"=")[0] != b"lang"]
                scope = {**scope, "query_string": b"&".join(kept)}
            drawn_in = _PAGE_LANGUAGE.set(lang or (page_language(Request(scope, receive)) if scope.get("type") == "http"
                                                   else "vi"))

            async def send_with_cookie(message):
                if message["type"] == "http.response.start":
                    cookie = f"lang={lang}; Max-Age={LANGUAGE_COOKIE_AGE}; Path=/; SameSite=Lax; HttpOnly"
                    if scope.get("scheme") == "https":
                        cookie += "; Secure"
                    message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
                await send(message)

            try:
                await app(scope, receive, send if lang is None else send_with_cookie)
            finally:
                _PAGE_LANGUAGE.reset(drawn_in)

        return remembering

    return wrap


@hookimpl
def render_cell(value):
    """A decimal in a cell as the page's language writes it, a whole one without ".0": 76 and 12,5 (12.5 in English)."""
    if isinstance(value, float) and math.isfinite(value):
        return number(value, _PAGE_LANGUAGE.get() or "vi")
    return None


def _asked_language(scope) -> str | None:
    if scope.get("type") != "http":
        return None
    for pair in scope.get("query_string", b"").decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if name == "lang" and value in LANGUAGES:
            return value
    return None


def page_language(request) -> str:
    """As the web app chooses (`select_locale`): ?lang=, else the `lang` cookie, else Vietnamese."""
    if request is None:
        return "vi"
    if (drawn_in := _PAGE_LANGUAGE.get()) is not None:  # set for this request by asgi_wrapper
        return drawn_in
    wanted = request.args.get("lang") or request.cookies.get("lang")
    return wanted if wanted in LANGUAGES else "vi"


@functools.cache
def _catalogue(lang: str) -> Translations:
    return Translations.load(str(TRANSLATIONS), [lang], domain="messages")


def translator(lang: str):
    """`_(msgid, **values)` as in the web app's templates: the catalogue's text for `lang`, `%(name)s` filled in."""
    catalogue = _catalogue(lang)

    def gettext(msgid: str, **values) -> str:
        text = catalogue.gettext(msgid)
        return text % values if values else text

    return gettext


def number(value, lang: str = "vi") -> str:
    """A number as the language writes it: 50.000 and 12,5 in Vietnamese, 50,000 and 12.5 in English; a whole
    decimal without ".0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = f"{value:,}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text


def switched_url(datasette, request, lang: str) -> str:
    """This page in the other language: its path (below base_url, as adapters/wsgi.py hands it over) and arguments,
    `lang` replaced."""
    args = [(name, value) for name in request.args.keys() if name != "lang" for value in request.args.getlist(name)]
    return datasette.urls.path(request.path) + "?" + urlencode([*args, ("lang", lang)])


def title_of(datasette, database: str | None, table: str | None) -> str:
    """A database's or table's title from the metadata, else its name; the instance's title without either."""
    if table:
        return datasette.metadata("title", database=database, table=table, fallback=False) or table
    if database:
        return datasette.metadata("title", database=database, fallback=False) or database
    return datasette.metadata("title") or ""


async def _query_choices(datasette, database: str | None) -> dict[str, list]:
    # Called by query.html on a canned query's page only: the years and clusters its pickers offer.
    if not database:
        return {}
    return await datasette.get_database(database).execute_fn(reviewing.parameter_choices)
