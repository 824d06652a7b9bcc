"""The sqitch bundle the package carries, and deploying it.

An installed package holds the bundle (``sqitch.plan``, ``sqitch.conf``, ``deploy/``,
``revert/``, ``verify/``) in ``eventstore/_bundle``, copied there when the wheel is built; run
from a checkout of the repository, the bundle is the checkout's own.

:func:`deploy` runs ``sqitch deploy`` (sqitch must be on PATH: it keeps the registry that lets
a DBA upgrade, verify and revert the database later). Without sqitch it refuses with a clear
error rather than deploy a database sqitch could not take over.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

__all__ = ["SqitchMissing", "bundle_dir", "deploy", "group_roles_sql", "instance_script", "plan_scripts", "run_sqitch",
           "sqitch_target"]


class SqitchMissing(RuntimeError):
    """sqitch is not installed: the bundle is deployed with sqitch only."""


def bundle_dir() -> Path:
    """Where the bundle is: inside the installed package, or the repository checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundle", here.parent):
        if (candidate / "sqitch.plan").is_file() and (candidate / "deploy").is_dir():
            return candidate
    raise FileNotFoundError("the eventstore bundle (sqitch.plan, deploy/) is not installed with this package")


def group_roles_sql() -> str:
    """The statements of the bundle's first change that make the store's four group roles, when
    a cluster lacks them (what a restore into another cluster, or a sharded store's endpoint,
    needs first)."""
    text = (bundle_dir() / "deploy" / "baseline.sql").read_text()
    start = text.index("DO $$")
    end = text.index("\n", text.index("COMMENT ON ROLE eventstore_admin"))
    return text[start:end + 1]


def sqitch_target(conninfo: str) -> tuple[str, dict[str, str]]:
    """The sqitch target (``db:pg:DBNAME``) and the libpq environment for a connection string
    (sqitch passes PGHOST, PGPORT, PGUSER, PGPASSWORD on to libpq)."""
    params = conninfo_to_dict(conninfo)
    env = {var: str(params[key]) for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"),
                                                  ("password", "PGPASSWORD"), ("sslmode", "PGSSLMODE"))
           if params.get(key) is not None}
    return f"db:pg:{params.get('dbname', '')}", env


def instance_script(kind_dir: str, name: str, tags_to_next: list[str] | None,
                    exists: Callable[[str], bool]) -> str:
    """The file sqitch runs for one instance of change ``name`` (``kind_dir``: e.g. ``deploy``):
    ``NAME.sql`` for its latest instance (``tags_to_next`` None); for one reworked later,
    ``NAME@TAG.sql`` with TAG the first of the tags between it and its next instance whose file
    exists (sqitch names the copy after the newest tag at the time of the rework)."""
    if tags_to_next is None:
        return f"{kind_dir}/{name}.sql"
    candidates = [f"{kind_dir}/{name}@{tag}.sql" for tag in tags_to_next]
    if not candidates:
        raise ValueError(f"{name} is reworked but no tag follows an earlier instance of it")
    return next((path for path in candidates if exists(path)), candidates[0])


def plan_scripts(project_dir: Path) -> list[Path]:
    """The deploy scripts of a sqitch project, in the order ``sqitch deploy`` runs them."""
    entries: list[tuple[str, list[str]]] = []  # (change, the tags that follow it)
    for line in (project_dir / "sqitch.plan").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("%", "#")):
            continue
        if line.startswith("@"):
            entries[-1][1].append(line.split()[0][1:])
        else:
            entries.append((re.split(r"[\s\[]", line, maxsplit=1)[0], []))
    scripts = []
    for i, (name, _) in enumerate(entries):
        later = next((j for j in range(i + 1, len(entries)) if entries[j][0] == name), None)
        tags = None if later is None else [tag for _, after in entries[i:later] for tag in after]
        scripts.append(project_dir / instance_script("deploy", name, tags, lambda p: (project_dir / p).exists()))
    return scripts


# What a database deployed without sqitch holds in schema sqitch: every sqitch command reads
# its registry there first, and fails with this message.
_REFUSING_REGISTRY = """
CREATE SCHEMA sqitch;
COMMENT ON SCHEMA sqitch IS 'eventstore was deployed here without sqitch: sqitch refuses this database';
CREATE FUNCTION sqitch.deployed_without_sqitch() RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'eventstore was deployed into this database without sqitch (python -m eventstore, '
                    'for tests): sqitch cannot manage it'
        USING HINT = 'Deploy a fresh database with sqitch to upgrade, verify or revert it.';
END $$;
CREATE TABLE sqitch.changes (change_id text, script_hash text, change text, project text, note text,
    committed_at timestamptz, committer_name text, committer_email text, planned_at timestamptz,
    planner_name text, planner_email text);
INSERT INTO sqitch.changes VALUES ('deployed-without-sqitch', NULL, 'deployed_without_sqitch', 'eventstore', '',
    now(), '', '', now(), '', '');
CREATE VIEW sqitch.tags AS SELECT sqitch.deployed_without_sqitch() AS tag_id, NULL::text AS tag,
    NULL::text AS project, NULL::text AS change_id, NULL::text AS note, NULL::timestamptz AS committed_at,
    NULL::text AS committer_name, NULL::text AS committer_email, NULL::timestamptz AS planned_at,
    NULL::text AS planner_name, NULL::text AS planner_email;
CREATE VIEW sqitch.releases AS SELECT sqitch.deployed_without_sqitch()::real AS version;
CREATE VIEW sqitch.events AS SELECT sqitch.deployed_without_sqitch() AS event;
CREATE VIEW sqitch.dependencies AS SELECT sqitch.deployed_without_sqitch() AS change_id;
CREATE VIEW sqitch.projects AS SELECT sqitch.deployed_without_sqitch() AS project;
"""


