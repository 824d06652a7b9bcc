-- pgTAP: api.error_codes (the documented SQLSTATEs; the site's error table is generated from it)
BEGIN;
SELECT plan(6);

SELECT has_function('api', 'error_codes', ARRAY[]::text[]);
SELECT volatility_is('api', 'error_codes', ARRAY[]::text[], 'immutable');
SELECT function_privs_are('api', 'error_codes', ARRAY[]::text[], 'eventstore_reader', ARRAY['EXECUTE']);
SELECT is((SELECT count(*) FROM api.error_codes() WHERE sqlstate !~ '^[0-9A-Z]{5}$' OR meaning = '' OR raised_by = ''),
          0::bigint, 'every row a SQLSTATE with a meaning and what raises it');
SELECT is((SELECT count(DISTINCT sqlstate) FROM api.error_codes()), (SELECT count(*) FROM api.error_codes()),
          'each SQLSTATE once');
SELECT results_eq($$SELECT sqlstate FROM api.error_codes() WHERE sqlstate IN ('ZE001', 'ZE021', '40001')$$,
                  $$VALUES ('ZE001'), ('ZE021'), ('40001')$$, 'the conflict, the failed condition and the retry');

SELECT * FROM finish();
ROLLBACK;
