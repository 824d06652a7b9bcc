-- pgTAP: change announced_before_xid
BEGIN;
SELECT plan(4);

SELECT has_function('private'::name, 'announced_before_xid'::name, ARRAY[]::name[]);
SELECT ok(NOT private.announced_before_xid(), 'a transaction that appended nothing was not announced');
CALL api.append_events('Probe', '018f0000-0000-7000-8000-0000000000a1', 0, '[{"event_type": "Probed", "event_data": {}}]', NULL);
SELECT ok(private.announced_before_xid(), 'after its append it was');
SELECT ok(NOT has_function_privilege('eventstore_writer', 'private.announced_before_xid()', 'EXECUTE'),
          'not for callers');

SELECT * FROM finish();
ROLLBACK;
