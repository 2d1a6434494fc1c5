/*
 * store_sqlite_ann.c - the SQLite backend (store_sqlite.c): annotations: the current version and its
 * object rows, saves through the shared writer, history, document cursors.
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

#define ANN_COLS "a.id, a.project_id, a.item_id, ifnull(a.user_id, 0), a.source, a.kind, " \
	"a.status, a.version, a.schema_version, a.lead_time_ms, a.created_at, a.updated_at"

static void annotation_from_row(sqlite3_stmt *q, struct annotation *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(q, 0);
	a->project_id = sqlite3_column_int64(q, 1);
	a->item_id = sqlite3_column_int64(q, 2);
	a->user_id = sqlite3_column_int64(q, 3);
	a->source = col_strdup(q, 4);
	annotation_kind_parse((const char *)sqlite3_column_text(q, 5), &a->kind);
	a->status = col_strdup(q, 6);
	a->version = sqlite3_column_int64(q, 7);
	a->schema_version = sqlite3_column_int64(q, 8);
	a->lead_time_ms = sqlite3_column_int64(q, 9);
	a->created_at = sqlite3_column_int64(q, 10);
	a->updated_at = sqlite3_column_int64(q, 11);
}

int sqlite_annotation_find(struct store *st, const struct annotation_key *k, int64_t id,
			   struct annotation *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (k) {
		q = sq_stmt(s, "SELECT " ANN_COLS ", h.body, ifnull(h.user_id, 0) FROM annotations a "
			 "JOIN annotation_history h ON h.annotation_id = a.id AND h.version = a.version "
			 "WHERE a.item_id = ?1 AND a.kind = ?2 AND ifnull(a.user_id, 0) = ?3 "
			 "AND a.source = ?4", err);
		if (q) {
			sqlite3_bind_int64(q, 1, k->item_id);
			bind_text(q, 2, annotation_kind_name(k->kind));
			sqlite3_bind_int64(q, 3, k->user_id);
			bind_text(q, 4, k->source ? k->source : "");
		}
	} else {
		q = sq_stmt(s, "SELECT " ANN_COLS ", h.body, ifnull(h.user_id, 0) FROM annotations a "
			 "JOIN annotation_history h ON h.annotation_id = a.id AND h.version = a.version "
			 "WHERE a.id = ?1", err);
		if (q)
			sqlite3_bind_int64(q, 1, id);
	}
	if (!q)
		return CAIRN_EIO;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		annotation_from_row(q, out);
		out->body = col_strdup(q, 12);
		out->updated_by = sqlite3_column_int64(q, 13);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read annotation", err);
	buf_setf(err, "no such annotation");
	return CAIRN_ENOTFOUND;
}

int sqlite_annotation_owner(struct store *st, int64_t id, int64_t *item_id,
			    enum annotation_kind *kind, int64_t *user_id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT item_id, kind, ifnull(user_id, 0) FROM annotations "
			       "WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*item_id = sqlite3_column_int64(q, 0);
		annotation_kind_parse((const char *)sqlite3_column_text(q, 1), kind);
		*user_id = sqlite3_column_int64(q, 2);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read annotation", err);
	buf_setf(err, "no annotation %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_annotation_list(struct store *st, int64_t item_id, bool with_gold,
			   store_annotation_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT " ANN_COLS " FROM annotations a WHERE "
				    "a.item_id = ?1 AND (?2 OR a.kind <> 'gold') ORDER BY a.id",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list annotations", err);
	sqlite3_bind_int64(q, 1, item_id);
	sqlite3_bind_int(q, 2, with_gold);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct annotation a;
		annotation_from_row(q, &a);
		cbrc = cb(ctx, &a);
		annotation_release(&a);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list annotations", err);
	return 0;
}

/*
 * The export cursor. Items are walked by rowid from after_id ("+project_id"
 * keeps the planner off the project_id indexes, which would read and sort
 * the whole project for each page). The correlated subquery picks the
 * annotation per item through annotations_owner (item_id first); the kind's
 * bit in ?4 follows enum annotation_kind (manual 0, prediction 1, gold 2,
 * consensus 3).
 */
