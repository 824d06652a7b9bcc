-- The cursor position of a log number (private.log_number): reading after it returns the
-- events whose numbers are greater. NULL and 0 are the start of the log. A number need not
-- name an event: one inside a transaction's block is the place between its events, and one
-- whose transaction left no event behind is the end of that transaction. Anything but an
-- integer from 0 to the largest number a log can have is ZE003.

CREATE OR REPLACE FUNCTION private.log_number_position(
    in_number numeric,
    OUT generation integer,
    OUT transaction_id xid8,
    OUT global_position bigint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l_block numeric;
    l_offset bigint;
    l_generation integer;
    l_transaction_id xid8;
    l_base numeric;
BEGIN
    IF in_number IS NULL OR in_number = 0 THEN
        generation := 0;
        transaction_id := '0'::xid8;
        global_position := 0;
        RETURN;
    END IF;
    IF in_number < 0 OR in_number <> pg_catalog.trunc(in_number)
       OR in_number >= 2147483647::numeric * 18446744073709551616 * 4294967296 THEN
        RAISE EXCEPTION 'a log number must be NULL or an integer from 0 to 2^127, got %', pg_catalog.left(in_number::text, 60)
            USING ERRCODE = 'ZE003';
    END IF;
    l_block := pg_catalog.div(in_number, 4294967296);
    l_offset := pg_catalog.mod(in_number, 4294967296)::bigint;
    l_generation := (pg_catalog.div(l_block, 18446744073709551616) + 1)::integer;
    l_transaction_id := pg_catalog.mod(l_block, 18446744073709551616)::text::xid8;
    -- The inverse of private.log_number: the number less its transaction's base, which is any
    -- of the transaction's events' stored number less its global position. A transaction with
    -- no event left has no position inside it: its start or its end.
    SELECT e.log_number - e.global_position INTO l_base
    FROM data.events AS e
    WHERE e.generation = l_generation AND e.transaction_id = l_transaction_id
    LIMIT 1;
    generation := l_generation;
    transaction_id := l_transaction_id;
    global_position := CASE WHEN l_base IS NOT NULL THEN (in_number - l_base)::bigint
                            WHEN l_offset = 0 THEN 0
                            ELSE 9223372036854775807 END;
END;
$$;

COMMENT ON FUNCTION private.log_number_position(in_number numeric, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) IS 'The cursor position of a log number (the start of the log for NULL or 0); ZE003 for anything but an integer in range';
REVOKE ALL ON FUNCTION private.log_number_position(in_number numeric, OUT generation integer, OUT transaction_id xid8, OUT global_position bigint) FROM PUBLIC;
