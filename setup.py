"""Builds the wheel with the sqitch bundle inside the package (eventstore/_bundle): the plan,
sqitch.conf, the deploy, revert and verify scripts and the code files they include (sql/), and
the v3 plan (history/, without its tests: what adopt-baseline and upgrades of older databases
use) are copied from the repository at build time, so that an installed package can deploy the
store without a checkout. Everything else is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLE = ["sqitch.plan", "sqitch.conf", "deploy", "revert", "verify", "sql", "history"]


class BuildWithBundle(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "eventstore" / "_bundle"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in BUNDLE:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("tests", "__pycache__"))
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithBundle})
