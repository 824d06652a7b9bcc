-- The 64-bit transaction id of a running transaction's 32-bit one, in_near being a 64-bit id
-- less than 2^31 away from it (ids of running transactions are: wraparound protection).

CREATE OR REPLACE FUNCTION private.xid_near(in_xid xid, in_near bigint)
RETURNS bigint
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT in_near + CASE WHEN d.t >= 2147483648 THEN d.t - 4294967296 ELSE d.t END
    FROM (SELECT (in_xid::text::bigint - in_near) & 4294967295 AS t) AS d;
$$;

REVOKE ALL ON FUNCTION private.xid_near(in_xid xid, in_near bigint) FROM PUBLIC;