int sqlite_item_docs(struct store *st, int64_t project_id, unsigned kinds,
		     int64_t after_id, int64_t limit, store_item_doc_cb cb, void *ctx,
		     struct buf *err)
{
	_Static_assert(ANN_MANUAL == 0 && ANN_PREDICTION == 1 && ANN_GOLD == 2 &&
		       ANN_CONSENSUS == 3, "the kind bits in the SQL below");
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT " ITEM_COLS_I ", a.id, a.kind, a.schema_version, h.body "
			       "FROM items i LEFT JOIN annotations a ON a.id = (SELECT b.id FROM "
			       "annotations b WHERE b.item_id = i.id AND (?4 = 0 OR (?4 >> CASE "
			       "b.kind WHEN 'manual' THEN 0 WHEN 'prediction' THEN 1 WHEN 'gold' "
			       "THEN 2 ELSE 3 END) & 1) ORDER BY CASE b.kind WHEN 'consensus' THEN 4 "
			       "WHEN 'gold' THEN 3 WHEN 'manual' THEN 2 ELSE 1 END DESC, "
			       "b.updated_at DESC, b.id LIMIT 1) "
			       "LEFT JOIN annotation_history h ON h.annotation_id = a.id AND "
			       "h.version = a.version "
			       "WHERE +i.project_id = ?1 AND i.id > ?2 ORDER BY i.id LIMIT ?3", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, after_id);
	sqlite3_bind_int64(q, 3, limit > 0 ? limit : -1);
	sqlite3_bind_int64(q, 4, kinds);
	int rc = SQLITE_DONE, cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_item_doc d;
		sq_item_from_row(q, &d.item);
		d.ann_id = sqlite3_column_int64(q, 19);
		d.kind = ANN_MANUAL;
		annotation_kind_parse((const char *)sqlite3_column_text(q, 20), &d.kind);
		d.schema_version = sqlite3_column_int64(q, 21);
		d.body = (const char *)sqlite3_column_text(q, 22);
		d.body_len = (size_t)sqlite3_column_bytes(q, 22);
		if (!d.ann_id)
			d.body = NULL;
		cbrc = cb(ctx, &d);
		item_release(&d.item);
	}
	sqlite3_reset(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list items with annotations", err);
	return 0;
}

int sqlite_ann_docs(struct store *st, int64_t project_id, unsigned kinds,
		    int64_t first_item, int64_t last_item, store_ann_doc_cb cb, void *ctx,
		    struct buf *err)
{
	struct sqlite_store *s = S(st);
	/* Prepared per call, not cached: a callback may read the store. */
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db,
		"SELECT a.id, a.item_id, ifnull(a.user_id, 0), a.version, a.schema_version, "
		"a.updated_at, a.kind, h.body FROM annotations a LEFT JOIN annotation_history h ON "
		"h.annotation_id = a.id AND h.version = a.version WHERE a.item_id BETWEEN ?2 AND ?3 "
		"AND a.project_id = ?1 AND (?4 = 0 OR (?4 >> CASE a.kind WHEN 'manual' THEN 0 WHEN "
		"'prediction' THEN 1 WHEN 'gold' THEN 2 ELSE 3 END) & 1) ORDER BY a.item_id, a.id",
		-1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list annotations with bodies", err);
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, first_item);
	sqlite3_bind_int64(q, 3, last_item);
	sqlite3_bind_int64(q, 4, kinds);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_ann_doc d = {
			.id = sqlite3_column_int64(q, 0),
			.item_id = sqlite3_column_int64(q, 1),
			.user_id = sqlite3_column_int64(q, 2),
			.version = sqlite3_column_int64(q, 3),
			.schema_version = sqlite3_column_int64(q, 4),
			.updated_at = sqlite3_column_int64(q, 5),
			.kind = ANN_MANUAL,
		};
		annotation_kind_parse((const char *)sqlite3_column_text(q, 6), &d.kind);
		d.body = (const char *)sqlite3_column_text(q, 7);
		d.body_len = (size_t)sqlite3_column_bytes(q, 7);
		cbrc = cb(ctx, &d);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list annotations with bodies", err);
	return 0;
}

