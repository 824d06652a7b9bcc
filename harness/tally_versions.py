"""Version 2 of the fixture domain's projection ``tallies`` (harness/tally.sql), for the tests
and the bench of projection versions: the same handler writing a table of its own,
``tally.tallies_v2`` (so that both versions can be compared with the oracle), and the view
readers query, ``tally.tallies_read``, which shows the live version's rows (a ``version``
column says which). The view is the stable name a promotion switches."""

V2_SQL = """
CREATE TABLE tally.tallies_v2 (LIKE tally.tallies INCLUDING ALL);
DO $$
BEGIN
    EXECUTE replace(replace(pg_get_functiondef('tally.apply_events(data.events[])'::regprocedure),
                            'tally.tallies', 'tally.tallies_v2'),
                    'FUNCTION tally.apply_events(', 'FUNCTION tally.apply_events_v2(');
END
$$;
CREATE FUNCTION tally.reset_v2() RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS 'DELETE FROM tally.tallies_v2';
CREATE VIEW tally.tallies_read AS
SELECT 1 AS version, t.* FROM tally.tallies AS t WHERE api.projection_live_version('tallies') = 1
UNION ALL
SELECT 2, t.* FROM tally.tallies_v2 AS t WHERE api.projection_live_version('tallies') = 2;
GRANT SELECT ON tally.tallies_read, tally.tallies_v2 TO eventstore_reader;
"""

REGISTER_V2 = ("SELECT api.register_projection_version('tallies', 2, 'tally.apply_events_v2(data.events[])', "
               "'tally.reset_v2()')")
