"""Dynamic consistency boundaries across real connections (docs/dcb.md): tagged appends, query
reads, and the conditional append, decided atomically at READ COMMITTED without serialising
writers whose tags do not overlap."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest

from tests.helpers import race, raises_sqlstate


def ev(event_type: str, tags: list[str], **data) -> dict:
    return {"event_type": event_type, "event_data": data, "tags": tags}


def append(conn: psycopg.Connection, events: list[dict], query: list[dict] | None = None, after=None):
    return conn.execute("SELECT api.append_tagged(%s, %s, %s)",
                        (json.dumps(events), None if query is None else json.dumps(query), after)).fetchone()[0]


def read(conn: psycopg.Connection, query: list[dict] | None = None, after=None, limit: int = 1000):
    return conn.execute("SELECT log_number, event_type, tags FROM api.read_tagged(%s, %s, %s)",
                        (None if query is None else json.dumps(query), after, limit)).fetchall()


def head(conn: psycopg.Connection):
    return conn.execute("SELECT api.last_tagged_number()").fetchone()[0]


def test_tagged_events_are_read_by_types_and_tags_in_log_order(db):
    with db.connect() as conn:
        assert head(conn) is None and read(conn) == []
        first = append(conn, [ev("StudentRegistered", ["student:1"])])
        last = append(conn, [ev("CourseDefined", ["course:a"]), ev("StudentSubscribed", ["course:a", "student:1"])])
        assert first < last == head(conn)
        everything = read(conn)
        assert [r[1] for r in everything] == ["StudentRegistered", "CourseDefined", "StudentSubscribed"]
        assert [r[0] for r in everything] == sorted(r[0] for r in everything) and everything[-1][0] == last
        assert [r[1] for r in read(conn, [{"tags": ["student:1"]}])] == ["StudentRegistered", "StudentSubscribed"]
        assert [r[1] for r in read(conn, [{"tags": ["student:1", "course:a"]}])] == ["StudentSubscribed"]
        assert [r[1] for r in read(conn, [{"types": ["CourseDefined"]}])] == ["CourseDefined"]
        assert [r[1] for r in read(conn, [{"types": ["CourseDefined"], "tags": ["student:1"]}])] == []
        both = [{"types": ["StudentRegistered"], "tags": ["student:1"]}, {"tags": ["course:a"]}]
        assert [r[1] for r in read(conn, both)] == ["StudentRegistered", "CourseDefined", "StudentSubscribed"]
        assert [r[1] for r in read(conn, None, after=first, limit=1)] == ["CourseDefined"]
        assert everything[-1][2] == ["course:a", "student:1"], "tags as appended"
        # The events are in the log as a stream of type $dcb per append, with the store's guarantees.
        assert conn.execute("SELECT count(DISTINCT stream_id), count(*) FROM data.events "
                            "WHERE stream_type = '$dcb'").fetchone() == (2, 3)
        # A stream's events carry no tags and match no query.
        conn.execute("""CALL api.append_events('Other', gen_random_uuid(), 0,
                        '[{"event_type": "CourseDefined", "event_data": {}}]')""")
        assert [r[1] for r in read(conn, [{"types": ["CourseDefined"]}])] == ["CourseDefined"]


def test_the_condition_fails_when_a_match_was_appended_after_the_position_and_writes_nothing(db):
    with db.connect() as conn:
        course = [{"tags": ["course:a"]}]
        at = append(conn, [ev("CourseDefined", ["course:a"], places=1)], course, None)
        with raises_sqlstate("ZE021", "condition failed") as info:
            append(conn, [ev("CourseDefined", ["course:a"], places=2)], course, None)
        assert json.loads(info.value.diag.message_detail)["matched"] == at
        assert append(conn, [ev("StudentSubscribed", ["course:a", "student:1"])], course, at) > at
        with raises_sqlstate("ZE021"):
            append(conn, [ev("StudentSubscribed", ["course:a", "student:2"])], course, at)
        # Every kind of item: by type only, and the whole tagged log.
        with raises_sqlstate("ZE021"):
            append(conn, [ev("X", [])], [{"types": ["StudentSubscribed"]}], at)
        with raises_sqlstate("ZE021"):
            append(conn, [ev("X", [])], [], at)
        assert append(conn, [ev("X", [])], [{"types": ["Nothing"]}, {"tags": ["course:b"]}], None)
        assert conn.execute("SELECT count(*) FROM data.events WHERE stream_type = '$dcb'").fetchone()[0] == 3
        assert conn.execute("SELECT count(*) FROM data.event_tags").fetchone()[0] == 3


@pytest.mark.parametrize("query, words", [
    ({"tags": ["a"]}, "not a JSON array"),
    ([{"tag": ["a"]}], "item 1 has keys other than types and tags"),
    ([{"tags": "a"}], "item 1 has tags"),
    ([{"types": ["T"]}, {"types": [""]}], "item 2 has types"),
    ([{"tags": [1]}], "item 1 has tags"),
])
def test_a_bad_query_is_refused_and_writes_nothing(db, query, words):
    with db.connect() as conn:
        with raises_sqlstate("ZE003", words):
            append(conn, [ev("E", ["t"])], query, None)
        with raises_sqlstate("ZE003", words):
            read(conn, query)
        with raises_sqlstate("ZE002", "tags"):
            append(conn, [{"event_type": "E", "event_data": {}, "tags": ["ok", ""]}])
        with raises_sqlstate("ZE002"):
            append(conn, [{"event_type": "E", "event_data": {}, "tag": []}])
        assert conn.execute("SELECT count(*) FROM data.events").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM data.event_tags").fetchone()[0] == 0


def test_a_conditional_append_refuses_a_transaction_snapshot(db):
    with db.connect(autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with raises_sqlstate("ZE003", "READ COMMITTED"):
            append(conn, [ev("E", ["t"])], [{"tags": ["t"]}], None)


def test_only_writers_append_and_readers_read(db):
    with db.connect(user="es_reader") as conn:
        with raises_sqlstate("42501"):
            append(conn, [ev("E", ["t"])])
        assert read(conn) == []


@pytest.mark.parametrize("writers", [2, 8])
def test_of_conflicting_conditional_appends_exactly_one_commits(db, writers):
    """Rounds of writers that each read a course's boundary, then append on the condition that
    nothing matching it was appended since: exactly one of each round commits. Writers of
    other courses, racing alongside on disjoint tags, all commit."""
    conns = [db.connect() for _ in range(writers + 2)]
    try:
        for round_ in range(15):
            course = f"course:{round_}"
            boundary = [{"tags": [course]}]
            start = head(conns[0])

            def contender(i: int):
                def work(barrier: threading.Barrier):
                    conn = conns[i]
                    after = conn.execute("SELECT max(log_number) FROM api.read_tagged(%s, NULL, 1000, %s)",
                                         (json.dumps(boundary), start)).fetchone()[0]
                    barrier.wait()
                    try:
                        append(conn, [ev("StudentSubscribed", [course, f"student:{i}"])], boundary, after)
                        return True
                    except psycopg.Error as error:
                        assert error.sqlstate == "ZE021", error
                        return False
                return work

            def bystander(i: int):
                def work(barrier: threading.Barrier):
                    barrier.wait()
                    other = [{"tags": [f"other:{round_}:{i}"]}]
                    append(conns[i], [ev("CourseDefined", [f"other:{round_}:{i}"])], other, None)
                    return True
                return work

            results = race([contender(i) for i in range(writers)] + [bystander(writers), bystander(writers + 1)])
            assert sum(results[:writers]) == 1, f"round {round_}: {results[:writers]} committed"
            assert all(results[writers:]), "appends on disjoint tags all commit"
            assert len(read(conns[0], boundary)) == 1
    finally:
        for c in conns:
            c.close()


def test_of_two_appends_each_matching_the_others_condition_exactly_one_commits(db):
    """The symmetric conflict (a course's capacity and a student's limit): each append's
    condition matches the other's events, under different lock keys."""
    conns = [db.connect(), db.connect()]
    try:
        for round_ in range(20):
            a, b = f"a:{round_}", f"b:{round_}"

            def writer(conn, mine, theirs):
                def work(barrier: threading.Barrier):
                    barrier.wait()
                    try:
                        append(conn, [ev("Joined", [mine, theirs])], [{"tags": [mine]}, {"tags": [theirs]}], None)
                        return True
                    except psycopg.Error as error:
                        assert error.sqlstate == "ZE021", error
                        return False
                return work

            assert sum(race([writer(conns[0], a, b), writer(conns[1], b, a)])) == 1
    finally:
        for c in conns:
            c.close()


