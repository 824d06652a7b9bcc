-- Revert orders:order_commands from pg

BEGIN;

DROP PROCEDURE api.cancel_order(uuid, text, integer);
DROP PROCEDURE api.submit_order(uuid, integer);
DROP PROCEDURE api.add_order_item(uuid, text, integer, numeric, integer);
DROP PROCEDURE api.create_order(uuid, jsonb, uuid);
DROP FUNCTION private.append_order_event(uuid, integer, text, jsonb, text);
DROP FUNCTION private.load_order(uuid);
DROP FUNCTION private.check_order_totals(uuid, numeric, numeric);
DROP FUNCTION private.check_order_item(jsonb, text);

COMMIT;