static const char *object_type_name(enum shape_kind k)
{
	return shape_kind_name(k);
}

/*
 * Binds an object's columns as ?1..?24 of the INSERT below (the UPDATE
 * uses the same numbers). tmp holds the mask's RLE text.
 */
static int bind_object(sqlite3_stmt *q, int64_t ann_id, const struct annotation_write *w,
		       const struct ann_object *o, struct buf *tmp)
{
	sqlite3_bind_int64(q, 1, ann_id);
	sqlite3_bind_int64(q, 2, w->project_id);
	sqlite3_bind_int64(q, 3, w->key.item_id);
	bind_id(q, 4, w->label_ids ? w->label_ids[o->label] : 0);
	sqlite3_bind_text(q, 5, object_type_name(o->type), -1, SQLITE_STATIC);
	if (o->npts)
		sqlite3_bind_blob(q, 6, o->pts, (int)(o->npts * sizeof(double)), SQLITE_STATIC);
	if (o->type == SHAPE_MASK) {
		buf_reset(tmp);
		rle_to_string(&o->mask, tmp);
		sqlite3_bind_text(q, 7, tmp->data, (int)tmp->len, SQLITE_TRANSIENT);
	}
	sqlite3_bind_double(q, 8, o->x0);
	sqlite3_bind_double(q, 9, o->y0);
	sqlite3_bind_double(q, 10, o->x1);
	sqlite3_bind_double(q, 11, o->y1);
	sqlite3_bind_double(q, 12, o->area);
	if (o->has_score)
		sqlite3_bind_double(q, 13, o->score);
	sqlite3_bind_text(q, 14, o->attrs ? o->attrs : "{}", -1, SQLITE_STATIC);
	if (o->text)
		sqlite3_bind_text(q, 15, o->text, -1, SQLITE_STATIC);
	if (o->has_frame)
		sqlite3_bind_int64(q, 16, o->frame);
	if (o->has_track)
		sqlite3_bind_int64(q, 17, o->track);
	sqlite3_bind_int(q, 18, o->keyframe || !o->has_track);
	sqlite3_bind_int(q, 19, o->outside);
	sqlite3_bind_int(q, 20, o->occluded);
	sqlite3_bind_int(q, 21, o->z_order);
	if (o->has_group)
		sqlite3_bind_int64(q, 22, o->group);
	sqlite3_bind_text(q, 23, o->uid, -1, SQLITE_STATIC);
	if (o->rings && o->nrings) {
		uint32_t *r = malloc(o->nrings * sizeof(*r));
		if (!r)
			return CAIRN_ENOMEM;
		for (size_t k = 0; k < o->nrings; k++)
			r[k] = (uint32_t)o->rings[k];
		sqlite3_bind_blob(q, 24, r, (int)(o->nrings * sizeof(*r)), free);
	}
	return 0;
}

#define OBJECT_INSERT "INSERT INTO objects(annotation_id, project_id, item_id, label_id, type, " \
	"geometry, rle, x0, y0, x1, y1, area, score, attributes, text, frame, track_id, keyframe, " \
	"outside, occluded, z_order, group_id, uid, rings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, " \
	"?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"

