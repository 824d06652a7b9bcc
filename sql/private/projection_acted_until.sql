-- How far the live version of a projection has acted on the log: the later of its checkpoint
-- and its replay mark (what earlier live versions, or itself before a reset, acted on). A
-- version that is not live never goes past it, and replays everything up to it: so each event
-- has its side effects once, from whichever version was live when the log first reached it.

CREATE OR REPLACE FUNCTION private.projection_acted_until(
    in_projection_name text,
    OUT generation integer,
    OUT transaction_id xid8,
    OUT global_position bigint)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN (c.generation, c.transaction_id, c.global_position)
                     >= (p.replay_generation, p.replay_transaction_id, p.replay_global_position)
                THEN c.generation ELSE p.replay_generation END,
           CASE WHEN (c.generation, c.transaction_id, c.global_position)
                     >= (p.replay_generation, p.replay_transaction_id, p.replay_global_position)
                THEN c.transaction_id ELSE p.replay_transaction_id END,
           CASE WHEN (c.generation, c.transaction_id, c.global_position)
                     >= (p.replay_generation, p.replay_transaction_id, p.replay_global_position)
                THEN c.global_position ELSE p.replay_global_position END
    FROM data.projections AS p
    JOIN data.projection_checkpoints AS c ON c.projection_name = p.projection_name
    WHERE p.projection_name = in_projection_name;
$$;

COMMENT ON FUNCTION private.projection_acted_until(in_projection_name text, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) IS 'The log position up to which the live version of a projection has acted (checkpoint or replay mark, the later)';
REVOKE ALL ON FUNCTION private.projection_acted_until(in_projection_name text, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;