def _psql() -> str:
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:]), None)
    if found is None:
        raise FileNotFoundError("psql is needed to deploy without sqitch: install the PostgreSQL client")
    return found


Progress = Callable[[str], None]


def _streamed(command: Sequence[str], progress: Progress | None, cwd: Path,
              env: dict[str, str]) -> tuple[int, str, str]:
    """Runs ``command``; with ``progress``, hands it each line of the output as it comes
    (stderr goes with stdout then). Returns (return code, stdout, stderr)."""
    if progress is None:
        r = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
        return r.returncode, r.stdout, r.stderr
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
                          env=env) as process:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            progress(line.rstrip("\n"))
        return process.wait(), "".join(lines), ""


def _deploy_with_psql(conninfo: str, project_dir: Path, progress: Progress | None = None) -> str:
    core = project_dir.resolve() == bundle_dir().resolve()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        taken = conn.execute("SELECT string_agg(nspname, ', ') FROM pg_catalog.pg_namespace "
                             "WHERE nspname IN ('api', 'data', 'private', 'sqitch')").fetchone()
    if core and taken is not None and taken[0]:
        raise RuntimeError(f"deploying without sqitch needs a database without the store; this one has {taken[0]}")
    scripts = plan_scripts(project_dir)
    # Each script announced as it starts (psql runs its -c and -f options in order), for progress.
    changes = [script.stem.split("@")[0] for script in scripts]  # code@v4.0.0.sql deploys change code
    files = [arg for i, script in enumerate(scripts)
             for arg in ("-c", rf"\echo '  + {changes[i]} ({i + 1} of {len(scripts)})'", "-f", str(script))]
    _, env = sqitch_target(conninfo)
    dbname = str(conninfo_to_dict(conninfo).get("dbname", ""))
    code, out, err = _streamed([_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dbname, *files], progress,
                               project_dir, {**os.environ, **env})
    if code != 0:
        raise RuntimeError(f"deploying {project_dir} without sqitch failed:\n{out}\n{err}")
    if core:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(_REFUSING_REGISTRY)
    return out + err


def run_sqitch(args: Sequence[str], project_dir: Path, conninfo: str,
               progress: Progress | None = None) -> subprocess.CompletedProcess[str]:
    """sqitch with ``args`` in ``project_dir`` against the database of ``conninfo`` (the target
    and libpq's environment from it, a 10 s connect timeout unless PGCONNECT_TIMEOUT says
    otherwise); with ``progress``, each line of its output as it comes. Raises SqitchMissing
    without sqitch; the caller judges the return code."""
    sqitch = shutil.which("sqitch")
    if sqitch is None:
        raise SqitchMissing("sqitch is not installed (Debian: apt-get install sqitch libdbd-pg-perl): the bundle is "
                            "deployed with sqitch, so that it can be upgraded and reverted later; for a throwaway or "
                            "test database, deploy without it (python -m eventstore deploy --without-sqitch)")
    target, env = sqitch_target(conninfo)
    command = [sqitch, *args, target]
    timeout = os.environ.get("PGCONNECT_TIMEOUT", "10")
    code, out, err = _streamed(command, progress, project_dir, {**os.environ, "PGCONNECT_TIMEOUT": timeout, **env})
    return subprocess.CompletedProcess(command, code, out, err)


def deploy(conninfo: str, *, project_dir: Path | None = None, to: str | None = None,
           without_sqitch: bool = False, progress: Progress | None = None) -> str:
    """``sqitch deploy`` of the bundle (or of another sqitch project, ``project_dir``) into the
    database of ``conninfo``; returns its output. ``without_sqitch``: the scripts through psql
    instead (see the module's text), also where sqitch is installed. Raises SqitchMissing without
    sqitch (unless ``without_sqitch``) and RuntimeError when the deploy fails. ``progress``: called
    with each line of the output as it comes (a change started or done)."""
    if without_sqitch:
        if to is not None:
            raise ValueError("deploying without sqitch deploys the whole plan (no --to)")
        return _deploy_with_psql(conninfo, project_dir or bundle_dir(), progress)
    if shutil.which("sqitch") is not None:
        with psycopg.connect(conninfo, autocommit=True):
            pass  # a clear connection error before sqitch's
    r = run_sqitch(["deploy", *(["--to", to] if to else [])], project_dir or bundle_dir(), conninfo, progress)
    if r.returncode != 0:
        raise RuntimeError(f"sqitch deploy failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout + r.stderr
