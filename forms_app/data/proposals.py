"""Cluster leads' comments and proposals in forms.db, and the office's selection for commendation and the forums:
`unit_comments` (appended), `proposals` (one row per unit, year, kind and proposer), `selections` (one row per unit,
year and kind while selected)."""

from __future__ import annotations

from sqlite_utils import Database

from forms_app.data.units import unit_filter

DESCRIPTIONS = {
    "unit_comments": {
        "title": "Nhận xét của Phụ trách cụm",
        "description": "Nhận xét của Ủy viên Ban Thường vụ phụ trách cụm về một đơn vị trong một năm; "
                       "mỗi nhận xét là một dòng mới.",
        "columns": {
            "id": "Mã", "unit_code": "Mã đơn vị", "cycle_year": "Năm", "comment": "Nhận xét",
            "written_by": "Người viết", "written_at": "Thời điểm (UTC)",
        },
    },
    "proposals": {
        "title": "Đề xuất của Phụ trách cụm",
        "description": "Đơn vị được đề xuất công nhận, tuyên dương hoặc chia sẻ kinh nghiệm tại diễn đàn, "
                       "ai đề xuất và vì sao; một dòng cho mỗi đơn vị, năm, loại và người đề xuất.",
        "columns": {
            "unit_code": "Mã đơn vị", "cycle_year": "Năm",
            "kind": "Loại (recognition: công nhận, commendation: tuyên dương, forum: diễn đàn chia sẻ kinh nghiệm)",
            "proposed_by": "Người đề xuất", "reason": "Lý do", "proposed_at": "Thời điểm đề xuất (UTC)",
        },
    },
    "selections": {
        "title": "Đơn vị được chọn tuyên dương, chia sẻ kinh nghiệm",
        "description": "Lựa chọn của Văn phòng Đoàn trường (theo Ban Thường vụ): đơn vị được chọn tuyên dương "
                       "hoặc chia sẻ kinh nghiệm tại diễn đàn trong một năm; bỏ chọn thì dòng bị xoá (nhật ký vẫn giữ).",
        "columns": {
            "unit_code": "Mã đơn vị", "cycle_year": "Năm",
            "kind": "Loại (commendation: tuyên dương, forum: diễn đàn chia sẻ kinh nghiệm)",
            "selected_by": "Người chọn", "selected_at": "Thời điểm chọn (UTC)",
        },
    },
}


# Comments

def insert_comment(db: Database, unit_code: str, cycle_year: int, comment: str, written_by: str, written_at: str) -> int:
    """Append one comment; its id."""
    return db.execute("INSERT INTO unit_comments (unit_code, cycle_year, comment, written_by, written_at) "
                      "VALUES (?, ?, ?, ?, ?)", [unit_code, cycle_year, comment, written_by, written_at]).lastrowid


def comments(db: Database, unit_code: str, cycle_year: int) -> list[dict]:
    """The comments on a unit's year, the latest first."""
    return list(db.query("SELECT * FROM unit_comments WHERE unit_code = ? AND cycle_year = ? ORDER BY id DESC",
                         [unit_code, cycle_year]))


# Proposals

def save_proposal(db: Database, unit_code: str, cycle_year: int, kind: str, proposed_by: str, reason: str | None,
                  proposed_at: str) -> None:
    """Record a proposal, or replace the reason and time of the same proposer's earlier one."""
    db.execute("INSERT INTO proposals (unit_code, cycle_year, kind, proposed_by, reason, proposed_at) "
               "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_code, cycle_year, kind, proposed_by) DO UPDATE SET "
               "reason = excluded.reason, proposed_at = excluded.proposed_at",
               [unit_code, cycle_year, kind, proposed_by, reason, proposed_at])


def delete_proposal(db: Database, unit_code: str, cycle_year: int, kind: str, proposed_by: str) -> bool:
    """Remove one proposer's proposal; whether there was one."""
    return db.execute("DELETE FROM proposals WHERE unit_code = ? AND cycle_year = ? AND kind = ? AND proposed_by = ?",
                      [unit_code, cycle_year, kind, proposed_by]).rowcount > 0


def proposals_of(db: Database, unit_code: str, cycle_year: int) -> list[dict]:
    """The proposals for a unit's year, by kind then time."""
    return list(db.query("SELECT * FROM proposals WHERE unit_code = ? AND cycle_year = ? ORDER BY kind, proposed_at",
                         [unit_code, cycle_year]))


