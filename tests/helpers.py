"""Small helpers shared by the tests."""

from __future__ import annotations

import json
import uuid

import psycopg

# The package's test helpers, as applications use them (one copy)
from eventstore.pytest_plugin import race, raises_sqlstate  # noqa: F401

# plpgsql_check findings for every PL/pgSQL function of the bundle (tests/test_plpgsql_check.py,
# tests/test_dependencies.py): (function, level, message, line).
PLPGSQL_CHECK = """
SELECT p.oid::regprocedure::text, t.level, t.message, t.lineno
FROM pg_proc AS p
JOIN pg_namespace AS n ON n.oid = p.pronamespace
JOIN pg_language AS l ON l.oid = p.prolang
CROSS JOIN LATERAL plpgsql_check_function_tb(
    p.oid, relid => COALESCE((SELECT g.tgrelid FROM pg_trigger AS g WHERE g.tgfoid = p.oid LIMIT 1), 0)) AS t
WHERE n.nspname IN ('api', 'private', 'registered', 'data')
  AND l.lanname = 'plpgsql'
  AND p.prorettype <> 'event_trigger'::regtype
  -- a trigger function is checked against the table of its trigger
  AND (p.prorettype <> 'trigger'::regtype OR EXISTS (SELECT FROM pg_trigger AS g WHERE g.tgfoid = p.oid))
ORDER BY 1, 4
"""


def event(event_type: str, data: dict | None = None, metadata: dict | None = None) -> dict:
    e = {"event_type": event_type, "event_data": data if data is not None else {}}
    if metadata is not None:
        e["metadata"] = metadata
    return e


def append(conn: psycopg.Connection, stream_type: str, stream_id, expected, events) -> int:
    """CALL api.append_events; returns io_new_version."""
    row = conn.execute(
        "CALL api.append_events(%s, %s, %s, %s::jsonb, NULL)",
        (stream_type, stream_id, expected, json.dumps(events) if not isinstance(events, str) else events),
    ).fetchone()
    return row[0]


def new_id() -> uuid.UUID:
    return uuid.uuid4()


# -- The fixture domain (harness/tally.sql) ------------------------------------------------

def open_tally(conn, owner_id=None, marks=(), tally_id=None) -> uuid.UUID:
    """Opens a tally (stream type Tally, as es_writer); returns its id."""
    return conn.execute("SELECT tally.open(%s, %s::jsonb, %s)",
                        (owner_id or uuid.uuid4(), json.dumps(list(marks)), tally_id)).fetchone()[0]


def mark(conn, tally_id, label: str = "a", count: int = 1, weight: float = 1.0) -> int:
    return conn.execute("SELECT tally.mark(%s, %s, %s::integer, %s::numeric)",
                        (tally_id, label, count, weight)).fetchone()[0]


def close_tally(conn, tally_id) -> int:
    return conn.execute("SELECT tally.close(%s)", (tally_id,)).fetchone()[0]


def void_tally(conn, tally_id, reason=None) -> int:
    return conn.execute("SELECT tally.void(%s, %s)", (tally_id, reason)).fetchone()[0]


def run_projections_until_idle(conn, batch_size=None, limit: int = 10000) -> int:
    """Call api.run_projections() until it applies nothing; returns the events applied."""
    total = 0
    for _ in range(limit):
        n = conn.execute("SELECT api.run_projections(%s)", (batch_size,)).fetchone()[0]
        if n == 0:
            return total
        total += n
    raise AssertionError("projections never caught up")


def read_model(db) -> list[tuple]:
    from harness.tally_model import READ_MODEL_SQL
    return sorted(db.execute(READ_MODEL_SQL))


def oracle_model(db) -> list[tuple]:
    from harness.tally_model import TALLIES_SQL
    return sorted(db.execute(TALLIES_SQL))


def login(db, groups: list[str], *, create_schema: bool = False) -> str:
    """A fresh login role in the given group roles (cluster-wide), with a schema of its own if
    asked."""
    name = f"hx_{uuid.uuid4().hex[:10]}"
    with db.connect() as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN" + (f" IN ROLE {', '.join(groups)}" if groups else ""))
        if create_schema:
            conn.execute(f"CREATE SCHEMA {name} AUTHORIZATION {name}")
    return name


def tally_model(db, table: str) -> list[tuple]:
    """A tally read model's rows (its table named: a version of projection tallies)."""
    return sorted(db.execute(f"SELECT tally_id, owner_id, status, total_count, total_weight, opened_at, updated_at "
                             f"FROM {table}"))


def catalog_is_consistent(db) -> None:
    """Each projection has one live version holding its name; every row has its checkpoint; no
    skip or invoker is left without its registration."""
    assert db.execute("""SELECT version_of FROM data.projections GROUP BY version_of
                         HAVING count(*) FILTER (WHERE projection_name = version_of) <> 1""") == []
    assert db.scalar("""SELECT count(*) FROM data.projections AS p
                        FULL JOIN data.projection_checkpoints AS c USING (projection_name)
                        WHERE p.projection_name IS NULL OR c.projection_name IS NULL""") == 0
    assert db.scalar("""SELECT count(*) FROM pg_proc AS f WHERE f.pronamespace = 'registered'::regnamespace
                        AND NOT EXISTS (SELECT FROM data.projections AS p
                                        WHERE f.oid IN (p.handler_invoker, p.reset_handler_invoker))
                        AND NOT EXISTS (SELECT FROM data.event_upcasters AS u WHERE u.upcaster_invoker = f.oid)
                        AND NOT EXISTS (SELECT FROM data.reducers AS r WHERE r.reducer_invoker = f.oid)""") == 0


def built_distributions(tmp_path) -> tuple:
    """The sdist and the wheel of pg-eventstore built (python -m build) from a copy of what git
    tracks of the package and its bundle, so that the checkout stays clean: (wheel, sdist)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=repo, check=True,
                             capture_output=True, text=True).stdout.split()
    for name in tracked:
        if (repo / name).is_file() and not name.startswith(("tests/", "bench/", "harness/", "examples/", "docs/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, source / name)
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [wheel] = dist.glob("pg_eventstore-*.whl")
    [sdist] = dist.glob("pg_eventstore-*.tar.gz")
    return wheel, sdist
