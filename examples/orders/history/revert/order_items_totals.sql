-- Revert orders:order_items_totals from pg

BEGIN;

DROP FUNCTION private.order_items_totals(jsonb);

COMMIT;
