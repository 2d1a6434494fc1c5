/*
 * store_sqlite_items.c - the SQLite backend (store_sqlite.c): items, their filtered pages and counts,
 * per-project statistics.
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

/* An annotator's view: a gold item has no batch of its own, so it shows the
 * batch it was routed to them through, like every other item they get. */
#define ROUTED_BATCH "ifnull(i.batch_id, (SELECT s.batch_id FROM assignments s WHERE " \
	"s.item_id = i.id AND s.user_id = :visible AND s.role = 'annotate'))"
/* Its status, likewise, is the annotator's own progress on it (what others
 * did to a shared gold item would give it away), 'done' once the batch it
 * came through is signed off. Items of a batch show their own status. */
#define VIEWER_STATUS "(CASE WHEN i.batch_id IS NOT NULL THEN i.status ELSE ifnull((SELECT " \
	"CASE WHEN b.stage = 'done' THEN 'done' ELSE ifnull((SELECT CASE an.status WHEN 'draft' " \
	"THEN 'in_progress' ELSE 'annotated' END FROM annotations an WHERE an.item_id = i.id AND " \
	"an.user_id = :visible AND an.kind = 'manual'), 'new') END FROM assignments s JOIN " \
	"batches b ON b.id = s.batch_id WHERE s.item_id = i.id AND s.user_id = :visible AND " \
	"s.role = 'annotate'), i.status) END)"
#define ITEM_COLS_VIS "i.id, i.project_id, i.kind, i.name, i.hash, i.size, i.width, " \
	"i.height, i.duration, i.frames, i.mime, i.source_group, i.link_path, i.meta, i.phash, " \
	ROUTED_BATCH ", i.split, " VIEWER_STATUS ", i.created_at"
#define ITEM_COLS "id, project_id, kind, name, hash, size, width, height, duration, frames, " \
	"mime, source_group, link_path, meta, phash, batch_id, split, status, created_at"

void sq_item_from_row(sqlite3_stmt *q, struct item *it)
{
	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(q, 0);
	it->project_id = sqlite3_column_int64(q, 1);
	item_kind_parse((const char *)sqlite3_column_text(q, 2), &it->kind);
	it->name = col_strdup(q, 3);
	const char *h = (const char *)sqlite3_column_text(q, 4);
	if (h)
		snprintf(it->hash, sizeof(it->hash), "%s", h);
	it->size = sqlite3_column_int64(q, 5);
	it->width = sqlite3_column_int(q, 6);
	it->height = sqlite3_column_int(q, 7);
	it->duration = sqlite3_column_double(q, 8);
	it->frames = sqlite3_column_int64(q, 9);
	it->mime = col_strdup(q, 10);
	it->source_group = col_strdup(q, 11);
	it->link_path = col_strdup(q, 12);
	it->meta = col_strdup(q, 13);
	it->has_phash = sqlite3_column_type(q, 14) != SQLITE_NULL;
	it->phash = (uint64_t)sqlite3_column_int64(q, 14);
	it->batch_id = sqlite3_column_int64(q, 15);
	it->split = col_strdup(q, 16);
	item_status_parse((const char *)sqlite3_column_text(q, 17), &it->status);
	it->created_at = sqlite3_column_int64(q, 18);
}

int sqlite_item_find_hash(struct store *st, int64_t project_id, const char *hash,
			  int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT id FROM items WHERE project_id = ?1 AND hash = ?2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	bind_text(q, 2, hash);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (id)
			*id = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "find item", err);
	buf_setf(err, "no item with hash %s", hash);
	return CAIRN_ENOTFOUND;
}

