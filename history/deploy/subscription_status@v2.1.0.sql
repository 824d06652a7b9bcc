-- Deploy eventstore:subscription_status to pg
-- requires: subscriptions
-- requires: log_lag
-- requires: log_order
-- requires: roles
-- What an operator watches: per subscription its members, lag, events in flight, waiting and
-- parked, the oldest lease, and the appending transaction that holds the read horizon; and
-- the parked events with their errors. The cost does not grow with the lag: every count
-- stops at 10,000 or is estimated beyond (private.count_events_after).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

CREATE OR REPLACE FUNCTION private.subscription_status()
RETURNS TABLE (
    subscription_name text,
    consumers integer,
    events_behind bigint,
    events_behind_exact boolean,
    in_flight bigint,
    waiting bigint,
    parked bigint,
    oldest_in_flight_age interval,
    last_claim_at timestamptz,
    events_held_back bigint,
    oldest_xact_pid integer,
    oldest_xact_database text,
    oldest_xact_user text,
    oldest_xact_age interval,
    oldest_xact_query text,
    stream_types text[],
    event_types text[],
    max_attempts integer,
    lease interval
)
LANGUAGE sql
VOLATILE  -- private.read_horizon publishes what it reads
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
AS $$
    WITH horizon AS (SELECT h.generation, h.transaction_id, h.holder_pid, h.holder_gid
                     FROM private.read_horizon() AS h)
    SELECT s.subscription_name,
           (SELECT count(*)::integer FROM data.subscription_consumers AS m
            WHERE m.subscription_name = s.subscription_name
              AND (m.last_claim_at > pg_catalog.now() - s.lease
                   OR EXISTS (SELECT FROM data.subscription_leases AS l
                              WHERE l.subscription_name = s.subscription_name AND l.consumer = m.consumer
                                AND l.leased_until > pg_catalog.now())
                   OR EXISTS (SELECT FROM data.subscription_events AS se
                              WHERE se.subscription_name = s.subscription_name AND se.consumer = m.consumer
                                AND se.leased_until > pg_catalog.now()))),
           counts.behind + taken.waiting,
           counts.exact AND taken.waiting <= 10000,
           taken.in_flight + first.in_flight, taken.waiting, taken.parked,
           pg_catalog.now() - LEAST(taken.oldest_leased_at, first.oldest_leased_at), last_claim.at,
           counts.held_back,
           o.pid, o.database, o.username, o.age, o.query,
           s.stream_types, s.event_types, s.max_attempts, s.lease
    FROM data.subscriptions AS s
    CROSS JOIN horizon AS h
    LEFT JOIN LATERAL private.horizon_holder(h.holder_pid, h.holder_gid) AS o ON true
    CROSS JOIN LATERAL private.count_events_after(s.generation, s.transaction_id, s.global_position,
                                                  s.event_types, s.stream_types,
                                                  h.generation, h.transaction_id) AS counts
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE t.consumer IS NOT NULL) AS in_flight,
               count(*) FILTER (WHERE t.consumer IS NULL AND t.parked_at IS NULL) AS waiting,
               count(*) FILTER (WHERE t.parked_at IS NOT NULL) AS parked,
               min(t.leased_at) AS oldest_leased_at
        FROM (SELECT se.consumer, se.parked_at, se.leased_at
              FROM data.subscription_events AS se
              WHERE se.subscription_name = s.subscription_name
              LIMIT 30001) AS t) AS taken
    CROSS JOIN LATERAL (  -- one row per claim in flight: as many as consumers, give or take
        SELECT COALESCE(sum(pg_catalog.cardinality(l.events)), 0)::bigint AS in_flight, min(l.leased_at) AS oldest_leased_at
        FROM data.subscription_leases AS l
        WHERE l.subscription_name = s.subscription_name) AS first
    CROSS JOIN LATERAL (SELECT max(m.last_claim_at) AS at FROM data.subscription_consumers AS m
                        WHERE m.subscription_name = s.subscription_name) AS last_claim
    ORDER BY s.subscription_name;
$$;

CREATE OR REPLACE VIEW api.subscription_status AS
SELECT s.subscription_name, s.consumers, s.events_behind, s.events_behind_exact, s.in_flight, s.waiting,
       s.parked, s.oldest_in_flight_age, s.last_claim_at, s.events_held_back, s.oldest_xact_pid,
       s.oldest_xact_database, s.oldest_xact_user, s.oldest_xact_age, s.oldest_xact_query,
       s.stream_types, s.event_types, s.max_attempts, s.lease
FROM private.subscription_status() AS s;

COMMENT ON VIEW api.subscription_status IS
$$Per subscription: its members (consumers that claimed within one lease or hold a lease),
events not yet acknowledged and not in flight or parked (events_behind: exact up to 10,000,
estimated beyond, see events_behind_exact), in flight, waiting behind their stream, parked, the
age of the oldest lease, and the appending transaction holding the read horizon (pid NULL for
a prepared transaction; its query for those who may see it).$$;
COMMENT ON COLUMN api.subscription_status.events_behind IS
    'Committed matching events not yet in flight, acknowledged or parked: exact up to 10,000, estimated beyond';
COMMENT ON COLUMN api.subscription_status.waiting IS
    'Taken-in events waiting behind an event of their stream in flight or parked (counted up to 30,000 rows taken in)';

CREATE OR REPLACE VIEW api.parked_events AS
SELECT se.subscription_name, se.event_id AS id, se.stream_type, se.stream_id, se.version, se.attempts,
       se.last_error, se.parked_at
FROM data.subscription_events AS se
WHERE se.parked_at IS NOT NULL;

COMMENT ON VIEW api.parked_events IS
$$Events that failed max_attempts deliveries, with their last error: each holds back the later
events of its stream in its subscription. api.replay_parked delivers one again,
api.skip_parked steps past it.$$;

REVOKE ALL ON FUNCTION private.subscription_status() FROM PUBLIC;
-- A view calls its functions with the privileges of whoever queries it.
GRANT EXECUTE ON FUNCTION private.subscription_status() TO eventstore_admin;
GRANT SELECT ON api.subscription_status TO eventstore_admin;
GRANT SELECT ON api.parked_events TO eventstore_admin;

COMMIT;
