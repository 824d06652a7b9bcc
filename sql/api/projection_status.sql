CREATE OR REPLACE VIEW api.projection_status AS
SELECT s.projection_name, s.status, s.last_event_id, s.last_processed, s.events_applied,
       s.events_behind, s.events_held_back, s.oldest_xact_pid, s.oldest_xact_database,
       s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query, s.error_message,
       s.failed_event_id, s.failed_at, s.events_behind_exact, s.horizon_fallback,
       s.version_of, s.version, s.live, s.events_behind_live, s.ready_to_promote
FROM private.projection_status() AS s;

COMMENT ON VIEW api.projection_status IS 'Per projection: status, checkpoint, events applied, committed events not applied yet
(events_behind), committed events an open appending transaction still holds back
(events_held_back), the appending transaction holding the horizon (pid, database, user, age,
and its query for those who may see it; a prepared transaction shows pid NULL), last error.
Its cost does not grow with the lag: the counts are exact up to 10,000 events
(events_behind_exact) and estimated beyond. One row per version of a projection: the live
one holds the name, another is name@version (version_of, version, live), with how far it is
behind the live one and whether it may be promoted now.';
COMMENT ON COLUMN api.projection_status.events_behind IS 'Committed events of its filters not applied yet: exact up to 10,000, estimated beyond (events_behind_exact)';
COMMENT ON COLUMN api.projection_status.events_held_back IS 'Committed events not yet readable because an older appending transaction is still open (at most the first 10,000 counted)';
COMMENT ON COLUMN api.projection_status.events_behind_exact IS 'false: more than 10,000 events behind; events_behind is then an estimate from log positions (docs/operations.md)';
COMMENT ON COLUMN api.projection_status.horizon_fallback IS 'NULL, or why whole-log readers run on the conservative horizon (it waits for the oldest transaction of the cluster, oldest_xact_*)';
COMMENT ON COLUMN api.projection_status.version_of IS 'The projection this row is a version of';
COMMENT ON COLUMN api.projection_status.live IS 'The version readers see (api.projection_live_version)';
COMMENT ON COLUMN api.projection_status.events_behind_live IS 'Events the live version has applied and this version not yet (0 for the live one)';
COMMENT ON COLUMN api.projection_status.ready_to_promote IS 'Not live, running, and within eventstore.promotion_max_lag events of the live version: api.promote_projection will take it (NULL when that setting is not a count)';
GRANT SELECT ON TABLE api.projection_status TO eventstore_reader;
