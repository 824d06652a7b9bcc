"""The package's command line: every subcommand has --help, and a deploy shows each change as
it goes (a progress callback of eventstore.bundle.deploy, lines on a terminal as sqitch and psql
write them) and prints its output once, at the end, in a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from eventstore import bundle

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [[], ["deploy"], ["adopt-baseline"], ["consume"]])
def test_every_subcommand_has_help(command):
    done = subprocess.run([sys.executable, "-m", "eventstore", *command, "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m eventstore"), done.stderr


def empty_database(db) -> str:
    name = f"cli_{uuid.uuid4().hex[:8]}"
    db.cluster.create_database(name)
    return name


@pytest.mark.slow  # deploys: a few seconds each
@pytest.mark.parametrize("without_sqitch", [True, False], ids=["psql", "sqitch"])
def test_a_deploy_hands_each_change_to_its_progress_as_it_goes(db, without_sqitch):
    name = empty_database(db)
    try:
        lines: list[str] = []
        out = bundle.deploy(db.cluster.conninfo(name), without_sqitch=without_sqitch, progress=lines.append)
        assert "\n".join(lines) == out.rstrip("\n"), "every line of the output, in order"
        changes = [line.split()[1] for line in lines if line.lstrip().startswith("+ ")]
        planned = [p.stem.split("@")[0] for p in bundle.plan_scripts(bundle.bundle_dir())]
        assert changes == planned, (changes, planned)
    finally:
        db.cluster.drop_database(name)


@pytest.mark.slow  # two deploys
def test_the_deploy_command_on_a_terminal_and_in_a_pipe(db):
    names = [empty_database(db), empty_database(db)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        command = [sys.executable, "-m", "eventstore", "deploy", db.cluster.conninfo(names[0]), "--without-sqitch"]
        primary, secondary = pty.openpty()
        try:
            on_terminal = subprocess.run(command, stdout=secondary, stderr=secondary, cwd=REPO, env=env, timeout=300)
            os.close(secondary)
            shown = b""
            while True:
                try:
                    chunk = os.read(primary, 65536)
                except OSError:  # the terminal's other side is closed and drained
                    break
                if not chunk:
                    break
                shown += chunk
        finally:
            os.close(primary)
        assert on_terminal.returncode == 0, shown.decode(errors="replace")
        assert b"+ baseline (1 of" in shown and b"+ code (" in shown
        piped = subprocess.run([sys.executable, "-m", "eventstore", "deploy", db.cluster.conninfo(names[1]),
                                "--without-sqitch"], capture_output=True, text=True, cwd=REPO, env=env, timeout=300)
        assert piped.returncode == 0, piped.stderr
        assert "+ baseline (1 of" in piped.stdout
    finally:
        for name in names:
            db.cluster.drop_database(name)
