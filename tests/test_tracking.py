"""Tracking (api.record_tracking) across the roles' own connections: a tracker an admin reserves
or hands back cannot be squatted, and a position no log can reach is refused."""

from __future__ import annotations

import pytest

from tests.helpers import raises_sqlstate

RECORD = "SELECT api.record_tracking(%s, %s, %s)"


def position(db, tracker: str, upstream: str = "up"):
    return db.scalar("SELECT api.tracking_position(%s, %s)", (tracker, upstream))


def test_a_squatted_tracker_is_handed_back_by_an_admin(db):
    """Before, the first role to record a name owned it for ever: a writer that recorded a
    process application's name first (here far ahead) stopped it for good, and no admin could
    hand it back."""
    with db.connect("es_writer") as squatter:
        squatter.execute(RECORD, ("orders-app", "up", 10**12))
    with db.connect("es_projector") as app, raises_sqlstate("ZE019"):
        app.execute(RECORD, ("orders-app", "up", 5))
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.set_tracker_role('orders-app', 'es_projector')")
    assert position(db, "orders-app") is None, "the squatter's position is void"
    with db.connect("es_projector") as app:
        app.execute(RECORD, ("orders-app", "up", 5))
        app.execute(RECORD, ("orders-app", "other-upstream", 1))
    with db.connect("es_writer") as squatter:
        for upstream in ("up", "third"):
            with raises_sqlstate("ZE019", "reserved for role es_projector"):
                squatter.execute(RECORD, ("orders-app", upstream, 10**13))
    assert position(db, "orders-app") == 5
    assert position(db, "orders-app", "third") is None


def test_a_tracker_reserved_before_it_runs_cannot_be_taken(db):
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.set_tracker_role('mailer', 'es_projector')")
        with raises_sqlstate("ZE003"):
            admin.execute("SELECT api.set_tracker_role('mailer', 'es_reader')")  # it cannot record
    with db.connect("es_writer") as other, raises_sqlstate("ZE019"):
        other.execute(RECORD, ("mailer", "up", 1))
    with db.connect("es_projector") as app:
        app.execute(RECORD, ("mailer", "up", 1))
    with db.connect("es_writer") as other:
        with raises_sqlstate("42501"):
            other.execute("SELECT api.set_tracker_role('mailer', 'es_writer')")
    with db.connect("es_admin") as admin:
        admin.execute("SELECT api.set_tracker_role('mailer', NULL)")  # lifted: the recorder owns its row
    with db.connect("es_projector") as app:
        app.execute(RECORD, ("mailer", "up", 2))
    with db.connect("es_writer") as other, raises_sqlstate("ZE019"):
        other.execute(RECORD, ("mailer", "up", 3))
    assert position(db, "mailer") == 2


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e30", "-1", "2.5"])
def test_a_position_no_log_can_reach_is_refused_and_nothing_is_written(db, bad):
    """Before, NaN, Infinity and 1e30 were recorded, after which every later position was
    ZE018: the tracker could never move again."""
    with db.connect("es_projector") as app:
        with raises_sqlstate("ZE003"):
            app.execute(RECORD, ("t", "up", bad))
        app.execute(RECORD, ("t", "up", 7))
        app.execute(RECORD, ("t", "up", 2**96 + 1))  # a generation-2 log number: after a restore
    assert position(db, "t") == 2**96 + 1
