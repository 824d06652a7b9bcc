-- pgTAP: change orders:customers
BEGIN;
SELECT plan(8);

SELECT has_table('orders'::name, 'customers'::name);
SELECT col_is_pk('orders'::name, 'customers'::name, 'id'::name, 'primary key of orders.customers');
SELECT col_not_null('orders'::name, 'customers'::name, 'name'::name, 'customers have a name');
SELECT function_privs_are('orders', 'create_customer', ARRAY['text', 'text', 'uuid'], 'eventstore_writer', ARRAY['EXECUTE']);

CALL orders.create_customer('Ann', 'ann@example.com', '018f0000-0000-7000-8000-0000000000c1');
SELECT results_eq($$SELECT id, name, email FROM orders.customers$$,
                  $$VALUES ('018f0000-0000-7000-8000-0000000000c1'::uuid, 'Ann', 'ann@example.com')$$, 'created');
SELECT throws_ok($$CALL orders.create_customer('Ann again', 'ANN@example.com')$$, 'ZE009',
                 'a customer with email ANN@example.com exists');
SELECT throws_ok($$CALL orders.create_customer(' ')$$, 'ZE003', 'in_name must be a non-empty text');
SELECT throws_ok($$CALL orders.create_customer('Bob', 'not-an-email')$$, 'ZE003', 'in_email is not an email address: not-an-email');

SELECT * FROM finish();
ROLLBACK;
