-- 0003_query_indexes.sql - indexes for the item filters of the API:
-- "items this user annotated" and "items with an object of this label"
-- are answered per item in O(log n).

CREATE INDEX annotations_user_item ON annotations(user_id, item_id);
CREATE INDEX assignments_item_user ON assignments(item_id, user_id);
