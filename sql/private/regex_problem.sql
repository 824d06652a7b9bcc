-- NULL if in_pattern is a valid regular expression, else the error.

CREATE OR REPLACE FUNCTION private.regex_problem(in_pattern text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.char_length(in_pattern) > 1000 THEN
        RETURN pg_catalog.format('pattern must be at most 1000 characters, got %s', pg_catalog.char_length(in_pattern));
    END IF;
    -- A backslash and a digit 1-9 not itself escaped: a back-reference.
    IF in_pattern ~ '(^|[^\\])(\\\\)*\\[1-9]' THEN
        RETURN 'pattern must not use back-references (\1 ... \9): matching them can take exponential time';
    END IF;
    PERFORM '' ~ in_pattern;
    RETURN NULL;
EXCEPTION WHEN invalid_regular_expression THEN
    RETURN 'pattern is not a valid regular expression: ' || SQLERRM;
END;
$$;

REVOKE ALL ON FUNCTION private.regex_problem(in_pattern text) FROM PUBLIC;
