-- Where a policy cuts: events created before now() - keep go; NULL (nothing goes) unless
-- that is at least a day ago. The one place the bundle turns a keep into a cutoff (the
-- append-only guard asks it too).

CREATE OR REPLACE FUNCTION private.retention_cutoff(in_keep interval)
RETURNS timestamptz
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.cutoff FROM (SELECT pg_catalog.now() - in_keep AS cutoff) AS c
    WHERE c.cutoff <= pg_catalog.now() - interval '1 day';
$$;

COMMENT ON FUNCTION private.retention_cutoff(in_keep interval) IS 'now() - in_keep if that is a day or more ago, else NULL: what a retention policy removes (events created before it)';
REVOKE ALL ON FUNCTION private.retention_cutoff(in_keep interval) FROM PUBLIC;
