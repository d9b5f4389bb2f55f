-- The facts carry the region and product too, so an analytics backend (ClickHouse) is fed from
-- feedback_facts alone, page by page of ids, without reading the text-carrying feedback rows.
-- (PostgreSQL only: the SQLite backend feeds the analytics backend from its full scans.)
ALTER TABLE feedback_facts ADD COLUMN region TEXT;
ALTER TABLE feedback_facts ADD COLUMN product TEXT;

UPDATE feedback_facts ff SET region = f.region, product = f.product
FROM feedback f
WHERE f.id = ff.id AND (f.region IS NOT NULL OR f.product IS NOT NULL);
