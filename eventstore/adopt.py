"""A store deployed with the v3 plan takes up the v4 plan, which starts from a baseline.

v4's plan (``sqitch.plan``) begins with ``baseline``: the state v3.1.0 left, written as one
change, then ``code`` and ``baseline_wiring``; its first release, v4.0.0, has the catalog of
v3.1.0 exactly. The v3 plan that built it is kept, frozen, in ``history/``. A database at v3.1.0
therefore holds everything v4.0.0 would deploy; only sqitch's registry names the old changes.
:func:`adopt_baseline` moves the registry over with sqitch's own commands, and nothing else:

1. it refuses unless the registry has every change of the history plan and nothing else (a
   database at an older release upgrades with the history plan first), and unless the catalog
   has every object of a fresh v3.1.0 as v3.1.0 made it (``history/catalog-v3.1.0.txt``: tables,
   columns, constraints, indexes, triggers, routines by their text, views, grants, roles; what
   the database adds, such as a domain of its own, partitions, subscriptions, is its own);
2. projects whose deployed changes require the store's (the Order example, a domain of yours
   built the same way) are named with ``dependents``: each is a sqitch project whose
   ``history/`` holds its old plan and whose plan starts from its own baseline; sqitch would
   refuse to revert what they require, so they move first and come back last;
3. ``sqitch revert --log-only`` with each history plan (dependents first), then ``sqitch deploy
   --log-only --to`` the first tag of each new plan (the store first). ``--log-only`` runs no
   script, and the deploy still runs each change's verify script against the database.

Each step reads the registry again, so that a run cut short is finished by running it again;
a database already adopted is left as it is. Then ``sqitch deploy`` goes on as usual.

    python -m eventstore adopt-baseline "host=db dbname=app user=admin" [--dependent DIR ...]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from eventstore.bundle import bundle_dir, run_sqitch

__all__ = ["CATALOG_SQL", "AdoptionRefused", "adopt_baseline", "catalog_lines", "missing_from_catalog"]

HISTORY_RELEASE = "v3.1.0"
CATALOG_FILE = f"catalog-{HISTORY_RELEASE}.txt"


class AdoptionRefused(RuntimeError):
    """The database is not one the baseline can be recorded for; nothing was changed."""


# One line per object of the store as a fresh install makes it. Monthly partitions are left
# out (the code that made them names their indexes); registered invokers too (named by hash).
CATALOG_SQL = r"""
WITH store AS (SELECT oid, nspname FROM pg_catalog.pg_namespace
               WHERE nspname IN ('api', 'private', 'data', 'registered')),
rel AS (SELECT c.* FROM pg_catalog.pg_class AS c JOIN store AS s ON s.oid = c.relnamespace
        WHERE NOT c.relispartition OR c.relname = 'events_default')
SELECT 'schema ' || nspname FROM store
UNION ALL
SELECT 'role ' || r.rolname || ' member of ' || coalesce((
           SELECT string_agg(g.rolname, ',' ORDER BY g.rolname) FROM pg_catalog.pg_auth_members AS m
           JOIN pg_catalog.pg_roles AS g ON g.oid = m.roleid WHERE m.member = r.oid), '')
FROM pg_catalog.pg_roles AS r WHERE r.rolname LIKE 'eventstore\_%'
UNION ALL
SELECT 'extension ' || extname FROM pg_catalog.pg_extension WHERE extname = 'pgcrypto'
UNION ALL
SELECT 'relation ' || c.relkind::text || ' ' || c.oid::regclass::text || ' ' || coalesce(c.relacl::text, '')
       || CASE WHEN c.relkind = 'v' THEN ' ' || md5(pg_catalog.pg_get_viewdef(c.oid)) ELSE '' END