def test_an_append_on_disjoint_tags_does_not_wait_for_an_open_one(db):
    with db.connect(autocommit=False) as holder, db.connect() as other:
        append(holder, [ev("CourseDefined", ["course:a"])], [{"tags": ["course:a"]}], None)  # open, uncommitted
        other.execute("SET lock_timeout = '2s'")
        assert append(other, [ev("CourseDefined", ["course:b"])], [{"tags": ["course:b"]}], None)
        assert append(other, [ev("Other", ["course:b"])])
        with raises_sqlstate("55P03"):  # the same course's condition does wait for it
            append(other, [ev("CourseDefined", ["course:a"])], [{"tags": ["course:a"]}], None)
        holder.rollback()


def test_query_reads_page_past_a_late_committer_and_miss_nothing(db):
    """An append that took its position first and commits last: a reader paging by the last
    number it read sees it, and everything after it, exactly once."""
    with db.connect(autocommit=False) as late, db.connect() as writer, db.connect() as reader:
        query = [{"tags": ["shared"]}]
        append(late, [ev("Late", ["shared"])])  # its position taken, not committed
        seen: list = []
        last = None
        for i in range(5):
            append(writer, [ev("Early", ["shared"], n=i)])
            page = read(reader, query, last, 2)
            seen += page
            last = page[-1][0] if page else last
        assert seen == [], "nothing after the open appender is readable before it ends"
        late.commit()
        while page := read(reader, query, last, 2):
            seen += page
            last = page[-1][0]
        assert [r[1] for r in seen] == ["Late"] + ["Early"] * 5
        assert len({r[0] for r in seen}) == 6


