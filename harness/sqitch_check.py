"""What `sqitch check` (sqitch >= 1.4; Debian 12 ships 1.3) does for this bundle, and more.

    python -m harness.sqitch_check                    released deploy scripts unchanged since release
    python -m harness.sqitch_check --database DB_URI  deployed changes' scripts unchanged since deploy

Released: a change is released when a tag follows it in sqitch.plan. Its deploy script must
stay as it was in the commit that added the tag: once released, a change is altered with
`sqitch rework`, never by editing the script (databases that deployed it would silently
keep the old version). Needs the git history of the repository. The v3 plans (history/, and
examples/orders/history/) are checked against the commits that released them, where they
were at the top of their project.

Database: sqitch records the SHA-1 of every deploy script it runs (sqitch.changes.
script_hash); a script edited since a database deployed it no longer matches.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from harness.sqitch_plan import FORMER_DIRS, PROJECT_DIRS, parse_plan, script_path, tags

REPO = Path(__file__).resolve().parent.parent


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def check_released(repo: Path = REPO) -> list[str]:
    """Both projects: the core bundle and the Order example (examples/orders)."""
    if _git(repo, "rev-parse", "--is-shallow-repository").strip() == "true":
        return ["the repository is a shallow clone: released scripts cannot be checked (git fetch --unshallow)"]
    return [problem for plan in PROJECT_DIRS for problem in _check_released_project(repo, plan)]


def _check_released_project(repo: Path, plan: str) -> list[str]:
    root = PROJECT_DIRS[plan]
    plan_file = f"{root}sqitch.plan"
    head = parse_plan((repo / plan_file).read_text(), plan=plan)
    problems = []
    reported: set[int] = set()
    for tag, last in tags(head):
        # Where the plan was when the tag was added: here, or (a v3 plan) at its project's top.
        places = [(root, plan_file)] + ([(FORMER_DIRS[plan], f"{FORMER_DIRS[plan]}sqitch.plan")]
                                        if plan in FORMER_DIRS else [])
        added = _git(repo, "log", "--format=%H", "--reverse", "-S", f"@{tag} ", "--",
                     *[file for _, file in places]).split()
        if not added:
            continue  # tagged in the working tree, not released yet
        commit = added[0]
        files_then = set(_git(repo, "ls-tree", "-r", "--name-only", commit).split())
        root_then, file_then = next((r, f) for r, f in places if f in files_then)
        then = parse_plan(_git(repo, "show", f"{commit}:{file_then}"), plan=plan)
        for i in range(last + 1):
            if i in reported:
                continue
            released = _git(repo, "show", f"{commit}:{script_path(then, i, exists=files_then.__contains__, root=root_then)}")
            now_path = script_path(head, i, exists=lambda path: (repo / path).exists())
            now = (repo / now_path).read_text() if (repo / now_path).exists() else None
            if now != released:
                reported.add(i)
                mend = ("the v3 plan is frozen: restore it from git" if plan in FORMER_DIRS
                        else "rework it with sqitch rework")
                problems.append(f"{head[i].name}: released in @{tag} ({commit[:10]}) but {now_path} "
                                f"{'is gone' if now is None else 'has changed'}; {mend}")
    return problems


def libpq_dsn(uri: str) -> str:
    """A libpq connection string for a sqitch target URI (db:pg://user@host:port/db, db:pg:db,
    db:pg: for libpq's defaults), a postgres:// URI, a key=value string, or a database name."""
    if uri.startswith("db:pg://"):
        return "postgresql://" + uri.removeprefix("db:pg://")
    rest = uri.removeprefix("db:pg:")
    if rest == "" or rest.startswith(("postgres://", "postgresql://")) or "=" in rest:
        return rest
    return f"dbname={rest}"


def check_database(uri: str, repo: Path = REPO) -> list[str]:
    """The current plan's deployed changes, or a database not yet adopted: the history plan's."""
    plans = {}  # change id -> (the plan's changes, its index there)
    for plan_name in ("history", "eventstore"):
        plan = parse_plan((repo / PROJECT_DIRS[plan_name] / "sqitch.plan").read_text(), plan=plan_name)
        ids = subprocess.run(["sqitch", "plan", "--no-headers", "--format", "format:%H"],
                             cwd=repo / PROJECT_DIRS[plan_name], check=True, capture_output=True, text=True).stdout.split()
        plans.update({change_id: (plan, i) for i, change_id in enumerate(ids)})
    import psycopg  # only this mode needs a database

    with psycopg.connect(libpq_dsn(uri)) as conn:
        deployed = conn.execute("SELECT change_id, change, script_hash FROM sqitch.changes "
                                "WHERE project = 'eventstore' ORDER BY committed_at").fetchall()
    problems = []
    for change_id, name, script_hash in deployed:
        if change_id not in plans:
            problems.append(f"{name}: deployed but not in sqitch.plan (nor in history/sqitch.plan)")
            continue
        plan, i = plans[change_id]
        path = repo / script_path(plan, i, exists=lambda p: (repo / p).exists())
        if not path.exists() or hashlib.sha1(path.read_bytes()).hexdigest() != script_hash:
            problems.append(f"{name}: {path.relative_to(repo)} differs from the script deployed")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", metavar="URI",
                   help="a sqitch target (db:pg://user@host/db, db:pg:db) or a libpq connection string")
    args = p.parse_args(argv)
    problems = check_database(args.database) if args.database else check_released()
    for problem in problems:
        print(problem)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
