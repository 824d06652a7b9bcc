"""Every command-line flag the README and the documentation pages (docs/**/*.md) name is one its
program takes: the package's command
line (`python -m eventstore SUBCOMMAND`), examples/consumer.py, the repository's scripts and the
pytest plugin are asked (their --help, their option registry); the other tools' flags (sqitch,
pg_dump, pg_restore, docker compose) must stand on a line that names the tool."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"

# Who a flag belongs to: the last program named before it in its paragraph.
PROGRAM = re.compile(r"python -m eventstore ((?:proxy )?[\w-]+)|(examples/consumer\.py)|(scripts/[\w-]+)|"
                     r"(--[a-z][a-z0-9-]*)")
# Tools that are not ours: the flags the README may give them, on a line that names the tool.
OTHER_TOOLS = {
    "sqitch": {"--to", "--verify", "--log-only", "--onto"},
    "pg_restore": {"--single-transaction", "--exit-on-error"},
    "pg_dump": {"--schema-only", "--exclude-table-data"},
    "docker compose": {"--build"},
    "pg_autoctl": {"--pgdata", "--hostname", "--auth", "--ssl-self-signed", "--run", "--dbname", "--monitor",
                   "--candidate-priority", "--replication-quorum", "--formation"},
}


@functools.cache
def help_text(*command: str) -> str:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"
    return done.stdout


def plugin_options() -> set[str]:
    from eventstore import pytest_plugin

    class Recorder:
        names: set[str] = set()

        def addoption(self, *names: str, **_: object) -> None:
            self.names.update(names)

        def addini(self, *_: object, **__: object) -> None:
            pass

    recorder = Recorder()
    pytest_plugin.pytest_addoption(recorder)  # type: ignore[arg-type]
    return recorder.names


def takes(owner: str | None, flag: str, line: str) -> bool:
    if any(tool in line and flag in flags for tool, flags in OTHER_TOOLS.items()):
        return True
    if owner is not None and owner.startswith("python -m eventstore "):
        return flag in help_text(sys.executable, "-m", "eventstore", *owner.split()[3:], "--help")
    if owner == "examples/consumer.py":
        return flag in help_text(sys.executable, "examples/consumer.py", "--help")
    if owner is not None and owner.startswith("scripts/") and (REPO / owner).exists():
        script = (REPO / owner).read_text()
        if ".venv/bin/python -m harness." in script or ".venv/bin/python -m bench." in script:
            module = re.search(r"-m ((?:harness|bench)\.\w+)", script).group(1)
            return flag in help_text(sys.executable, "-m", module, "--help")
        if re.search(rf'"{re.escape(flag)}"', script):
            return True
    return flag in plugin_options()


def readme_flags() -> list[tuple[str, str | None, str, str]]:
    """(file:line, owner, flag, line) for every flag of the README and the documentation."""
    found = []
    for page in [README, *sorted((REPO / "docs").rglob("*.md"))]:
        owner: str | None = None
        # A command continued over lines (a trailing backslash) is one line, at its first.
        lines: list[tuple[int, str]] = []
        for number, line in enumerate(page.read_text().splitlines(), 1):
            if lines and lines[-1][1].endswith("\\"):
                lines[-1] = (lines[-1][0], lines[-1][1][:-1] + " " + line.strip())
            else:
                lines.append((number, line))
        for number, line in lines:
            if not line.strip():
                owner = None  # a new paragraph names its program again
                continue
            for m in PROGRAM.finditer(line):
                if m.group(1):
                    owner = f"python -m eventstore {m.group(1)}"
                elif m.group(2) or m.group(3):
                    owner = m.group(2) or m.group(3)
                else:
                    found.append((f"{page.relative_to(REPO)}:{number}", owner, m.group(4), line))
    return found


def test_the_readme_names_flags():
    flags = {f for _, _, f, _ in readme_flags()}
    assert {"--listen-conninfo", "--transaction-pooling", "--without-sqitch", "--all"} <= flags


@pytest.mark.parametrize("number,owner,flag,line", readme_flags(), ids=lambda v: str(v)[:40])
def test_every_flag_the_readme_names_is_taken_by_its_program(number, owner, flag, line):
    assert takes(owner, flag, line), f"{number}: {flag} is not a flag of {owner or 'any program named'}"
