-- 0006_filter_counts.sql - counters kept by triggers so that the item
-- counts filtered by split, split and status, or label read one row at a
-- million items instead of visiting every matching item:
--   project_counts 'split:<split>'                   items in the split
--   project_counts 'split:<split>:status:<status>'   items in the split with the status
--   project_counts 'label_items:<label id>'          items with >= 1 object of the label
-- An item has a label when any of its annotations (any kind) has an object
-- of it, as in the label filter of the item list. item_label_objects counts
-- the objects per (item, label), so the item count of a label changes only
-- when that count goes 0 <-> 1.

CREATE TABLE item_label_objects (
  item_id INTEGER NOT NULL,
  label_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (item_id, label_id)
) WITHOUT ROWID;

INSERT INTO item_label_objects (item_id, label_id, n)
  SELECT item_id, label_id, count(*) FROM objects WHERE label_id IS NOT NULL
  GROUP BY item_id, label_id;

INSERT INTO project_counts (project_id, key, n)
  SELECT i.project_id, 'label_items:' || x.label_id, count(*)
  FROM item_label_objects x JOIN items i ON i.id = x.item_id
  WHERE true GROUP BY i.project_id, x.label_id
  ON CONFLICT DO UPDATE SET n = excluded.n;

INSERT INTO project_counts (project_id, key, n)
  SELECT project_id, 'split:' || split, count(*) FROM items WHERE split IS NOT NULL
  GROUP BY project_id, split
  ON CONFLICT DO UPDATE SET n = excluded.n;

INSERT INTO project_counts (project_id, key, n)
  SELECT project_id, 'split:' || split || ':status:' || status, count(*) FROM items
  WHERE split IS NOT NULL GROUP BY project_id, split, status
  ON CONFLICT DO UPDATE SET n = excluded.n;

-- Items: split and split+status.

CREATE TRIGGER items_ai_split AFTER INSERT ON items WHEN new.split IS NOT NULL BEGIN
  INSERT INTO project_counts VALUES (new.project_id, 'split:' || new.split, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO project_counts VALUES (new.project_id, 'split:' || new.split || ':status:' || new.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER items_ad_split AFTER DELETE ON items WHEN old.split IS NOT NULL BEGIN
  UPDATE project_counts SET n = n - 1
    WHERE project_id = old.project_id AND key = 'split:' || old.split;
  UPDATE project_counts SET n = n - 1
    WHERE project_id = old.project_id AND key = 'split:' || old.split || ':status:' || old.status;
END;

CREATE TRIGGER items_au_split AFTER UPDATE OF split, status ON items
WHEN old.split IS NOT new.split OR (new.split IS NOT NULL AND old.status IS NOT new.status) BEGIN
  UPDATE project_counts SET n = n - 1
    WHERE old.split IS NOT NULL AND project_id = old.project_id AND key = 'split:' || old.split;
  UPDATE project_counts SET n = n - 1
    WHERE old.split IS NOT NULL AND project_id = old.project_id
      AND key = 'split:' || old.split || ':status:' || old.status;
  INSERT INTO project_counts SELECT new.project_id, 'split:' || new.split, 1
    WHERE new.split IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO project_counts SELECT new.project_id, 'split:' || new.split || ':status:' || new.status, 1
    WHERE new.split IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Objects: objects per (item, label), and items per label.

CREATE TRIGGER objects_ai_item_label AFTER INSERT ON objects WHEN new.label_id IS NOT NULL BEGIN
  INSERT INTO project_counts SELECT new.project_id, 'label_items:' || new.label_id, 1
    WHERE NOT EXISTS (SELECT 1 FROM item_label_objects
                      WHERE item_id = new.item_id AND label_id = new.label_id)
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO item_label_objects VALUES (new.item_id, new.label_id, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER objects_ad_item_label AFTER DELETE ON objects WHEN old.label_id IS NOT NULL BEGIN
  UPDATE item_label_objects SET n = n - 1
    WHERE item_id = old.item_id AND label_id = old.label_id;
  UPDATE project_counts SET n = n - 1
    WHERE project_id = old.project_id AND key = 'label_items:' || old.label_id
      AND EXISTS (SELECT 1 FROM item_label_objects
                  WHERE item_id = old.item_id AND label_id = old.label_id AND n <= 0);
  DELETE FROM item_label_objects
    WHERE item_id = old.item_id AND label_id = old.label_id AND n <= 0;
END;

CREATE TRIGGER objects_au_item_label AFTER UPDATE OF label_id ON objects
WHEN old.label_id IS NOT new.label_id BEGIN
  UPDATE item_label_objects SET n = n - 1
    WHERE old.label_id IS NOT NULL AND item_id = old.item_id AND label_id = old.label_id;
  UPDATE project_counts SET n = n - 1
    WHERE old.label_id IS NOT NULL AND project_id = old.project_id
      AND key = 'label_items:' || old.label_id
      AND EXISTS (SELECT 1 FROM item_label_objects
                  WHERE item_id = old.item_id AND label_id = old.label_id AND n <= 0);
  DELETE FROM item_label_objects
    WHERE old.label_id IS NOT NULL AND item_id = old.item_id AND label_id = old.label_id
      AND n <= 0;
  INSERT INTO project_counts SELECT new.project_id, 'label_items:' || new.label_id, 1
    WHERE new.label_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM item_label_objects
                      WHERE item_id = new.item_id AND label_id = new.label_id)
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO item_label_objects SELECT new.item_id, new.label_id, 1
    WHERE new.label_id IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
