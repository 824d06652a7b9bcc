"""The layout: every function, procedure and view has its current text once, in
sql/<schema>/<name>.sql, applied by the sqitch change `code`; its revert and verify scripts are
generated from databases and give back exactly the release before (harness/code.py)."""

from __future__ import annotations

import re
import shutil

import pytest

from harness import code
from harness.cluster import REPO
from harness.schema_snapshot import SNAPSHOT, dump
from harness.sqitch_plan import parse_plan, script_path, tags

SNAPSHOT_OBJECT = re.compile(r"^CREATE (?:FUNCTION|PROCEDURE|VIEW) (\w+)\.(\w+)", re.M)


def hand_written() -> list:
    """The SQL files a developer edits: the code files, and the scripts of changes not
    released yet (released scripts are frozen; code's revert and verify are generated)."""
    plan = parse_plan((REPO / "sqitch.plan").read_text())
    last_tag = tags(plan)[-1][1]
    scripts = {REPO / script_path(plan, c.index, kind) for c in plan[last_tag + 1:] if c.name != "code"
               for kind in ("deploy", "revert", "verify")}
    return sorted(REPO.joinpath("sql").rglob("*.sql")) + sorted(scripts)


def test_every_code_file_defines_the_object_it_is_named_for_and_the_deploy_includes_each_once():
    assert code.problems() == []


def test_every_function_procedure_and_view_is_defined_in_exactly_one_hand_written_file():
    objects = {f"{s}.{n}" for s, n in SNAPSHOT_OBJECT.findall(SNAPSHOT.read_text()) if s != "registered"}
    assert len(objects) > 100
    texts = {path: path.read_text() for path in hand_written()}
    for name in sorted(objects):
        pattern = re.compile(rf"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE|VIEW)\s+{re.escape(name)}\b", re.I)
        where = [path.relative_to(REPO) for path, text in texts.items() if pattern.search(text)]
        schema, _, bare = name.partition(".")
        assert [str(p) for p in where] == [f"sql/{schema}/{bare}.sql"], f"{name} is defined in {where}"


def test_a_second_definition_or_a_file_left_out_is_caught(tmp_path):
    """The check's deliberate breaks: an object defined in a file named for another, and a file
    the deploy does not include."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "sql", root / "sql")
    (root / "deploy").mkdir()
    (root / "deploy" / "code.sql").write_text(code.include_list(root))  # between releases
    assert code.problems(root) == []
    extra = root / "sql" / "api" / "get_events_twice.sql"
    extra.write_text((REPO / "sql" / "api" / "get_events.sql").read_text())
    found = code.problems(root)
    assert any("get_events_twice.sql defines ['api.get_events'], not just api.get_events_twice" in p for p in found)
    assert any("does not include every file" in p for p in found)


def test_a_file_changed_after_the_release_without_a_rework_is_caught(tmp_path):
    """At a release deploy/code.sql is frozen text: a file of sql/ edited afterwards, without
    `sqitch rework code`, would reach no database that upgrades from the tag."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "sql", root / "sql")
    (root / "deploy").mkdir()
    (root / "deploy" / "code.sql").write_text(code.freeze(code.include_list(root), root))  # a release
    assert code.problems(root) == []
    edited = root / "sql" / "api" / "get_events.sql"
    edited.write_text(edited.read_text().replace("LANGUAGE plpgsql", "LANGUAGE plpgsql\nCOST 101", 1))
    assert any("released text that sql/ no longer matches" in p for p in code.problems(root))


def test_a_release_freezes_only_what_changed_since_the_release_before(tmp_path):
    """With the texts of the release before, the frozen code holds the drops, the files changed
    or new, and those whose object the drops take; an unchanged file is a comment line."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "sql", root / "sql")
    before = {str(p.relative_to(root)): p.read_text() for p in (root / "sql").rglob("*.sql")}
    changed = root / "sql" / "api" / "get_events.sql"
    changed.write_text(changed.read_text().replace("LANGUAGE plpgsql", "LANGUAGE plpgsql\nCOST 101", 1))
    (root / "sql" / "drops.sql").write_text("DROP FUNCTION IF EXISTS private.uuidv7_time(uuid);\n")
    del before["sql/api/uuidv7.sql"]  # new since the release before
    frozen = code.freeze(code.include_list(root), root, before)
    assert "\\ir" not in frozen
    for path in code.files(root):
        name = str(path.relative_to(root))
        kept = name in ("sql/api/get_events.sql", "sql/api/uuidv7.sql", "sql/private/uuidv7_time.sql")
        assert (path.read_text().rstrip("\n") in frozen) == kept, name
        assert (f"-- {name}: unchanged since the release before" in frozen) != kept, name
    assert "DROP FUNCTION IF EXISTS private.uuidv7_time(uuid);" in frozen


def test_freezing_puts_each_file_in_place_of_its_include():
    frozen = code.freeze((REPO / "deploy" / "code.sql").read_text())
    assert "\\ir" not in frozen
    for path in code.files():
        assert path.read_text().rstrip("\n") in frozen


@pytest.mark.slow
def test_code_reverts_to_the_release_before_and_its_generated_scripts_are_current(cluster, empty_db):
    """Deploy the release before `code`, then `code`: revert/code.sql and verify/code.sql are what
    harness.code writes for these two catalogs, and reverting gives the release's schema back."""
    tag = code.previous_tag()
    cluster.sqitch("deploy", "--to", tag, dbname=empty_db.name)
    before_dump, before = dump(cluster, empty_db.name), code.catalog(cluster, empty_db.name)
    cluster.sqitch("deploy", "--to", "code@HEAD", dbname=empty_db.name)
    after = code.catalog(cluster, empty_db.name)
    assert (REPO / "revert" / "code.sql").read_text() == code.revert_text(before, after, tag), \
        "revert/code.sql is stale: python -m harness.code write"
    assert (REPO / "verify" / "code.sql").read_text() == code.verify_text(after), \
        "verify/code.sql is stale: python -m harness.code write"
    assert dump(cluster, empty_db.name) != before_dump, "code changes something since the release"
    cluster.sqitch("revert", "-y", "--to", tag, dbname=empty_db.name)
    assert dump(cluster, empty_db.name) == before_dump, f"revert to {tag} gives {tag}'s schema back"


def routines_and_views_named(text: str, root=REPO) -> list[str]:
    """The functions, procedures and views of sql/ (schema.name) that a script names."""
    names = {f"{p.parent.name}.{p.stem}" for p in code.files(root)}
    return sorted(n for n in names if re.search(rf"\b{re.escape(n)}\b", text))


def test_state_changes_verify_what_they_own_not_routines_or_views():
    """A state change's verify script checks tables, columns, indexes, roles and rows; routines
    and views are verify/code.sql's, so that renaming one never reworks a state change."""
    found = {path.name: routines_and_views_named(path.read_text())
             for path in sorted((REPO / "verify").glob("*.sql")) if path.stem != "code" and "@" not in path.stem}
    assert set(found) >= {"baseline.sql", "baseline_wiring.sql"}
    assert {name: named for name, named in found.items() if named} == {}


def test_a_verify_script_naming_a_routine_is_caught():
    """The check's deliberate break: a state change's verify that calls a function."""
    assert routines_and_views_named("SELECT 'api.get_events(text, uuid)'::regprocedure;") == ["api.get_events"]
    assert routines_and_views_named("SELECT 1/count(*)::int FROM data.projections;") == []
