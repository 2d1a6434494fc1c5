/*
 * store_sqlite_bulk.c - the SQLite backend (store_sqlite.c): bulk loads (an import's one transaction):
 * counter triggers dropped and their work done once before the commit.
 */
#include "store/store_sqlite_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/asset.h"
#include "core/annotation.h"
#include "base/err.h"

#include "base/banned.h"

/*
 * During a bulk load (an import writing many annotations in one
 * transaction) the triggers that keep the object counters (0001's
 * objects_ai/ad/au_label, 0006's objects_*_item_label) are dropped inside
 * the transaction, and annotation saves keep the same counters per
 * annotation and label instead of per object row: label_counts,
 * project_counts 'objects' and 'label_items:<label>' are summed in memory
 * and written at the end; item_label_objects is updated once per
 * (item, label) of each save. The triggers' own SQL, read from
 * sqlite_master, is run again before the commit, so the schema ends as it
 * began; a rollback restores them by itself. While the triggers are gone
 * only annotation saves may change objects (the import is the only writer:
 * it holds the write transaction throughout).
 */
static const char *const bulk_trigger_names[] = {
	"objects_ai", "objects_ad", "objects_au_label",
	"objects_ai_item_label", "objects_ad_item_label", "objects_au_item_label",
};
#define BULK_NTRIG (sizeof(bulk_trigger_names) / sizeof(bulk_trigger_names[0]))

/*
 * The items' triggers (0001's counters, 0002's full-text index, 0006's
 * split counters) are also replaced during a bulk load. The insert ones
 * are dropped: their work is done once, for every item the load added (id
 * above the largest id before it), by a few INSERT ... SELECT statements
 * before the commit, so the full-text index gets one segment instead of a
 * tiny one per item (FTS5 flushes its pending rows at every statement's
 * savepoint) and project_counts one upsert per key instead of six per
 * item. The update and delete ones are kept for the older items only
 * (WHEN old.id <= that id): an item added by the load has no index row or
 * counts yet, its final state is what the end counts. The import never
 * deletes items, so no id is reused within the load.
 */
static const struct {
	const char *name;
	bool keep_old;             /* kept for older items; else dropped */
} bulk_item_triggers[] = {
	{"items_ai", false}, {"items_ai_split", false}, {"items_fts_ai", false},
	{"items_ad", true}, {"items_ad_split", true}, {"items_au_status", true},
	{"items_au_split", true}, {"items_fts_ad", true}, {"items_fts_au", true},
};
#define BULK_NITEM (sizeof(bulk_item_triggers) / sizeof(bulk_item_triggers[0]))

struct bulk_count {
	int64_t key;               /* label id, or -project id for objects without a label */
	int64_t project_id;
	int64_t objects;           /* delta of label_counts (and of the project's 'objects') */
	int64_t items;             /* delta of 'label_items:<label>' */
};

struct bulk {
	char *trigger_sql[BULK_NTRIG];
	char *item_sql[BULK_NITEM];  /* the items' triggers as they were; NULL: none */
	int64_t item_max;          /* items above this id were added by the load */
	int64_t old_cache;         /* the cache_size pragma before */
	struct bulk_count *v;      /* open addressing by key; key 0 = free */
	size_t n, cap;             /* cap a power of two */
};

void sq_bulk_free(struct sqlite_store *s)
{
	struct bulk *b = s->bulk;
	if (!b)
		return;
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=%lld", (long long)b->old_cache);
	sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
	for (size_t i = 0; i < BULK_NTRIG; i++)
		free(b->trigger_sql[i]);
	for (size_t i = 0; i < BULK_NITEM; i++)
		free(b->item_sql[i]);
	free(b->v);
	free(b);
	s->bulk = NULL;
}

