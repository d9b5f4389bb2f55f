-- Compact facts: what the analysis reads of each item (no text), with the item's themes packed
-- into one text value, so a scan reads one narrow row per item instead of the text-carrying
-- feedback row plus one feedback_themes row per tag. The per-tag details (spans, phrase,
-- version, sentiment) stay in feedback_themes for the drill-down.
--
-- `themes` lists the item's links, separated by spaces, each `theme:o` or `theme:o:sentiment`
-- (o: the origin's first letter: s source, r rule, m model; the sentence's tone as a decimal
-- that reads back to the same double); NULL when the item has none. The store keeps this row
-- in step with feedback and feedback_themes in the transaction of every write to them.
CREATE TABLE feedback_facts (
    id            BIGINT PRIMARY KEY,
    received_at   BIGINT NOT NULL,
    source        TEXT COLLATE "C" NOT NULL,
    channel       TEXT NOT NULL,
    customer_id   TEXT COLLATE "C",
    business_unit TEXT,
    journey_stage TEXT,
    touchpoint    TEXT,
    nps           SMALLINT,
    csat          SMALLINT,
    ces           SMALLINT,
    sentiment     REAL,
    themes        TEXT
);

INSERT INTO feedback_facts (id, received_at, source, channel, customer_id, business_unit,
    journey_stage, touchpoint, nps, csat, ces, sentiment, themes)
SELECT f.id, f.received_at, f.source, f.channel, f.customer_id, f.business_unit,
    f.journey_stage, f.touchpoint, f.nps, f.csat, f.ces, f.sentiment,
    (SELECT string_agg(ft.theme_id || ':' || substr(ft.origin, 1, 1)
            || COALESCE(':' || ft.sentiment::float8::text, ''), ' ')
     FROM feedback_themes ft WHERE ft.feedback_id = f.id)
FROM feedback f;
