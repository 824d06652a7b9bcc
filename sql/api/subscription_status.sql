CREATE OR REPLACE VIEW api.subscription_status AS
SELECT s.subscription_name, s.consumers, s.events_behind, s.events_behind_exact, s.in_flight, s.waiting,
       s.parked, s.oldest_in_flight_age, s.last_claim_at, s.events_held_back, s.oldest_xact_pid,
       s.oldest_xact_database, s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query,
       s.stream_types, s.event_types, s.max_attempts, s.lease, s.horizon_fallback
FROM private.subscription_status() AS s;

COMMENT ON VIEW api.subscription_status IS 'Per subscription: its members (consumers that claimed within one lease or hold a lease),
events not yet acknowledged and not in flight or parked (events_behind: exact up to 10,000,
estimated beyond, see events_behind_exact), in flight, waiting behind their stream, parked, the
age of the oldest lease, and the appending transaction holding the read horizon (pid NULL for
a prepared transaction; its query for those who may see it).';
COMMENT ON COLUMN api.subscription_status.events_behind IS 'Committed matching events not yet in flight, acknowledged or parked: exact up to 10,000, estimated beyond';
COMMENT ON COLUMN api.subscription_status.waiting IS 'Taken-in events waiting behind an event of their stream in flight or parked (counted up to 30,000 rows taken in)';
COMMENT ON COLUMN api.subscription_status.horizon_fallback IS 'NULL, or why whole-log readers run on the conservative horizon (it waits for the oldest transaction of the cluster, oldest_xact_*)';
GRANT SELECT ON TABLE api.subscription_status TO eventstore_admin;
