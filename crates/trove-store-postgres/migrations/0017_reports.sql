-- Kept monthly reports: each generated report's JSON per business unit and month. A new
-- report of the same unit and month replaces the old one; the store keeps the newest months
-- per unit (12 by default) and deletes older ones when saving.

CREATE TABLE reports (
    business_unit TEXT NOT NULL,
    month         TEXT NOT NULL,      -- YYYY-MM
    generated_at  BIGINT  NOT NULL,   -- unix seconds
    json          TEXT NOT NULL,      -- the report, byte for byte as saved
    PRIMARY KEY (business_unit, month)
);
