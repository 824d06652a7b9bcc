-- The version an event carries of its own (api.append_versioned: metadata.originator_version),
-- else its store version. Any writer can append metadata of any shape with api.append_events:
-- a value that is not an integer of the integer range (a fraction, 1e20, "abc", an object) is
-- not a version of its own, and the store version stands, so that no event of a stream makes
-- every read of it fail. A SQL function with no SET clause, so that the planner inlines it.

CREATE OR REPLACE FUNCTION private.own_version(in_metadata jsonb, in_version integer)
RETURNS integer
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
AS $$
    -- Nested, so that not even the planner's folding of a constant casts a text that is no number.
    SELECT CASE WHEN pg_catalog.jsonb_typeof(in_metadata -> 'originator_version') IN ('number', 'string')
                     AND (in_metadata ->> 'originator_version') OPERATOR(pg_catalog.~) '^-?[0-9]{1,10}$'
                THEN CASE WHEN (in_metadata ->> 'originator_version')::bigint BETWEEN -2147483648 AND 2147483647
                          THEN (in_metadata ->> 'originator_version')::integer
                          ELSE in_version END
                ELSE in_version END;
$$;

COMMENT ON FUNCTION private.own_version(in_metadata jsonb, in_version integer) IS 'An event''s own version (metadata.originator_version, an integer), else its store version';
REVOKE ALL ON FUNCTION private.own_version(in_metadata jsonb, in_version integer) FROM PUBLIC;
