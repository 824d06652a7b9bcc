"""The tally.tallies read model of the core tests' fixture domain (harness/tally.sql)
computed by one set-based SQL statement over the whole log: an oracle independent of the
projection handler (tests compare the incremental model with it) and the baseline of the
rebuild benchmark."""

TALLIES_SQL = """
WITH e AS (
    SELECT stream_id, version, event_type, event_data, created_at
    FROM data.events
    WHERE stream_type = 'Tally'
      AND event_type IN ('TallyOpened', 'Marked', 'TallyClosed', 'TallyVoided')
),
opened AS (
    SELECT stream_id, (event_data ->> 'owner_id')::uuid AS owner_id, created_at
    FROM e WHERE event_type = 'TallyOpened'
),
totals AS (
    SELECT e.stream_id,
           sum((m.mark ->> 'count')::integer) AS count,
           sum(COALESCE((m.mark ->> 'weight')::numeric, 0) * (m.mark ->> 'count')::integer) AS weight
    FROM e
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE e.event_type WHEN 'TallyOpened' THEN COALESCE(e.event_data -> 'marks', '[]'::jsonb)
                          WHEN 'Marked' THEN jsonb_build_array(e.event_data)
                          ELSE '[]'::jsonb END) AS m(mark)
    GROUP BY e.stream_id
),
last_status AS (
    SELECT DISTINCT ON (stream_id) stream_id,
           CASE event_type WHEN 'TallyClosed' THEN 'closed' ELSE 'voided' END AS status
    FROM e WHERE event_type IN ('TallyClosed', 'TallyVoided')
    ORDER BY stream_id, version DESC
),
last_change AS (
    SELECT stream_id, max(created_at) AS updated_at FROM e GROUP BY stream_id
)
SELECT o.stream_id AS tally_id, o.owner_id, COALESCE(s.status, 'open') AS status,
       COALESCE(t.count, 0)::integer AS total_count, COALESCE(t.weight, 0)::numeric(15,2) AS total_weight,
       o.created_at AS opened_at, l.updated_at
FROM opened AS o
LEFT JOIN totals AS t USING (stream_id)
LEFT JOIN last_status AS s USING (stream_id)
JOIN last_change AS l USING (stream_id)
"""

READ_MODEL_SQL = """
SELECT tally_id, owner_id, status, total_count, total_weight, opened_at, updated_at
FROM tally.tallies
"""
