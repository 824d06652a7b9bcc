-- Deploy eventstore:baseline to pg
-- The state of the store as v3.1.0 left it, the last release of the v3 plan (history/): group
-- roles, schemas, extensions, types, tables, sequences, indexes and constraints, with their
-- comments and grants. Written once from the catalog of a fresh v3.1.0 (pg_dump --schema-only,
-- functions, procedures, views and triggers left out) and owned by hand since. The routines and
-- views are change code; what of this state calls them (defaults, triggers, the built-in
-- projections, partitions ahead, pg_cron and its jobs) is change baseline_wiring. A database at
-- v3.1.0 has all of it already: python -m eventstore adopt-baseline records it deployed.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)
-- Group roles (NOLOGIN) that login roles are granted into:
--   eventstore_reader     reads streams, the log and read models through api
--   eventstore_writer     reader + appends events and runs commands
--   eventstore_projector  reader + runs, resumes and rebuilds projections
--   eventstore_admin      writer + projector + registers projections, schemas, upcasters,
--                         reducers and maintains partitions
-- Roles belong to the cluster while sqitch tracks one database: a role that another
-- database of this cluster already created is reused, not created again.
DO $$
DECLARE
    l_role text;
BEGIN
    FOREACH l_role IN ARRAY ARRAY['eventstore_reader', 'eventstore_writer',
                                  'eventstore_projector', 'eventstore_admin']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = l_role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', l_role);
        END IF;
    END LOOP;

    -- Memberships: granted only when missing, so a second database deploys quietly.
    IF NOT pg_catalog.pg_has_role('eventstore_writer', 'eventstore_reader', 'MEMBER') THEN
        GRANT eventstore_reader TO eventstore_writer;
    END IF;
    IF NOT pg_catalog.pg_has_role('eventstore_projector', 'eventstore_reader', 'MEMBER') THEN
        GRANT eventstore_reader TO eventstore_projector;
    END IF;
    IF NOT pg_catalog.pg_has_role('eventstore_admin', 'eventstore_writer', 'MEMBER') THEN
        GRANT eventstore_writer TO eventstore_admin;
    END IF;
    IF NOT pg_catalog.pg_has_role('eventstore_admin', 'eventstore_projector', 'MEMBER') THEN
        GRANT eventstore_projector TO eventstore_admin;
    END IF;
END
$$;

COMMENT ON ROLE eventstore_reader IS 'Event store: read streams, the log and read models';
COMMENT ON ROLE eventstore_writer IS 'Event store: reader + append events and run commands';
COMMENT ON ROLE eventstore_projector IS 'Event store: reader + run, resume and rebuild projections';
COMMENT ON ROLE eventstore_admin IS 'Event store: everything, including registries and partitions';

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- What follows names every object by its schema.
SET LOCAL search_path = pg_catalog;

CREATE SCHEMA api;

COMMENT ON SCHEMA api IS 'Event store interface: append, read, commands, queries, operations';

CREATE SCHEMA data;

COMMENT ON SCHEMA data IS 'Event store tables and read models; reached only through api';

CREATE SCHEMA private;

COMMENT ON SCHEMA private IS 'Event store internals: helpers, handlers, runners';

CREATE SCHEMA registered;

COMMENT ON SCHEMA registered IS 'Invokers of registered functions: each runs one registered function as its registrant';

CREATE TYPE private.subscription_delivery AS (
	id uuid,
	stream_type text,
	stream_id uuid,
	version integer,
	event_type text,
	event_data jsonb,
	metadata jsonb,
	created_at timestamp with time zone,
	attempt integer
);

CREATE TYPE private.subscription_event_ref AS (
	id uuid,
	created_at timestamp with time zone,
	generation integer,
	transaction_id xid8,
	global_position bigint,
	stream_type text,
	stream_id uuid,
	version integer
);

CREATE TABLE data.events (
    id uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
)
PARTITION BY RANGE (created_at);

COMMENT ON TABLE data.events IS 'Append-only event store';

COMMENT ON COLUMN data.events.id IS 'Event id (UUID v7); with created_at the primary key';

COMMENT ON COLUMN data.events.stream_type IS 'Aggregate type, e.g. Order, Customer';