/* Replaces all the objects (and relations) of an annotation by the document's. */
int sq_rewrite_objects(struct sqlite_store *s, int64_t ann_id, const struct annotation_write *w,
		       struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "DELETE FROM objects WHERE annotation_id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, ann_id);
	int rc = sq_step_done(s, q, "clear objects", err);
	if (rc)
		return rc;
	const struct ann_doc *d = w->doc;
	if (!d || !d->nobjects)
		return 0;
	int64_t *ids = malloc(d->nobjects * sizeof(*ids));
	if (!ids)
		return CAIRN_ENOMEM;
	q = sq_stmt(s, OBJECT_INSERT, err);
	if (!q) {
		free(ids);
		return CAIRN_EIO;
	}
	struct buf tmp = BUF_INIT;
	for (size_t i = 0; i < d->nobjects && !rc; i++) {
		const struct ann_object *o = &d->objects[i];
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		if ((rc = bind_object(q, ann_id, w, o, &tmp)))
			break;
		int src = sqlite3_step(q);
		if (src != SQLITE_DONE)
			rc = sq_db_error(s, src, "write object", err);
		ids[i] = sqlite3_last_insert_rowid(s->db);
	}
	sqlite3_reset(q);
	/* Parents and relations refer to objects written above. */
	for (size_t i = 0; i < d->nobjects && !rc; i++) {
		const struct ann_object *o = &d->objects[i];
		if (o->parent_index == SIZE_MAX || o->parent_index >= d->nobjects)
			continue;
		sqlite3_stmt *u = sq_stmt(s, "UPDATE objects SET parent_id = ?2 WHERE id = ?1", err);
		if (!u) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(u, 1, ids[i]);
		sqlite3_bind_int64(u, 2, ids[o->parent_index]);
		rc = sq_step_done(s, u, "link parent", err);
	}
	for (size_t i = 0; i < d->nrelations && !rc; i++) {
		const struct ann_relation *r = &d->relations[i];
		sqlite3_stmt *u = sq_stmt(s, "INSERT INTO relations(annotation_id, type, from_object, "
				       "to_object) VALUES (?1, ?2, ?3, ?4)", err);
		if (!u) {
			rc = CAIRN_EIO;
			break;
		}
		char type[32];
		snprintf(type, sizeof(type), "%zu", r->type);
		sqlite3_bind_int64(u, 1, ann_id);
		bind_text(u, 2, type);
		sqlite3_bind_int64(u, 3, ids[r->from]);
		sqlite3_bind_int64(u, 4, ids[r->to]);
		rc = sq_step_done(s, u, "write relation", err);
	}
	buf_release(&tmp);
	free(ids);
	return rc;
}


struct old_object {
	int64_t id;
	char *uid;
	bool seen;
};

static int old_object_cmp(const void *a, const void *b)
{
	return strcmp(((const struct old_object *)a)->uid, ((const struct old_object *)b)->uid);
}

/*
 * Reads the annotation's object rows (id, uid), sorted by uid. *linked
 * tells whether any has a parent or the annotation has relations (those
 * refer to row ids, so such annotations are rewritten whole).
 */
static int read_old_objects(struct sqlite_store *s, int64_t ann_id, struct old_object **out,
			    size_t *n, bool *linked, struct buf *err)
{
	*out = NULL;
	*n = 0;
	*linked = false;
	sqlite3_stmt *q = sq_stmt(s, "SELECT id, uid, parent_id IS NOT NULL FROM objects "
			       "WHERE annotation_id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, ann_id);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *uid = sqlite3_column_text(q, 1);
		if (!uid || !*uid || sqlite3_column_int(q, 2))
			*linked = true;
		if (*linked)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct old_object *nv = realloc(*out, cap * sizeof(**out));
			if (!nv) {
				sqlite3_reset(q);
				return CAIRN_ENOMEM;
			}
			*out = nv;
		}
		char *dup = strdup((const char *)uid);
		if (!dup) {
			sqlite3_reset(q);
			return CAIRN_ENOMEM;
		}
		(*out)[(*n)++] = (struct old_object){sqlite3_column_int64(q, 0), dup, false};
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read objects", err);
	if (!*linked) {
		q = sq_stmt(s, "SELECT EXISTS (SELECT 1 FROM relations WHERE annotation_id = ?1)", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, ann_id);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && sqlite3_column_int(q, 0))
			*linked = true;
		sqlite3_reset(q);
		if (rc != SQLITE_ROW)
			return sq_db_error(s, rc, "read relations", err);
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), old_object_cmp);
	return 0;
}

/* Past this many changed or removed objects, compare every row instead. */
#define KNOWN_CHANGES_MAX 16

