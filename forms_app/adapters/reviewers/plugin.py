"""Datasette hooks: reviewers signed in to the web app are signed in here; nobody else sees anything."""

from __future__ import annotations

import sys

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import NotFound, Response

from forms_app.adapters.web.context import SESSION_COOKIE
from forms_app.data import connection as database
from forms_app.data import reviewer_access
from forms_app.rules import accounts
from forms_app.rules import charts as reviewing

READ_ACTIONS = {"view-instance", "view-database", "view-table", "view-query", "execute-sql", "view-database-download"}
# Datasette's pages about the server itself: absolute paths (databases), versions (versions, plugins), threads,
# settings. Nobody needs them through the web, admins included: the server's operator reads them on the server.
SERVER_PAGES = r"^/-/(versions|plugins|threads|settings|config|databases)(\.json)?$"


def register() -> None:
    """Register this module as a Datasette plugin, once per process."""
    module = sys.modules[__name__]
    if not pm.is_registered(module):
        pm.register(module, name="forms_app")


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


@hookimpl
def prepare_connection(conn, database, datasette):
    """Reading only, through an allow-list (no ATTACH, so accounts.db is out of reach; no secret column), and limits."""
    reviewer_access.prepare(conn, database)


@hookimpl
def menu_links(datasette, actor, request):
    """Reviewers' menu: the charts page, and the way back to the web app."""
    if actor and actor.get("browses_data"):
        return [
            {"href": datasette.urls.path("/-/bieu-do"), "label": "Biểu đồ"},
            {"href": "/", "label": "Về trang quản lý"},
        ]
    return []


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
        return Response.html("Forbidden", status=403)
    db = datasette.get_database("forms")
    forms = await db.execute_fn(lambda conn: reviewing.charts(conn, request.args.get("nam")))
    html = await datasette.render_template("bieu_do.html", {"forms": forms, "year": request.args.get("nam")}, request=request)
    return Response.html(html)
