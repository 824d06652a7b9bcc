-- pgTAP: change check_interval
BEGIN;
SELECT plan(8);

SELECT has_function('private', 'check_interval', ARRAY['interval', 'text', 'interval', 'interval']);
SELECT volatility_is('private', 'check_interval', ARRAY['interval', 'text', 'interval', 'interval'], 'stable');
SELECT function_privs_are('private', 'check_interval', ARRAY['interval', 'text', 'interval', 'interval'], 'public', ARRAY[]::text[]);

SELECT is(private.check_interval('30 seconds', 'in_lease', '1 second', '1 day'), interval '30 seconds', 'a plain value passes');
SELECT is(private.check_interval('1 mon', 'in_keep', '1 day', '1000 years'), interval '1 mon', 'months pass');
-- '-1 year 361 days' compares as 1 day, but now() + it is four days in the past.
SELECT throws_ok($$SELECT private.check_interval('-1 year 361 days', 'in_keep', '1 day', '1000 years')$$, 'ZE003',
                 'in_keep must be from 1 day to 1000 years (its effect on now(), both ways), got -1 years +361 days');
SELECT throws_ok($$SELECT private.check_interval('100000000 years', 'in_keep', '1 day', '1000 years')$$, 'ZE003');
SELECT throws_ok($$SELECT private.check_interval(NULL, 'in_lease', '1 second', '1 day')$$, 'ZE003');

SELECT * FROM finish();
ROLLBACK;
