"""What SQL may do on the connections Datasette opens for reviewers: deny by default, an allow-list of the rest.

`prepare(conn, database)` runs on every connection Datasette opens (its `prepare_connection` hook): limits on
what one value or one statement may be, linear-time versions of SQLite's quadratic string functions, and an
authorizer that lets a statement read (tables, views, a listed set of functions and introspection pragmas) and
nothing else. Datasette's own queries (table pages, facets, search, the catalogue) go through it too.
docs/security.md says what reviewers may do and why.
"""

from __future__ import annotations

import math
import re
import sqlite3

# Datasette's in-memory catalogue of the served databases: Datasette writes it (on its own write connection),
# and no actor may read it (adapters/reviewers/plugin.py), so it alone keeps its writes.
CATALOGUE = "_internal"

# Columns no reviewer's SQL can read: Datasette gets NULL in their place.
SECRET_COLUMNS = {("revisions", "request_token"), ("uploads", "token"), ("inspections", "minutes_token"),
                  ("calendar_tokens", "token_hash")}

# The largest value a statement may make or read. forms.db's largest row is a form definition (~50 KB) and a
# text answer holds at most 20,000 characters; 1 MiB is twenty times that. A single function call is one step of
# SQLite's program, which Datasette's time limit cannot interrupt: this bounds what one call can cost.
MAX_LENGTH = 1024 * 1024
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_LENGTH,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    sqlite3.SQLITE_LIMIT_COLUMN: 500,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 200,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1000,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 1000,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}

# The SQL functions a statement may call: what reviewers' analysis, the canned queries, Datasette's pages (filters,
# facets, search) and the charts use. Everything else is refused: fts3_tokenizer (hands out and takes raw
# pointers), load_extension, randomblob and zeroblob (huge values in one call), printf and format (`%.*c` repeats a
# character up to 2^31 times in one call: seconds, whatever the length limit), json_patch (quadratic),
# sqlite_version and the compile options (server internals), changes and the like (nothing to read here).
FUNCTIONS = frozenset({
    # aggregates and window functions
    "avg", "count", "group_concat", "max", "min", "sum", "total", "json_group_array", "json_group_object",
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
    # values and conditions
    "coalesce", "ifnull", "iif", "nullif", "typeof", "likely", "unlikely", "likelihood", "random",
    # text (instr, replace and the two-argument trims are the linear versions below)
    "char", "glob", "like", "hex", "instr", "length", "lower", "upper", "ltrim", "rtrim", "trim",
    "quote", "replace", "soundex", "substr", "substring", "unicode",
    # dates and times
    "date", "time", "datetime", "julianday", "strftime", "unixepoch", "current_date", "current_time",
    "current_timestamp",
    # numbers
    "abs", "round", "sign", "ceil", "ceiling", "floor", "trunc", "mod", "pow", "power", "sqrt", "exp", "ln",
    "log", "log10", "log2", "pi", "degrees", "radians", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    # JSON
    "json", "json_array", "json_array_length", "json_extract", "json_insert", "json_object", "json_quote",
    "json_remove", "json_replace", "json_set", "json_type", "json_valid", "->", "->>",
    # full-text search (units' search; escape_fts is Datasette's own)
    "match", "bm25", "highlight", "snippet", "escape_fts",
})

# Pragmas whose argument names a table or an index: how Datasette (and a reviewer) reads the schema.
SCHEMA_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"})
# Pragmas read without a value (with one they would set something): Datasette's schema checks, FTS5's own reads.
READ_PRAGMAS = frozenset({"schema_version", "data_version", "page_size", "page_count"})
# Datasette's database page asks for the attached databases: it gets none, since the answer holds absolute paths.
EMPTY_PRAGMAS = frozenset({"database_list"})
# Table-valued functions a statement may read; other virtual-table modules (dbstat: the file's pages;
# sqlite_stmt: other statements of the connection) are refused, as are pragma_* functions outside the lists above.
TABLE_FUNCTIONS = frozenset({"json_each", "json_tree"})
# SQLite asks for these when a statement first uses a table-valued function; a read-only connection without
# writable_schema (a pragma refused here) can never write the schema table.
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema"})

CATALOGUE_WRITES = frozenset({sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_CREATE_TABLE,
                              sqlite3.SQLITE_CREATE_INDEX, sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT})

# What SQLite says when the authorizer or a limit refuses a statement → a refusal code (its sentence is the adapter's).
REFUSALS = (
    (re.compile(r"not authorized to use function: (?P<name>[\w>-]+)"), "function"),
    (re.compile(r"access to (?P<name>\w+)\.\w+ is prohibited"), "table"),
    (re.compile(r"not authorized"), "operation"),
    (re.compile(r"string or blob too big"), "too_big"),
    (re.compile(r"query string is too large|Expression tree is too large \(maximum depth \d+\)"
                r"|too many terms in compound SELECT|too many columns in result set|too many (SQL )?variables"
                r"|LIKE or GLOB pattern too complex"), "too_complex"),
    (re.compile(r"user-defined function raised exception"), "function_input"),
)
MAX_TRIM_CHARACTERS = 64


