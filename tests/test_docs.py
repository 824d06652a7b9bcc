"""The documentation site: its generated pages are current, it builds with mkdocs --strict, and
the getting-started page runs verbatim, every block in order, from the built wheel installed
into a new virtual environment (what a new user does, with no checkout)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import built_distributions

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.M | re.S)


def test_the_generated_pages_are_current():
    done = subprocess.run([sys.executable, "-m", "harness.docs", "check"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow  # mkdocs and mkdocstrings: about 10 s
def test_the_site_builds_strictly(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert (tmp_path / "site" / "reference" / "sql" / "index.html").exists()


def blocks(page: Path) -> list[tuple[str, str]]:
    return [(language, code) for language, code in BLOCK.findall(page.read_text())]


def test_the_getting_started_page_has_only_blocks_the_test_runs():
    assert {language for language, _ in blocks(REPO / "docs" / "getting-started.md")} <= {"bash", "python"}


@pytest.mark.slow  # builds the wheel and installs it into a new venv: about a minute
def test_the_getting_started_page_runs_verbatim_from_the_wheel(db, tmp_path):
    wheel, _ = built_distributions(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    empty = f"docs_{uuid.uuid4().hex[:8]}"
    db.cluster.create_database(empty)
    env = {**os.environ, "DSN": db.cluster.conninfo(empty), "PIP_FIND_LINKS": str(wheel.parent),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)  # nothing of the checkout
    output = []
    try:
        for language, code in blocks(REPO / "docs" / "getting-started.md"):
            command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else \
                [str(work / "venv" / "bin" / "python"), "-c", code]
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"{language} block:\n{code}\n{done.stdout}\n{done.stderr}"
            output.append(done.stdout)
    finally:
        db.cluster.drop_database(empty)
    shown = "".join(output)
    assert "version 2 appended ['Credited']" in shown and "2 Credited {'amount': 10}" in shown, shown
    assert "ZE001 expected" in shown, shown
    assert "handled Opened" in shown and "handled Credited" in shown, shown
    assert "1 passed" in shown, shown


def test_the_error_table_is_the_bundles_and_names_every_code_the_bundle_raises(db):
    """The generated page reads every row of api.error_codes() (its rows, as the database
    returns them), and every ZE code a RAISE of the deployed code uses is documented there."""
    from harness.docs import error_codes

    rows = db.execute("SELECT sqlstate, meaning, raised_by FROM api.error_codes()")
    assert [tuple(r) for r in rows] == error_codes(), "the page's rows are the function's"
    raised = set()
    for path in [*(REPO / "sql").rglob("*.sql"), *(REPO / "examples" / "orders" / "sql").rglob("*.sql")]:
        raised |= set(re.findall(r"ERRCODE\s*=\s*'(ZE\d{3})'", path.read_text()))
    raised.discard("ZE900")  # read_horizon's way out of its subtransaction, caught where it is raised
    assert raised and raised <= {r[0] for r in rows}, f"undocumented: {raised - {r[0] for r in rows}}"


def nav_pages() -> list[Path]:
    """The site's pages in the order of its navigation (mkdocs.yml)."""
    return [REPO / "docs" / name for name in re.findall(r":\s*(\S+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), re.M)]


# Pages whose blocks use the Order example (examples/orders): deployed into their database.
WITH_ORDERS = {"guide/order-example.md", "guide/scaling-out.md"}
# Blocks in a shell: commands against real hosts (sqitch targets, pg_autoctl formations,
# docker, a proxy over shards), run by the tests of what they set up, not verbatim here.
NOT_RUN = {"sh"}
# The generated reference pages show signatures; getting-started and sharding (a proxy over
# shards) have tests of their own that run their blocks verbatim.
OWN_TEST = {"getting-started.md", "reference/sql.md", "reference/errors.md", "reference/python.md", "sharding.md"}


def test_every_page_of_the_site_is_in_its_navigation_and_has_only_blocks_of_known_languages():
    pages = {str(p.relative_to(REPO / "docs")) for p in nav_pages()}
    assert pages == {str(p.relative_to(REPO / "docs")) for p in (REPO / "docs").rglob("*.md")}
    for page in nav_pages():
        assert {language for language, _ in blocks(page)} <= {"sql", "python", "sh", "bash"}, page


@pytest.mark.slow  # a cluster of its own, a database per page: about 30 s
def test_every_sql_and_python_block_of_the_site_runs(template_db, tmp_path):
    """Each page's SQL (psql, as the bundle's owner) and Python blocks, verbatim and in order,
    against a store of its own named eventstore (a page may grant on it), deployed from the
    session's template, in a cluster of this test's; Python with DSN (and eventsourcing's
    POSTGRES_* settings) naming that database. Roles a page creates stay for the pages after
    it, as on a real server."""
    from harness.cluster import throwaway_cluster
    from tests.conftest import deploy_template

    cluster = throwaway_cluster("eventstore-docs-", port_from=57500, cron_database=False)
    ran = {"sql": 0, "python": 0}
    try:
        for page in nav_pages():
            name = str(page.relative_to(REPO / "docs"))
            runnable = [(lang, code) for lang, code in blocks(page) if lang not in NOT_RUN]
            if name in OWN_TEST or not runnable:
                continue
            cluster.create_database("eventstore")
            deploy_template(cluster, "eventstore")
            if name in WITH_ORDERS:
                cluster.sqitch("deploy", dbname="eventstore", project="orders")
            dsn = f"host={cluster.socket_dir} port={cluster.port} dbname=eventstore user=postgres"
            env = {**os.environ, "PYTHONPATH": str(REPO), "DSN": dsn, "PERSISTENCE_MODULE": "eventstore.eventsourcing",
                   "POSTGRES_DBNAME": "eventstore", "POSTGRES_HOST": str(cluster.socket_dir),
                   "POSTGRES_PORT": str(cluster.port), "POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": ""}
            for language, code in runnable:
                if language == "sql":  # as typed into psql (its \gset and \set included)
                    done = subprocess.run([str(cluster.bindir / "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-d",
                                           "eventstore", "-f", "-"], input=code, env=cluster.env(),
                                          capture_output=True, text=True)
                else:
                    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                                          text=True, timeout=120)
                assert done.returncode == 0, f"{name}, {language} block:\n{code}\n{done.stdout}\n{done.stderr}"
                ran[language] += 1
            cluster.drop_database("eventstore")
    finally:
        cluster.stop()
    everywhere = [lang for page in nav_pages() for lang, _ in blocks(page)
                  if str(page.relative_to(REPO / "docs")) not in OWN_TEST]
    assert ran == {"sql": everywhere.count("sql"), "python": everywhere.count("python")}, ran
    assert ran["sql"] >= 15 and ran["python"] >= 4, ran
