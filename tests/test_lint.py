"""squawk lints every deploy script; rules turned off are justified in .squawk.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness.cluster import REPO


def squawk() -> str:
    found = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    assert Path(found).exists(), "squawk-cli is installed by scripts/install-deps"
    return found


def test_deploy_scripts_pass_squawk():
    scripts = sorted(str(p) for d in (REPO / "deploy", REPO / "examples" / "orders" / "deploy") for p in d.glob("*.sql"))
    r = subprocess.run([squawk(), "--config", str(REPO / ".squawk.toml"), "--reporter", "gcc", *scripts],
                       capture_output=True, text=True, env=dict(os.environ, NO_COLOR="1"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_rule_turned_off_says_why():
    lines = (REPO / ".squawk.toml").read_text().splitlines()
    excluded = [i for i, line in enumerate(lines) if line.strip().startswith('"') and line.strip().endswith('",')]
    assert excluded, "the config turns rules off"
    for i in excluded:
        assert lines[i - 1].strip().startswith("#"), f"{lines[i].strip()} has no justification above it"