def prepare(conn: sqlite3.Connection, database: str) -> None:
    """Limits, the linear string functions and the authorizer, on one of Datasette's connections."""
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    conn.create_function("instr", 2, instr, deterministic=True)
    conn.create_function("replace", 3, replace, deterministic=True)
    for name, ends in (("trim", (True, True)), ("ltrim", (True, False)), ("rtrim", (False, True))):
        conn.create_function(name, 2, _trimmer(*ends), deterministic=True)
    modules = {row[0] for row in conn.execute("PRAGMA module_list")}
    conn.set_authorizer(Authorizer(modules, catalogue=database == CATALOGUE))


class Authorizer:
    """SQLite's authorizer for one connection: reading is allowed, through the lists above; anything else is refused."""

    def __init__(self, modules: set[str], catalogue: bool = False):
        self.refused_tables = frozenset(modules) - TABLE_FUNCTIONS
        self.writes = CATALOGUE_WRITES if catalogue else frozenset()

    def __call__(self, action: int, first: str | None, second: str | None, database: str | None, source: str | None) -> int:
        """SQLITE_OK, SQLITE_IGNORE (a secret column reads as NULL, an empty pragma answers nothing) or SQLITE_DENY."""
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            return self._read(first or "", second)
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_OK if (second or "").lower() in FUNCTIONS else sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA:
            return _pragma((first or "").lower(), second)
        if action in self.writes:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_UPDATE and first in SCHEMA_TABLES:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    def _read(self, table: str, column: str | None) -> int:
        if (table, column) in SECRET_COLUMNS:
            return sqlite3.SQLITE_IGNORE
        name = table.lower()
        if name in self.refused_tables:
            return sqlite3.SQLITE_DENY
        if name.startswith("pragma_") and name[len("pragma_"):] not in SCHEMA_PRAGMAS | READ_PRAGMAS:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK


def _pragma(name: str, value: str | None) -> int:
    if name in SCHEMA_PRAGMAS or (name in READ_PRAGMAS and value is None):
        return sqlite3.SQLITE_OK
    if name in EMPTY_PRAGMAS and value is None:
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_DENY


def refusal(message: str) -> tuple[str, dict] | None:
    """(code, values) for an error SQLite gave because this module refused the statement; None for any other."""
    for pattern, code in REFUSALS:
        match = pattern.search(message)
        if match:
            return code, match.groupdict()
    return None


# SQLite's instr, replace and two-argument trims compare every position with the whole pattern: on values of
# MAX_LENGTH one call takes seconds to minutes, out of the time limit's reach. Python's str methods search in
# linear time; these follow SQLite's rules (NULL in, NULL out; blobs compared as bytes by instr).


def instr(text, pattern):
    """SQLite's instr(X, Y): the 1-based position of Y in X (characters, or bytes for two blobs), 0 when absent."""
    if text is None or pattern is None:
        return None
    if isinstance(text, bytes) and isinstance(pattern, bytes):
        return text.find(pattern) + 1
    return _text(text).find(_text(pattern)) + 1


def replace(text, pattern, replacement):
    """SQLite's replace(X, Y, Z): every Y in X replaced by Z; X as it is when Y is empty."""
    if text is None or pattern is None or replacement is None:
        return None
    pattern = _text(pattern)
    if not pattern:
        return text
    text, replacement = _text(text), _text(replacement)
    if len(text) + text.count(pattern) * (len(replacement) - len(pattern)) > MAX_LENGTH:
        raise OverflowError  # SQLite's "string or blob too big", before Python builds the value
    return text.replace(pattern, replacement)


def _trimmer(left: bool, right: bool):
    def trim(text, characters):
        if text is None or characters is None:
            return None
        characters = "".join(dict.fromkeys(_text(characters)))
        if len(characters) > MAX_TRIM_CHARACTERS:  # str.strip looks each character up in the set
            raise ValueError("too many characters to trim")
        text = _text(text)
        if left and right:
            return text.strip(characters)
        return text.lstrip(characters) if left else text.rstrip(characters)

    return trim


def _text(value) -> str:
    # A value as SQLite turns it into text: a REAL keeps a decimal point ("%!.15g"), a blob is read as UTF-8.
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        mantissa, e, exponent = f"{value:.15g}".partition("e")
        return (mantissa if "." in mantissa else mantissa + ".0") + e + exponent
    return str(value)
