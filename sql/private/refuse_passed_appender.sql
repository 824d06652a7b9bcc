-- Raises 40001 if a reader may have read past in_xid: called by an append whose transaction
-- had its id before it announced itself (it wrote something else first).

CREATE OR REPLACE FUNCTION private.refuse_passed_appender(in_xid xid8)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF in_xid::text::bigint < (SELECT s.last_value FROM data.read_horizon AS s) THEN
        RAISE EXCEPTION 'this transaction (%) wrote before its first append, and a reader has read the log past it since',
                in_xid
            USING ERRCODE = '40001',
                  DETAIL = 'Its events would land behind what a whole-log reader already returned.',
                  HINT = 'Retry the transaction (or append first, then write the rest).';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION private.refuse_passed_appender(in_xid xid8) FROM PUBLIC;
