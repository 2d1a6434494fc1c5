/*
 * store_sqlite_queue.c - the SQLite backend (store_sqlite.c): batches, routing to annotators (the
 * queue: reservations, overlap, calibration and gold items).
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

/* A row-stepping helper for single-value queries: *out gets column 0. */
int sq_one_i64(struct sqlite_store *s, sqlite3_stmt *q, int64_t *out, const char *what,
	       struct buf *err)
{
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_db_error(s, rc, what, err);
	if (rc == SQLITE_DONE)
		return CAIRN_ENOTFOUND;
	return 0;
}

int sq_wf_audit(struct sqlite_store *s, int64_t user_id, int64_t project_id,
		const char *action, const char *target_type, int64_t target_id,
		const char *detail, struct buf *err)
{
	return sqlite_audit(&s->base, user_id, project_id, action, target_type, target_id, detail,
			    err);
}

/*
 * Recounts an item's live annotate assignments (reserved or done, not
 * gold) into items.assigned, and sets items.queue: 1 while the item wants
 * more annotators (always in a calibration batch).
 */
int sq_item_requeue(struct sqlite_store *s, int64_t item_id, struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "UPDATE items SET assigned = (SELECT count(*) FROM assignments a "
			       "WHERE a.item_id = ?1 AND a.role = 'annotate' AND a.is_gold = 0 AND "
			       "a.state IN ('reserved', 'done')), queue = CASE WHEN (SELECT kind FROM "
			       "batches b WHERE b.id = items.batch_id) = 'calibration' THEN 1 ELSE "
			       "(SELECT count(*) FROM assignments a WHERE a.item_id = ?1 AND a.role = "
			       "'annotate' AND a.is_gold = 0 AND a.state IN ('reserved', 'done')) < "
			       "ifnull((SELECT overlap FROM batches b WHERE b.id = items.batch_id), 1) END "
			       "WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, item_id);
	return sq_step_done(s, q, "requeue item", err);
}

#define RECLAIM_MAX 256

int sq_reclaim_locked(struct sqlite_store *s, int64_t now, int64_t *count, struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "SELECT a.id, a.item_id, a.user_id, ifnull(a.batch_id, 0), "
			       "i.project_id, a.role = 'review' FROM assignments a JOIN items i ON "
			       "i.id = a.item_id WHERE a.state = 'reserved' AND a.expires_at < ?1 "
			       "LIMIT ?2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int(q, 2, RECLAIM_MAX);
	int64_t rows[RECLAIM_MAX][6];
	int n = 0, rc;
	while (n < RECLAIM_MAX && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (int c = 0; c < 6; c++)
			rows[n][c] = sqlite3_column_int64(q, c);
		n++;
	}
	if (n < RECLAIM_MAX && rc != SQLITE_DONE) {
		sqlite3_reset(q);
		return sq_db_error(s, rc, "find expired reservations", err);
	}
	sqlite3_reset(q);
	for (int i = 0; i < n; i++) {
		q = sq_stmt(s, "UPDATE assignments SET state = 'released', finished_at = ?2 WHERE id = ?1",
			 err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, rows[i][0]);
		sqlite3_bind_int64(q, 2, now);
		if ((rc = sq_step_done(s, q, "reclaim reservation", err)) ||
		    (rc = sq_item_requeue(s, rows[i][1], err)))
			return rc;
		char detail[96];
		snprintf(detail, sizeof(detail), "{\"user\":%lld,\"batch\":%lld}",
			 (long long)rows[i][2], (long long)rows[i][3]);
		if ((rc = sq_wf_audit(s, 0, rows[i][4], rows[i][5] ? "review.reclaim" : "queue.reclaim",
				   "item", rows[i][1], detail, err)))
			return rc;
	}
	if (count)
		*count += n;
	return 0;
}

int sqlite_queue_reclaim(struct store *st, int64_t now, int64_t *n, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc = 0;
	if (n)
		*n = 0;
	TX_BEGIN(s, err);
	rc = sq_reclaim_locked(s, now ? now : now_ms(), n, err);
	TX_END(s, rc, err);
	return rc;
}

