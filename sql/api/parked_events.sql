CREATE OR REPLACE VIEW api.parked_events AS
SELECT se.subscription_name, se.event_id AS id, se.stream_type, se.stream_id, se.version, se.attempts,
       se.last_error, se.parked_at
FROM data.subscription_events AS se
WHERE se.parked_at IS NOT NULL;

COMMENT ON VIEW api.parked_events IS 'Events that failed max_attempts deliveries, with their last error: each holds back the later
events of its stream in its subscription. api.replay_parked delivers one again,
api.skip_parked steps past it.';
GRANT SELECT ON TABLE api.parked_events TO eventstore_admin;
COMMENT ON COLUMN api.parked_events.subscription_name IS 'The subscription the event is parked in';
COMMENT ON COLUMN api.parked_events.id IS 'The event''s id (api.replay_parked and api.skip_parked take it)';
COMMENT ON COLUMN api.parked_events.stream_type IS 'The event''s stream type: the later events of its stream wait behind it';
COMMENT ON COLUMN api.parked_events.stream_id IS 'The event''s stream id';
COMMENT ON COLUMN api.parked_events.version IS 'The event''s version in its stream';
COMMENT ON COLUMN api.parked_events.attempts IS 'Deliveries that failed (the subscription''s max_attempts)';
COMMENT ON COLUMN api.parked_events.last_error IS 'The error the last failed delivery reported (api.nack_event), at most 2,000 characters';
COMMENT ON COLUMN api.parked_events.parked_at IS 'When the last failed delivery parked it';
