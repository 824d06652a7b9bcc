-- pgTAP: data.removed_events (v3 change removed_events_log_idx)
BEGIN;
SELECT plan(2);
SELECT has_index('data', 'removed_events', 'removed_events_log_idx', ARRAY['generation', 'transaction_id', 'global_position']);
SELECT ok((SELECT indisvalid FROM pg_index WHERE indexrelid = 'data.removed_events_log_idx'::regclass),
          'built and valid');
SELECT * FROM finish();
ROLLBACK;
