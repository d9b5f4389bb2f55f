-- Sentiment labels given on the labelling page (/label): one per item, a relabel replaces it.
-- 'skip' records that the person would not say, so the item is not offered again; skips are
-- never trained on.

CREATE TABLE sentiment_labels (
    feedback_id BIGINT PRIMARY KEY REFERENCES feedback (id),
    label       TEXT NOT NULL CHECK (label IN ('negative', 'neutral', 'positive', 'skip')),
    labelled_by TEXT NOT NULL,
    labelled_at BIGINT NOT NULL  -- unix seconds
);