static uint64_t bulk_hash(int64_t k)
{
	uint64_t x = (uint64_t)k * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

static struct bulk_count *bulk_slot(struct bulk *b, int64_t key, int64_t project_id)
{
	if (2 * (b->n + 1) > b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 64;
		struct bulk_count *nv = calloc(ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		for (size_t i = 0; i < b->cap; i++) {
			if (!b->v[i].key)
				continue;
			size_t j = bulk_hash(b->v[i].key) & (ncap - 1);
			while (nv[j].key)
				j = (j + 1) & (ncap - 1);
			nv[j] = b->v[i];
		}
		free(b->v);
		b->v = nv;
		b->cap = ncap;
	}
	size_t j = bulk_hash(key) & (b->cap - 1);
	while (b->v[j].key && b->v[j].key != key)
		j = (j + 1) & (b->cap - 1);
	if (!b->v[j].key) {
		b->v[j].key = key;
		b->v[j].project_id = project_id;
		b->n++;
	}
	return &b->v[j];
}

/* Page cache during a bulk load: index pages stay in memory instead of
 * being spilled to the WAL and read back. */
#define BULK_CACHE_KIB 65536

/*
 * sql (a CREATE TRIGGER of sqlite_master) with "old.id <= max" added to
 * its WHEN clause, into out. Fails on text it does not recognise.
 */
static int guarded_trigger(const char *sql, int64_t max, struct buf *out)
{
	const char *begin = NULL;
	for (const char *p = strstr(sql, "BEGIN"); p; p = strstr(p + 1, "BEGIN"))
		if (p > sql && isspace((unsigned char)p[-1]) &&
		    (isspace((unsigned char)p[5]) || !p[5])) {
			begin = p;
			break;
		}
	if (!begin)
		return CAIRN_EINTERNAL;
	const char *when = NULL;
	for (const char *p = strstr(sql, "WHEN"); p && p < begin; p = strstr(p + 1, "WHEN"))
		if (p > sql && isspace((unsigned char)p[-1]) && isspace((unsigned char)p[4])) {
			when = p;
			break;
		}
	if (when) {
		buf_add(out, sql, (size_t)(when - sql));
		buf_addf(out, "WHEN old.id <= %lld AND (", (long long)max);
		buf_add(out, when + 4, (size_t)(begin - when - 4));
		buf_addf(out, ") %s", begin);
	} else {
		buf_add(out, sql, (size_t)(begin - sql));
		buf_addf(out, "WHEN old.id <= %lld %s", (long long)max, begin);
	}
	return 0;
}

/* Replaces the items' triggers for the load (see bulk_item_triggers). */
static int bulk_items_begin(struct sqlite_store *s, struct bulk *b, struct buf *err)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT ifnull(max(id), 0) FROM items", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "bulk load", err);
	int step = sqlite3_step(q);
	if (step == SQLITE_ROW)
		b->item_max = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (step != SQLITE_ROW)
		return sq_db_error(s, step, "bulk load", err);
	rc = sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND "
				"name = ?1", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "bulk load", err);
	struct buf sql = BUF_INIT;
	rc = 0;
	for (size_t i = 0; i < BULK_NITEM && !rc; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, bulk_item_triggers[i].name, -1, SQLITE_STATIC);
		step = sqlite3_step(q);
		if (step == SQLITE_DONE)
			continue;
		if (step != SQLITE_ROW) {
			rc = sq_db_error(s, step, "bulk load", err);
			break;
		}
		b->item_sql[i] = col_strdup(q, 0);
		buf_setf(&sql, "DROP TRIGGER %s;", bulk_item_triggers[i].name);
		if (bulk_item_triggers[i].keep_old &&
		    guarded_trigger(b->item_sql[i], b->item_max, &sql)) {
			buf_setf(err, "store: bulk load: cannot read trigger %s",
				 bulk_item_triggers[i].name);
			rc = CAIRN_EINTERNAL;
			break;
		}
		rc = sq_exec(s, sql.data, "bulk load", err);
	}
	sqlite3_finalize(q);
	buf_release(&sql);
	return rc;
}

/* What the dropped insert triggers would have done for the items the load
 * added, then the triggers as they were. */
static int bulk_items_end(struct sqlite_store *s, struct bulk *b, struct buf *err)
{
	static const char *const counts =
		"INSERT INTO project_counts(project_id, key, n) SELECT * FROM ("
		"SELECT project_id, 'items', count(*) FROM items WHERE id > ?1 GROUP BY 1 "
		"UNION ALL SELECT project_id, 'bytes', sum(size) FROM items WHERE id > ?1 GROUP BY 1 "
		"UNION ALL SELECT project_id, 'kind:' || kind, count(*) FROM items WHERE id > ?1 "
		"GROUP BY 1, 2 "
		"UNION ALL SELECT project_id, 'status:' || status, count(*) FROM items WHERE id > ?1 "
		"GROUP BY 1, 2) WHERE true ON CONFLICT DO UPDATE SET n = n + excluded.n";
	static const char *const split_counts =
		"INSERT INTO project_counts(project_id, key, n) SELECT * FROM ("
		"SELECT project_id, 'split:' || split, count(*) FROM items WHERE id > ?1 AND "
		"split IS NOT NULL GROUP BY 1, 2 "
		"UNION ALL SELECT project_id, 'split:' || split || ':status:' || status, count(*) "
		"FROM items WHERE id > ?1 AND split IS NOT NULL GROUP BY 1, 2) "
		"WHERE true ON CONFLICT DO UPDATE SET n = n + excluded.n";
	static const char *const fts =
		"INSERT INTO items_fts(rowid, name, meta) SELECT id, name, ifnull(meta, '') "
		"FROM items WHERE id > ?1";
	const char *const inserts[3] = {counts, split_counts, fts};
	int rc = 0;
	for (size_t i = 0; i < 3 && !rc; i++) {
		if (!b->item_sql[i])
			continue;
		sqlite3_stmt *q = NULL;
		int prc = sqlite3_prepare_v2(s->db, inserts[i], -1, &q, NULL);
		if (prc != SQLITE_OK)
			return sq_db_error(s, prc, "bulk load: index new items", err);
		sqlite3_bind_int64(q, 1, b->item_max);
		int step = sqlite3_step(q);
		sqlite3_finalize(q);
		if (step != SQLITE_DONE)
			rc = sq_db_error(s, step, "bulk load: index new items", err);
	}
	struct buf sql = BUF_INIT;
	for (size_t i = 0; i < BULK_NITEM && !rc; i++) {
		if (!b->item_sql[i])
			continue;
		buf_reset(&sql);
		if (bulk_item_triggers[i].keep_old)
			buf_addf(&sql, "DROP TRIGGER %s;", bulk_item_triggers[i].name);
		buf_addf(&sql, "%s;", b->item_sql[i]);
		rc = sq_exec(s, sql.data, "bulk load: restore trigger", err);
	}
	buf_release(&sql);
	return rc;
}