/*
 * Writes only the objects the caller found changed (w->changed) and
 * deletes the removed ones, addressing rows by uid. Returns 1 (write
 * nothing yet) when there are too many changes for per-uid statements.
 */
static int write_known_changes(struct sqlite_store *s, int64_t ann_id,
			       const struct annotation_write *w, struct buf *err)
{
	const struct ann_doc *d = w->doc;
	size_t n = w->nremoved;
	for (size_t i = 0; i < d->nobjects; i++)
		n += w->changed[i];
	if (n > KNOWN_CHANGES_MAX)
		return 1;
	struct buf tmp = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < d->nobjects && !rc; i++) {
		if (!w->changed[i])
			continue;
		sqlite3_stmt *q = sq_stmt(s, "UPDATE objects SET label_id = ?4, type = ?5, geometry = ?6, "
				       "rle = ?7, x0 = ?8, y0 = ?9, x1 = ?10, y1 = ?11, area = ?12, "
				       "score = ?13, attributes = ?14, text = ?15, frame = ?16, "
				       "track_id = ?17, keyframe = ?18, outside = ?19, occluded = ?20, "
				       "z_order = ?21, group_id = ?22, rings = ?24 "
				       "WHERE annotation_id = ?1 AND uid = ?23", err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		if ((rc = bind_object(q, ann_id, w, &d->objects[i], &tmp)) ||
		    (rc = sq_step_done(s, q, "update object", err)))
			break;
		if (sqlite3_changes(s->db) > 0)
			continue;
		if (!(q = sq_stmt(s, OBJECT_INSERT, err))) {
			rc = CAIRN_EIO;
			break;
		}
		if ((rc = bind_object(q, ann_id, w, &d->objects[i], &tmp)))
			break;
		rc = sq_step_done(s, q, "write object", err);
	}
	buf_release(&tmp);
	for (size_t i = 0; i < w->nremoved && !rc; i++) {
		sqlite3_stmt *q = sq_stmt(s, "DELETE FROM objects WHERE annotation_id = ?1 AND uid = ?2",
				       err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, ann_id);
		bind_text(q, 2, w->removed_uids[i]);
		rc = sq_step_done(s, q, "delete object", err);
	}
	return rc;
}

/*
 * Makes the annotation's object rows equal to the document's, writing only
 * what changed: rows are matched by the object's uid; a matched row is
 * updated only when a column differs (the UPDATE's WHERE compares them, so
 * an unchanged object costs one read and no write), new uids are inserted
 * and missing ones deleted. Documents with parents or relations, whose rows
 * refer to each other by row id, are rewritten whole.
 */