#define BATCH_COLS "b.id, b.project_id, b.name, b.kind, b.stage, b.overlap, b.review_sample, " \
	"b.gold_first, b.gold_rate, b.reserve_ms, ifnull(b.signed_off_by, 0), " \
	"ifnull(b.signed_off_at, 0), b.created_at, " \
	"(SELECT count(*) FROM items i WHERE i.batch_id = b.id), " \
	"(SELECT count(*) FROM items i WHERE i.batch_id = b.id AND i.queue = 1), " \
	"(SELECT count(*) FROM assignments a WHERE a.batch_id = b.id AND a.state = 'reserved' " \
	"AND a.role = 'annotate'), " \
	"(SELECT count(*) FROM assignments a WHERE a.batch_id = b.id AND a.state = 'done' AND " \
	"a.role = 'annotate')"

static void batch_from_row(sqlite3_stmt *q, struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(q, 0);
	b->project_id = sqlite3_column_int64(q, 1);
	b->name = col_strdup(q, 2);
	const char *kind = (const char *)sqlite3_column_text(q, 3);
	b->calibration = kind && !strcmp(kind, "calibration");
	const char *stage = (const char *)sqlite3_column_text(q, 4);
	snprintf(b->stage, sizeof(b->stage), "%s", stage ? stage : "annotate");
	b->overlap = sqlite3_column_int64(q, 5);
	b->review_sample = sqlite3_column_double(q, 6);
	b->gold_first = sqlite3_column_int64(q, 7);
	b->gold_rate = sqlite3_column_double(q, 8);
	b->reserve_ms = sqlite3_column_int64(q, 9);
	b->signed_off_by = sqlite3_column_int64(q, 10);
	b->signed_off_at = sqlite3_column_int64(q, 11);
	b->created_at = sqlite3_column_int64(q, 12);
	b->items = sqlite3_column_int64(q, 13);
	b->open_items = b->calibration ? -1 : sqlite3_column_int64(q, 14);
	b->reserved = sqlite3_column_int64(q, 15);
	b->submitted = sqlite3_column_int64(q, 16);
}

int sqlite_batch_get(struct store *st, int64_t id, struct batch *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT " BATCH_COLS " FROM batches b WHERE b.id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		batch_from_row(q, out);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read batch", err);
	buf_setf(err, "no batch %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_batch_list(struct store *st, int64_t project_id, int64_t member_id,
		      store_batch_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = member_id
		? sq_stmt(s, "SELECT " BATCH_COLS " FROM batches b WHERE b.project_id = ?1 AND b.id IN "
		       "(SELECT batch_id FROM batch_members WHERE user_id = ?2) ORDER BY b.id", err)
		: sq_stmt(s, "SELECT " BATCH_COLS " FROM batches b WHERE b.project_id = ?1 ORDER BY b.id",
		       err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	if (member_id)
		sqlite3_bind_int64(q, 2, member_id);
	/* Read them all first: the callback may use the store. A project
	 * has at most a few thousand batches. */
	struct batch *v = NULL;
	size_t n = 0, cap = 0;
	int rc, cbrc = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		batch_from_row(q, &v[n++]);
	}
	sqlite3_reset(q);
	for (size_t i = 0; i < n; i++) {
		if (!cbrc && rc == SQLITE_DONE)
			cbrc = cb(ctx, &v[i]);
		batch_release(&v[i]);
	}
	free(v);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list batches", err);
	return cbrc;
}

int sqlite_batch_scope(struct store *st, int64_t batch_id, int64_t *project_id,
		       struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT project_id FROM batches WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, batch_id);
	int rc = sq_one_i64(s, q, project_id, "find batch", err);
	if (rc == CAIRN_ENOTFOUND)
		buf_setf(err, "no batch %lld", (long long)batch_id);
	return rc;
}