int sqlite_bulk_begin(struct store *st, struct buf *err)
{
	struct sqlite_store *s = S(st);
	if (!s->in_tx || s->bulk) {
		buf_setf(err, "store: a bulk load needs an open transaction (and only one)");
		return CAIRN_EINTERNAL;
	}
	struct bulk *b = calloc(1, sizeof(*b));
	if (!b)
		return CAIRN_ENOMEM;
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA cache_size", -1, &q, NULL);
	if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		b->old_cache = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	s->bulk = b;
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=-%d", BULK_CACHE_KIB);
	sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
	rc = sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND "
				"name = ?1", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "bulk load", err);
	struct buf drop = BUF_INIT;
	for (size_t i = 0; i < BULK_NTRIG && !rc; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, bulk_trigger_names[i], -1, SQLITE_STATIC);
		int step = sqlite3_step(q);
		if (step == SQLITE_ROW) {
			b->trigger_sql[i] = col_strdup(q, 0);
			buf_addf(&drop, "DROP TRIGGER %s;", bulk_trigger_names[i]);
		} else if (step != SQLITE_DONE) {
			rc = sq_db_error(s, step, "bulk load", err);
		}
	}
	sqlite3_finalize(q);
	if (!rc && drop.len)
		rc = sq_exec(s, drop.data, "bulk load", err);
	buf_release(&drop);
	if (!rc)
		rc = bulk_items_begin(s, b, err);
	return rc;
}

/* Writes the counters summed during the bulk load and brings the triggers back. */
int sqlite_bulk_end(struct store *st, struct buf *err)
{
	struct sqlite_store *s = S(st);
	struct bulk *b = s->bulk;
	if (!b)
		return 0;
	int rc = 0;
	for (size_t i = 0; i < b->cap && !rc; i++) {
		struct bulk_count *c = &b->v[i];
		if (!c->key || (!c->objects && !c->items))
			continue;
		sqlite3_stmt *q = sq_stmt(s, "INSERT INTO project_counts VALUES (?1, 'objects', ?2) "
				       "ON CONFLICT DO UPDATE SET n = n + excluded.n", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, c->project_id);
		sqlite3_bind_int64(q, 2, c->objects);
		if ((rc = sq_step_done(s, q, "count objects", err)) || c->key < 0)
			continue;
		q = sq_stmt(s, "INSERT INTO label_counts VALUES (?1, ?2, ?3) "
			 "ON CONFLICT DO UPDATE SET n = n + excluded.n", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, c->project_id);
		sqlite3_bind_int64(q, 2, c->key);
		sqlite3_bind_int64(q, 3, c->objects);
		if ((rc = sq_step_done(s, q, "count objects", err)))
			break;
		q = sq_stmt(s, "INSERT INTO project_counts VALUES (?1, 'label_items:' || ?2, ?3) "
			 "ON CONFLICT DO UPDATE SET n = n + excluded.n", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, c->project_id);
		sqlite3_bind_int64(q, 2, c->key);
		sqlite3_bind_int64(q, 3, c->items);
		rc = sq_step_done(s, q, "count items", err);
	}
	for (size_t i = 0; i < BULK_NTRIG && !rc; i++)
		if (b->trigger_sql[i])
			rc = sq_exec(s, b->trigger_sql[i], "bulk load: restore trigger", err);
	if (!rc)
		rc = bulk_items_end(s, b, err);
	if (!rc)
		sq_bulk_free(s);
	return rc;
}

