-- 0004_history_schema.sql - polygons with holes: the number of points of
-- each ring (little-endian uint32), beside the flat coordinates in
-- `geometry`; NULL for a single ring.

ALTER TABLE objects ADD COLUMN rings BLOB;

-- The label-schema version each saved version was made under.
ALTER TABLE annotation_history ADD COLUMN schema_version INTEGER;
