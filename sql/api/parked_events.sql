CREATE OR REPLACE VIEW api.parked_events AS
SELECT se.subscription_name, se.event_id AS id, se.stream_type, se.stream_id, se.version, se.attempts,
       se.last_error, se.parked_at
FROM data.subscription_events AS se
WHERE se.parked_at IS NOT NULL;

COMMENT ON VIEW api.parked_events IS 'Events that failed max_attempts deliveries, with their last error: each holds back the later
events of its stream in its subscription. api.replay_parked delivers one again,
api.skip_parked steps past it.';
GRANT SELECT ON TABLE api.parked_events TO eventstore_admin;
