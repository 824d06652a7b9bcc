-- pgTAP: private.make_invoker (v3 change registered_code; invokers: registered code runs with its registrant's rights)
BEGIN;
SELECT plan(15);
SELECT has_schema('registered');
SELECT has_function('private', 'make_invoker', ARRAY['regprocedure', 'text', 'name', 'boolean']);
SELECT has_function('private', 'invoker_call', ARRAY['regprocedure', 'text']);
SELECT has_column('data', 'projections', 'handler_invoker', 'projections run through an invoker');
SELECT has_column('data', 'event_upcasters', 'upcaster_invoker', 'upcasters run through an invoker');
SELECT has_column('data', 'reducers', 'reducer_invoker', 'reducers run through an invoker');
SELECT schema_privs_are('registered', 'eventstore_admin', ARRAY[]::text[], 'admins cannot create invokers');
SELECT function_privs_are('private', 'make_invoker', ARRAY['regprocedure', 'text', 'name', 'boolean'],
                          'eventstore_admin', ARRAY[]::text[]);

-- An admin of its own, with a schema of its own.
CREATE ROLE tap_admin IN ROLE eventstore_admin;
CREATE SCHEMA tap_admin_s AUTHORIZATION tap_admin;
CREATE SCHEMA tap_open;
GRANT USAGE, CREATE ON SCHEMA tap_open TO PUBLIC;
SET ROLE tap_admin;
CREATE FUNCTION tap_open.up(j jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT j';
CREATE FUNCTION tap_admin_s.up(j jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT j || '{"up": true}' $$;
CREATE FUNCTION pg_temp.tmp_up(j jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT j';
SELECT throws_ok($$SELECT api.register_upcaster('TapType', 1, 'tap_open.up(jsonb)')$$, 'ZE010',
                 NULL, 'a function in a schema PUBLIC can create in is refused');
SELECT lives_ok($$SELECT api.register_upcaster('TapType', 1, 'tap_admin_s.up(jsonb)')$$, 'an admin registers its own function');
SELECT throws_ok($$SELECT api.register_upcaster('TapType', 1, 'pg_temp.tmp_up(jsonb)')$$, 'ZE010', NULL,
                 'a temporary function is refused');
RESET ROLE;

SELECT is((SELECT format('%s %s %s %s', u.registered_by, pg_catalog.pg_get_userbyid(f.proowner), f.prosecdef,
                          f.pronamespace::regnamespace)
           FROM data.event_upcasters AS u JOIN pg_catalog.pg_proc AS f ON f.oid = u.upcaster_invoker
           WHERE u.event_type = 'TapType'),
          'tap_admin tap_admin t registered',
          'the invoker is SECURITY DEFINER, owned by the registrant, in schema registered');
SELECT is(private.upcast_event('TapType', '{}', 1, 2), '{"up": true}'::jsonb, 'and upcasts');
SELECT throws_ok($$DROP FUNCTION tap_admin_s.up(jsonb)$$, '2BP01', NULL, 'a registered function cannot be dropped');
SELECT throws_ok($$SELECT private.invoker_call('tap_admin_s.up(jsonb)', 'a test')$$, 'ZE010', NULL,
                 'only an invoker of schema registered is called');
SELECT * FROM finish();
ROLLBACK;
