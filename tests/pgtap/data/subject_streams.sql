-- pgTAP: data.subject_streams (v3 change subject_streams_stream_idx)
BEGIN;
SELECT plan(2);
SELECT has_index('data', 'subject_streams', 'subject_streams_stream_idx', ARRAY['stream_type', 'stream_id']);
SELECT ok((SELECT indisvalid FROM pg_index WHERE indexrelid = 'data.subject_streams_stream_idx'::regclass),
          'built and valid');
SELECT * FROM finish();
ROLLBACK;
