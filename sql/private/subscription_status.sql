-- What an operator watches: per subscription its members, lag, events in flight, waiting and
-- parked, the oldest lease, and the appending transaction that holds the read horizon; and
-- the parked events with their errors. The cost does not grow with the lag: every count stops
-- at 10,000 or is estimated beyond (private.count_events_after). horizon_fallback: NULL, or why
-- whole-log readers run on the conservative horizon (oldest_xact_* then name the oldest
-- transaction of the cluster).

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
    lease interval,
    horizon_fallback text
)
LANGUAGE sql
VOLATILE  -- private.status_horizon reads (and publishes) the horizon
SECURITY DEFINER  -- pg_stat_activity shows other users' queries to its owner only
SET search_path = pg_catalog, pg_temp
AS $$
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
           h.pid, h.database, h.username, h.age, h.query,
           s.stream_types, s.event_types, s.max_attempts, s.lease, h.fallback
    FROM data.subscriptions AS s
    CROSS JOIN private.status_horizon() AS h
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

REVOKE ALL ON FUNCTION private.subscription_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.subscription_status() TO eventstore_admin;