static int write_objects(struct sqlite_store *s, int64_t ann_id, const struct annotation_write *w,
			 struct buf *err)
{
	const struct ann_doc *d = w->doc;
	bool whole = !d || d->nrelations;
	for (size_t i = 0; d && i < d->nobjects && !whole; i++)
		if (d->objects[i].parent_index != SIZE_MAX || !d->objects[i].uid[0])
			whole = true;
	struct old_object *old = NULL;
	size_t nold = 0;
	bool linked = false;
	int rc = 0;
	if (d && w->unchanged)
		return 0;
	if (d && w->changed && !whole && (rc = write_known_changes(s, ann_id, w, err)) != 1)
		return rc;
	rc = 0;
	if (!whole) {
		if ((rc = read_old_objects(s, ann_id, &old, &nold, &linked, err)))
			goto out;
		whole = linked;
	}
	if (whole) {
		rc = sq_rewrite_objects(s, ann_id, w, err);
		goto out;
	}
	struct buf tmp = BUF_INIT;
	for (size_t i = 0; i < d->nobjects && !rc; i++) {
		const struct ann_object *o = &d->objects[i];
		struct old_object key = {0, (char *)o->uid, false};
		struct old_object *m = nold ? bsearch(&key, old, nold, sizeof(*old), old_object_cmp)
					    : NULL;
		sqlite3_stmt *q;
		if (m) {
			m->seen = true;
			q = sq_stmt(s, "UPDATE objects SET label_id = ?4, type = ?5, geometry = ?6, rle = ?7, "
				 "x0 = ?8, y0 = ?9, x1 = ?10, y1 = ?11, area = ?12, score = ?13, "
				 "attributes = ?14, text = ?15, frame = ?16, track_id = ?17, keyframe = ?18, "
				 "outside = ?19, occluded = ?20, z_order = ?21, group_id = ?22, rings = ?24 "
				 "WHERE id = ?25 AND NOT (label_id IS ?4 AND type IS ?5 AND geometry IS ?6 "
				 "AND rle IS ?7 AND x0 IS ?8 AND y0 IS ?9 AND x1 IS ?10 AND y1 IS ?11 AND "
				 "area IS ?12 AND score IS ?13 AND attributes IS ?14 AND text IS ?15 AND "
				 "frame IS ?16 AND track_id IS ?17 AND keyframe IS ?18 AND outside IS ?19 "
				 "AND occluded IS ?20 AND z_order IS ?21 AND group_id IS ?22 AND "
				 "rings IS ?24)", err);
		} else {
			q = sq_stmt(s, OBJECT_INSERT, err);
		}
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		if ((rc = bind_object(q, ann_id, w, o, &tmp)))
			break;
		if (m)
			sqlite3_bind_int64(q, 25, m->id);
		rc = sq_step_done(s, q, m ? "update object" : "write object", err);
	}
	buf_release(&tmp);
	for (size_t i = 0; i < nold && !rc; i++) {
		if (old[i].seen)
			continue;
		sqlite3_stmt *q = sq_stmt(s, "DELETE FROM objects WHERE id = ?1", err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, old[i].id);
		rc = sq_step_done(s, q, "delete object", err);
	}
out:
	for (size_t i = 0; i < nold; i++)
		free(old[i].uid);
	free(old);
	return rc;
}

/*
 * Routing (docs/workflow.md): a submitted manual annotation finishes its
 * annotator's assignment of the item (made here when they had none, so the
 * item is never routed to them again); a draft renews their reservation,
 * since they are not idle.
 */