struct bulk_delta {
	int64_t label_id;          /* 0: none */
	int64_t n;
};

static int bulk_delta_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct bulk_delta *)a)->label_id, y = ((const struct bulk_delta *)b)->label_id;
	return (x > y) - (x < y);
}

/*
 * The bulk-load way of writing an annotation's objects: all rewritten (as
 * rewrite_objects does), and the counters the dropped triggers would have
 * kept changed once per label.
 */

int sq_bulk_write_objects(struct sqlite_store *s, int64_t ann_id, bool existed,
			  const struct annotation_write *w, struct buf *err)
{
	const struct ann_doc *d = w->doc;
	size_t nd = 0, cap = (d ? d->nobjects : 0) + 8;
	struct bulk_delta *v = malloc(cap * sizeof(*v));
	if (!v)
		return CAIRN_ENOMEM;
	int rc = 0;
	if (existed) {
		sqlite3_stmt *q = sq_stmt(s, "SELECT ifnull(label_id, 0), count(*) FROM objects WHERE "
				       "annotation_id = ?1 GROUP BY 1", err);
		if (!q) {
			free(v);
			return CAIRN_EIO;
		}
		sqlite3_bind_int64(q, 1, ann_id);
		int step;
		while ((step = sqlite3_step(q)) == SQLITE_ROW) {
			if (nd == cap) {
				cap *= 2;
				struct bulk_delta *nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					sqlite3_reset(q);
					free(v);
					return CAIRN_ENOMEM;
				}
				v = nv;
			}
			v[nd].label_id = sqlite3_column_int64(q, 0);
			v[nd++].n = -sqlite3_column_int64(q, 1);
		}
		sqlite3_reset(q);
		if (step != SQLITE_DONE) {
			free(v);
			return sq_db_error(s, step, "read objects", err);
		}
	}
	if ((rc = sq_rewrite_objects(s, ann_id, w, err))) {
		free(v);
		return rc;
	}
	for (size_t i = 0; d && i < d->nobjects; i++) {
		if (nd == cap) {
			cap *= 2;
			struct bulk_delta *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return CAIRN_ENOMEM;
			}
			v = nv;
		}
		v[nd].label_id = w->label_ids ? w->label_ids[d->objects[i].label] : 0;
		v[nd++].n = 1;
	}
	qsort(v, nd, sizeof(*v), bulk_delta_cmp);
	for (size_t i = 0; i < nd && !rc;) {
		int64_t label = v[i].label_id, delta = 0;
		for (; i < nd && v[i].label_id == label; i++)
			delta += v[i].n;
		if (!delta)
			continue;
		struct bulk_count *c = bulk_slot(s->bulk, label ? label : -w->project_id,
						 w->project_id);
		if (!c) {
			rc = CAIRN_ENOMEM;
			break;
		}
		c->objects += delta;
		if (!label)
			continue;
		sqlite3_stmt *q = sq_stmt(s, "INSERT INTO item_label_objects VALUES (?1, ?2, ?3) "
				       "ON CONFLICT DO UPDATE SET n = n + excluded.n RETURNING n", err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, w->key.item_id);
		sqlite3_bind_int64(q, 2, label);
		sqlite3_bind_int64(q, 3, delta);
		int step = sqlite3_step(q);
		int64_t after = step == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
		if (step == SQLITE_ROW)
			step = sqlite3_step(q);
		sqlite3_reset(q);
		if (step != SQLITE_DONE) {
			rc = sq_db_error(s, step, "count objects", err);
			break;
		}
		int64_t before = after - delta;
		c->items += (after > 0) - (before > 0);
		if (after <= 0) {
			q = sq_stmt(s, "DELETE FROM item_label_objects WHERE item_id = ?1 AND label_id = ?2",
				 err);
			if (!q) {
				rc = CAIRN_EIO;
				break;
			}
			sqlite3_bind_int64(q, 1, w->key.item_id);
			sqlite3_bind_int64(q, 2, label);
			rc = sq_step_done(s, q, "count objects", err);
		}
	}
	free(v);
	return rc;
}

void sqlite_snapshot(struct store *st, bool on)
{
	struct sqlite_store *s = S(st);
	if (!on) {
		sq_snapshot_end(s);
	} else if (!s->in_tx && !s->snapshot && sqlite3_get_autocommit(s->db)) {
		if (!s->snap_begin)
			sqlite3_prepare_v3(s->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT,
					   &s->snap_begin, NULL);
		/* Failing to open one only costs speed: reads run as before. */
		if (s->snap_begin && sqlite3_step(s->snap_begin) == SQLITE_DONE)
			s->snapshot = true;
		if (s->snap_begin)
			sqlite3_reset(s->snap_begin);
	}
}

