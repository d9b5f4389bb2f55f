-- Each item's sentence embedding, computed once per model (`trove embed`, `trove discover`
-- with a model), so discovery over a growing base embeds only the new items. The model's name
-- carries a digest of its weights; `text_hash` (the first 8 bytes of the BLAKE3 digest of the
-- text the vector was computed from) makes a text replaced since be embedded again. The vector
-- is quantised to one byte per dimension: a little-endian f32 scale, then the i8 values.

CREATE TABLE item_embeddings (
    feedback_id BIGINT NOT NULL REFERENCES feedback (id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    text_hash   BIGINT NOT NULL,
    vector      BYTEA NOT NULL,
    PRIMARY KEY (model, feedback_id)
);
