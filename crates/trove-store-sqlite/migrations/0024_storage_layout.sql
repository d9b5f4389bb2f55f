-- Compact facts: what the analysis reads of each item (no text), with the item's themes packed
-- into one text value, so a scan reads one narrow row per item instead of the text-carrying
-- feedback row plus one feedback_themes row (and three b-tree entries) per tag. The per-tag
-- details (spans, phrase, version, sentiment) stay in feedback_themes for the drill-down.
--
-- `themes` lists the item's links, separated by spaces, each `theme:o` or `theme:o:sentiment`
-- (o: the origin's first letter: s source, r rule, m model; the sentence's tone as a decimal
-- that reads back to the same double); NULL when the item has none. The store keeps this row
-- in step with feedback and feedback_themes in the transaction of every write to them.
CREATE TABLE feedback_facts (
    id            INTEGER PRIMARY KEY,
    received_at   INTEGER NOT NULL,
    source        TEXT NOT NULL,
    channel       TEXT NOT NULL,
    customer_id   TEXT,
    business_unit TEXT,
    journey_stage TEXT,
    touchpoint    TEXT,
    nps           INTEGER,
    csat          INTEGER,
    ces           INTEGER,
    sentiment     REAL,
    themes        TEXT
);

INSERT INTO feedback_facts (id, received_at, source, channel, customer_id, business_unit,
    journey_stage, touchpoint, nps, csat, ces, sentiment, themes)
SELECT f.id, f.received_at, f.source, f.channel, f.customer_id, f.business_unit,
    f.journey_stage, f.touchpoint, f.nps, f.csat, f.ces, f.sentiment,
    (SELECT group_concat(ft.theme_id || ':' || substr(ft.origin, 1, 1)
            || iif(ft.sentiment IS NULL, '', ':' || printf('%!.17g', ft.sentiment)), ' ')
     FROM feedback_themes ft WHERE ft.feedback_id = f.id)
FROM feedback f;

-- The per-tag details keyed by their primary key alone (WITHOUT ROWID): a tag costs one entry
-- in the table's own b-tree and one in the drill-down's theme index, where a rowid table also
-- kept a separate index for the key.
CREATE TABLE feedback_themes_keyed (
    feedback_id      INTEGER NOT NULL REFERENCES feedback (id),
    theme_id         TEXT NOT NULL REFERENCES themes (id),
    origin           TEXT NOT NULL,
    phrase           TEXT,
    start_offset     INTEGER,
    end_offset       INTEGER,
    taxonomy_version INTEGER,
    model_version    INTEGER,
    sentiment        REAL,
    PRIMARY KEY (feedback_id, theme_id, origin)
) WITHOUT ROWID;
INSERT INTO feedback_themes_keyed (feedback_id, theme_id, origin, phrase, start_offset,
    end_offset, taxonomy_version, model_version, sentiment)
SELECT feedback_id, theme_id, origin, phrase, start_offset, end_offset, taxonomy_version,
    model_version, sentiment
FROM feedback_themes;
DROP TABLE feedback_themes;
ALTER TABLE feedback_themes_keyed RENAME TO feedback_themes;
CREATE INDEX feedback_themes_theme_items ON feedback_themes (theme_id, origin, feedback_id);