static int annotation_save_on(struct sqlite_store *s, const struct annotation_write *w,
			      int64_t *id_out, int64_t *version_out, struct buf *err)
{
	int rc = 0;
	int64_t id = 0, version = 0, now = now_ms();
	TX_BEGIN(s, err);
	sqlite3_stmt *q = sq_stmt(s, "SELECT id, version, status = ?5 FROM annotations WHERE "
			       "item_id = ?1 AND kind = ?2 AND ifnull(user_id, 0) = ?3 AND source = ?4",
			       err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->key.item_id);
	bind_text(q, 2, annotation_kind_name(w->key.kind));
	sqlite3_bind_int64(q, 3, w->key.user_id);
	bind_text(q, 4, w->key.source ? w->key.source : "");
	bind_text(q, 5, w->status ? w->status : "draft");
	bool same_status = false;
	int step = sqlite3_step(q);
	bool existed = step == SQLITE_ROW;
	if (step == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
		version = sqlite3_column_int64(q, 1);
		same_status = sqlite3_column_int(q, 2) == 1;
	}
	sqlite3_reset(q);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = sq_db_error(s, step, "read annotation", err);
		goto out;
	}
	if (version != w->expected_version) {
		buf_setf(err, "the annotation is at version %lld, not %lld", (long long)version,
			 (long long)w->expected_version);
		rc = CAIRN_ECONFLICT;
		goto out;
	}
	if (!id) {
		q = sq_stmt(s, "INSERT INTO annotations(project_id, item_id, user_id, source, kind, status, "
			 "version, schema_version, lead_time_ms, created_at, updated_at) VALUES "
			 "(?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?9)", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, w->project_id);
		sqlite3_bind_int64(q, 2, w->key.item_id);
		bind_id(q, 3, w->key.user_id);
		bind_text(q, 4, w->key.source ? w->key.source : "");
		bind_text(q, 5, annotation_kind_name(w->key.kind));
		bind_text(q, 6, w->status ? w->status : "draft");
		sqlite3_bind_int64(q, 7, w->schema_version);
		sqlite3_bind_int64(q, 8, w->lead_time_ms);
		sqlite3_bind_int64(q, 9, now);
		if ((rc = sq_step_done(s, q, "create annotation", err)))
			goto out;
		id = sqlite3_last_insert_rowid(s->db);
		version = 1;
	} else {
		/* Without status when it stays: setting it, even to the same
		 * value, rewrites its two index entries (two more pages). */
		q = same_status
			? sq_stmt(s, "UPDATE annotations SET version = version + 1, "
			       "schema_version = ?4, lead_time_ms = lead_time_ms + ?5, updated_at = ?6 "
			       "WHERE id = ?1 AND version = ?2", err)
			: sq_stmt(s, "UPDATE annotations SET version = version + 1, status = ?3, "
			       "schema_version = ?4, lead_time_ms = lead_time_ms + ?5, updated_at = ?6 "
			       "WHERE id = ?1 AND version = ?2", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, version);
		bind_text(q, 3, w->status ? w->status : "draft");
		sqlite3_bind_int64(q, 4, w->schema_version);
		sqlite3_bind_int64(q, 5, w->lead_time_ms);
		sqlite3_bind_int64(q, 6, now);
		if ((rc = sq_step_done(s, q, "update annotation", err)))
			goto out;
		version++;
	}
	q = sq_stmt(s, "INSERT INTO annotation_history(annotation_id, version, user_id, status, body, "
		 "summary, created_at, schema_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, version);
	bind_id(q, 3, w->saved_by);
	bind_text(q, 4, w->status ? w->status : "draft");
	bind_text(q, 5, w->body);
	bind_text(q, 6, w->summary);
	sqlite3_bind_int64(q, 7, now);
	sqlite3_bind_int64(q, 8, w->schema_version);
	if ((rc = sq_step_done(s, q, "write history", err)))
		goto out;
	if ((rc = s->bulk ? sq_bulk_write_objects(s, id, existed, w, err) : write_objects(s, id, w, err)))
		goto out;
	/* An item with a first manual annotation is in progress. */
	if (w->key.kind == ANN_MANUAL) {
		/* A draft of an item already in progress touches only updated_at:
		 * setting status to the same value would rewrite its index entry
		 * and run the count triggers for nothing. */
		q = sq_stmt(s, "UPDATE items SET updated_at = ?3 WHERE id = ?1 AND ?2 IS NOT 'submitted' "
			 "AND status = 'in_progress'", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, w->key.item_id);
		bind_text(q, 2, w->status ? w->status : "draft");
		sqlite3_bind_int64(q, 3, now);
		if ((rc = sq_step_done(s, q, "update item status", err)))
			goto out;
		if (sqlite3_changes(s->db) == 0) {
			q = sq_stmt(s, "UPDATE items SET status = CASE WHEN ?2 = 'submitted' THEN "
				 "'annotated' ELSE 'in_progress' END, updated_at = ?3 WHERE id = ?1 AND "
				 "status IN ('new', 'in_progress', 'rejected')", err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, w->key.item_id);
			bind_text(q, 2, w->status ? w->status : "draft");
			sqlite3_bind_int64(q, 3, now);
			if ((rc = sq_step_done(s, q, "update item status", err)))
				goto out;
		}
		if ((rc = sq_assignment_on_save(s, w, now, err)))
			goto out;
	}
	/* The audit row rides in the same transaction: one commit, one fsync. */
	if (w->audit_action) {
		q = sq_stmt(s, "INSERT INTO audit(at, user_id, project_id, action, target_type, "
			 "target_id, detail) VALUES (?1, ?2, ?3, ?4, 'annotation', ?5, ?6)", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, now);
		bind_id(q, 2, w->saved_by);
		bind_id(q, 3, w->project_id);
		bind_text(q, 4, w->audit_action);
		sqlite3_bind_int64(q, 5, id);
		if (w->audit_detail)
			bind_text(q, 6, w->audit_detail);
		if ((rc = sq_step_done(s, q, "write audit log", err)))
			goto out;
	}
	if (id_out)
		*id_out = id;
	if (version_out)
		*version_out = version;
out:
	TX_END(s, rc, err);
	return rc;
}