int sqlite_batch_create(struct store *st, const struct batch_spec *sp, int64_t **ids_out,
			size_t *n_out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	*ids_out = NULL;
	*n_out = 0;
	if (sp->size < 1 || sp->overlap < 1 || !(sp->review_sample > 0 && sp->review_sample <= 1) ||
	    sp->gold_first < 0 || !(sp->gold_rate >= 0 && sp->gold_rate <= 1) || sp->reserve_ms < 1000) {
		buf_setf(err, "batch: size and overlap must be >= 1, review_sample in (0, 1], "
			 "gold_rate in [0, 1], the reservation at least a second");
		return CAIRN_EINVAL;
	}
	/* The text is made only of the fixed fragments below; values are bound. */
	struct buf sql = BUF_INIT;
	buf_adds(&sql, "SELECT i.id FROM items i WHERE i.project_id = :p AND i.batch_id IS NULL "
		 "AND NOT EXISTS (SELECT 1 FROM annotations g WHERE g.item_id = i.id AND "
		 "g.kind = 'gold')");
	if (sp->status >= 0)
		buf_adds(&sql, " AND i.status = :status");
	if (sp->kind >= 0)
		buf_adds(&sql, " AND i.kind = :kind");
	if (sp->split)
		buf_adds(&sql, " AND i.split = :split");
	buf_adds(&sql, sp->random_order ? " ORDER BY (i.id * 2654435761 + :seed) % 4294967311, i.id"
					: " ORDER BY i.id");
	if (sp->limit > 0)
		buf_adds(&sql, " LIMIT :limit");
	int rc = 0;
	int64_t *items = NULL, *ids = NULL;
	size_t n = 0, cap = 0, nb = 0;
	TX_BEGIN(s, err);
	sqlite3_stmt *q = NULL;
	int src = sqlite3_prepare_v2(s->db, sql.data, -1, &q, NULL);
	if (src != SQLITE_OK) {
		rc = sq_db_error(s, src, "prepare batch items", err);
		goto out;
	}
#define BI(name, v) sqlite3_bind_int64(q, sqlite3_bind_parameter_index(q, name), (v))
	BI(":p", sp->project_id);
	if (sp->status >= 0)
		sqlite3_bind_text(q, sqlite3_bind_parameter_index(q, ":status"),
				  item_status_name(sp->status), -1, SQLITE_STATIC);
	if (sp->kind >= 0)
		sqlite3_bind_text(q, sqlite3_bind_parameter_index(q, ":kind"),
				  item_kind_name(sp->kind), -1, SQLITE_STATIC);
	if (sp->split)
		sqlite3_bind_text(q, sqlite3_bind_parameter_index(q, ":split"), sp->split, -1,
				  SQLITE_TRANSIENT);
	if (sp->random_order)
		BI(":seed", (int64_t)(sp->seed & 0xffffffffu));
	if (sp->limit > 0)
		BI(":limit", sp->limit);
#undef BI
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			items = realloc(items, cap * sizeof(*items));
			if (!items)
				abort();
		}
		items[n++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (src != SQLITE_DONE) {
		rc = sq_db_error(s, src, "read batch items", err);
		goto out;
	}
	if (!n) {
		buf_setf(err, "batch: no unbatched item without gold matches");
		rc = CAIRN_EINVAL;
		goto out;
	}
	nb = (n + (size_t)sp->size - 1) / (size_t)sp->size;
	ids = calloc(nb, sizeof(*ids));
	if (!ids)
		abort();
	int64_t now = now_ms();
	for (size_t b = 0; b < nb; b++) {
		char name[300];
		if (nb == 1)
			snprintf(name, sizeof(name), "%s", sp->name);
		else
			snprintf(name, sizeof(name), "%s-%zu", sp->name, b + 1);
		q = sq_stmt(s, "INSERT INTO batches(project_id, name, kind, stage, overlap, review_sample, "
			 "created_at, gold_first, gold_rate, reserve_ms) VALUES (?1, ?2, ?3, 'annotate', "
			 "?4, ?5, ?6, ?7, ?8, ?9)", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, sp->project_id);
		bind_text(q, 2, name);
		bind_text(q, 3, sp->calibration ? "calibration" : "normal");
		sqlite3_bind_int64(q, 4, sp->overlap);
		sqlite3_bind_double(q, 5, sp->review_sample);
		sqlite3_bind_int64(q, 6, now);
		sqlite3_bind_int64(q, 7, sp->gold_first);
		sqlite3_bind_double(q, 8, sp->gold_rate);
		sqlite3_bind_int64(q, 9, sp->reserve_ms);
		int step = sqlite3_step(q);
		sqlite3_reset(q);
		if ((step & 0xff) == SQLITE_CONSTRAINT) {
			buf_setf(err, "batch: the project already has a batch named '%s'", name);
			rc = CAIRN_EEXIST;
			goto out;
		}
		if (step != SQLITE_DONE) {
			rc = sq_db_error(s, step, "create batch", err);
			goto out;
		}
		ids[b] = sqlite3_last_insert_rowid(s->db);
		size_t from = b * (size_t)sp->size, to = from + (size_t)sp->size;
		if (to > n)
			to = n;
		for (size_t i = from; i < to; i++) {
			q = sq_stmt(s, "UPDATE items SET batch_id = ?2, review_key = (abs(random()) % "
				 "1000000007) / 1000000007.0 WHERE id = ?1", err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, items[i]);
			sqlite3_bind_int64(q, 2, ids[b]);
			if ((rc = sq_step_done(s, q, "put item in batch", err)) ||
			    (rc = sq_item_requeue(s, items[i], err)))
				goto out;
		}
		char detail[160];
		snprintf(detail, sizeof(detail), "{\"items\":%zu,\"overlap\":%lld,\"calibration\":%s}",
			 to - from, (long long)sp->overlap, sp->calibration ? "true" : "false");
		if ((rc = sq_wf_audit(s, sp->created_by, sp->project_id, "batch.create", "batch", ids[b],
				   detail, err)))
			goto out;
	}
out:
	TX_END(s, rc, err);
	buf_release(&sql);
	free(items);
	if (rc) {
		free(ids);
		return rc;
	}
	*ids_out = ids;
	*n_out = nb;
	return 0;
}

