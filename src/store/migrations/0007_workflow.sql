-- 0007_workflow.sql - what batches, routing and review need beyond 0001:
-- gold mixing and the reservation timeout per batch, an expiry per
-- reservation (so reclaiming idle ones walks an index), a random key per
-- item that draws the review sample, and a short reason per review for
-- the annotator performance table.

ALTER TABLE batches ADD COLUMN gold_first INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN gold_rate REAL NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN reserve_ms INTEGER NOT NULL DEFAULT 1800000;
CREATE INDEX batches_project ON batches(project_id, id);

ALTER TABLE assignments ADD COLUMN expires_at INTEGER;
CREATE INDEX assignments_expiry ON assignments(state, expires_at);
CREATE INDEX assignments_batch ON assignments(batch_id, user_id, is_gold);

-- The review sample of a batch is its items with the smallest review_key.
ALTER TABLE items ADD COLUMN review_key REAL NOT NULL DEFAULT 0;
CREATE INDEX items_review ON items(batch_id, review_key);

ALTER TABLE reviews ADD COLUMN reason TEXT;
CREATE INDEX reviews_project ON reviews(project_id, verdict);
CREATE INDEX reviews_annotation ON reviews(annotation_id, id);

-- Reservations made before this migration expire 30 minutes after they began.
UPDATE assignments SET expires_at = reserved_at + 1800000 WHERE state = 'reserved';