COMMENT ON COLUMN data.events.stream_id IS 'Aggregate id';

COMMENT ON COLUMN data.events.version IS 'Sequence within the stream, 1, 2, 3 ... without gaps';

COMMENT ON COLUMN data.events.event_type IS 'Past-tense event name, e.g. OrderCreated';

COMMENT ON COLUMN data.events.event_data IS 'Payload (a JSON object), as written; readers upcast it';

COMMENT ON COLUMN data.events.metadata IS 'correlation_id, causation_id, user_id, source, ... (a JSON object)';

COMMENT ON COLUMN data.events.global_position IS 'Order of events within one transaction';

COMMENT ON COLUMN data.events.transaction_id IS 'Writing transaction; leads the log order after generation';

COMMENT ON COLUMN data.events.generation IS 'Cluster lifetime that wrote the event (data.store_generations)';

COMMENT ON COLUMN data.events.schema_version IS 'Version of the payload schema the event was written with';

CREATE TABLE data.subscriptions (
    subscription_name text NOT NULL,
    stream_types text[],
    event_types text[],
    max_attempts integer DEFAULT 5 NOT NULL,
    lease interval DEFAULT '00:00:30'::interval NOT NULL,
    generation integer DEFAULT 0 NOT NULL,
    transaction_id xid8 DEFAULT '0'::xid8 NOT NULL,
    global_position bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text DEFAULT SESSION_USER NOT NULL,
    reset_at timestamp with time zone,
    reset_by text,
    consumer_role name,
    read_guard regclass,
    CONSTRAINT subscriptions_lease_check CHECK (((lease >= '00:00:01'::interval) AND (lease <= '1 day'::interval))),
    CONSTRAINT subscriptions_max_attempts_check CHECK (((max_attempts >= 1) AND (max_attempts <= 1000))),
    CONSTRAINT subscriptions_subscription_name_check CHECK (((subscription_name <> ''::text) AND (char_length(subscription_name) <= 200)))
)
WITH (fillfactor='50');

COMMENT ON TABLE data.subscriptions IS 'Subscriptions (consumer groups over the log) and their intake cursors';

COMMENT ON COLUMN data.subscriptions.max_attempts IS 'Failed deliveries (nack or expired lease) after which an event is parked';

COMMENT ON COLUMN data.subscriptions.lease IS 'How long a claimed event stays with its consumer before it counts as failed';

COMMENT ON COLUMN data.subscriptions.consumer_role IS 'The only role (with admins) that may claim from the subscription; NULL: any eventstore_projector';

COMMENT ON COLUMN data.subscriptions.read_guard IS 'Sequence counting this subscription''s claims cut off while reading payloads (not transactional: it survives their rollback)';

CREATE TABLE data.subscription_events (
    subscription_name text NOT NULL,
    event_id uuid NOT NULL,
    event_created_at timestamp with time zone NOT NULL,
    generation integer NOT NULL,
    transaction_id xid8 NOT NULL,
    global_position bigint NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    consumer text,
    leased_at timestamp with time zone,
    leased_until timestamp with time zone,
    last_error text,
    parked_at timestamp with time zone,
    claimed_by name,
    CONSTRAINT subscription_events_check CHECK (((consumer IS NULL) = (leased_until IS NULL))),
    CONSTRAINT subscription_events_check1 CHECK (((parked_at IS NULL) OR (consumer IS NULL)))
);

COMMENT ON TABLE data.subscription_events IS 'Events of a subscription delivered again, waiting behind an earlier event of their stream, or parked';

COMMENT ON COLUMN data.subscription_events.claimed_by IS 'The role that claimed the event while it is in flight: only it (or an admin) acknowledges or gives it back';

CREATE TABLE data.event_removals (
    removal_id bigint GENERATED ALWAYS AS IDENTITY,
    kind text NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid,
    before timestamp with time zone,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    removed_by name NOT NULL,
    removed_at timestamp with time zone DEFAULT now() NOT NULL,
    events_removed integer,
    CONSTRAINT event_removals_check CHECK ((((kind = 'purge'::text) AND (stream_id IS NOT NULL) AND (before IS NULL)) OR ((kind = 'retention'::text) AND (stream_id IS NULL) AND (before IS NOT NULL)))),
    CONSTRAINT event_removals_kind_check CHECK ((kind = ANY (ARRAY['purge'::text, 'retention'::text])))
);