int sqlite_batch_update(struct store *st, int64_t id, const struct batch_patch *p,
			int64_t by_user, struct buf *err)
{
	struct sqlite_store *s = S(st);
	if (p->stage && strcmp(p->stage, "annotate") && strcmp(p->stage, "review")) {
		buf_setf(err, "stage: '%s' is not annotate or review (a batch is done by sign-off)",
			 p->stage);
		return CAIRN_EINVAL;
	}
	if ((p->review_sample >= 0 && !(p->review_sample > 0 && p->review_sample <= 1)) ||
	    (p->gold_rate >= 0 && p->gold_rate > 1) || p->overlap == 0 ||
	    (p->reserve_ms >= 0 && p->reserve_ms < 1000)) {
		buf_setf(err, "batch: overlap must be >= 1, review_sample in (0, 1], gold_rate in "
			 "[0, 1], the reservation at least a second");
		return CAIRN_EINVAL;
	}
	int rc = 0;
	struct batch b = {0};
	struct buf detail = BUF_INIT;
	TX_BEGIN(s, err);
	if ((rc = sqlite_batch_get(st, id, &b, err)))
		goto out;
	if (!strcmp(b.stage, "done")) {
		buf_setf(err, "batch '%s' is signed off and cannot change", b.name);
		rc = CAIRN_ECONFLICT;
		goto out;
	}
	sqlite3_stmt *q = sq_stmt(s, "UPDATE batches SET name = ifnull(?2, name), stage = ifnull(?3, stage), "
			       "overlap = CASE WHEN ?4 >= 1 THEN ?4 ELSE overlap END, review_sample = "
			       "CASE WHEN ?5 > 0 THEN ?5 ELSE review_sample END, gold_first = CASE WHEN "
			       "?6 >= 0 THEN ?6 ELSE gold_first END, gold_rate = CASE WHEN ?7 >= 0 THEN "
			       "?7 ELSE gold_rate END, reserve_ms = CASE WHEN ?8 >= 1000 THEN ?8 ELSE "
			       "reserve_ms END WHERE id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, p->name);
	bind_text(q, 3, p->stage);
	sqlite3_bind_int64(q, 4, p->overlap);
	sqlite3_bind_double(q, 5, p->review_sample);
	sqlite3_bind_int64(q, 6, p->gold_first);
	sqlite3_bind_double(q, 7, p->gold_rate);
	sqlite3_bind_int64(q, 8, p->reserve_ms);
	int step = sqlite3_step(q);
	sqlite3_reset(q);
	if ((step & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "name: the project already has a batch named '%s'", p->name);
		rc = CAIRN_EEXIST;
		goto out;
	}
	if (step != SQLITE_DONE) {
		rc = sq_db_error(s, step, "update batch", err);
		goto out;
	}
	if (p->overlap >= 1 && p->overlap != b.overlap) {
		q = sq_stmt(s, "UPDATE items SET queue = CASE WHEN ?3 THEN 1 ELSE assigned < ?2 END "
			 "WHERE batch_id = ?1", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, p->overlap);
		sqlite3_bind_int(q, 3, b.calibration);
		if ((rc = sq_step_done(s, q, "requeue batch", err)))
			goto out;
	}
	buf_adds(&detail, "{");
	if (p->stage)
		buf_addf(&detail, "\"stage\":\"%s\",\"from\":\"%s\",", p->stage, b.stage);
	if (p->name) {
		buf_adds(&detail, "\"name\":");
		buf_add_json_str(&detail, p->name);
		buf_addch(&detail, ',');
	}
	if (p->overlap >= 1)
		buf_addf(&detail, "\"overlap\":%lld,", (long long)p->overlap);
	if (p->review_sample > 0)
		buf_addf(&detail, "\"review_sample\":%.17g,", p->review_sample);
	if (detail.len > 1)
		buf_setlen(&detail, detail.len - 1);
	buf_adds(&detail, "}");
	rc = sq_wf_audit(s, by_user, b.project_id, p->stage ? "batch.stage" : "batch.update", "batch",
		      id, detail.data, err);
out:
	TX_END(s, rc, err);
	batch_release(&b);
	buf_release(&detail);
	return rc;
}

int sqlite_batch_assign(struct store *st, int64_t batch_id, int64_t user_id,
			const char *role, bool remove, int64_t by_user, struct buf *err)
{
	struct sqlite_store *s = S(st);
	bool reviewer = !strcmp(role, "reviewer");
	if (!reviewer && strcmp(role, "annotator")) {
		buf_setf(err, "role: '%s' is not annotator or reviewer", role);
		return CAIRN_EINVAL;
	}
	int rc = 0;
	int64_t project = 0;
	TX_BEGIN(s, err);
	if ((rc = sqlite_batch_scope(st, batch_id, &project, err)))
		goto out;
	sqlite3_stmt *q;
	if (!remove) {
		q = sq_stmt(s, "SELECT role FROM members WHERE project_id = ?1 AND user_id = ?2", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, project);
		sqlite3_bind_int64(q, 2, user_id);
		int step = sqlite3_step(q);
		const char *have = step == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
		bool ok = have && (reviewer ? (!strcmp(have, "reviewer") || !strcmp(have, "manager"))
					    : strcmp(have, "viewer") != 0);
		char had[16];
		snprintf(had, sizeof(had), "%s", have ? have : "");
		sqlite3_reset(q);
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			rc = sq_db_error(s, step, "read member", err);
			goto out;
		}
		if (!ok) {
			if (*had)
				buf_setf(err, "user %lld is a %s of the project and cannot be a batch %s",
					 (long long)user_id, had, role);
			else
				buf_setf(err, "user %lld is not a member of the project", (long long)user_id);
			rc = CAIRN_EINVAL;
			goto out;
		}
		q = sq_stmt(s, "INSERT INTO batch_members(batch_id, user_id, role) VALUES (?1, ?2, ?3) "
			 "ON CONFLICT DO NOTHING", err);
	} else {
		q = sq_stmt(s, "DELETE FROM batch_members WHERE batch_id = ?1 AND user_id = ?2 AND role = ?3",
			 err);
	}
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, batch_id);
	sqlite3_bind_int64(q, 2, user_id);
	bind_text(q, 3, role);
	if ((rc = sq_step_done(s, q, "assign batch", err)))
		goto out;
	bool changed = sqlite3_changes(s->db) > 0;
	if (remove && !reviewer && changed) {
		/* Their reservations in the batch go back to the others. */
		q = sq_stmt(s, "SELECT item_id FROM assignments WHERE batch_id = ?1 AND user_id = ?2 AND "
			 "state = 'reserved'", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, batch_id);
		sqlite3_bind_int64(q, 2, user_id);
		int64_t held[64];
		int nh = 0;
		while (nh < 64 && sqlite3_step(q) == SQLITE_ROW)
			held[nh++] = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		for (int i = 0; i < nh; i++) {
			q = sq_stmt(s, "UPDATE assignments SET state = 'released', finished_at = ?3 WHERE "
				 "item_id = ?1 AND user_id = ?2 AND role = 'annotate' AND state = 'reserved'",
				 err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, held[i]);
			sqlite3_bind_int64(q, 2, user_id);
			sqlite3_bind_int64(q, 3, now_ms());
			if ((rc = sq_step_done(s, q, "release reservation", err)) ||
			    (rc = sq_item_requeue(s, held[i], err)))
				goto out;
		}
	}
	if (changed) {
		char detail[96];
		snprintf(detail, sizeof(detail), "{\"user\":%lld,\"role\":\"%s\"}", (long long)user_id,
			 reviewer ? "reviewer" : "annotator");
		rc = sq_wf_audit(s, by_user, project, remove ? "batch.unassign" : "batch.assign", "batch",
			      batch_id, detail, err);
	}
