-- Revert orders:order_summaries_v2 from pg
-- Version 1 live again (promoted back if version 2 was live: it catches up here, within
-- eventstore.promotion_max_lag), version 2 dropped with its read model.

BEGIN;

SET LOCAL lock_timeout = '10s';  -- fail fast on a busy server

DO $$
BEGIN
    IF api.projection_live_version('order_summaries') = 2 THEN
        IF (SELECT c.status FROM data.projection_checkpoints AS c
            WHERE c.projection_name = 'order_summaries@1') = 'paused' THEN
            PERFORM api.resume_projection('order_summaries@1');
        END IF;
        PERFORM api.promote_projection('order_summaries', 1);
    END IF;
END
$$;
SELECT api.drop_projection_version('order_summaries', 2);
DROP VIEW data.order_summaries_live;
DROP FUNCTION private.reset_order_summaries_v2();
DROP FUNCTION private.order_summaries_v2_handler(data.events[]);
DROP TABLE data.order_summaries_v2;

COMMIT;