COMMENT ON TABLE data.event_removals IS 'Audit of every sanctioned removal of events (purge of a deleted stream, retention of a stream type): who, when, how many';

CREATE TABLE data.event_schemas (
    event_type text NOT NULL,
    version integer NOT NULL,
    schema jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT event_schemas_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.event_schemas IS 'JSON schema of each version of an event type''s payload';

CREATE TABLE data.event_streams (
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    current_version integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_generation integer NOT NULL,
    last_transaction_id xid8 NOT NULL,
    deleted_at timestamp with time zone,
    CONSTRAINT event_streams_current_version_check CHECK ((current_version >= 0))
)
WITH (fillfactor='50');

COMMENT ON TABLE data.event_streams IS 'Stream state: current version and the append lock';

COMMENT ON COLUMN data.event_streams.current_version IS 'Version of the last event of the stream';

COMMENT ON COLUMN data.event_streams.last_generation IS 'Generation of the last append';

COMMENT ON COLUMN data.event_streams.last_transaction_id IS 'Transaction of the last append';

COMMENT ON COLUMN data.event_streams.deleted_at IS 'When api.delete_stream deleted the stream (NULL: not deleted)';

CREATE TABLE data.event_types (
    event_type text NOT NULL,
    current_version integer NOT NULL,
    CONSTRAINT event_types_current_version_check CHECK ((current_version > 0)),
    CONSTRAINT event_types_event_type_check CHECK ((event_type <> ''::text))
);

COMMENT ON TABLE data.event_types IS 'Current payload version per versioned event type (its highest schema version or the end of its upcaster chain)';

CREATE TABLE data.event_upcasters (
    event_type text NOT NULL,
    from_version integer NOT NULL,
    upcaster regprocedure NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    upcaster_invoker regprocedure,
    registered_by name,
    CONSTRAINT event_upcasters_from_version_check CHECK ((from_version > 0))
);

COMMENT ON TABLE data.event_upcasters IS 'Steps of each event type''s upcaster chain: from_version -> from_version + 1';

COMMENT ON COLUMN data.event_upcasters.upcaster_invoker IS 'What runs: registered.* calling upcaster as registered_by';

COMMENT ON COLUMN data.event_upcasters.registered_by IS 'The role whose rights the upcaster runs with';

CREATE SEQUENCE data.events_global_position_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE data.events_global_position_seq OWNED BY data.events.global_position;

CREATE TABLE data.events_default (
    id uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    event_type text NOT NULL,
    event_data jsonb NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    global_position bigint DEFAULT nextval('data.events_global_position_seq'::regclass) NOT NULL,
    transaction_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    generation integer NOT NULL,
    schema_version integer DEFAULT 1 NOT NULL,
    CONSTRAINT events_event_data_check CHECK ((jsonb_typeof(event_data) = 'object'::text)),
    CONSTRAINT events_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT events_metadata_check CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT events_schema_version_check CHECK ((schema_version > 0)),
    CONSTRAINT events_stream_type_check CHECK ((stream_type <> ''::text)),
    CONSTRAINT events_version_check CHECK ((version > 0))
);

CREATE TABLE data.forgotten_subjects (
    key_id uuid NOT NULL,
    forgotten_by name NOT NULL,
    forgotten_at timestamp with time zone DEFAULT now() NOT NULL,
    streams integer NOT NULL,
    snapshots_removed integer NOT NULL,
    forgotten_xid xid8 DEFAULT pg_current_xact_id()
);

COMMENT ON TABLE data.forgotten_subjects IS 'Audit of api.forget_subject: which key was destroyed, by whom, when (no personal data)';

COMMENT ON COLUMN data.forgotten_subjects.forgotten_xid IS 'The erasing transaction: a snapshot folded from a read that did not see it committed is not saved';

CREATE TABLE data.idempotency_keys (
    idempotency_key uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    first_version integer,
    new_version integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE data.idempotency_keys IS 'Keys of api.append_events_idempotent, written in the same transaction as their events';

COMMENT ON COLUMN data.idempotency_keys.first_version IS 'Version of the first event the key appended';

COMMENT ON COLUMN data.idempotency_keys.new_version IS 'Stream version after the append, returned to retries';

CREATE TABLE data.personal_data (
    event_type text NOT NULL,
    subject_path jsonpath NOT NULL,
    fields text[] NOT NULL,
    registered_by name NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT personal_data_event_type_check CHECK ((event_type <> ''::text)),
    CONSTRAINT personal_data_fields_check CHECK ((cardinality(fields) > 0))
);

COMMENT ON TABLE data.personal_data IS 'Event types whose fields are personal data: where the subject id is, which top-level fields are encrypted';

CREATE TABLE data.projection_checkpoints (
    projection_name text NOT NULL,
    last_event_id uuid,
    last_processed timestamp with time zone DEFAULT now() NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    error_message text,
    generation integer DEFAULT 0 NOT NULL,
    transaction_id xid8 DEFAULT '0'::xid8 NOT NULL,
    global_position bigint DEFAULT 0 NOT NULL,
    failed_event_id uuid,
    failed_at timestamp with time zone,
    events_applied bigint DEFAULT 0 NOT NULL,
    CONSTRAINT projection_checkpoints_status_check CHECK ((status = ANY (ARRAY['running'::text, 'failed'::text, 'paused'::text, 'rebuilding'::text])))
)
WITH (fillfactor='50');

COMMENT ON TABLE data.projection_checkpoints IS 'Position and status of each projection';

COMMENT ON COLUMN data.projection_checkpoints.last_event_id IS 'The last event applied';

COMMENT ON COLUMN data.projection_checkpoints.status IS 'running | failed | paused | rebuilding';

COMMENT ON COLUMN data.projection_checkpoints.failed_event_id IS 'The event the handler failed on (status failed)';

CREATE TABLE data.projection_skips (
    projection_name text NOT NULL,
    event_id uuid NOT NULL,
    error_message text,
    skipped_at timestamp with time zone DEFAULT now() NOT NULL,
    skipped_by text DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE data.projection_skips IS 'Events deliberately skipped by api.resume_projection';

CREATE TABLE data.projections (
    projection_name text NOT NULL,
    handler regprocedure NOT NULL,
    reset_handler regprocedure,
    event_types text[],
    stream_types text[],
    batch_size integer DEFAULT 500 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    handler_invoker regprocedure,
    reset_handler_invoker regprocedure,
    registered_by name,
    version_of text NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    replay_generation integer DEFAULT 0 NOT NULL,
    replay_transaction_id xid8 DEFAULT '0'::xid8 NOT NULL,
    replay_global_position bigint DEFAULT 0 NOT NULL,
    CONSTRAINT projections_batch_size_check CHECK (((batch_size >= 1) AND (batch_size <= 100000))),
    CONSTRAINT projections_projection_name_check CHECK ((projection_name ~ '^[a-z][a-z0-9_]{0,62}(@[1-9][0-9]{0,8})?$'::text)),
    CONSTRAINT projections_version_check CHECK ((version > 0)),
    CONSTRAINT projections_version_name_check CHECK (((projection_name = version_of) OR (projection_name = ((version_of || '@'::text) || (version)::text))))
);

COMMENT ON TABLE data.projections IS 'Registered projections: handler, reset handler, filters';

COMMENT ON COLUMN data.projections.projection_name IS 'The live version: the projection''s name; another version: name@version';

COMMENT ON COLUMN data.projections.handler IS 'FUNCTION (data.events[]) RETURNS void applying a batch in log order';

COMMENT ON COLUMN data.projections.reset_handler IS 'FUNCTION () RETURNS void emptying the read model (rebuilds)';

COMMENT ON COLUMN data.projections.handler_invoker IS 'What runs: registered.* calling handler as registered_by';

COMMENT ON COLUMN data.projections.reset_handler_invoker IS 'What runs: registered.* calling reset_handler as registered_by';

COMMENT ON COLUMN data.projections.registered_by IS 'The role whose rights the handlers run with';

COMMENT ON COLUMN data.projections.version_of IS 'The projection this row is a version of (its name)';

COMMENT ON COLUMN data.projections.version IS 'The version number (the first registration is 1)';

COMMENT ON COLUMN data.projections.replay_generation IS 'Replay mark (with replay_transaction_id, replay_global_position): events at or below it were acted on by an earlier live version or before a reset';

CREATE UNLOGGED SEQUENCE data.read_horizon
    START WITH 0
    INCREMENT BY 1
    MINVALUE 0
    NO MAXVALUE
    CACHE 1;

COMMENT ON SEQUENCE data.read_horizon IS 'The highest H any whole-log reader has published: a transaction with an older id may no longer append';

CREATE TABLE data.read_horizon_publisher (
);

COMMENT ON TABLE data.read_horizon_publisher IS 'Locked (briefly, in a subtransaction) by whole-log readers publishing their horizon: one publisher at a time';

CREATE TABLE data.reducers (
    stream_type text NOT NULL,
    reducer regprocedure NOT NULL,
    reducer_version integer NOT NULL,
    snapshot_interval integer,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    reducer_invoker regprocedure,
    registered_by name,
    CONSTRAINT reducers_reducer_version_check CHECK ((reducer_version > 0)),
    CONSTRAINT reducers_snapshot_interval_check CHECK ((snapshot_interval > 0)),
    CONSTRAINT reducers_stream_type_check CHECK ((stream_type <> ''::text))
);

COMMENT ON TABLE data.reducers IS 'Reducer per stream type, its version and snapshot interval';

COMMENT ON COLUMN data.reducers.reducer_invoker IS 'What runs: registered.* calling reducer as registered_by';

COMMENT ON COLUMN data.reducers.registered_by IS 'The role whose rights the reducer runs with';

CREATE TABLE data.removed_events (
    id uuid NOT NULL,
    generation integer NOT NULL,
    transaction_id xid8 NOT NULL,
    global_position bigint NOT NULL,
    removal_id bigint NOT NULL
);

COMMENT ON TABLE data.removed_events IS 'Where each removed event was in the log order: a cursor on it continues from there';

CREATE TABLE data.retention_policies (
    stream_type text NOT NULL,
    keep interval NOT NULL,
    set_by name NOT NULL,
    set_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT retention_policies_keep_check CHECK ((keep > '00:00:00'::interval)),
    CONSTRAINT retention_policies_stream_type_check CHECK ((stream_type <> ''::text))
);

COMMENT ON TABLE data.retention_policies IS 'How long events of a stream type are kept (api.set_retention); api.apply_retention removes older ones';

CREATE TABLE data.retired_event_partitions (
    partition_name text NOT NULL,
    range_from timestamp with time zone NOT NULL,
    range_to timestamp with time zone NOT NULL,
    first_generation integer,
    first_transaction_id xid8,
    first_global_position bigint,
    retired_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_by text DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE data.retired_event_partitions IS 'Months detached from data.events by api.detach_event_partitions, with their first log position';

CREATE TABLE data.snapshots (
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    state jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    reducer_version integer,
    CONSTRAINT snapshots_version_check CHECK ((version > 0))
);

COMMENT ON TABLE data.snapshots IS 'Latest snapshot of an aggregate: its state at a version';

CREATE TABLE data.store_generations (
    generation integer NOT NULL,
    system_identifier bigint NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    server_started_at timestamp with time zone,
    CONSTRAINT store_generations_generation_check CHECK ((generation > 0))
);

COMMENT ON TABLE data.store_generations IS 'One row per cluster lifetime that wrote events; the newest row is the current generation';

COMMENT ON COLUMN data.store_generations.system_identifier IS 'pg_control_system().system_identifier of the cluster that wrote this generation';

COMMENT ON COLUMN data.store_generations.server_started_at IS 'Start time of the server that last confirmed, by its system identifier, that it writes this generation';

CREATE TABLE data.subject_keys (
    key_id uuid NOT NULL,
    subject_id text NOT NULL,
    key bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT subject_keys_key_check CHECK ((length(key) = 32))
);

COMMENT ON TABLE data.subject_keys IS 'One AES-256 key per data subject; deleting a row (api.forget_subject) makes that subject''s fields unreadable';

CREATE TABLE data.subject_streams (
    key_id uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL
);

COMMENT ON TABLE data.subject_streams IS 'The streams holding events encrypted with a key (kept after the key is destroyed): their snapshots go when the key does';

CREATE TABLE data.subscription_consumers (
    subscription_name text NOT NULL,
    consumer text NOT NULL,
    first_claim_at timestamp with time zone DEFAULT now() NOT NULL,
    last_claim_at timestamp with time zone DEFAULT now() NOT NULL
)
WITH (fillfactor='50');

COMMENT ON TABLE data.subscription_consumers IS 'Who claims from a subscription: a consumer is a member while it claims at least once per lease';

CREATE TABLE data.subscription_leases (
    subscription_name text NOT NULL,
    lease_id bigint GENERATED ALWAYS AS IDENTITY,
    consumer text NOT NULL,
    leased_at timestamp with time zone NOT NULL,
    leased_until timestamp with time zone NOT NULL,
    events private.subscription_event_ref[] NOT NULL,
    claimed_by name
);
ALTER TABLE ONLY data.subscription_leases ALTER COLUMN events SET STORAGE EXTERNAL;

COMMENT ON TABLE data.subscription_leases IS 'First deliveries of a subscription, one row per claim: the events leased to a consumer and not acknowledged yet';

COMMENT ON COLUMN data.subscription_leases.claimed_by IS 'The role that claimed: only it (or an admin) acknowledges or gives back these events';

CREATE TABLE data.subscription_skips (
    subscription_name text NOT NULL,
    event_id uuid NOT NULL,
    stream_type text NOT NULL,
    stream_id uuid NOT NULL,
    version integer NOT NULL,
    attempts integer NOT NULL,
    last_error text,
    skipped_at timestamp with time zone DEFAULT now() NOT NULL,
    skipped_by text DEFAULT SESSION_USER NOT NULL
);

COMMENT ON TABLE data.subscription_skips IS 'Parked events an admin stepped past (api.skip_parked); never delivered again, resets included';

CREATE TABLE data.tracker_roles (
    tracker text NOT NULL,
    consumer_role name NOT NULL,
    CONSTRAINT tracker_roles_tracker_check CHECK (((tracker <> ''::text) AND (char_length(tracker) <= 200)))
);

COMMENT ON TABLE data.tracker_roles IS 'Trackers reserved for a role by an admin (api.set_tracker_role): only members of consumer_role (and admins) record them';

CREATE TABLE data.tracking (
    tracker text NOT NULL,
    upstream text NOT NULL,
    "position" numeric NOT NULL,
    owner name NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tracking_position_check CHECK ((("position" >= (0)::numeric) AND ("position" = trunc("position")))),
    CONSTRAINT tracking_tracker_check CHECK (((tracker <> ''::text) AND (char_length(tracker) <= 200))),
    CONSTRAINT tracking_upstream_check CHECK (((upstream <> ''::text) AND (char_length(upstream) <= 200)))
);

COMMENT ON TABLE data.tracking IS 'How far each consumer (tracker) has processed each log it follows (upstream): a log number that only grows, moved by its owner role';

ALTER TABLE ONLY data.events ATTACH PARTITION data.events_default DEFAULT;

ALTER TABLE ONLY data.events ALTER COLUMN global_position SET DEFAULT nextval('data.events_global_position_seq'::regclass);

ALTER TABLE ONLY data.event_removals
    ADD CONSTRAINT event_removals_pkey PRIMARY KEY (removal_id);

ALTER TABLE ONLY data.event_schemas
    ADD CONSTRAINT event_schemas_pkey PRIMARY KEY (event_type, version);

ALTER TABLE ONLY data.event_streams
    ADD CONSTRAINT event_streams_pkey PRIMARY KEY (stream_type, stream_id);

ALTER TABLE ONLY data.event_types
    ADD CONSTRAINT event_types_pkey PRIMARY KEY (event_type);

ALTER TABLE ONLY data.event_upcasters
    ADD CONSTRAINT event_upcasters_pkey PRIMARY KEY (event_type, from_version);

ALTER TABLE ONLY data.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.events_default
    ADD CONSTRAINT events_default_pkey PRIMARY KEY (id, created_at);

ALTER TABLE ONLY data.forgotten_subjects
    ADD CONSTRAINT forgotten_subjects_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY data.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (idempotency_key);

ALTER TABLE ONLY data.personal_data
    ADD CONSTRAINT personal_data_pkey PRIMARY KEY (event_type);

ALTER TABLE ONLY data.projection_checkpoints
    ADD CONSTRAINT projection_checkpoints_pkey PRIMARY KEY (projection_name);

ALTER TABLE ONLY data.projection_skips
    ADD CONSTRAINT projection_skips_pkey PRIMARY KEY (projection_name, event_id);

ALTER TABLE ONLY data.projections
    ADD CONSTRAINT projections_pkey PRIMARY KEY (projection_name);

ALTER TABLE ONLY data.projections
    ADD CONSTRAINT projections_version_key UNIQUE (version_of, version);

ALTER TABLE ONLY data.reducers
    ADD CONSTRAINT reducers_pkey PRIMARY KEY (stream_type);

ALTER TABLE ONLY data.removed_events
    ADD CONSTRAINT removed_events_pkey PRIMARY KEY (id);

ALTER TABLE ONLY data.retention_policies
    ADD CONSTRAINT retention_policies_pkey PRIMARY KEY (stream_type);

ALTER TABLE ONLY data.retired_event_partitions
    ADD CONSTRAINT retired_event_partitions_pkey PRIMARY KEY (partition_name);

ALTER TABLE ONLY data.snapshots
    ADD CONSTRAINT snapshots_pkey PRIMARY KEY (stream_type, stream_id);

ALTER TABLE ONLY data.store_generations
    ADD CONSTRAINT store_generations_pkey PRIMARY KEY (generation);

ALTER TABLE ONLY data.subject_keys
    ADD CONSTRAINT subject_keys_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY data.subject_keys
    ADD CONSTRAINT subject_keys_subject_id_key UNIQUE (subject_id);

ALTER TABLE ONLY data.subject_streams
    ADD CONSTRAINT subject_streams_pkey PRIMARY KEY (key_id, stream_type, stream_id);

ALTER TABLE ONLY data.subscription_consumers
    ADD CONSTRAINT subscription_consumers_pkey PRIMARY KEY (subscription_name, consumer);

ALTER TABLE ONLY data.subscription_events
    ADD CONSTRAINT subscription_events_pkey PRIMARY KEY (subscription_name, event_id);

ALTER TABLE ONLY data.subscription_leases
    ADD CONSTRAINT subscription_leases_pkey PRIMARY KEY (subscription_name, lease_id);

ALTER TABLE ONLY data.subscription_skips
    ADD CONSTRAINT subscription_skips_pkey PRIMARY KEY (subscription_name, event_id);

ALTER TABLE ONLY data.subscriptions
    ADD CONSTRAINT subscriptions_pkey PRIMARY KEY (subscription_name);

ALTER TABLE ONLY data.tracker_roles
    ADD CONSTRAINT tracker_roles_pkey PRIMARY KEY (tracker);

ALTER TABLE ONLY data.tracking
    ADD CONSTRAINT tracking_pkey PRIMARY KEY (tracker, upstream);

CREATE INDEX event_removals_transaction_idx ON data.event_removals USING btree (transaction_id);

CREATE INDEX events_causation_idx ON ONLY data.events USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_correlation_idx ON ONLY data.events USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_created_idx ON ONLY data.events USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_type_idx ON ONLY data.events USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_log_idx ON ONLY data.events USING btree (generation, transaction_id, global_position);

CREATE INDEX events_stream_idx ON ONLY data.events USING btree (stream_type, stream_id, version);

CREATE INDEX events_default_causation_idx ON data.events_default USING btree (((metadata ->> 'causation_id'::text))) WHERE (metadata ? 'causation_id'::text);

CREATE INDEX events_default_correlation_key ON data.events_default USING btree (((metadata ->> 'correlation_id'::text))) WHERE (metadata ? 'correlation_id'::text);

CREATE INDEX events_default_created_brin ON data.events_default USING brin (created_at) WITH (autosummarize='on');

CREATE INDEX events_default_event_type_generation_transaction_id_global__idx ON data.events_default USING btree (event_type, generation, transaction_id, global_position);

CREATE INDEX events_default_generation_transaction_id_global_position_idx ON data.events_default USING btree (generation, transaction_id, global_position);

CREATE INDEX events_default_stream_type_stream_id_version_idx ON data.events_default USING btree (stream_type, stream_id, version);

CREATE INDEX idempotency_keys_created_idx ON data.idempotency_keys USING btree (created_at);

CREATE INDEX removed_events_log_idx ON data.removed_events USING btree (generation, transaction_id, global_position);

CREATE INDEX removed_events_removal_idx ON data.removed_events USING btree (removal_id);

CREATE INDEX snapshots_version_idx ON data.snapshots USING btree (stream_type, stream_id, version);

CREATE INDEX subject_streams_stream_idx ON data.subject_streams USING btree (stream_type, stream_id);

CREATE INDEX subscription_events_lease_idx ON data.subscription_events USING btree (subscription_name, leased_until) WHERE (consumer IS NOT NULL);

CREATE INDEX subscription_events_parked_idx ON data.subscription_events USING btree (subscription_name, parked_at) WHERE (parked_at IS NOT NULL);

CREATE INDEX subscription_events_stream_idx ON data.subscription_events USING btree (subscription_name, stream_type, stream_id, version);

CREATE INDEX subscription_events_waiting_idx ON data.subscription_events USING btree (subscription_name, generation, transaction_id, global_position) WHERE ((consumer IS NULL) AND (parked_at IS NULL));

CREATE INDEX subscription_leases_consumer_idx ON data.subscription_leases USING btree (subscription_name, consumer);

ALTER INDEX data.events_causation_idx ATTACH PARTITION data.events_default_causation_idx;

ALTER INDEX data.events_correlation_idx ATTACH PARTITION data.events_default_correlation_key;

ALTER INDEX data.events_created_idx ATTACH PARTITION data.events_default_created_brin;

ALTER INDEX data.events_type_idx ATTACH PARTITION data.events_default_event_type_generation_transaction_id_global__idx;

ALTER INDEX data.events_log_idx ATTACH PARTITION data.events_default_generation_transaction_id_global_position_idx;

ALTER INDEX data.events_pkey ATTACH PARTITION data.events_default_pkey;

ALTER INDEX data.events_stream_idx ATTACH PARTITION data.events_default_stream_type_stream_id_version_idx;

ALTER TABLE ONLY data.projection_checkpoints
    ADD CONSTRAINT projection_checkpoints_projection_name_fkey FOREIGN KEY (projection_name) REFERENCES data.projections(projection_name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY data.projection_skips
    ADD CONSTRAINT projection_skips_projection_name_fkey FOREIGN KEY (projection_name) REFERENCES data.projections(projection_name) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY data.removed_events
    ADD CONSTRAINT removed_events_removal_id_fkey FOREIGN KEY (removal_id) REFERENCES data.event_removals(removal_id);

ALTER TABLE ONLY data.subscription_consumers
    ADD CONSTRAINT subscription_consumers_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

ALTER TABLE ONLY data.subscription_events
    ADD CONSTRAINT subscription_events_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

ALTER TABLE ONLY data.subscription_leases
    ADD CONSTRAINT subscription_leases_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

ALTER TABLE ONLY data.subscription_skips
    ADD CONSTRAINT subscription_skips_subscription_name_fkey FOREIGN KEY (subscription_name) REFERENCES data.subscriptions(subscription_name) ON DELETE CASCADE;

GRANT USAGE ON SCHEMA api TO eventstore_reader;

GRANT USAGE ON SCHEMA data TO eventstore_admin;

-- The first generation: this cluster's lifetime (the first append after a restore into another
-- cluster starts the next, private.writer_generation).
INSERT INTO data.store_generations (generation, system_identifier)
SELECT 1, s.system_identifier FROM pg_catalog.pg_control_system() AS s;

COMMIT;