FROM rel AS c WHERE c.relkind IN ('r', 'p', 'v', 'S', 'c')
UNION ALL
SELECT 'column ' || c.oid::regclass::text || '.' || a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), '')
FROM rel AS c JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'v', 'c')
UNION ALL
SELECT 'constraint ' || c.oid::regclass::text || ' ' || k.conname || ' ' || pg_catalog.pg_get_constraintdef(k.oid)
FROM rel AS c JOIN pg_catalog.pg_constraint AS k ON k.conrelid = c.oid
UNION ALL
SELECT 'index ' || pg_catalog.pg_get_indexdef(i.indexrelid)
FROM rel AS c JOIN pg_catalog.pg_index AS i ON i.indrelid = c.oid
UNION ALL
SELECT 'trigger ' || pg_catalog.pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
FROM rel AS c JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'event trigger ' || e.evtname || ' ' || e.evtfoid::regproc::text FROM pg_catalog.pg_event_trigger AS e
WHERE e.evtname LIKE 'eventstore\_%'
UNION ALL
SELECT 'routine ' || p.oid::regprocedure::text || ' ' || md5(concat_ws(E'\n', p.prosrc,
           pg_catalog.pg_get_function_result(p.oid), array_to_string(p.proconfig, ','), p.prosecdef::text,
           p.provolatile::text, p.proacl::text))
FROM pg_catalog.pg_proc AS p JOIN store AS s ON s.oid = p.pronamespace WHERE s.nspname <> 'registered'
UNION ALL
SELECT 'projection ' || projection_name || ' ' || handler FROM data.projections
WHERE projection_name IN ('notifications', 'snapshots')
"""


def catalog_lines(conn: psycopg.Connection) -> set[str]:
    """The store's objects as ``CATALOG_SQL`` sees them (empty without the store)."""
    if conn.execute("SELECT to_regclass('data.projections')").fetchone() == (None,):
        return set()
    return {row[0] for row in conn.execute(CATALOG_SQL)}


def missing_from_catalog(conn: psycopg.Connection, expected: set[str]) -> list[str]:
    """The lines of ``expected`` the database does not have (absent, or made otherwise)."""
    return sorted(expected - catalog_lines(conn))


@dataclass
class _Project:
    name: str
    directory: Path  # its v4 plan (sqitch.plan starting from baseline)

    @property
    def history(self) -> Path:
        return self.directory / "history"

    def first_tag(self) -> str:
        for line in (self.directory / "sqitch.plan").read_text().splitlines():
            if line.startswith("@"):
                return line.split()[0]
        raise AdoptionRefused(f"{self.directory}/sqitch.plan has no release yet: nothing to adopt")


def _project_name(directory: Path) -> str:
    found = re.search(r"^%project=(\S+)", (directory / "sqitch.plan").read_text(), re.M)
    if not found:
        raise AdoptionRefused(f"{directory}/sqitch.plan names no %project")
    return found.group(1)


def _sqitch(args: Sequence[str], project_dir: Path, conninfo: str) -> str:
    r = run_sqitch(args, project_dir, conninfo)
    if r.returncode != 0:
        raise RuntimeError(f"sqitch {' '.join(args)} in {project_dir} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
                           "\nNothing else was done after it: run adopt-baseline again to finish.")
    return r.stdout + r.stderr


def _plan_ids(project_dir: Path, conninfo: str, to: str | None = None) -> list[str]:
    """The change ids of a plan (up to ``to``, a tag), as sqitch computes them."""
    out = _sqitch(["plan", "--no-headers", "--format", "format:%H %n%t"], project_dir, conninfo).split("\n")
    ids = []
    for line in out:
        if not line.strip():
            continue
        change_id, _, tags = line.partition(" ")
        ids.append(change_id)
        if to is not None and to in tags.split():
            break
    return ids


def _registry(conn: psycopg.Connection, project: str) -> tuple[set[str], str | None]:
    """(deployed change ids, the last event's kind) of a project in sqitch's registry."""
    if conn.execute("SELECT to_regclass('sqitch.changes')").fetchone() == (None,):
        return set(), None
    deployed = {r[0] for r in conn.execute("SELECT change_id FROM sqitch.changes WHERE project = %s", (project,))}
    last = conn.execute("SELECT event FROM sqitch.events WHERE project = %s ORDER BY committed_at DESC LIMIT 1",
                        (project,)).fetchone()
    return deployed, last[0] if last else None


