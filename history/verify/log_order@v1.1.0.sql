-- Verify eventstore:log_order on pg

BEGIN;

SELECT 'private.log_horizon()'::pg_catalog.regprocedure,
       'private.log_position(uuid)'::pg_catalog.regprocedure,
       'private.check_limit(integer)'::pg_catalog.regprocedure,
       'private.log_events(integer, xid8, bigint, integer, text[], text[], integer, xid8)'::pg_catalog.regprocedure;

ROLLBACK;
