-- Metric values are changes in the workflow's log like every other record (audited, with the
-- value each change replaces), so the table that held them goes. The values stored before are
-- appended to the log first, as `trove`, one `metrics_recorded` event per metric, without a
-- previous value (none was kept): nothing imported is lost.

INSERT INTO workflow_events (seq, at, actor, kind, payload)
SELECT
    (SELECT COALESCE(MAX(seq), 0) FROM workflow_events) + ROW_NUMBER() OVER (ORDER BY metric),
    EXTRACT(EPOCH FROM now())::BIGINT,
    'trove',
    'metrics_recorded',
    json_build_object('change', 'metrics_recorded', 'metric', metric, 'values', day_values)::TEXT
FROM (
    SELECT metric, json_agg(json_build_object('day', day, 'value', value) ORDER BY day) AS day_values
    FROM metric_points
    GROUP BY metric
) AS per_metric;

DROP TABLE metric_points;
