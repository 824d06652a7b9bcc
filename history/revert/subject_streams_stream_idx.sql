-- Revert eventstore:subject_streams_stream_idx from pg

SET lock_timeout = '10s';  -- fail fast on a busy server (README: Operating it)

DROP INDEX CONCURRENTLY data.subject_streams_stream_idx;
