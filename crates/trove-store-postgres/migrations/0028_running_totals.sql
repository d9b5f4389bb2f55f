-- Running totals: the items' counts and score tallies per calendar month (UTC), business unit,
-- channel, journey stage, touchpoint and source, so that the summary's and the room's tallies
-- sum a few thousand kept rows instead of scanning every item. A dimension an item lacks is
-- stored as '' (a label is never empty), so the key has no NULL and an upsert finds its row.
-- The store keeps this table in step with feedback_facts in the transaction of every write that
-- changes an item's row; here it is filled from the facts already stored.
CREATE TABLE fact_totals (
    month         TEXT COLLATE "C" NOT NULL,
    business_unit TEXT COLLATE "C" NOT NULL,
    channel       TEXT COLLATE "C" NOT NULL,
    journey_stage TEXT COLLATE "C" NOT NULL,
    touchpoint    TEXT COLLATE "C" NOT NULL,
    source        TEXT COLLATE "C" NOT NULL,
    items         BIGINT NOT NULL,
    nps_n         BIGINT NOT NULL,
    promoters     BIGINT NOT NULL,
    detractors    BIGINT NOT NULL,
    csat_n        BIGINT NOT NULL,
    csat_top2     BIGINT NOT NULL,
    ces_n         BIGINT NOT NULL,
    ces_sum       BIGINT NOT NULL,
    ces_high      BIGINT NOT NULL,
    ces_sum_sq    BIGINT NOT NULL,
    PRIMARY KEY (month, business_unit, channel, journey_stage, touchpoint, source)
);

INSERT INTO fact_totals (month, business_unit, channel, journey_stage, touchpoint, source,
    items, nps_n, promoters, detractors, csat_n, csat_top2, ces_n, ces_sum, ces_high, ces_sum_sq)
SELECT to_char(to_timestamp(received_at) AT TIME ZONE 'UTC', 'YYYY-MM'),
    coalesce(business_unit, ''), channel, coalesce(journey_stage, ''), coalesce(touchpoint, ''),
    source, count(*), count(nps), count(*) FILTER (WHERE nps >= 9),
    count(*) FILTER (WHERE nps <= 6), count(csat), count(*) FILTER (WHERE csat >= 4), count(ces),
    coalesce(sum(ces), 0), count(*) FILTER (WHERE ces >= 5), coalesce(sum(ces * ces), 0)
FROM feedback_facts
GROUP BY 1, 2, 3, 4, 5, 6;
