-- Deploy eventstore:event_tags to pg
-- requires: baseline
-- Dynamic consistency boundaries (docs/dcb.md): the tags and type of each event appended with
-- api.append_tagged, one row per event at its log position, so that a query ("events of these
-- types with all these tags after position P") is an index lookup whose cost follows its
-- matches, not the log: by tag (GIN), by type and by position (btree, in log order). The
-- events themselves are in data.events (streams of type $dcb, one per append); a row here
-- whose event was removed (retention, a purge) is never read (readers join the event).

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (docs/operations.md)

CREATE TABLE data.event_tags (
    generation integer NOT NULL,
    transaction_id xid8 NOT NULL,
    global_position bigint NOT NULL,
    created_at timestamptz NOT NULL,
    event_type text NOT NULL,
    tags text[] NOT NULL,
    CONSTRAINT event_tags_pkey PRIMARY KEY (generation, transaction_id, global_position)
);
COMMENT ON TABLE data.event_tags IS 'The tags and type of each event appended with tags (api.append_tagged), by log position';
COMMENT ON COLUMN data.event_tags.created_at IS 'The event''s created_at: the partition of data.events that holds it';

-- fastupdate off: every conditional append searches this index, and a search reads the whole
-- pending list that fastupdate keeps (up to gin_pending_list_limit), a cost that grows with the
-- appends since the last vacuum instead of following the matches.
CREATE INDEX event_tags_tags_idx ON data.event_tags USING gin (tags) WITH (fastupdate = off);
CREATE INDEX event_tags_type_idx ON data.event_tags (event_type, generation, transaction_id, global_position);

COMMIT;
