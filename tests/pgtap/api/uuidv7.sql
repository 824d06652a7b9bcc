-- pgTAP: change uuidv7
BEGIN;
SELECT plan(8);

SELECT has_function('private', 'uuidv7', ARRAY[]::text[]);
SELECT volatility_is('private', 'uuidv7', ARRAY[]::text[], 'volatile');
SELECT function_privs_are('private', 'uuidv7', ARRAY[]::text[], 'public', ARRAY[]::text[]);

CREATE TEMP TABLE ids AS
SELECT n, private.uuidv7() AS id FROM generate_series(1, 2000) AS n;

SELECT is((SELECT count(DISTINCT substr(id::text, 15, 1)) || substr(min(id::text), 15, 1) FROM ids), '17',
          'version 7');
SELECT ok((SELECT bool_and(substr(id::text, 20, 1) IN ('8', '9', 'a', 'b')) FROM ids), 'variant 10');
SELECT is((SELECT count(DISTINCT id)::integer FROM ids), 2000, 'unique');
SELECT ok((SELECT bool_and(a.id < b.id) FROM ids AS a JOIN ids AS b ON b.n = a.n + 1),
          'ids from one backend sort in creation order');
SELECT ok((SELECT abs(('x' || lpad(replace(substr(max(id::text), 1, 13), '-', ''), 16, '0'))::bit(64)::bigint
                      - (extract(epoch FROM clock_timestamp()) * 1000)::bigint) < 5000 FROM ids),
          'the first 48 bits are Unix milliseconds');

SELECT * FROM finish();
ROLLBACK;