/*
 * A save through gsync's shared writer connection (see struct gsync), when
 * this handle is not inside a transaction of its own: the writer mutex is
 * held from BEGIN to COMMIT, then let go, and only then does this thread
 * wait for the group fsync that makes the commit durable, through its own
 * handle's WAL file. So a 0 return still means committed and on disk.
 */
int sqlite_annotation_save(struct store *st, const struct annotation_write *w,
			   int64_t *id_out, int64_t *version_out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	/* Reads after the save must see it (and a 409 the current version). */
	sq_snapshot_end(s);
	if (!s->gsync || s->in_tx || s->is_ws)
		return annotation_save_on(s, w, id_out, version_out, err);
	int rc = sq_writer_acquire(s, "save annotation", err);
	if (rc)
		return rc;
	struct gsync *g = s->gsync;
	if (!g->ws) {
		struct store *ws;
		struct buf e2 = BUF_INIT;
		if (sq_open_handle(&ws, s->path, 0, s->version, g, &e2) == 0)
			g->ws = S(ws);
		buf_release(&e2);
	}
	if (!g->ws) {
		/* No second connection (out of file handles?): save on this one. */
		sq_writer_release(s);
		return annotation_save_on(s, w, id_out, version_out, err);
	}
	struct sqlite_store *ws = g->ws;
	ws->ticket = 0;
	rc = annotation_save_on(ws, w, id_out, version_out, err);
	uint64_t mine = ws->ticket;
	int nframes = ws->nframes;
	/* The fsync goes through this thread's own handle on the WAL; one that
	 * has not opened it yet syncs through the writer's, still holding it. */
	sqlite3_file *wal = sq_wal_file(s->db);
	int src = SQLITE_OK;
	if (!rc && mine && !wal)
		src = sq_group_sync(g, mine, sq_wal_file(ws->db));
	sq_writer_release(s);
	if (!rc && mine && wal)
		src = sq_group_sync(g, mine, wal);
	if (src != SQLITE_OK) {
		buf_setf(err, "store: save annotation: cannot sync the log: %s", sqlite3_errstr(src));
		return CAIRN_EIO;
	}
	/* The writer's hook replaces SQLite's auto-checkpoint at 1,000 frames. */
	if (!rc && nframes >= 1000)
		sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return rc;
}

int sqlite_history_list(struct store *st, int64_t annotation_id, store_history_cb cb,
			void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT h.version, ifnull(h.user_id, 0), u.name, h.status, "
				    "h.summary, h.created_at FROM annotation_history h LEFT JOIN users u "
				    "ON u.id = h.user_id WHERE h.annotation_id = ?1 ORDER BY h.version DESC",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list history", err);
	sqlite3_bind_int64(q, 1, annotation_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct history_entry h = {
			.version = sqlite3_column_int64(q, 0),
			.user_id = sqlite3_column_int64(q, 1),
			.user_name = (const char *)sqlite3_column_text(q, 2),
			.status = (const char *)sqlite3_column_text(q, 3),
			.summary = (const char *)sqlite3_column_text(q, 4),
			.created_at = sqlite3_column_int64(q, 5),
		};
		cbrc = cb(ctx, &h);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list history", err);
	return 0;
}

int sqlite_history_get(struct store *st, int64_t annotation_id, int64_t version,
		       char **body, int64_t *schema_version, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT body, schema_version FROM annotation_history WHERE "
			       "annotation_id = ?1 AND version = ?2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, annotation_id);
	sqlite3_bind_int64(q, 2, version);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*body = col_strdup(q, 0);
		if (schema_version)
			*schema_version = sqlite3_column_int64(q, 1);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read history", err);
	buf_setf(err, "annotation %lld has no version %lld", (long long)annotation_id,
		 (long long)version);
	return CAIRN_ENOTFOUND;
}