int sqlite_item_add(struct store *st, const struct item *it, int64_t *id,
		    struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO items(project_id, kind, name, hash, size, width, "
			       "height, duration, frames, mime, source_group, link_path, meta, phash, "
			       "batch_id, split, status, created_at, updated_at) VALUES (?1, ?2, ?3, "
			       "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18) "
			       "ON CONFLICT(project_id, hash) DO NOTHING", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, it->project_id);
	bind_text(q, 2, item_kind_name(it->kind));
	bind_text(q, 3, it->name);
	bind_text(q, 4, it->hash);
	sqlite3_bind_int64(q, 5, it->size);
	sqlite3_bind_int(q, 6, it->width);
	sqlite3_bind_int(q, 7, it->height);
	sqlite3_bind_double(q, 8, it->duration);
	sqlite3_bind_int64(q, 9, it->frames);
	bind_text(q, 10, it->mime);
	bind_text(q, 11, it->source_group);
	bind_text(q, 12, it->link_path);
	bind_text(q, 13, it->meta);
	if (it->has_phash)
		sqlite3_bind_int64(q, 14, (int64_t)it->phash);
	else
		sqlite3_bind_null(q, 14);
	bind_id(q, 15, it->batch_id);
	bind_text(q, 16, it->split);
	bind_text(q, 17, item_status_name(it->status));
	sqlite3_bind_int64(q, 18, it->created_at ? it->created_at : now_ms());
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT) {
			buf_setf(err, "item '%s': %s", it->name ? it->name : "?",
				 sqlite3_errmsg(s->db));
			return CAIRN_EINVAL;
		}
		return sq_db_error(s, rc, "add item", err);
	}
	if (sqlite3_changes(s->db) == 0) {
		int64_t existing = 0;
		sqlite_item_find_hash(st, it->project_id, it->hash, &existing, NULL);
		if (id)
			*id = existing;
		buf_setf(err, "item '%s' duplicates item %lld (same content)",
			 it->name ? it->name : "?", (long long)existing);
		return CAIRN_EEXIST;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int sqlite_item_get(struct store *st, int64_t id, struct item *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT " ITEM_COLS " FROM items WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		sq_item_from_row(q, out);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read item", err);
	buf_setf(err, "no item with id %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_item_phashes(struct store *st, int64_t project_id, store_phash_cb cb,
			void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, phash FROM items WHERE project_id = ?1 "
				    "AND phash IS NOT NULL", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "read perceptual hashes", err);
	sqlite3_bind_int64(q, 1, project_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW)
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (uint64_t)sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read perceptual hashes", err);
	return 0;
}

int sqlite_item_list(struct store *st, int64_t project_id, int64_t after_id,
		     int64_t limit, store_item_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	/* "+project_id": walk the rowid from after_id; an index on project_id
	 * alone would read and sort the whole project for every page. */
	int rc = sqlite3_prepare_v2(s->db, "SELECT " ITEM_COLS " FROM items WHERE +project_id = ?1 "
				    "AND id > ?2 ORDER BY id LIMIT ?3", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list items", err);
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, after_id);
	sqlite3_bind_int64(q, 3, limit > 0 ? limit : -1);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct item it;
		sq_item_from_row(q, &it);
		cbrc = cb(ctx, &it);
		item_release(&it);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list items", err);
	return 0;
}

int sqlite_project_stats(struct store *st, int64_t project_id,
			 struct project_stats *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *q = sq_stmt(s, "SELECT key, n FROM project_counts WHERE project_id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(q, 0);
		int64_t n = sqlite3_column_int64(q, 1);
		if (!key)
			continue;
		if (!strcmp(key, "items"))
			out->items = n;
		else if (!strcmp(key, "bytes"))
			out->bytes = n;
		else if (!strcmp(key, "annotations"))
			out->annotations = n;
		else if (!strcmp(key, "objects"))
			out->objects = n;
		else if (!strncmp(key, "kind:", 5)) {
			enum item_kind k;
			if (item_kind_parse(key + 5, &k))
				out->by_kind[k] = n;
		} else if (!strncmp(key, "status:", 7)) {
			enum item_status k;
			if (item_status_parse(key + 7, &k))
				out->by_status[k] = n;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read counts", err);
	return 0;
}

int sqlite_label_counts(struct store *st, int64_t project_id, store_label_count_cb cb,
			void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT l.id, l.name, ifnull(c.n, 0) FROM labels l "
				    "LEFT JOIN label_counts c ON c.project_id = l.project_id "
				    "AND c.label_id = l.id WHERE l.project_id = ?1 ORDER BY l.id",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "read label counts", err);
	sqlite3_bind_int64(q, 1, project_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW)
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
			  sqlite3_column_int64(q, 2));
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read label counts", err);
	return 0;
}

int sqlite_audit(struct store *st, int64_t user_id, int64_t project_id,
		 const char *action, const char *target_type, int64_t target_id,
		 const char *detail_json, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO audit(at, user_id, project_id, action, target_type, "
			       "target_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, now_ms());
	bind_id(q, 2, user_id);
	bind_id(q, 3, project_id);
	bind_text(q, 4, action);
	bind_text(q, 5, target_type);
	bind_id(q, 6, target_id);
	bind_text(q, 7, detail_json);
	return sq_step_done(s, q, "write audit log", err);
}



int sqlite_member_remove(struct store *st, int64_t project_id, int64_t user_id,
			 struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "DELETE FROM members WHERE project_id = ?1 AND user_id = ?2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = sq_step_done(s, q, "remove member", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "user %lld is not a member", (long long)user_id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

int sqlite_member_list(struct store *st, int64_t project_id, store_member_cb cb,
		       void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT m.user_id, u.name, m.role FROM members m JOIN "
				    "users u ON u.id = m.user_id WHERE m.project_id = ?1 ORDER BY u.name",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list members", err);
	sqlite3_bind_int64(q, 1, project_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		enum role r = ROLE_VIEWER;
		role_parse((const char *)sqlite3_column_text(q, 2), &r);
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1), r);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list members", err);
	return 0;
}

int sqlite_user_update(struct store *st, int64_t id, int is_admin, int is_active,
		       struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE users SET is_admin = CASE WHEN ?2 < 0 THEN is_admin "
			       "ELSE ?2 END, is_active = CASE WHEN ?3 < 0 THEN is_active ELSE ?3 END, "
			       "updated_at = ?4 WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, is_admin);
	sqlite3_bind_int(q, 3, is_active);
	sqlite3_bind_int64(q, 4, now_ms());
	int rc = sq_step_done(s, q, "update user", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no user with id %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

/* ---- filtered item pages ---- */

enum {
	IQ_STATUS = 1, IQ_KIND = 2, IQ_BATCH = 4, IQ_SPLIT = 8, IQ_SEARCH = 16,
	IQ_LABEL = 32, IQ_ANNOTATOR = 64, IQ_VISIBLE = 128,
};

static const char *const iq_sql[8] = {
	" AND i.status = :status",
	" AND i.kind = :kind",
	" AND i.batch_id = :batch",
	" AND i.split = :split",
	" AND i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH :search)",
	" AND EXISTS (SELECT 1 FROM objects o WHERE o.project_id = :project AND "
	"o.label_id = :label AND o.item_id = i.id)",
	" AND EXISTS (SELECT 1 FROM annotations a WHERE a.user_id = :annotator AND "
	"a.item_id = i.id)",
	" AND (EXISTS (SELECT 1 FROM assignments s WHERE s.item_id = i.id AND "
	"s.user_id = :visible) OR i.batch_id IN (SELECT batch_id FROM batch_members "
	"WHERE user_id = :visible))",
};

/* Turns free text into an FTS5 query: every word a quoted prefix. */
static void fts_query(const char *text, struct buf *out)
{
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		buf_addf(out, "%s\"", out->len ? " " : "");
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '"')
				buf_addch(out, '"');
			buf_addch(out, *p++);
		}
		buf_adds(out, "\"*");
	}
}

static sqlite3_stmt *item_stmt(struct sqlite_store *s, const struct item_query *q, bool count,
			       struct buf *err)
{
	unsigned mask = 0;
	if (q->status >= 0) mask |= IQ_STATUS;
	if (q->kind >= 0) mask |= IQ_KIND;
	if (q->batch_id) mask |= IQ_BATCH;
	if (q->split) mask |= IQ_SPLIT;
	if (q->search && *q->search) mask |= IQ_SEARCH;
	if (q->label_id) mask |= IQ_LABEL;
	if (q->annotator_id) mask |= IQ_ANNOTATOR;
	if (q->visible_to) mask |= IQ_VISIBLE;
	sqlite3_stmt **slot = &s->item_q[count][mask];
	if (!*slot) {
		/* The text is assembled only from the fixed fragments above;
		 * every value is a bound parameter. */
		struct buf sql = BUF_INIT;
		/*
		 * A count with a search streams the matches from the full-text
		 * index (the IN form would first collect them all) and stops at
		 * :cap rows (-1: none).
		 */
		bool capped = count && (mask & IQ_SEARCH);
		buf_adds(&sql, capped ? "SELECT count(*) FROM (SELECT 1 FROM items_fts CROSS JOIN "
					"items i ON i.id = items_fts.rowid WHERE items_fts MATCH :search AND"
			 : count ? "SELECT count(*) FROM items i WHERE"
			 : (mask & IQ_VISIBLE) ? "SELECT " ITEM_COLS_VIS " FROM items i WHERE"
				 : "SELECT " ITEM_COLS_I " FROM items i WHERE");
		buf_adds(&sql, " i.project_id = :project");
		if (!count)
			buf_adds(&sql, " AND i.id > :after");
		for (int b = 0; b < 8; b++) {
			if (!(mask & (1u << b)))
				continue;
			/* A count visits every match: the label's items from the
			 * objects_label index beat a probe per item. */
			if (capped && (1u << b) == IQ_SEARCH)
				continue;
			if ((1u << b) == IQ_STATUS && (mask & IQ_VISIBLE))
				buf_adds(&sql, " AND " VIEWER_STATUS " = :status");
			else if ((1u << b) == IQ_BATCH && (mask & IQ_VISIBLE))
				/* The batch's own items and the gold items routed to
				 * me through it, both from an index. */
				buf_adds(&sql, " AND i.id IN (SELECT id FROM items WHERE batch_id = :batch "
					 "UNION ALL SELECT item_id FROM assignments WHERE batch_id = :batch "
					 "AND user_id = :visible AND is_gold = 1)");
			else if (count && (1u << b) == IQ_LABEL)
				buf_adds(&sql, " AND i.id IN (SELECT item_id FROM objects WHERE "
					 "project_id = :project AND label_id = :label)");
			else
				buf_adds(&sql, iq_sql[b]);
		}
		if (capped)
			buf_adds(&sql, " LIMIT :cap)");
		if (!count)
			buf_adds(&sql, " ORDER BY i.id LIMIT :limit");
		int rc = sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
		buf_release(&sql);
		if (rc != SQLITE_OK) {
			sq_db_error(s, rc, "prepare item query", err);
			return NULL;
		}
	}
	sqlite3_stmt *st = *slot;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
#define BIND_I(name, v) sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, name), (v))
#define BIND_T(name, v) sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, name), (v), -1, SQLITE_TRANSIENT)
	BIND_I(":project", q->project_id);
	BIND_I(":after", q->after_id);
	BIND_I(":limit", q->limit > 0 ? q->limit : 100);
	BIND_I(":cap", q->count_cap > 0 ? q->count_cap + 1 : -1);
	if (mask & IQ_STATUS) BIND_T(":status", item_status_name(q->status));
	if (mask & IQ_KIND) BIND_T(":kind", item_kind_name(q->kind));
	if (mask & IQ_BATCH) BIND_I(":batch", q->batch_id);
	if (mask & IQ_SPLIT) BIND_T(":split", q->split);
	if (mask & IQ_SEARCH) {
		struct buf f = BUF_INIT;
		fts_query(q->search, &f);
		BIND_T(":search", f.data);
		buf_release(&f);
	}
	if (mask & IQ_LABEL) BIND_I(":label", q->label_id);
	if (mask & IQ_ANNOTATOR) BIND_I(":annotator", q->annotator_id);
	if (mask & IQ_VISIBLE) BIND_I(":visible", q->visible_to);
#undef BIND_I
#undef BIND_T
	return st;
}

int sqlite_item_query(struct store *st, const struct item_query *iq, store_item_cb cb,
		      void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = item_stmt(s, iq, false, err);
	if (!q)
		return CAIRN_EIO;
	int rc, cbrc = 0;
	/* Read the page first: the callback may use the store. */
	struct item *page = NULL;
	size_t n = 0, cap = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			page = realloc(page, cap * sizeof(*page));
			if (!page)
				abort();
		}
		sq_item_from_row(q, &page[n++]);
	}
	sqlite3_reset(q);
	for (size_t i = 0; i < n; i++) {
		if (!cbrc && rc == SQLITE_DONE)
			cbrc = cb(ctx, &page[i]);
		item_release(&page[i]);
	}
	free(page);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_ERROR && iq->search) {
			buf_setf(err, "search: cannot search for '%s'", iq->search);
			return CAIRN_EINVAL;
		}
		return sq_db_error(s, rc, "list items", err);
	}
	return cbrc;
}

