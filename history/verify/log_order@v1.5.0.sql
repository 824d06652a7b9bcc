-- Verify eventstore:log_order on pg

BEGIN;

SELECT 'private.log_horizon()'::pg_catalog.regprocedure,
       'private.log_position(uuid)'::pg_catalog.regprocedure,
       'private.check_limit(integer)'::pg_catalog.regprocedure,
       'private.log_events(integer, xid8, bigint, integer, text[], text[], integer, xid8)'::pg_catalog.regprocedure;

SELECT 'private.uuidv7_time(uuid)'::pg_catalog.regprocedure;

-- Since v1.2.0 (the reworked change): the horizon that waits only for appenders.
SELECT 'private.read_horizon()'::pg_catalog.regprocedure,
       'private.publish_read_horizon(bigint)'::pg_catalog.regprocedure,
       'private.refuse_passed_appender(xid8)'::pg_catalog.regprocedure,
       'private.xid_near(xid, bigint)'::pg_catalog.regprocedure;
SELECT last_value FROM data.read_horizon WHERE false;

ROLLBACK;