out:
	TX_END(s, rc, err);
	return rc;
}

int sqlite_batch_members(struct store *st, int64_t batch_id, store_batch_member_cb cb,
			 void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT m.user_id, u.name, m.role FROM batch_members m JOIN users u "
			       "ON u.id = m.user_id WHERE m.batch_id = ?1 ORDER BY m.role, m.user_id", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, batch_id);
	int rc, cbrc = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
			  (const char *)sqlite3_column_text(q, 2));
		if (cbrc)
			break;
	}
	sqlite3_reset(q);
	if (!cbrc && rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list batch members", err);
	return cbrc;
}

/* Reserves item for user (or takes back a reservation they released). */
int sq_reserve(struct sqlite_store *s, int64_t item, int64_t user, int64_t batch, bool gold,
	       int64_t now, int64_t expires, struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO assignments(item_id, user_id, batch_id, role, state, "
			       "is_gold, reserved_at, expires_at) VALUES (?1, ?2, ?3, 'annotate', "
			       "'reserved', ?4, ?5, ?6) ON CONFLICT(item_id, user_id, role) DO UPDATE SET "
			       "state = 'reserved', batch_id = excluded.batch_id, is_gold = "
			       "excluded.is_gold, reserved_at = excluded.reserved_at, expires_at = "
			       "excluded.expires_at, finished_at = NULL", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, item);
	sqlite3_bind_int64(q, 2, user);
	bind_id(q, 3, batch);
	sqlite3_bind_int(q, 4, gold);
	sqlite3_bind_int64(q, 5, now);
	sqlite3_bind_int64(q, 6, expires);
	int rc = sq_step_done(s, q, "reserve item", err);
	if (!rc && !gold)
		rc = sq_item_requeue(s, item, err);
	return rc;
}

