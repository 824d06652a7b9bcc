"""Reading sqitch.plan: change instances in order, their tags, and the script sqitch uses.

Two sqitch projects live in the repository: the core bundle (project eventstore, at the top)
and the Order example (project orders, examples/orders), whose changes require core changes
as ``eventstore:name``. Each has its v3 plan, frozen, in ``history/`` (the same sqitch project:
a database at v3.1.0 adopts the new plan). ``combined_plan()`` reads the two plans of one
family as one list, core first: the current plans, or with ``history=True`` the v3 plans."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eventstore.bundle import instance_script

REPO = Path(__file__).resolve().parent.parent
# plan -> its directory, relative to the repository
PROJECT_DIRS = {"eventstore": "", "orders": "examples/orders/",
                "history": "history/", "orders-history": "examples/orders/history/"}
# plan -> the sqitch project it belongs to (what ``project:name`` requirements name)
SQITCH_PROJECT = {"eventstore": "eventstore", "orders": "orders", "history": "eventstore", "orders-history": "orders"}
# The v3 plans were at the top of their project until v4 moved them to history/: where a
# released script of theirs was when its tag was added.
FORMER_DIRS = {"history": "", "orders-history": "examples/orders/"}
# Core changes of v1.x whose objects v2.0.0's order_domain_moved drops (where they hold no
# data): the Order domain, now the example project. Released, so they stay in the core plan.
RETIRED = {"customers", "order_summaries", "order_aggregate", "order_created_v2", "order_commands",
           "get_customer_orders"}


@dataclass
class Change:
    index: int
    name: str
    tags: list[str] = field(default_factory=list)  # tags that follow this change in the plan
    requires: list[str] = field(default_factory=list)  # as written: name, name@tag, project:name (no conflicts)
    project: str = "eventstore"  # the plan it is in (a key of PROJECT_DIRS)

    @property
    def root(self) -> str:
        return PROJECT_DIRS[self.project]


def parse_plan(text: str, offset: int = 0, plan: str | None = None) -> list[Change]:
    """The changes of a plan's text; ``plan`` names it (a key of PROJECT_DIRS), by default its
    %project."""
    changes: list[Change] = []
    project = plan or "eventstore"
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("%project=") and plan is None:
            project = s.partition("=")[2]
        if not s or s.startswith(("%", "#")):
            continue
        if s.startswith("@"):
            changes[-1].tags.append(s.split()[0][1:])
            continue
        deps = re.match(r"[^\s\[]+\s*\[([^\]]*)\]", s)
        requires = [d for d in (deps.group(1).split() if deps else []) if not d.startswith("!")]
        changes.append(Change(offset + len(changes), re.split(r"[\s\[]", s, maxsplit=1)[0], requires=requires,
                              project=project))
    return changes


def read_plan(plan: str, offset: int = 0) -> list[Change]:
    return parse_plan((REPO / PROJECT_DIRS[plan] / "sqitch.plan").read_text(), offset, plan)


def combined_plan(history: bool = False) -> list[Change]:
    """The core plan, then the example project's, indexed as one list (their v3 plans with
    ``history``)."""
    core_plan, orders_plan = ("history", "orders-history") if history else ("eventstore", "orders")
    core = read_plan(core_plan)
    return core + read_plan(orders_plan, offset=len(core))


def closure(changes: list[Change], index: int) -> list[int]:
    """The change instances that instance ``index`` requires, transitively, with itself, in
    plan order. ``name@tag`` is the latest instance of name at or before that tag;
    a plain ``name`` the latest instance of name before the requiring one (what a deploy in
    plan order has put in place when it gets there)."""
    # each project has its own tags
    tag_index = {(SQITCH_PROJECT[changes[i].project], tag): i for tag, i in tags(changes)}

    def resolve(requirer: int, dep: str) -> int:
        project, _, dep = dep.rpartition(":")
        project = project or SQITCH_PROJECT[changes[requirer].project]
        name, _, tag = dep.partition("@")
        limit = tag_index[(project, tag)] if tag else requirer - 1
        found = [c.index for c in changes[:limit + 1]
                 if c.name == name and SQITCH_PROJECT[c.project] == project]
        if not found:
            raise ValueError(f"{changes[requirer].name} requires {dep}, which the plan does not have before it")
        return found[-1]

    seen: set[int] = set()
    todo = [index]
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            todo.extend(resolve(i, dep) for dep in changes[i].requires)
    return sorted(seen)


def script_path(changes: list[Change], index: int, kind: str = "deploy",
                exists: Callable[[str], bool] | None = None, root: str | None = None) -> str:
    """The file sqitch runs for change instance ``index`` (eventstore.bundle.instance_script,
    the one rule the package's own deploy follows too). ``exists`` tells whether a path exists
    (default: in REPO); ``root``, where the plan's directory is (default: where it is now)."""
    change = changes[index]
    later = [c.index for c in changes[index + 1:] if c.name == change.name and c.project == change.project]
    tags = None if not later else [tag for c in changes[index:later[0]] for tag in c.tags]
    return instance_script(f"{change.root if root is None else root}{kind}", change.name, tags,
                           exists or (lambda path: (REPO / path).exists()))


def tags(changes: list[Change]) -> list[tuple[str, int]]:
    """(tag, index of the change it follows), in plan order."""
    return [(t, c.index) for c in changes for t in c.tags]


def releases() -> list[str]:
    """Every release of the core, oldest first: the v3 plan's tags (history/), then the current
    plan's."""
    return [tag for plan in ("history", "eventstore") for tag, _ in tags(read_plan(plan))]


def release_plan(tag: str) -> str:
    """The plan (a key of PROJECT_DIRS) that has release ``tag``."""
    return "eventstore" if tag in [t for t, _ in tags(read_plan("eventstore"))] else "history"
