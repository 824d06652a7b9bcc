-- Verify eventstore:log_order on pg

BEGIN;

DO $$
DECLARE
    l_horizon record := private.log_horizon();
    l_start record := private.log_position(NULL);
BEGIN
    ASSERT l_horizon.generation = (SELECT max(generation) FROM data.store_generations),
        'the horizon is in the current generation';
    ASSERT l_horizon.transaction_id <= pg_catalog.pg_current_xact_id(),
        'the horizon is not ahead of this transaction';
    ASSERT (l_start.generation, l_start.global_position) = (0, 0), 'NULL is the start of the log';
    ASSERT private.check_limit(5) = 5, 'a positive limit passes';
    PERFORM * FROM private.log_events(0, '0', 0, 1);
END
$$;

SELECT 'private.uuidv7_time(uuid)'::pg_catalog.regprocedure;

-- Since v1.2.0 (the reworked change): the horizon that waits only for appenders.
SELECT 'private.read_horizon()'::pg_catalog.regprocedure,
       'private.publish_read_horizon(bigint)'::pg_catalog.regprocedure,
       'private.refuse_passed_appender(xid8)'::pg_catalog.regprocedure,
       'private.xid_near(xid, bigint)'::pg_catalog.regprocedure;
SELECT last_value FROM data.read_horizon WHERE false;

ROLLBACK;
