-- Verify eventstore:uuidv7 on pg

BEGIN;

DO $$
DECLARE
    l_id uuid := private.uuidv7();
    l_ms bigint;
BEGIN
    ASSERT pg_catalog.substr(l_id::text, 15, 1) = '7', 'version nibble is 7';
    ASSERT pg_catalog.substr(l_id::text, 20, 1) IN ('8', '9', 'a', 'b'), 'variant is 10';
    l_ms := ('x' || pg_catalog.lpad(pg_catalog.replace(pg_catalog.substr(l_id::text, 1, 13), '-', ''), 16, '0'))::bit(64)::bigint;
    ASSERT pg_catalog.abs(l_ms - (pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()) * 1000)::bigint) < 5000,
        'the first 48 bits are the Unix time in milliseconds';
END
$$;

ROLLBACK;
