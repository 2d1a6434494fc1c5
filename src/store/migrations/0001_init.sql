-- 0001_init.sql - the whole data model of the architecture note.
-- Times are unix milliseconds. JSON columns hold JSON text. Geometry is
-- typed: little-endian float64 arrays in `geometry`, COCO compressed RLE in
-- `rle`. Counters that pages need (items per status, objects per label) are
-- kept by triggers, so reading them is O(log n).

CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name TEXT,
  password_hash TEXT,
  is_admin INTEGER NOT NULL DEFAULT 0,
  is_active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Sessions and API tokens. Only a hash of the secret is kept.
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
  name TEXT,
  secret_hash BLOB NOT NULL UNIQUE,
  csrf TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_user ON tokens(user_id, kind);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  schema_version INTEGER NOT NULL DEFAULT 0,
  settings TEXT NOT NULL DEFAULT '{}',
  archived INTEGER NOT NULL DEFAULT 0,
  created_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE members (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('manager', 'reviewer', 'annotator', 'viewer')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_user ON members(user_id);

-- Every version of a project's label schema, as canonical JSON.
CREATE TABLE schemas (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  message TEXT,
  created_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, version)
) WITHOUT ROWID;

-- Stable integer ids for label names within a project, across schema
-- versions; objects refer to these.
CREATE TABLE labels (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  color TEXT,
  first_version INTEGER NOT NULL,
  last_version INTEGER NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'calibration')),
  stage TEXT NOT NULL DEFAULT 'annotate' CHECK (stage IN ('annotate', 'review', 'done')),
  overlap INTEGER NOT NULL DEFAULT 1 CHECK (overlap >= 1),
  review_sample REAL NOT NULL DEFAULT 0.15,
  settings TEXT NOT NULL DEFAULT '{}',
  signed_off_by INTEGER REFERENCES users(id),
  signed_off_at INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE batch_members (
  batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('annotator', 'reviewer')),
  PRIMARY KEY (batch_id, user_id, role)
) WITHOUT ROWID;
CREATE INDEX batch_members_user ON batch_members(user_id);

-- One unit to label. `queue` is 1 while the item still wants annotators
-- (fewer finished assignments than its batch's overlap), so "next item for
-- me" walks an index instead of the table.
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'text', 'pointcloud', 'document', 'llm')),
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  size INTEGER NOT NULL DEFAULT 0,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  duration REAL NOT NULL DEFAULT 0,
  frames INTEGER NOT NULL DEFAULT 0,
  mime TEXT,
  source_group TEXT,
  link_path TEXT,
  meta TEXT,
  phash INTEGER,
  batch_id INTEGER REFERENCES batches(id) ON DELETE SET NULL,
  split TEXT CHECK (split IS NULL OR split IN ('train', 'val', 'test')),
  status TEXT NOT NULL DEFAULT 'new'
    CHECK (status IN ('new', 'in_progress', 'annotated', 'reviewed', 'rejected', 'done', 'skipped')),
  queue INTEGER NOT NULL DEFAULT 1,
  assigned INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, hash)
);
CREATE INDEX items_status ON items(project_id, status, id);
CREATE INDEX items_batch ON items(batch_id, queue, id);
CREATE INDEX items_name ON items(project_id, name);
CREATE INDEX items_split ON items(project_id, split, id);
CREATE INDEX items_group ON items(project_id, source_group);

-- Who holds or has finished which item: routing never gives a person the
-- same item twice, and idle reservations are reclaimed by time.
CREATE TABLE assignments (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  batch_id INTEGER REFERENCES batches(id) ON DELETE CASCADE,
  role TEXT NOT NULL DEFAULT 'annotate' CHECK (role IN ('annotate', 'review')),
  state TEXT NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'done', 'skipped', 'released')),
  is_gold INTEGER NOT NULL DEFAULT 0,
  reserved_at INTEGER NOT NULL,
  finished_at INTEGER,
  UNIQUE (item_id, user_id, role)
);
CREATE INDEX assignments_user ON assignments(user_id, state, item_id);
CREATE INDEX assignments_reserved ON assignments(state, reserved_at);