def test_the_python_client_appends_and_reads_tagged_events(db):
    from eventstore import ConditionFailed, EventStore, QueryItem, TaggedEvent

    store = EventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2)
    try:
        boundary = [QueryItem(tags=["course:a"])]
        assert store.read_tagged(boundary).head is None
        at = store.append_tagged([TaggedEvent("CourseDefined", {"places": 1}, tags=["course:a"])],
                                 fail_if_match=boundary, after=None)
        read = store.read_tagged(boundary)
        assert read.head == at and [(e.event_type, e.tags, e.position) for e in read.events] == \
            [("CourseDefined", ["course:a"], at)]
        with pytest.raises(ConditionFailed) as info:
            store.append_tagged([TaggedEvent("CourseDefined", {}, tags=["course:a"])], fail_if_match=boundary)
        assert info.value.matched == at and info.value.retryable
        assert store.read_tagged(limit=0).head is None
    finally:
        store.close()


def test_the_async_client_appends_and_reads_tagged_events_across_pages(db):
    import asyncio

    from eventstore import ConditionFailed, QueryItem, TaggedEvent
    from eventstore.aio import AsyncEventStore

    async def main() -> None:
        store = await AsyncEventStore.connect(db.cluster.conninfo(db.name, user="es_writer"), max_size=2)
        try:
            course, student = [QueryItem(tags=["course:async"])], [QueryItem(tags=["student:async"])]
            first = await store.append_tagged(
                [TaggedEvent("CourseDefined", {"places": 3}, tags=["course:async"])] * 3,
                fail_if_match=course, after=None)
            read = await store.read_tagged(course + student, limit=2)
            assert read.head is not None and read.head < first and len(read.events) == 2, "a limit stops the read"
            read = await store.read_tagged(course + student)
            assert read.head == first and [e.event_type for e in read.events] == ["CourseDefined"] * 3
            joined = await store.append_tagged(
                [TaggedEvent("StudentJoined", {}, tags=["course:async", "student:async"])],
                fail_if_match=course + student, after=read.head)
            with pytest.raises(ConditionFailed) as info:
                await store.append_tagged([TaggedEvent("StudentJoined", {}, tags=["student:async"])],
                                          fail_if_match=student, after=read.head)
            assert info.value.matched == joined
            after = await store.read_tagged(student, after=read.head)
            assert [(e.position, e.tags) for e in after.events] == [(joined, ["course:async", "student:async"])]
        finally:
            await store.close()

    asyncio.run(main())
