-- Running totals: the items' counts and score tallies per calendar month (UTC), business unit,
-- channel, journey stage, touchpoint and source, so that the summary's and the room's tallies
-- sum a few thousand kept rows instead of scanning every item. A dimension an item lacks is
-- stored as '' (a label is never empty), so the key has no NULL and an upsert finds its row.
-- The store keeps this table in step with feedback_facts in the transaction of every write that
-- changes an item's row; here it is filled from the facts already stored.
CREATE TABLE fact_totals (
    month         TEXT NOT NULL,
    business_unit TEXT NOT NULL,
    channel       TEXT NOT NULL,
    journey_stage TEXT NOT NULL,
    touchpoint    TEXT NOT NULL,
    source        TEXT NOT NULL,
    items         INTEGER NOT NULL,
    nps_n         INTEGER NOT NULL,
    promoters     INTEGER NOT NULL,
    detractors    INTEGER NOT NULL,
    csat_n        INTEGER NOT NULL,
    csat_top2     INTEGER NOT NULL,
    ces_n         INTEGER NOT NULL,
    ces_sum       INTEGER NOT NULL,
    ces_high      INTEGER NOT NULL,
    ces_sum_sq    INTEGER NOT NULL,
    PRIMARY KEY (month, business_unit, channel, journey_stage, touchpoint, source)
) WITHOUT ROWID;

INSERT INTO fact_totals (month, business_unit, channel, journey_stage, touchpoint, source,
    items, nps_n, promoters, detractors, csat_n, csat_top2, ces_n, ces_sum, ces_high, ces_sum_sq)
SELECT strftime('%Y-%m', received_at, 'unixepoch'), coalesce(business_unit, ''), channel,
    coalesce(journey_stage, ''), coalesce(touchpoint, ''), source,
    count(*), count(nps), count(CASE WHEN nps >= 9 THEN 1 END),
    count(CASE WHEN nps <= 6 THEN 1 END), count(csat), count(CASE WHEN csat >= 4 THEN 1 END),
    count(ces), coalesce(sum(ces), 0), count(CASE WHEN ces >= 5 THEN 1 END),
    coalesce(sum(ces * ces), 0)
FROM feedback_facts
GROUP BY 1, 2, 3, 4, 5, 6;
