"""The site's generated pages: ``python -m harness.docs write`` writes them, ``check`` says
whether the committed ones are current (tests/test_docs.py).

- docs/reference/sql.md: every object of schema ``api`` with the COMMENT the bundle gives it
  (functions, procedures, views and their columns) and the roles granted it, read from the
  code files (sql/api/*.sql), which the deploy includes: one source for the database's
  catalog and the site.
- docs/reference/errors.md: the error table, from ``api.error_codes()`` (sql/api/error_codes.sql),
  the documented SQLSTATEs with what each means and what raises it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SQL_REFERENCE = REPO / "docs" / "reference" / "sql.md"
ERRORS = REPO / "docs" / "reference" / "errors.md"
_ERROR_ROW = re.compile(r"^        \('([0-9A-Z]{5})', \$m\$(.*?)\$m\$, \$r\$(.*?)\$r\$\),?$", re.M)


def error_codes() -> list[tuple[str, str, str]]:
    """(sqlstate, meaning, raised by) of api.error_codes(), in its order."""
    return _ERROR_ROW.findall((REPO / "sql" / "api" / "error_codes.sql").read_text())


def errors_page() -> str:
    lines = ["# Errors", "",
             "Every error the bundle raises carries a documented SQLSTATE of class `ZE` (a class the SQL",
             "standard leaves to implementations) and a message naming the values involved; nothing is",
             "written when one is raised. The Python client raises each as its class (`eventstore.errors`,",
             "with `.sqlstate` and `.retryable`). In the database: `SELECT * FROM api.error_codes()`, which",
             "this table is generated from.", "",
             "| SQLSTATE | meaning | raised by |", "|---|---|---|"]
    lines += [f"| `{code}` | {meaning} | {raised} |" for code, meaning, raised in error_codes()]
    return "\n".join(lines) + "\n"

_COMMENT = re.compile(r"^COMMENT ON (FUNCTION|PROCEDURE|VIEW|COLUMN) (api\.[^\s(]+)(\([^)]*\))? IS '((?:[^']|'')*)';",
                      re.M | re.S)
_GRANT = re.compile(r"^GRANT (?:EXECUTE|SELECT) ON (?:FUNCTION|PROCEDURE|TABLE) (api\.[^\s(]+)(?:\([^)]*\))? TO ([^;]+);",
                    re.M)


def sql_reference() -> str:
    objects: list[tuple[str, str, str, str, list[str], list[tuple[str, str]]]] = []
    for path in sorted((REPO / "sql" / "api").glob("*.sql")):
        text = path.read_text()
        grants: dict[str, list[str]] = {}
        for name, roles in _GRANT.findall(text):
            grants.setdefault(name, []).extend(r.strip() for r in roles.split(","))
        columns: list[tuple[str, str]] = []
        main: list[tuple[str, str, str, str]] = []
        for kind, name, arguments, comment in _COMMENT.findall(text):
            comment = comment.replace("''", "'")
            if kind == "COLUMN":
                columns.append((name.rsplit(".", 1)[1], comment))
            else:
                main.append((kind.lower(), name, arguments, comment))
        for kind, name, arguments, comment in main:
            objects.append((name, kind, arguments, comment, sorted(set(grants.get(name, []))), columns))
    lines = ["# SQL API", "",
             "Every object of schema `api`, with the comment the bundle gives it in the database (`\\df+`,",
             "`obj_description`) and the roles it is granted to. Generated from `sql/api/*.sql` by",
             "`python -m harness.docs write`; do not edit.", ""]
    for name, kind, arguments, comment, roles, columns in sorted(objects):
        lines += [f"## `{name}`", "", f"{kind.capitalize()}" + (f" `{name}{arguments}`" if arguments else "") + ".", ""]
        # The comment as written (its line breaks kept), quoted: prose, not a code block.
        lines += [f"> {line}".rstrip() + "  " if line.strip() else ">" for line in comment.strip().splitlines()]
        lines += [""]
        if roles:
            lines += ["Granted to: " + ", ".join(f"`{r}`" for r in roles) + ".", ""]
        if columns and kind == "view":
            lines += ["| column | meaning |", "|---|---|"]
            lines += [f"| `{c}` | {m.replace('|', '&#124;').replace(chr(10), ' ')} |" for c, m in columns]
            lines += [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    generated = {SQL_REFERENCE: sql_reference(), ERRORS: errors_page()}
    if argv == ["write"]:
        for path, text in generated.items():
            path.write_text(text)
            print(f"wrote {path.relative_to(REPO)}")
        return 0
    if argv == ["check"]:
        stale = [str(p.relative_to(REPO)) for p, t in generated.items() if not p.exists() or p.read_text() != t]
        if stale:
            print("stale (python -m harness.docs write): " + ", ".join(stale))
            return 1
        return 0
    print("usage: python -m harness.docs write|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