def insert_proposals(db: Database, rows: list[tuple]) -> None:
    """Record proposals at once (the demo): (unit_code, cycle_year, kind, proposed_by, reason, proposed_at) each."""
    db.conn.executemany("INSERT OR REPLACE INTO proposals (unit_code, cycle_year, kind, proposed_by, reason, proposed_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", rows)


def insert_comments(db: Database, rows: list[tuple]) -> None:
    """Append comments at once (the demo): (unit_code, cycle_year, comment, written_by, written_at) each."""
    db.conn.executemany("INSERT INTO unit_comments (unit_code, cycle_year, comment, written_by, written_at) "
                        "VALUES (?, ?, ?, ?, ?)", rows)


# The year's list: every unit proposed or selected, with its unit's name and cluster

# A recognition in force that puts the unit forward for commendation counts as a proposal for it (one parameter: the
# year).
_COMMENDED_BY_DECISION = ("decisions WHERE cycle_year = ? AND is_current = 1 AND decision = 'recognised' "
                          "AND commendation = 1")


def year_rows(db: Database, cycle_year: int, clusters: list[str]) -> list[dict]:
    """The year's list, one row per proposal, with the unit's name and cluster (within `clusters` when any), ordered
    by kind, cluster, unit code and time. `source` says where a row comes from: `lead` (a proposal), `decision` (a
    recognition in force that puts the unit forward for commendation: `proposed_by` its recorder, `reason` its number,
    `proposed_at` its date) or `office` (a selection without any proposal: the other columns NULL)."""
    where = ""
    params: list = [cycle_year, cycle_year, cycle_year]
    if clusters:
        where = f"WHERE u.cluster IN ({','.join('?' * len(clusters))})"
        params += list(clusters)
    return list(db.query(
        "WITH rows AS ("
        " SELECT unit_code, kind, proposed_by, reason, proposed_at, 'lead' AS source FROM proposals WHERE cycle_year = ?"
        " UNION ALL SELECT unit_code, 'commendation', recorded_by, decision_no, COALESCE(decided_on, recorded_at),"
        f"  'decision' FROM {_COMMENDED_BY_DECISION}), "
        "listed AS (SELECT * FROM rows UNION ALL SELECT s.unit_code, s.kind, NULL, NULL, NULL, 'office' FROM selections s"
        "  WHERE s.cycle_year = ? AND NOT EXISTS (SELECT 1 FROM rows r WHERE r.unit_code = s.unit_code"
        "  AND r.kind = s.kind)) "
        "SELECT r.*, u.name AS unit_name, u.cluster FROM listed r JOIN units u ON u.code = r.unit_code "
        f"{where} ORDER BY r.kind, u.cluster, r.unit_code, r.proposed_at", params))


def _listed(cycle_year: int, kind: str | None) -> tuple[str, list]:
    """(a statement reading `listed l` joined to its unit `u`, with `{columns}` to fill, and its parameters): each unit
    the year lists, once per kind (of `kind` only, when given) — proposed by a cluster lead, put forward for
    commendation by its recognition in force, or selected by the office — with its selection (`l.selected_by`,
    `l.selected_at`, NULL when not selected). The selection is read with the rest, one pass over the year's rows of
    each table, so the plan stays the same whatever the tables' statistics say."""
    only, kinds = (" AND kind = ?", [kind]) if kind else ("", [])
    sql = ("WITH found AS (SELECT unit_code, kind, NULL AS selected_by, NULL AS selected_at FROM proposals"
           f" WHERE cycle_year = ?{only}"
           f" UNION ALL SELECT unit_code, kind, selected_by, selected_at FROM selections WHERE cycle_year = ?{only}")
    params = [cycle_year, *kinds, cycle_year, *kinds]
    if kind in (None, "commendation"):
        sql += f" UNION ALL SELECT unit_code, 'commendation', NULL, NULL FROM {_COMMENDED_BY_DECISION}"
        params.append(cycle_year)
    sql += ("), listed AS (SELECT unit_code, kind, MAX(selected_by) AS selected_by, MAX(selected_at) AS selected_at"
            " FROM found GROUP BY unit_code, kind) SELECT {columns} FROM listed l JOIN units u ON u.code = l.unit_code ")
    return sql, params


