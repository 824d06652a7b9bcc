"""The store's code: every function, procedure and view, its current text once, in
``sql/<schema>/<name>.sql`` (docs/design.md, "Layout: code in files, state in changes").

Each file holds one object: ``CREATE OR REPLACE``, its ``COMMENT``, its ``REVOKE``/``GRANT``s.
Applying a file twice changes nothing. The sqitch change ``code``, the last of the plan, applies
them all: its deploy script includes every file (psql's ``\\ir``, which sqitch's psql client and
the package's deploy without sqitch both run). Tables, indexes and data migrations are changes of
their own before it. At a release the include list is frozen into the text it includes
(``freeze``), so that the tagged script never changes; the next release reworks ``code``. A
release freezes what changed since the release before (pgmq's ``pgmq--a--b.sql`` shape): the
drops and the files new or changed; a fresh install runs each released ``code`` in turn.

``sql/drops.sql`` is included first: the objects this code no longer has (renamed or retired),
and those whose shape ``CREATE OR REPLACE`` cannot change (a function's result type, a view's
columns), dropped ``IF EXISTS`` so that their files create them again. It is the one hand-written
file of ``sql/`` that defines no object; it starts empty after each release (the frozen text
keeps what it dropped). The layout check proves it complete: a fresh install still runs the
released changes that made the old objects, so one left behind is in the schema snapshot with no
file defining it (tests/test_layout.py).

``revert/code.sql`` and ``verify/code.sql`` are generated from databases, never written by hand:
the revert gives back, as the release before had them, exactly the objects whose definition,
comment or grants this ``code`` changes (and drops those it adds); the verify checks that every
object exists with its grants.

    python -m harness.code check       the include list names every file once, in order
    python -m harness.code write       rewrites the include list, revert/code.sql, verify/code.sql
    python -m harness.code freeze      deploy/code.sql with the text of each file changed since the
                                       release before in place of its include (all, at the first)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from harness.cluster import REPO, Cluster, throwaway_cluster
from harness.sqitch_plan import parse_plan, tags

DEPLOY = REPO / "deploy" / "code.sql"
REVERT = REPO / "revert" / "code.sql"
VERIFY = REPO / "verify" / "code.sql"
CODE_SCHEMAS = ("api", "private", "data")  # registered: invokers the api makes at run time
# What a file defines: the object it is named for (also inside a DO block's EXECUTE text).
DEFINES = re.compile(r"CREATE\s+OR\s+REPLACE\s+(FUNCTION|PROCEDURE|VIEW)\s+(\w+)\.(\w+)", re.I)
DROPS = REPO / "sql" / "drops.sql"
DROP = re.compile(r"^DROP\s+(FUNCTION|PROCEDURE|VIEW)\s+IF\s+EXISTS\s+(\w+)\.(\w+)\b[^;]*;$", re.I)
INCLUDE = re.compile(r"^\\ir\s+\.\./(sql/\S+)\s*$", re.M)

HEADER = """\
-- Deploy eventstore:code to pg
-- The current text of every function, procedure and view of the store, one file each under
-- sql/<schema>/<name>.sql: functions and procedures, then views (private before api). Each
-- file is idempotent (CREATE OR REPLACE, its comment, its grants). Tables, indexes and data
-- migrations are the changes before this one. Generated list: python -m harness.code write.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (docs/operations.md)
-- A function's body may name one whose file comes later in this list (as in pg_dump's output);
-- the tests run every function, and plpgsql_check checks the PL/pgSQL ones.
SET LOCAL check_function_bodies = off;