-- One person's (or one model's) labels on one item.
CREATE TABLE annotations (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users(id),
  source TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL CHECK (kind IN ('manual', 'prediction', 'gold', 'consensus')),
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted', 'accepted', 'rejected')),
  version INTEGER NOT NULL DEFAULT 1,
  schema_version INTEGER NOT NULL,
  score REAL,
  lead_time_ms INTEGER NOT NULL DEFAULT 0,
  attributes TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX annotations_owner ON annotations(item_id, kind, ifnull(user_id, 0), source);
CREATE INDEX annotations_user ON annotations(project_id, user_id, status);
CREATE INDEX annotations_kind ON annotations(project_id, kind, status);

-- One shape or label inside an annotation. x0..y1 is the bounding box in
-- pixels (or the interval in x0/x1 for spans and time segments).
CREATE TABLE objects (
  id INTEGER PRIMARY KEY,
  annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL,
  item_id INTEGER NOT NULL,
  label_id INTEGER REFERENCES labels(id),
  type TEXT NOT NULL,
  geometry BLOB,
  rle TEXT,
  x0 REAL, y0 REAL, x1 REAL, y1 REAL,
  area REAL,
  score REAL,
  attributes TEXT,
  text TEXT,
  frame INTEGER,
  track_id INTEGER,
  keyframe INTEGER NOT NULL DEFAULT 1,
  outside INTEGER NOT NULL DEFAULT 0,
  occluded INTEGER NOT NULL DEFAULT 0,
  z_order INTEGER NOT NULL DEFAULT 0,
  group_id INTEGER,
  parent_id INTEGER REFERENCES objects(id) ON DELETE CASCADE,
  uid TEXT
);
CREATE INDEX objects_annotation ON objects(annotation_id);
CREATE INDEX objects_label ON objects(project_id, label_id, item_id);
CREATE INDEX objects_frame ON objects(item_id, frame);
CREATE INDEX objects_parent ON objects(parent_id) WHERE parent_id IS NOT NULL;

-- Relations between objects (relation types come from the schema).
CREATE TABLE relations (
  id INTEGER PRIMARY KEY,
  annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  from_object INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
  to_object INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE
);
CREATE INDEX relations_annotation ON relations(annotation_id);

-- Every saved version of an annotation: nothing is overwritten in place.
CREATE TABLE annotation_history (
  id INTEGER PRIMARY KEY,
  annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  user_id INTEGER REFERENCES users(id),
  status TEXT NOT NULL,
  body TEXT NOT NULL,
  summary TEXT,
  created_at INTEGER NOT NULL,
  UNIQUE (annotation_id, version)
);

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  annotation_id INTEGER REFERENCES annotations(id) ON DELETE CASCADE,
  annotation_version INTEGER,
  batch_id INTEGER REFERENCES batches(id) ON DELETE SET NULL,
  reviewer_id INTEGER NOT NULL REFERENCES users(id),
  verdict TEXT NOT NULL CHECK (verdict IN ('accept', 'reject')),
  note TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX reviews_item ON reviews(item_id, id);
CREATE INDEX reviews_batch ON reviews(batch_id, verdict);

-- Comments pinned to an item, an object, or a point (x, y, frame).
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
  annotation_id INTEGER REFERENCES annotations(id) ON DELETE SET NULL,
  object_uid TEXT,
  review_id INTEGER REFERENCES reviews(id) ON DELETE SET NULL,
  parent_id INTEGER REFERENCES comments(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  body TEXT NOT NULL,
  x REAL, y REAL, frame INTEGER,
  resolved INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX comments_item ON comments(item_id, id);

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  user_id INTEGER,
  project_id INTEGER,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id INTEGER,
  detail TEXT
);
CREATE INDEX audit_project ON audit(project_id, id);
CREATE INDEX audit_user ON audit(user_id, id);

-- Background jobs (import, export, pre-labelling), persisted so that a
-- restart resumes or fails them with a reason.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER REFERENCES users(id),
  kind TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
  params TEXT NOT NULL DEFAULT '{}',
  progress_done INTEGER NOT NULL DEFAULT 0,
  progress_total INTEGER NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  heartbeat_at INTEGER
);
CREATE INDEX jobs_state ON jobs(state, id);
CREATE INDEX jobs_project ON jobs(project_id, id);

-- Counters kept by triggers. `key` is 'items', 'bytes', 'kind:<k>',
-- 'status:<s>', 'annotations', 'objects'.
CREATE TABLE project_counts (
  project_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, key)
) WITHOUT ROWID;

CREATE TABLE label_counts (
  project_id INTEGER NOT NULL,
  label_id INTEGER NOT NULL,
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_id, label_id)
) WITHOUT ROWID;

CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN
  INSERT INTO project_counts VALUES (new.project_id, 'items', 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO project_counts VALUES (new.project_id, 'bytes', new.size)
    ON CONFLICT DO UPDATE SET n = n + new.size;
  INSERT INTO project_counts VALUES (new.project_id, 'kind:' || new.kind, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO project_counts VALUES (new.project_id, 'status:' || new.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN
  UPDATE project_counts SET n = n - 1 WHERE project_id = old.project_id AND key = 'items';
  UPDATE project_counts SET n = n - old.size WHERE project_id = old.project_id AND key = 'bytes';
  UPDATE project_counts SET n = n - 1 WHERE project_id = old.project_id AND key = 'kind:' || old.kind;
  UPDATE project_counts SET n = n - 1 WHERE project_id = old.project_id AND key = 'status:' || old.status;
END;

CREATE TRIGGER items_au_status AFTER UPDATE OF status ON items
WHEN old.status IS NOT new.status BEGIN
  UPDATE project_counts SET n = n - 1 WHERE project_id = old.project_id AND key = 'status:' || old.status;
  INSERT INTO project_counts VALUES (new.project_id, 'status:' || new.status, 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER annotations_ai AFTER INSERT ON annotations BEGIN
  INSERT INTO project_counts VALUES (new.project_id, 'annotations', 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER annotations_ad AFTER DELETE ON annotations BEGIN
  UPDATE project_counts SET n = n - 1 WHERE project_id = old.project_id AND key = 'annotations';
END;

CREATE TRIGGER objects_ai AFTER INSERT ON objects BEGIN
  INSERT INTO project_counts VALUES (new.project_id, 'objects', 1)
    ON CONFLICT DO UPDATE SET n = n + 1;
  INSERT INTO label_counts SELECT new.project_id, new.label_id, 1 WHERE new.label_id IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER objects_ad AFTER DELETE ON objects BEGIN
  UPDATE project_counts SET n = n - 1 WHERE project_id = old.project_id AND key = 'objects';
  UPDATE label_counts SET n = n - 1 WHERE project_id = old.project_id AND label_id = old.label_id;
END;

CREATE TRIGGER objects_au_label AFTER UPDATE OF label_id ON objects
WHEN old.label_id IS NOT new.label_id BEGIN
  UPDATE label_counts SET n = n - 1 WHERE project_id = old.project_id AND label_id = old.label_id;
  INSERT INTO label_counts SELECT new.project_id, new.label_id, 1 WHERE new.label_id IS NOT NULL
    ON CONFLICT DO UPDATE SET n = n + 1;
END;
