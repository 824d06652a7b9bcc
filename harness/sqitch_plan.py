"""Reading sqitch.plan: change instances in order, their tags, and the script sqitch uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Change:
    index: int
    name: str
    tags: list[str] = field(default_factory=list)  # tags that follow this change in the plan


def parse_plan(text: str) -> list[Change]:
    changes: list[Change] = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith(("%", "#")):
            continue
        if s.startswith("@"):
            changes[-1].tags.append(s.split()[0][1:])
            continue
        changes.append(Change(len(changes), re.split(r"[\s\[]", s, maxsplit=1)[0]))
    return changes


def script_path(changes: list[Change], index: int, kind: str = "deploy") -> str:
    """The file sqitch runs for change instance ``index``: name.sql for the latest instance of
    a name; name@TAG.sql for one reworked later, TAG being the first tag after it."""
    change = changes[index]
    if not any(c.name == change.name for c in changes[index + 1:]):
        return f"{kind}/{change.name}.sql"
    for c in changes[index:]:
        if c.tags:
            return f"{kind}/{change.name}@{c.tags[0]}.sql"
    raise ValueError(f"{change.name} is reworked but no tag follows instance {index}")


def tags(changes: list[Change]) -> list[tuple[str, int]]:
    """(tag, index of the change it follows), in plan order."""
    return [(t, c.index) for c in changes for t in c.tags]