int sqlite_item_count(struct store *st, const struct item_query *iq, int64_t *count,
		      struct buf *err)
{
	struct sqlite_store *s = S(st);
	/*
	 * Totals kept by triggers (migrations 0001, 0006) answer in O(log n):
	 * all, one status, one kind, a split (with or without a status), a label.
	 */
	bool other = iq->batch_id || (iq->search && *iq->search) || iq->annotator_id ||
		     iq->visible_to;
	char key[96] = "";
	if (other) {
		/* no counter */
	} else if (iq->label_id) {
		if (!iq->split && iq->status < 0 && iq->kind < 0)
			snprintf(key, sizeof(key), "label_items:%lld", (long long)iq->label_id);
	} else if (iq->split) {
		if (*iq->split && iq->kind < 0 && iq->status >= 0)
			snprintf(key, sizeof(key), "split:%s:status:%s", iq->split,
				 item_status_name(iq->status));
		else if (*iq->split && iq->kind < 0)
			snprintf(key, sizeof(key), "split:%s", iq->split);
	} else if (iq->status >= 0 && iq->kind >= 0) {
		/* no counter */
	} else if (iq->status >= 0) {
		snprintf(key, sizeof(key), "status:%s", item_status_name(iq->status));
	} else if (iq->kind >= 0) {
		snprintf(key, sizeof(key), "kind:%s", item_kind_name(iq->kind));
	} else {
		snprintf(key, sizeof(key), "items");
	}
	if (*key) {
		sqlite3_stmt *q = sq_stmt(s, "SELECT n FROM project_counts WHERE project_id = ?1 AND key = ?2",
				       err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, iq->project_id);
		bind_text(q, 2, key);
		int rc = sqlite3_step(q);
		*count = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sq_db_error(s, rc, "count items", err);
		return 0;
	}
	sqlite3_stmt *q = item_stmt(s, iq, true, err);
	if (!q)
		return CAIRN_EIO;
	int rc = sqlite3_step(q);
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW) {
		if ((rc & 0xff) == SQLITE_ERROR && iq->search) {
			buf_setf(err, "search: cannot search for '%s'", iq->search);
			return CAIRN_EINVAL;
		}
		return sq_db_error(s, rc, "count items", err);
	}
	return 0;
}


