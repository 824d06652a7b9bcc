"""Static checks of every PL/pgSQL function of the bundle with plpgsql_check (Debian package
postgresql-15-plpgsql-check): a function that refers to a column, table or function that does
not exist, or does not type-check, fails the build even if no test calls that line."""

from __future__ import annotations

from tests.helpers import PLPGSQL_CHECK as CHECK


def check(db) -> list[tuple]:
    db.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    return db.execute(CHECK)


def test_every_plpgsql_function_of_the_bundle_checks(db):
    findings = check(db)
    errors = [f for f in findings if f[1] == "error"]
    assert not errors, "\n".join(f"{f[0]} line {f[3]}: {f[2]}" for f in errors)
    functions = db.scalar("""SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                             JOIN pg_language l ON l.oid = p.prolang
                             WHERE n.nspname IN ('api', 'private') AND l.lanname = 'plpgsql'""")
    assert functions > 50, "the check ran over the bundle's functions"


def test_the_check_catches_a_function_that_would_fail_when_run(db):
    # A deliberate break: a column that does not exist, on a line no test would reach.
    db.execute("""CREATE FUNCTION private.broken_on_purpose(in_x integer) RETURNS integer LANGUAGE plpgsql AS $$
                  BEGIN
                      IF in_x > 1000000 THEN
                          RETURN (SELECT count(no_such_column) FROM data.events);
                      END IF;
                      RETURN in_x;
                  END $$""")
    errors = [f for f in check(db) if f[1] == "error"]
    assert [(f[0], f[2]) for f in errors] == [
        ("private.broken_on_purpose(integer)", 'column "no_such_column" does not exist')]
