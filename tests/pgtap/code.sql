-- pgTAP: change code (every function, procedure and view, from sql/<schema>/<name>.sql).
-- The rules every object of the store's code keeps; each object's behaviour is tested in the
-- file of the change that made it.
BEGIN;
SELECT plan(5);

-- SECURITY DEFINER runs as the owner: its search_path is pinned to pg_catalog first.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('api', 'private', 'data', 'registered') AND p.prosecdef
      AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
                       OR EXISTS (SELECT FROM pg_catalog.unnest(p.proconfig) AS c
                                  WHERE c LIKE 'search\_path=pg\_catalog,%'), false)
$$, 'every SECURITY DEFINER function pins its search_path, pg_catalog first');

-- Nothing of the store runs for PUBLIC: each role gets what it is granted.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('api', 'private', 'data', 'registered')
      AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
$$, 'no function or procedure of the store is executable by PUBLIC');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('api', 'private', 'data') AND c.relkind = 'v'
      AND pg_catalog.has_table_privilege('public', c.oid, 'SELECT')
$$, 'no view of the store is readable by PUBLIC');

-- \df+ and \dv+ explain the API.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
    WHERE n.nspname = 'api' AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
$$, 'every api function and procedure has a comment');
SELECT is_empty($$
    SELECT c.oid::regclass::text FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = 'api' AND c.relkind = 'v' AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL
$$, 'every api view has a comment');

SELECT * FROM finish();
ROLLBACK;
