-- pgTAP: change orders:order_items_totals
BEGIN;
SELECT plan(4);

SELECT has_function('orders', 'order_items_totals', ARRAY['jsonb']);
SELECT function_privs_are('orders', 'order_items_totals', ARRAY['jsonb'], 'public', ARRAY[]::text[]);
SELECT results_eq($$SELECT quantity, amount FROM orders.order_items_totals(
                      '[{"product_id": "a", "quantity": 2, "price": 2.5}, {"product_id": "b", "quantity": 1}]')$$,
                  $$VALUES (3, 5.0)$$, 'quantities summed; an item without a price counts 0');
SELECT results_eq($$SELECT quantity, amount FROM orders.order_items_totals(NULL)$$,
                  $$VALUES (0, 0::numeric)$$, 'no items: zero');

SELECT * FROM finish();
ROLLBACK;