"""


def files(root: Path = REPO) -> list[Path]:
    """Every code file, in the order the deploy applies them."""
    def key(path: Path) -> tuple[bool, int, str]:
        schema = path.parent.name
        return (is_view(path), 0 if schema != "api" else 1, str(path.relative_to(root)))
    return sorted((p for p in (root / "sql").rglob("*.sql") if p.parent != root / "sql"), key=key)


def is_view(path: Path) -> bool:
    return any(m.group(1).upper() == "VIEW" for m in DEFINES.finditer(path.read_text()))


def defined(path: Path) -> set[str]:
    """schema.name of every object the file defines."""
    return {f"{m.group(2)}.{m.group(3)}" for m in DEFINES.finditer(path.read_text())}


def include_list(root: Path = REPO) -> str:
    lines = ["\\ir ../sql/drops.sql", ""] + [f"\\ir ../{path.relative_to(root)}" for path in files(root)]
    return HEADER + "\n".join(lines) + "\n\nCOMMIT;\n"


def problems(root: Path = REPO) -> list[str]:
    found = []
    drops = root / "sql" / "drops.sql"
    for number, line in enumerate(drops.read_text().splitlines() if drops.exists() else [], 1):
        if line.strip() and not line.startswith("--") and not DROP.match(line):
            found.append(f"sql/drops.sql:{number} is not one DROP FUNCTION|PROCEDURE|VIEW IF EXISTS: {line}")
    for path in files(root):
        names = defined(path)
        expected = f"{path.parent.name}.{path.stem}"
        if names != {expected}:
            found.append(f"{path.relative_to(root)} defines {sorted(names) or 'nothing'}, not just {expected}")
    text = (root / "deploy" / "code.sql").read_text()
    if INCLUDE.search(text):
        if text != include_list(root):
            found.append("deploy/code.sql does not include every file of sql/ once, in order: python -m harness.code write")
    elif text != freeze(include_list(root), root, released_texts(root)):
        # Released: the tagged text must be what sql/ holds, else a file changed without a rework.
        found.append("deploy/code.sql is a released text that sql/ no longer matches: sqitch rework code, "
                     "then python -m harness.code write")
    return found


def freeze(text: str, root: Path = REPO, since: dict[str, str] | None = None) -> str:
    """An include list with each included file's text in its place: what a release tags. With
    ``since`` (each file's text at the release before), only what changed: the drops, the files
    new or changed since, and those whose object the drops take; an unchanged file leaves a line
    saying so (a database at the release before has its object as it is)."""
    drops = root / "sql" / "drops.sql"
    dropped = {f"{m.group(2)}.{m.group(3)}" for line in (drops.read_text().splitlines() if drops.exists() else [])
               if (m := DROP.match(line))}

    def text_of(match: re.Match[str]) -> str:
        name = match.group(1)
        body = (root / name).read_text()
        path = Path(name)
        if (since is not None and name != "sql/drops.sql" and since.get(name) == body
                and f"{path.parent.name}.{path.stem}" not in dropped):
            return f"-- {name}: unchanged since the release before"
        return body.rstrip("\n")
    return INCLUDE.sub(text_of, text)


def released_texts(root: Path = REPO) -> dict[str, str] | None:
    """The text of each file of sql/ at the release before the latest ``code`` (git), or None
    before the plan's first release and outside the repository."""
    if root != REPO:
        return None
    tag = previous_tag()
    if not tag.startswith("@"):
        return None

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout
    added = git("log", "--format=%H", "--reverse", "-S", f"{tag} ", "--", "sqitch.plan").split()
    if not added:
        return None
    names = git("ls-tree", "-r", "--name-only", added[0], "--", "sql").split()
    return {name: git("show", f"{added[0]}:{name}") for name in names}


# -- generated from databases ----------------------------------------------------------------

OBJECTS = f"""
SELECT n.nspname || '.' || p.proname AS name,
       CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind,
       format('%s.%s(%s)', quote_ident(n.nspname), quote_ident(p.proname),
              pg_get_function_identity_arguments(p.oid)) AS target,
       pg_get_functiondef(p.oid) AS definition,
       obj_description(p.oid, 'pg_proc') AS comment,
       coalesce(p.proacl, acldefault('f', p.proowner))::text[] AS acl,
       p.proowner::regrole::text AS owner,
       NULL::jsonb AS columns,
       p.oid::regprocedure::text AS signature,
       pg_get_function_arguments(p.oid) || ' -> ' || pg_get_function_result(p.oid) AS result
FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname IN {CODE_SCHEMAS}
UNION ALL
SELECT n.nspname || '.' || c.relname, 'VIEW', format('%s.%s', quote_ident(n.nspname), quote_ident(c.relname)),
       pg_get_viewdef(c.oid), obj_description(c.oid, 'pg_class'),
       coalesce(c.relacl, acldefault('r', c.relowner))::text[], c.relowner::regrole::text,
       (SELECT jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod),
                                           col_description(c.oid, a.attnum)) ORDER BY a.attnum)
        FROM pg_attribute AS a WHERE a.attrelid = c.oid AND a.attnum > 0),
       c.oid::regclass::text, NULL
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname IN {CODE_SCHEMAS} AND c.relkind = 'v'
"""


def catalog(cluster: Cluster, dbname: str) -> dict[str, dict]:
    rows = cluster.execute(dbname, OBJECTS)
    keys = ("name", "kind", "target", "definition", "comment", "acl", "owner", "columns", "signature", "result")
    return {row[2]: dict(zip(keys, row, strict=True)) for row in rows}


def _literal(text: str | None) -> str:
    return "NULL" if text is None else "'" + text.replace("'", "''") + "'"


PRIVILEGES = {"X": "EXECUTE", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "D": "TRUNCATE",
              "x": "REFERENCES", "t": "TRIGGER"}


def _granted(obj: dict) -> list[tuple[str, list[str]]]:
    """(grantee, privileges) of the object's ACL, its owner left out; grantee '' is PUBLIC."""
    out = []
    for item in obj["acl"]:
        grantee, _, rest = item.partition("=")
        if grantee != obj["owner"]:
            out.append((grantee, [PRIVILEGES[p] for p in rest.split("/")[0] if p in PRIVILEGES]))
    return out


def _grants(old: dict, new: dict | None) -> list[str]:
    """REVOKE what either version granted, then GRANT what ``old`` has."""
    on = f"{'TABLE' if old['kind'] == 'VIEW' else old['kind']} {old['target']}"
    grantees = dict.fromkeys(["PUBLIC"] + [g for g, _ in _granted(old) + (_granted(new) if new else []) if g])
    out = [f"REVOKE ALL ON {on} FROM {', '.join(grantees)};"]
    out += [f"GRANT {', '.join(privileges)} ON {on} TO {grantee or 'PUBLIC'};" for grantee, privileges in _granted(old)]
    return out


def _define(obj: dict, replacing: dict | None) -> list[str]:
    if obj["kind"] == "VIEW":
        out = [f"CREATE OR REPLACE VIEW {obj['target']} AS\n{obj['definition'].rstrip().rstrip(';')};",
               f"COMMENT ON VIEW {obj['target']} IS {_literal(obj['comment'])};"]
        for name, _, comment in obj["columns"] or []:
            out.append(f"COMMENT ON COLUMN {obj['target']}.{name} IS {_literal(comment)};")
    else:
        out = [obj["definition"].rstrip() + ";",
               f"COMMENT ON {obj['kind']} {obj['target']} IS {_literal(obj['comment'])};"]
    return out + _grants(obj, replacing)


def revert_text(before: dict[str, dict], after: dict[str, dict], tag: str) -> str:
    """What gives back ``before`` (the release ``tag``) from ``after`` (this code)."""
    lines = ["-- Revert eventstore:code from pg",
             f"-- Generated by python -m harness.code write: the objects this change alters, as {tag} had them;",
             "-- the objects it adds, dropped. Never edited by hand.", "", "BEGIN;", "",
             "SET LOCAL lock_timeout = '10s';",
             "SET LOCAL check_function_bodies = off;  -- a body may name an object a later change gives back", ""]
    fields = ("definition", "comment", "acl", "columns")
    changed = [t for t in before if t not in after or any(before[t][f] != after[t][f] for f in fields)]
    # A function whose result this code changed is dropped first (CREATE OR REPLACE cannot change
    # it back); a view this code dropped is created before the functions whose result is its row.
    views = {before[t]["signature"] for t in before if before[t]["kind"] == "VIEW"}
    def uses_view(obj: dict) -> bool:
        return obj["kind"] != "VIEW" and any(re.search(rf"\b{re.escape(v)}\b", obj["result"] or "") for v in views)
    # A view whose columns this code changed goes first: it may be built on such a function.
    reshaped = sorted(t for t in changed if before[t]["kind"] == "VIEW" and t in after
                      and before[t]["columns"] != after[t]["columns"])
    for target in reshaped:
        lines.append(f"DROP VIEW {target};")
    for target in sorted(t for t in changed if t in after and before[t]["result"] != after[t]["result"]
                         and t not in reshaped):
        lines.append(f"DROP {before[target]['kind']} {target};")
    for target in sorted(changed, key=lambda t: (uses_view(before[t]), before[t]["kind"] == "VIEW", t)):
        old, new = before[target], after.get(target)
        lines += _define(old, new)
        lines.append("")
    # Last, once nothing the release had refers to them: views first (they may use functions).
    for target in sorted(set(after) - set(before), key=lambda t: (after[t]["kind"] != "VIEW", t)):
        lines.append(f"DROP {after[target]['kind']} {target};")
    return "\n".join(lines).rstrip() + "\n\nCOMMIT;\n"


def verify_text(after: dict[str, dict]) -> str:
    lines = ["-- Verify eventstore:code on pg",
             "-- Generated by python -m harness.code write: every object of sql/ exists with its grants.", "",
             "BEGIN;", ""]
    for _, obj in sorted(after.items()):
        if obj["kind"] == "VIEW":
            lines.append(f"SELECT '{obj['signature']}'::regclass;")
        else:
            lines.append(f"SELECT '{obj['signature']}'::regprocedure;")
        privilege, check = ("SELECT", "has_table_privilege") if obj["kind"] == "VIEW" else \
            ("EXECUTE", "has_function_privilege")
        for grantee, privileges in _granted(obj):
            if grantee and privilege in privileges:
                lines.append(f"SELECT 1/{check}('{grantee}', '{obj['signature']}', '{privilege}')::int;")
    return "\n".join(lines) + "\n\nROLLBACK;\n"


def previous_tag() -> str:
    """What code's revert gives back: the last release before the latest ``code`` (``@TAG``),
    or, before the plan's first release, the change before the first ``code`` (its baseline)."""
    plan = parse_plan((REPO / "sqitch.plan").read_text())
    code = max(c.index for c in plan if c.name == "code")
    released = [tag for tag, index in tags(plan) if index < code]
    return f"@{released[-1]}" if released else plan[code - 1].name


def write() -> None:
    DEPLOY.write_text(include_list())
    tag = previous_tag()
    cluster = throwaway_cluster("eventstore-code-", 58532, cron_database=False)
    try:
        cluster.create_database("before")
        cluster.sqitch("deploy", "--no-verify", "--to", tag, dbname="before")
        cluster.create_database("after")
        cluster.sqitch("deploy", "--no-verify", dbname="after")  # verify/code.sql is written next
        before, after = catalog(cluster, "before"), catalog(cluster, "after")
    finally:
        cluster.stop()
    REVERT.write_text(revert_text(before, after, tag))
    VERIFY.write_text(verify_text(after))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("check", "write", "freeze"))
    args = p.parse_args(argv)
    if args.command == "write":
        write()
        print("wrote deploy/code.sql, revert/code.sql, verify/code.sql")
        return 0
    if args.command == "freeze":
        DEPLOY.write_text(freeze(DEPLOY.read_text(), REPO, released_texts()))
        print("froze deploy/code.sql (commit it with the release tag)")
        return 0
    found = problems()
    for problem in found:
        print(problem)
    print("ok" if not found else f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
