-- pgTAP: change pgcrypto_extension
BEGIN;
SELECT plan(2);

SELECT ok(EXISTS (SELECT FROM pg_extension WHERE extname = 'pgcrypto'), 'pgcrypto is installed');
SELECT is((SELECT count(*)::integer FROM pg_proc AS p JOIN pg_extension AS e ON e.extname = 'pgcrypto'
           JOIN pg_depend AS d ON d.objid = p.oid AND d.refobjid = e.oid
           WHERE p.proname IN ('encrypt_iv', 'decrypt_iv', 'gen_random_bytes')), 3,
          'with the functions personal_data uses');

SELECT * FROM finish();
ROLLBACK;