def _state(conn: psycopg.Connection, project: _Project, conninfo: str) -> str:
    """'history' (at the last release of its history plan), 'between' (history reverted from the
    registry, the new plan not recorded yet: a run cut short) or 'adopted'."""
    deployed, last_event = _registry(conn, project.name)
    new = _plan_ids(project.directory, conninfo, to=project.first_tag())
    if set(new) <= deployed:
        return "adopted"
    history = _plan_ids(project.history, conninfo)
    if deployed == set(history):
        return "history"
    if not deployed and last_event == "revert":
        return "between"
    if deployed <= set(history) and deployed:
        raise AdoptionRefused(
            f"{project.name} is at a release older than {HISTORY_RELEASE}: upgrade it with the history plan first "
            f"(cd {project.history} && sqitch deploy), then adopt")
    raise AdoptionRefused(f"{project.name}: the registry has neither the history plan up to {HISTORY_RELEASE} nor the "
                          f"new plan's first release ({len(deployed)} changes deployed)")


def adopt_baseline(conninfo: str, dependents: Sequence[Path | str] = ()) -> str:
    """Record the v4 plan's first release as deployed in a database at v3.1.0 (see the module's
    text); returns what sqitch said. Raises AdoptionRefused, having changed nothing, when the
    database is not at v3.1.0 or a project that requires the store's changes is not named."""
    core = _Project("eventstore", bundle_dir())
    others = [_Project(_project_name(Path(d)), Path(d).resolve()) for d in dependents]
    for project in others:
        if not (project.history / "sqitch.plan").is_file():
            raise AdoptionRefused(f"{project.directory} has no history/sqitch.plan: it is not a project to adopt")
    expected = set((core.history / CATALOG_FILE).read_text().splitlines())
    with psycopg.connect(conninfo, autocommit=True) as conn:
        core_state = _state(conn, core, conninfo)
        if core_state == "adopted":
            states = {p.name: _state(conn, p, conninfo) for p in others}
        else:
            missing = missing_from_catalog(conn, expected)
            if missing:
                shown = "\n  ".join(missing[:20]) + ("\n  ..." if len(missing) > 20 else "")
                raise AdoptionRefused(f"the store's catalog is not {HISTORY_RELEASE}'s: {len(missing)} object(s) "
                                      f"absent or made otherwise:\n  {shown}")
            requiring = {r[0] for r in conn.execute(
                "SELECT DISTINCT c.project FROM sqitch.dependencies AS d JOIN sqitch.changes AS c USING (change_id) "
                "WHERE d.type = 'require' AND d.dependency LIKE 'eventstore:%%' AND c.project <> 'eventstore'")}
            unnamed = sorted(requiring - {p.name for p in others})
            if unnamed:
                raise AdoptionRefused(f"deployed projects require the store's history changes: {', '.join(unnamed)}; "
                                      "name each one's directory with --dependent (its history/ and its new plan)")
            states = {p.name: _state(conn, p, conninfo) for p in others}
    said = []
    for project in others:
        if states[project.name] == "history":
            said.append(_sqitch(["revert", "--log-only", "-y"], project.history, conninfo))
    if core_state == "history":
        said.append(_sqitch(["revert", "--log-only", "-y"], core.history, conninfo))
    if core_state != "adopted":
        said.append(_sqitch(["deploy", "--log-only", "--to", core.first_tag()], core.directory, conninfo))
    for project in others:
        if states[project.name] != "adopted":
            said.append(_sqitch(["deploy", "--log-only", "--to", project.first_tag()], project.directory, conninfo))
    if not said:
        return "already adopted: nothing to do\n"
    return "".join(said)
