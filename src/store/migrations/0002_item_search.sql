-- 0002_item_search.sql - full-text search over item names and metadata,
-- for the item browser's search box: an FTS5 index kept by triggers, filled
-- from the items that already exist.

CREATE VIRTUAL TABLE items_fts USING fts5(
  name, meta, content='items', content_rowid='id', tokenize="unicode61 tokenchars '._-'"
);

INSERT INTO items_fts(rowid, name, meta) SELECT id, name, ifnull(meta, '') FROM items;

CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN
  INSERT INTO items_fts(rowid, name, meta) VALUES (new.id, new.name, ifnull(new.meta, ''));
END;

CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN
  INSERT INTO items_fts(items_fts, rowid, name, meta)
    VALUES ('delete', old.id, old.name, ifnull(old.meta, ''));
END;

CREATE TRIGGER items_fts_au AFTER UPDATE OF name, meta ON items BEGIN
  INSERT INTO items_fts(items_fts, rowid, name, meta)
    VALUES ('delete', old.id, old.name, ifnull(old.meta, ''));
  INSERT INTO items_fts(rowid, name, meta) VALUES (new.id, new.name, ifnull(new.meta, ''));
END;
