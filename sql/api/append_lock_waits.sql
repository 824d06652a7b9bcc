-- An append queues on its stream with an advisory lock before it takes a transaction id
-- (change append_events): no row lock can do that, and any session of the database can
-- take any advisory lock. A role that holds one of those keys stalls that stream's appends.
-- This view shows who waits on an advisory lock and who holds it, so that an operator
-- finds such a holder at once (docs/security.md says how to keep other roles out).

CREATE OR REPLACE VIEW api.append_lock_waits AS
SELECT w.pid AS waiting_pid,
       wa.usename::text AS waiting_user,
       pg_catalog.now() - wa.query_start AS waiting_for,
       h.pid AS holder_pid,
       ha.usename::text AS holder_user,
       ha.application_name::text AS holder_application,
       ha.state AS holder_state,
       pg_catalog.now() - ha.xact_start AS holder_xact_age,
       pg_catalog.pg_has_role(ha.usesysid, 'eventstore_writer', 'MEMBER') AS holder_is_writer,
       w.classid::bigint AS key1,
       w.objid::bigint AS key2
FROM pg_catalog.pg_locks AS w
JOIN pg_catalog.pg_locks AS h
  ON h.locktype = 'advisory' AND h.granted AND h.pid <> w.pid
 AND h.database = w.database AND h.classid = w.classid AND h.objid = w.objid AND h.objsubid = w.objsubid
JOIN pg_catalog.pg_stat_activity AS wa ON wa.pid = w.pid
JOIN pg_catalog.pg_stat_activity AS ha ON ha.pid = h.pid
WHERE w.locktype = 'advisory' AND NOT w.granted
  AND w.database = (SELECT d.oid FROM pg_catalog.pg_database AS d WHERE d.datname = pg_catalog.current_database());

COMMENT ON VIEW api.append_lock_waits IS 'Sessions waiting on an advisory lock of this database (appends queue on their stream with
one) and the session holding it: a holder that is not an appending writer (holder_is_writer
false, or idle in transaction) stalls that stream''s appends; end it with pg_terminate_backend.';
GRANT SELECT ON TABLE api.append_lock_waits TO eventstore_reader;
