"""The dependency graph tells the truth: every change, deployed into an empty database after
only the changes it requires (transitively), deploys and verifies, and every PL/pgSQL function
its script creates or replaces passes plpgsql_check there. A change that uses an object it does
not require fails here even when a full deploy happens to create that object earlier.

(Older instances of reworked changes are released history and cannot be fixed; each current
change is checked on the functions it defines. The v3 plan, history/, is frozen.)"""

from __future__ import annotations

import re
import uuid

import pytest

from harness.sqitch_plan import REPO, closure, combined_plan, script_path
from tests.helpers import PLPGSQL_CHECK as CHECK

PLAN = combined_plan()
# The current instance of every change of both projects: what a fresh deploy leaves in place.
CURRENT = [c for c in PLAN
           if not any((later.project, later.name) == (c.project, c.name) for later in PLAN[c.index + 1:])]

DEFINITIONS = """SELECT p.oid::regprocedure::text, md5(p.prosrc || coalesce(array_to_string(p.proconfig, ','), ''))
                 FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace
                 WHERE n.nspname IN ('api', 'private', 'registered', 'data')"""


def problems_of(cluster, plan, index: int) -> list[str]:
    """Deploy what instance ``index`` requires into an empty database, then it and its verify
    script; the plpgsql_check errors of the functions its script created or replaced."""
    name = f"deps_{uuid.uuid4().hex[:8]}"
    cluster.create_database(name)
    try:
        cluster.execute(name, "CREATE EXTENSION plpgsql_check")
        order = closure(plan, index)
        before_files = [arg for i in order[:-1] for arg in ("-f", str(REPO / script_path(plan, i)))]
        if before_files:
            cluster.psql(name, "-q", *before_files)
        before = dict(cluster.execute(name, DEFINITIONS))
        cluster.psql(name, "-q", "-f", str(REPO / script_path(plan, index)),
                     "-f", str(REPO / script_path(plan, index, "verify")))
        script = (REPO / script_path(plan, index)).read_text()
        named = set(re.findall(r"(?:FUNCTION|PROCEDURE)\s+((?:api|private|registered|data)\.\w+)\s*\(", script))
        mine = {f for f, h in cluster.execute(name, DEFINITIONS) if before.get(f) != h or f.split("(")[0] in named}
        return [f"{f[0]} line {f[3]}: {f[2]}" for f in cluster.execute(name, CHECK) if f[1] == "error" and f[0] in mine]
    finally:
        cluster.drop_database(name)


@pytest.mark.slow
@pytest.mark.parametrize("change", [f"{c.project}:{c.name}" for c in CURRENT])
def test_a_change_deploys_with_only_what_it_requires(cluster, template_db, change):
    index = next(c.index for c in CURRENT if f"{c.project}:{c.name}" == change)
    problems = problems_of(cluster, PLAN, index)
    assert not problems, f"{change} with only what it requires:\n" + "\n".join(problems)


def test_a_missing_requirement_is_caught(cluster, template_db):
    # Deliberate breaks: code without baseline (its functions live in the baseline's schemas and
    # take its row types: the deploy fails); the example's baseline with the core's baseline alone, without its code and
    # wiring (its registrations call api.register_projection: the deploy fails).
    plan = combined_plan()
    code = next(c.index for c in plan if (c.project, c.name) == ("eventstore", "code"))
    plan[code].requires = []
    with pytest.raises(RuntimeError, match='schema "private" does not exist'):
        problems_of(cluster, plan, code)
    orders = next(c.index for c in plan if (c.project, c.name) == ("orders", "baseline"))
    plan[orders].requires = ["eventstore:baseline"]
    with pytest.raises(RuntimeError, match=r"function api\.\w+\(.*\) does not exist"):
        problems_of(cluster, plan, orders)
