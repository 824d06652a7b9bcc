-- The SQLSTATEs the store documents, what each means and what raises it: class ZE (a class
-- the SQL standard leaves to implementations) and the PostgreSQL codes a caller must handle.
-- One source: the documentation's error table is generated from this file (python -m
-- harness.docs), the Python client has a class for each (eventstore.errors), and a test checks
-- that every ZE code a RAISE of the bundle uses is here. Each row on one line.

CREATE OR REPLACE FUNCTION api.error_codes()
RETURNS TABLE (sqlstate text, meaning text, raised_by text)
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    VALUES
        ('ZE001', $m$wrong expected version (message: expected N, actual M); a stream's own version taken$m$, $r$`append_events`, `append_events_idempotent`, `append_versioned`$r$),
        ('ZE002', $m$malformed `in_events` (names the event and what is wrong); an event with personal data but no subject id, or with a field that looks sealed already$m$, $r$`append_events`, `append_events_idempotent`$r$),
        ('ZE003', $m$invalid argument (NULL or empty where not allowed, negative version, bad limit, an interval whose effect on `now()` is out of range, a multi-dimensional array)$m$, $r$every `api` function$r$),
        ('ZE004', $m$not found: an `in_after_id` or event id that names no event (an ack of one acknowledges nothing), a customer, an order$m$, $r$readers, subscriptions, the Order example$r$),
        ('ZE005', $m$unknown projection (names it and lists the registered ones), or version of one (lists its versions)$m$, $r$projection functions$r$),
        ('ZE006', $m$an event's `event_data` does not match the schema of its type and version (names event, type, version, path)$m$, $r$`append_events`, `append_events_idempotent`$r$),
        ('ZE007', $m$idempotency key already used for another stream$m$, $r$`append_events_idempotent`$r$),
        ('ZE008', $m$`data.events` is append-only: UPDATE, DELETE, TRUNCATE refused (owner included); so are DROP of a partition, DETACH other than by `api.detach_event_partitions`, and disabling the triggers$m$, $r$triggers and event triggers on `data.events`$r$),
        ('ZE009', $m$a command's rule refuses it (order not open, empty, already cancelled; duplicate)$m$, $r$the Order example's commands and `create_customer` (a domain of yours may use it too)$r$),
        ('ZE010', $m$invalid registration: wrong signature, no reset handler, no reducer; a function that could run with rights its registrant lacks (temporary, owned by another role, in a schema others can create in); a schema version stored events cannot be upcast to; dropping a registered function or its invoker; an invoker no longer SECURITY DEFINER$m$, $r$`register_*`, `rebuild_projection`, `load_aggregate`, readers, `DROP`$r$),
        ('ZE011', $m$projection not in a state for this (resume a running one, pause a failed one, skip where no event failed; promote a failed or paused version, or one more than `eventstore.promotion_max_lag` events behind; drop the live version)$m$, $r$`pause_projection`, `resume_projection`, `promote_projection`, `drop_projection_version`$r$),
        ('ZE012', $m$a rebuild, or a promotion's catch-up, failed on an event (names it and the error; nothing changed)$m$, $r$`rebuild_projection`, `promote_projection`$r$),
        ('ZE013', $m$unknown subscription (names it; the hint lists the existing ones to admins)$m$, $r$subscription functions$r$),
        ('ZE014', $m$subscription not in a state for this (name taken; replay or skip of an event that is not parked there)$m$, $r$`create_subscription`, `replay_parked`, `skip_parked`$r$),
        ('ZE015', $m$the stream is deleted: appending to it, or deleting it again$m$, $r$`append_events`, `append_events_idempotent`, `delete_stream`$r$),
        ('ZE016', $m$the stream is not deleted: purge needs `api.delete_stream` first$m$, $r$`purge_stream`$r$),
        ('ZE017', $m$the subscription is reserved for another consumer role (`api.set_subscription_role`)$m$, $r$`claim_events`$r$),
        ('ZE018', $m$a tracking position not past the one recorded (the event was processed already)$m$, $r$`record_tracking`$r$),
        ('ZE019', $m$the tracker is another role's: reserved for a role the caller is not a member of (`api.set_tracker_role`), or first recorded by another role (an admin may move any)$m$, $r$`record_tracking`$r$),
        ('ZE020', $m$no snapshot saved by hand (`private.save_snapshot` with four arguments) for a stream a key of which was, or is being, destroyed$m$, $r$`private.save_snapshot`$r$),
        ('ZE021', $m$a conditional append's condition failed: an event matching its query was appended after the position it read up to (read again, decide again, append again; retryable)$m$, $r$`append_tagged`$r$),
        ('40001', $m$the stream was appended by a newer transaction after this one took its xid, or a reader read past this transaction's id while it wrote something else before its first append: retry the transaction$m$, $r$`append_events`, and what appends (`forget_subject` in a transaction that wrote before it, the Order example's commands)$r$),
        ('55P03', $m$partition maintenance did not get its lock in about a minute of short tries$m$, $r$`ensure_event_partitions`, `detach_event_partitions`$r$),
        ('42501', $m$permission denied (the role lacks the group role)$m$, $r$PostgreSQL$r$),
        ('2D000', $m$invalid transaction termination: an append through a sharded store's endpoint inside a transaction block (each routed call commits on its shard by itself, so a rollback could not undo it: make the call on its own)$m$, $r$a sharded store's endpoint (docs/sharding.md): `append_events`, `append_events_idempotent`$r$)
$$;

COMMENT ON FUNCTION api.error_codes() IS 'The SQLSTATEs the store documents: what each means (Markdown) and what raises it. Every error the bundle raises
carries one of class ZE and a message naming the values involved; nothing is written when one is raised.';
REVOKE ALL ON FUNCTION api.error_codes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.error_codes() TO eventstore_reader;