struct my_batch {
	int64_t id;
	bool calibration;
	int64_t gold_first;
	double gold_rate;
	int64_t reserve_ms;
};

#define MY_BATCHES_MAX 1024

int sqlite_queue_next(struct store *st, const struct queue_req *rq, struct queue_pick *out,
		      struct buf *err)
{
	struct sqlite_store *s = S(st);
	int64_t now = rq->now ? rq->now : now_ms();
	int rc = 0, step;
	struct my_batch *mb = NULL;
	memset(out, 0, sizeof(*out));
	TX_BEGIN(s, err);
	if ((rc = sq_reclaim_locked(s, now, NULL, err)))
		goto out;
	/* 1. Back from review: my rejected annotations, oldest first. */
	sqlite3_stmt *q = sq_stmt(s, "SELECT an.item_id, ifnull(i.batch_id, 0) FROM annotations an JOIN "
			       "items i ON i.id = an.item_id WHERE an.project_id = ?1 AND an.user_id = ?2 "
			       "AND an.status = 'rejected' AND an.kind = 'manual' ORDER BY an.updated_at, "
			       "an.id LIMIT 1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, rq->project_id);
	sqlite3_bind_int64(q, 2, rq->user_id);
	if ((step = sqlite3_step(q)) == SQLITE_ROW) {
		out->item_id = sqlite3_column_int64(q, 0);
		out->batch_id = sqlite3_column_int64(q, 1);
		out->reason = "rejected";
	}
	sqlite3_reset(q);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = sq_db_error(s, step, "find rejected items", err);
		goto out;
	}
	if (out->item_id)
		goto out;
	/* 2. What I hold already (asking again renews it). */
	q = sq_stmt(s, "SELECT a.id, a.item_id, ifnull(a.batch_id, 0), a.is_gold, a.expires_at - "
		 "a.reserved_at FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.user_id = ?2 "
		 "AND a.state = 'reserved' AND a.role = 'annotate' AND i.project_id = ?1 ORDER BY a.id "
		 "LIMIT 1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, rq->project_id);
	sqlite3_bind_int64(q, 2, rq->user_id);
	int64_t held = 0, span = 0;
	if ((step = sqlite3_step(q)) == SQLITE_ROW) {
		held = sqlite3_column_int64(q, 0);
		out->item_id = sqlite3_column_int64(q, 1);
		out->batch_id = sqlite3_column_int64(q, 2);
		out->is_gold = sqlite3_column_int(q, 3);
		span = sqlite3_column_int64(q, 4);
		out->reason = "reserved";
	}
	sqlite3_reset(q);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = sq_db_error(s, step, "find my reservation", err);
		goto out;
	}
	if (held) {
		q = sq_stmt(s, "UPDATE assignments SET reserved_at = ?2, expires_at = ?3 WHERE id = ?1", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		out->expires_at = now + (span > 0 ? span : 1800000);
		sqlite3_bind_int64(q, 1, held);
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_int64(q, 3, out->expires_at);
		rc = sq_step_done(s, q, "renew reservation", err);
		goto out;
	}
	/* 3. My batches in the annotate stage, oldest first. */
	q = sq_stmt(s, "SELECT b.id, b.kind = 'calibration', b.gold_first, b.gold_rate, b.reserve_ms FROM "
		 "batch_members m JOIN batches b ON b.id = m.batch_id WHERE m.user_id = ?2 AND m.role = "
		 "'annotator' AND b.project_id = ?1 AND b.stage = 'annotate' ORDER BY b.id", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, rq->project_id);
	sqlite3_bind_int64(q, 2, rq->user_id);
	size_t nb = 0;
	mb = calloc(MY_BATCHES_MAX, sizeof(*mb));
	if (!mb)
		abort();
	while (nb < MY_BATCHES_MAX && (step = sqlite3_step(q)) == SQLITE_ROW) {
		mb[nb].id = sqlite3_column_int64(q, 0);
		mb[nb].calibration = sqlite3_column_int(q, 1);
		mb[nb].gold_first = sqlite3_column_int64(q, 2);
		mb[nb].gold_rate = sqlite3_column_double(q, 3);
		mb[nb].reserve_ms = sqlite3_column_int64(q, 4);
		nb++;
	}
	sqlite3_reset(q);
	for (size_t b = 0; b < nb && !out->item_id; b++) {
		q = sq_stmt(s, "SELECT i.id FROM items i WHERE i.batch_id = ?1 AND i.queue = 1 AND NOT "
			 "EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.user_id = ?2 "
			 "AND a.role = 'annotate' AND a.state IN ('reserved', 'done', 'skipped')) ORDER BY i.id "
			 "LIMIT 1", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, mb[b].id);
		sqlite3_bind_int64(q, 2, rq->user_id);
		int64_t cand = 0;
		if ((rc = sq_one_i64(s, q, &cand, "find next item", err)) == CAIRN_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc)
			goto out;
		/* Gold: the first gold_first of each annotator, then at gold_rate. */
		bool want_gold = false;
		if (mb[b].gold_first > 0 || mb[b].gold_rate > 0) {
			q = sq_stmt(s, "SELECT count(*) FROM assignments WHERE batch_id = ?1 AND user_id = ?2 "
				 "AND is_gold = 1", err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, mb[b].id);
			sqlite3_bind_int64(q, 2, rq->user_id);
			int64_t golds = 0;
			if ((rc = sq_one_i64(s, q, &golds, "count gold", err)))
				goto out;
			want_gold = golds < mb[b].gold_first || rq->roll < mb[b].gold_rate;
		}
		int64_t expires = now + mb[b].reserve_ms;
		if (want_gold) {
			q = sq_stmt(s, "SELECT g.item_id FROM annotations g WHERE g.project_id = ?1 AND "
				 "g.kind = 'gold' AND NOT EXISTS (SELECT 1 FROM assignments a WHERE "
				 "a.item_id = g.item_id AND a.user_id = ?2 AND a.role = 'annotate' AND "
				 "a.state IN ('reserved', "
				 "'done', 'skipped')) ORDER BY random() LIMIT 1", err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, rq->project_id);
			sqlite3_bind_int64(q, 2, rq->user_id);
			int64_t gold = 0;
			rc = sq_one_i64(s, q, &gold, "find gold item", err);
			if (rc && rc != CAIRN_ENOTFOUND)
				goto out;
			rc = 0;
			if (gold) {
				if ((rc = sq_reserve(s, gold, rq->user_id, mb[b].id, true, now, expires, err)))
					goto out;
				out->item_id = gold;
				out->batch_id = mb[b].id;
				out->is_gold = true;
				out->reason = "gold";
				out->expires_at = expires;
				break;
			}
		}
		if ((rc = sq_reserve(s, cand, rq->user_id, mb[b].id, false, now, expires, err)))
			goto out;
		out->item_id = cand;
		out->batch_id = mb[b].id;
		out->reason = mb[b].calibration ? "calibration" : "batch";
		out->expires_at = expires;
	}
	if (!out->item_id) {
		buf_setf(err, "nothing is left for you to label in this project");
		rc = CAIRN_ENOTFOUND;
		goto out;
	}
	{
		char detail[128];
		snprintf(detail, sizeof(detail), "{\"batch\":%lld,\"reason\":\"%s\"}",
			 (long long)out->batch_id, out->reason);
		rc = sq_wf_audit(s, rq->user_id, rq->project_id, "queue.reserve", "item", out->item_id,
			      detail, err);
	}
out:
	free(mb);
	/* "Nothing left" is an answer, not a failure: keep the reclaims. */
	if (rc == CAIRN_ENOTFOUND) {
		int keep = 0;
		TX_END(s, keep, err);
		if (keep)
			return keep;
		buf_setf(err, "nothing is left for you to label in this project");
		return CAIRN_ENOTFOUND;
	}
	TX_END(s, rc, err);
	return rc;
}

/* Ends user's live reservation (role annotate or review) of item. */
static int end_hold(struct sqlite_store *s, int64_t project_id, int64_t item_id, int64_t user_id,
		    const char *role, const char *state, const char *action, struct buf *err)
{
	int rc = 0;
	int64_t now = now_ms();
	TX_BEGIN(s, err);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE assignments SET state = ?4, finished_at = ?5 WHERE item_id = ?1 "
			       "AND user_id = ?2 AND role = ?6 AND state = 'reserved' AND "
			       "EXISTS (SELECT 1 FROM items i WHERE i.id = ?1 AND i.project_id = ?3)", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, item_id);
	sqlite3_bind_int64(q, 2, user_id);
	sqlite3_bind_int64(q, 3, project_id);
	bind_text(q, 4, state);
	sqlite3_bind_int64(q, 5, now);
	bind_text(q, 6, role);
	if ((rc = sq_step_done(s, q, "end reservation", err)))
		goto out;
	if (sqlite3_changes(s->db) == 0) {
		buf_setf(err, "you hold no %sreservation of item %lld", strcmp(role, "review") ? "" :
			 "review ", (long long)item_id);
		rc = CAIRN_ENOTFOUND;
		goto out;
	}
	if (strcmp(role, "review") && (rc = sq_item_requeue(s, item_id, err)))
		goto out;
	rc = sq_wf_audit(s, user_id, project_id, action, "item", item_id, NULL, err);
out:
	TX_END(s, rc, err);
	return rc;
}

int sqlite_queue_finish(struct store *st, int64_t project_id, int64_t item_id,
			int64_t user_id, const char *state, struct buf *err)
{
	if (strcmp(state, "skipped") && strcmp(state, "released")) {
		buf_setf(err, "state: '%s' is not skipped or released", state);
		return CAIRN_EINVAL;
	}
	return end_hold(S(st), project_id, item_id, user_id, "annotate", state,
			!strcmp(state, "skipped") ? "queue.skip" : "queue.release", err);
}

int sqlite_review_release(struct store *st, int64_t project_id, int64_t item_id,
			  int64_t user_id, struct buf *err)
{
	return end_hold(S(st), project_id, item_id, user_id, "review", "released", "review.release",
			err);
}

/* Sample size of a batch of n items at rate r: at least one item. */
/* A batch's review sample (?1: the batch, ?2: sample_size): its
 * low-agreement items (negative review_key) count in it and come first;
 * when they outnumber the random sample, the sample is all of them. */