def _filter(clusters: list[str], query: str, selected: bool | None) -> tuple[str, list]:
    """(a WHERE clause on `_listed`'s rows, its parameters): `units.unit_filter`'s clusters and search, and only the
    selected units (or only those not selected) when `selected` is not None."""
    where, params = unit_filter(clusters, query)
    if selected is not None:
        where = (where + " AND " if where else "WHERE ") + f"l.selected_by IS {'NOT ' if selected else ''}NULL"
    return where, params


def year_counts(db: Database, cycle_year: int, *, clusters: list[str], query: str) -> dict[str, tuple[int, int]]:
    """{kind: (how many units the year lists for it, how many of them are selected)} within `clusters` (when any) and
    matching `query` (`units.unit_filter`); a kind with none is left out."""
    sql, params = _listed(cycle_year, None)
    where, more = _filter(clusters, query, None)
    rows = db.execute(sql.format(columns="l.kind, COUNT(*), COUNT(l.selected_by)") + where + " GROUP BY l.kind",
                      params + more)
    return {kind: (total, selected) for kind, total, selected in rows}


def year_page(db: Database, cycle_year: int, kind: str, *, clusters: list[str], query: str, selected: bool | None,
              limit: int, offset: int) -> list[dict]:
    """One page of the units the year lists for `kind`, by cluster then code (unit_code, unit_name, cluster, and
    selected_by, selected_at when selected), filtered as `_filter` says."""
    sql, params = _listed(cycle_year, kind)
    where, more = _filter(clusters, query, selected)
    columns = "l.unit_code, u.name AS unit_name, u.cluster, l.selected_by, l.selected_at"
    return list(db.query(sql.format(columns=columns) + where + " ORDER BY u.cluster, l.unit_code LIMIT ? OFFSET ?",
                         params + more + [limit, offset]))


def proposals_for(db: Database, cycle_year: int, kind: str, unit_codes: list[str]) -> list[dict]:
    """The proposals of one kind for these units' year, by unit then time: unit_code, proposed_by, reason,
    proposed_at and `source` (`lead` or `decision`, as in `year_rows`)."""
    if not unit_codes:
        return []
    marks = ",".join("?" * len(unit_codes))
    sql = ("SELECT unit_code, proposed_by, reason, proposed_at, 'lead' AS source FROM proposals"
           f" WHERE cycle_year = ? AND kind = ? AND unit_code IN ({marks})")
    params = [cycle_year, kind, *unit_codes]
    if kind == "commendation":
        sql += (" UNION ALL SELECT unit_code, recorded_by, decision_no, COALESCE(decided_on, recorded_at), 'decision'"
                f" FROM {_COMMENDED_BY_DECISION} AND unit_code IN ({marks})")
        params += [cycle_year, *unit_codes]
    return list(db.query(sql + " ORDER BY unit_code, proposed_at", params))


# Selections

def select(db: Database, unit_code: str, cycle_year: int, kind: str, selected_by: str, selected_at: str) -> bool:
    """Mark a unit selected; False when it already was (nothing changed)."""
    return db.execute("INSERT OR IGNORE INTO selections (unit_code, cycle_year, kind, selected_by, selected_at) "
                      "VALUES (?, ?, ?, ?, ?)", [unit_code, cycle_year, kind, selected_by, selected_at]).rowcount > 0


def unselect(db: Database, unit_code: str, cycle_year: int, kind: str) -> bool:
    """Remove a unit's selection; False when it was not selected."""
    return db.execute("DELETE FROM selections WHERE unit_code = ? AND cycle_year = ? AND kind = ?",
                      [unit_code, cycle_year, kind]).rowcount > 0


def selections_of_year(db: Database, cycle_year: int) -> list[dict]:
    """Every selection of the year."""
    return list(db.query("SELECT * FROM selections WHERE cycle_year = ?", [cycle_year]))


def insert_selections(db: Database, rows: list[tuple]) -> None:
    """Select units at once (the demo): (unit_code, cycle_year, kind, selected_by, selected_at) each."""
    db.conn.executemany("INSERT OR IGNORE INTO selections (unit_code, cycle_year, kind, selected_by, selected_at) "
                        "VALUES (?, ?, ?, ?, ?)", rows)


def proposal_years(db: Database) -> list[int]:
    """The years with any proposal or selection, newest first."""
    return [r[0] for r in db.execute("SELECT cycle_year FROM proposals UNION SELECT cycle_year FROM selections "
                                     "ORDER BY 1 DESC")]
