-- Verify orders:order_summaries_v2 on pg

BEGIN;

SELECT order_id, submitted_at, cancel_reason FROM data.order_summaries_v2 WHERE false;
SELECT order_id, submitted_at, cancel_reason FROM data.order_summaries_live WHERE false;
SELECT 'private.order_summaries_v2_handler(data.events[])'::regprocedure;
SELECT 1 / count(*) FROM data.projections WHERE version_of = 'order_summaries' AND version = 2;

ROLLBACK;
