-- Metric values are changes in the workflow's log like every other record (audited, with the
-- value each change replaces), so the table that held them goes. The values stored before are
-- appended to the log first, as `trove`, one `metrics_recorded` event per metric, without a
-- previous value (none was kept): nothing imported is lost.

INSERT INTO workflow_events (seq, at, actor, kind, payload)
SELECT
    (SELECT COALESCE(MAX(seq), 0) FROM workflow_events) + ROW_NUMBER() OVER (ORDER BY metric),
    CAST(strftime('%s', 'now') AS INTEGER),
    'trove',
    'metrics_recorded',
    json_object('change', 'metrics_recorded', 'metric', metric, 'values', json(day_values))
FROM (
    SELECT metric, json_group_array(json_object('day', day, 'value', value)) AS day_values
    FROM (SELECT metric, day, value FROM metric_points ORDER BY metric, day)
    GROUP BY metric
);

DROP TABLE metric_points;
