/*
 * store_sqlite_review.c - the SQLite backend (store_sqlite.c): review (sample, holds, verdicts,
 * sign-off), annotator performance, gold pairs.
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

int64_t sq_sample_size(int64_t n, double r)
{
	if (n <= 0)
		return 0;
	int64_t k = (int64_t)ceil((double)n * r - 1e-9);
	return k < 1 ? 1 : (k > n ? n : k);
}

static int batch_item_count(struct sqlite_store *s, int64_t batch, int64_t *n, struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "SELECT count(*) FROM items WHERE batch_id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, batch);
	return sq_one_i64(s, q, n, "count batch items", err);
}

/* The reviewer's live reservation, if any: item, batch, reservation id. */
static int review_held(struct sqlite_store *s, int64_t project_id, int64_t user_id,
		       int64_t *assignment, int64_t *item, int64_t *batch, struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "SELECT a.id, a.item_id, ifnull(a.batch_id, 0) FROM assignments a "
			       "JOIN items i ON i.id = a.item_id WHERE a.user_id = ?2 AND a.role = "
			       "'review' AND a.state = 'reserved' AND i.project_id = ?1 ORDER BY a.id "
			       "LIMIT 1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, user_id);
	*assignment = *item = *batch = 0;
	int step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		*assignment = sqlite3_column_int64(q, 0);
		*item = sqlite3_column_int64(q, 1);
		*batch = sqlite3_column_int64(q, 2);
	}
	sqlite3_reset(q);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return sq_db_error(s, step, "find my review reservation", err);
	return 0;
}

/* The first submitted annotation of item, not by user, to review. */
static int review_pending(struct sqlite_store *s, int64_t item, int64_t user,
			  struct review_pick *out, struct buf *err)
{
	sqlite3_stmt *q = sq_stmt(s, "SELECT id, user_id, version FROM annotations WHERE item_id = ?1 AND "
			       "kind = 'manual' AND status = 'submitted' AND user_id != ?2 ORDER BY id "
			       "LIMIT 1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, item);
	sqlite3_bind_int64(q, 2, user);
	int step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		out->item_id = item;
		out->annotation_id = sqlite3_column_int64(q, 0);
		out->annotator_id = sqlite3_column_int64(q, 1);
		out->version = sqlite3_column_int64(q, 2);
	}
	sqlite3_reset(q);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return sq_db_error(s, step, "read the annotation to review", err);
	return step == SQLITE_ROW ? 0 : CAIRN_ENOTFOUND;
}

/*
 * One write transaction, like the annotators' queue: reclaims expired
 * reservations, returns the item the reviewer holds while it still has an
 * annotation to judge (renewing the hold), else reserves the first sampled
 * item with one that no other reviewer holds. So one item is never in two
 * reviewers' hands; a hold ends with the verdict, or at the batch's
 * reserve_ms.
 */
int sqlite_item_review_first(struct store *st, int64_t item_id, double score,
			     int64_t by_user, struct buf *err)
{
	struct sqlite_store *s = S(st);
	if (!(score >= 0 && score <= 1)) {
		buf_setf(err, "review priority: score must be in [0, 1], not %g", score);
		return CAIRN_EINVAL;
	}
	int rc = 0;
	int64_t project = 0;
	TX_BEGIN(s, err);
	sqlite3_stmt *q = sq_stmt(s, "SELECT project_id FROM items WHERE id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, item_id);
	if ((rc = sq_one_i64(s, q, &project, "find the item", err))) {
		if (rc == CAIRN_ENOTFOUND)
			buf_setf(err, "no item with id %lld", (long long)item_id);
		goto out;
	}
	q = sq_stmt(s, "UPDATE items SET review_key = ?2 - 2 WHERE id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, item_id);
	sqlite3_bind_double(q, 2, score);
	if ((rc = sq_step_done(s, q, "put the item first for review", err)))
		goto out;
	char detail[64];
	snprintf(detail, sizeof(detail), "{\"agreement\":%.6g}", score);
	rc = sq_wf_audit(s, by_user, project, "review.low_agreement", "item", item_id, detail, err);
out:
	TX_END(s, rc, err);
	return rc;
}

int sqlite_review_next(struct store *st, int64_t project_id, int64_t user_id,
		       bool all_batches, struct review_pick *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int64_t now = now_ms();
	memset(out, 0, sizeof(*out));
	int rc = 0;
	struct { int64_t id; double rate; int64_t reserve_ms; } *v = NULL;
	size_t n = 0, cap = 0;
	TX_BEGIN(s, err);
	if ((rc = sq_reclaim_locked(s, now, NULL, err)))
		goto out;
	sqlite3_stmt *q = all_batches
		? sq_stmt(s, "SELECT id, review_sample, reserve_ms FROM batches WHERE project_id = ?1 AND "
		       "stage != 'done' ORDER BY id", err)
		: sq_stmt(s, "SELECT b.id, b.review_sample, b.reserve_ms FROM batch_members m JOIN "
		       "batches b ON b.id = m.batch_id WHERE m.user_id = ?2 AND m.role = 'reviewer' AND "
		       "b.project_id = ?1 AND b.stage != 'done' ORDER BY b.id", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, project_id);
	if (!all_batches)
		sqlite3_bind_int64(q, 2, user_id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[n].id = sqlite3_column_int64(q, 0);
		v[n].rate = sqlite3_column_double(q, 1);
		v[n].reserve_ms = sqlite3_column_int64(q, 2);
		n++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		rc = sq_db_error(s, rc, "list batches to review", err);
		goto out;
	}
	rc = 0;
	/* 1. What I hold, while it still has something to judge in a batch I
	 * may review; otherwise the hold ends. */
	int64_t held = 0, held_item = 0, held_batch = 0;
	if ((rc = review_held(s, project_id, user_id, &held, &held_item, &held_batch, err)))
		goto out;
	if (held) {
		size_t b = 0;
		while (b < n && v[b].id != held_batch)
			b++;
		rc = b < n ? review_pending(s, held_item, user_id, out, err) : CAIRN_ENOTFOUND;
		if (rc && rc != CAIRN_ENOTFOUND)
			goto out;
		q = sq_stmt(s, "UPDATE assignments SET state = CASE WHEN ?2 THEN 'reserved' ELSE "
			 "'released' END, reserved_at = CASE WHEN ?2 THEN ?3 ELSE reserved_at END, "
			 "expires_at = CASE WHEN ?2 THEN ?4 ELSE expires_at END, finished_at = CASE "
			 "WHEN ?2 THEN NULL ELSE ?3 END WHERE id = ?1", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		bool keep = rc == 0;
		sqlite3_bind_int64(q, 1, held);
		sqlite3_bind_int(q, 2, keep);
		sqlite3_bind_int64(q, 3, now);
		sqlite3_bind_int64(q, 4, now + (b < n ? v[b].reserve_ms : 0));
		if ((rc = sq_step_done(s, q, "renew review reservation", err)))
			goto out;
		if (keep) {
			out->batch_id = held_batch;
			out->expires_at = now + v[b].reserve_ms;
			goto out;
		}
		memset(out, 0, sizeof(*out));
		if ((rc = sq_wf_audit(s, user_id, project_id, "review.release", "item", held_item, NULL,
				   err)))
			goto out;
	}
	/* 2. The first sampled item with a submitted annotation, not mine,
	 * that no other reviewer holds. */
	rc = CAIRN_ENOTFOUND;
	for (size_t b = 0; b < n && rc == CAIRN_ENOTFOUND; b++) {
		int64_t items = 0;
		if ((rc = batch_item_count(s, v[b].id, &items, err)))
			break;
		rc = CAIRN_ENOTFOUND;
		q = sq_stmt(s, "SELECT s.id, an.id, an.user_id, an.version FROM (SELECT id, review_key "
			 "FROM items WHERE batch_id = ?1 ORDER BY review_key, id LIMIT " SAMPLE_LIMIT ") s JOIN "
			 "annotations an ON an.item_id = s.id AND an.kind = 'manual' AND an.status = "
			 "'submitted' AND an.user_id != ?3 WHERE NOT EXISTS (SELECT 1 FROM assignments "
			 "a WHERE a.item_id = s.id AND a.role = 'review' AND a.state = 'reserved' AND "
			 "a.user_id != ?3) ORDER BY s.review_key, s.id, an.id LIMIT 1", err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, v[b].id);
		sqlite3_bind_int64(q, 2, sq_sample_size(items, v[b].rate));
		sqlite3_bind_int64(q, 3, user_id);
		int step = sqlite3_step(q);
		if (step == SQLITE_ROW) {
			out->item_id = sqlite3_column_int64(q, 0);
			out->annotation_id = sqlite3_column_int64(q, 1);
			out->annotator_id = sqlite3_column_int64(q, 2);
			out->version = sqlite3_column_int64(q, 3);
			out->batch_id = v[b].id;
			out->expires_at = now + v[b].reserve_ms;
			rc = 0;
		} else if (step != SQLITE_DONE) {
			rc = sq_db_error(s, step, "find an item to review", err);
		}
		sqlite3_reset(q);
	}
	if (rc)
		goto out;
	q = sq_stmt(s, "INSERT INTO assignments(item_id, user_id, batch_id, role, state, is_gold, "
		 "reserved_at, expires_at) VALUES (?1, ?2, ?3, 'review', 'reserved', 0, ?4, ?5) ON "
		 "CONFLICT(item_id, user_id, role) DO UPDATE SET state = 'reserved', batch_id = "
		 "excluded.batch_id, reserved_at = excluded.reserved_at, expires_at = "
		 "excluded.expires_at, finished_at = NULL", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, out->item_id);
	sqlite3_bind_int64(q, 2, user_id);
	sqlite3_bind_int64(q, 3, out->batch_id);
	sqlite3_bind_int64(q, 4, now);
	sqlite3_bind_int64(q, 5, out->expires_at);
	if ((rc = sq_step_done(s, q, "reserve item for review", err)))
		goto out;
	char detail[96];
	snprintf(detail, sizeof(detail), "{\"batch\":%lld,\"annotation\":%lld}",
		 (long long)out->batch_id, (long long)out->annotation_id);
	rc = sq_wf_audit(s, user_id, project_id, "review.reserve", "item", out->item_id, detail, err);
out:
	if (!rc && out->item_id) {
		q = sq_stmt(s, "SELECT review_key < 0 FROM items WHERE id = ?1", err);
		int64_t low = 0;
		if (!q) {
			rc = CAIRN_EIO;
		} else {
			sqlite3_bind_int64(q, 1, out->item_id);
			rc = sq_one_i64(s, q, &low, "read the review key", err);
			out->low_agreement = low != 0;
		}
	}
	free(v);
	/* "Nothing to review" is an answer: keep the reclaims and released holds. */
	if (rc == CAIRN_ENOTFOUND) {
		int keep = 0;
		TX_END(s, keep, err);
		if (keep)
			return keep;
		buf_setf(err, "nothing is waiting for review");
		return CAIRN_ENOTFOUND;
	}
	TX_END(s, rc, err);
	return rc;
}

int sqlite_review_add(struct store *st, const struct review_write *w, int64_t *review_id,
		      int64_t *comment_id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc = 0, step;
	int64_t now = now_ms(), ann = 0, annotator = 0, version = 0, batch = 0;
	char status[16] = "";
	if (!w->accept && (!w->comment || !*w->comment)) {
		buf_setf(err, "comment: a rejection needs a comment that says what to fix");
		return CAIRN_EINVAL;
	}
	TX_BEGIN(s, err);
	sqlite3_stmt *q;
	if (w->annotation_id) {
		q = sq_stmt(s, "SELECT id, ifnull(user_id, 0), status, version FROM annotations WHERE "
			 "id = ?2 AND item_id = ?1 AND kind = 'manual'", err);
	} else {
		q = sq_stmt(s, "SELECT id, ifnull(user_id, 0), status, version FROM annotations WHERE "
			 "item_id = ?1 AND kind = 'manual' AND status = 'submitted' LIMIT 2", err);
	}
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->item_id);
	if (w->annotation_id)
		sqlite3_bind_int64(q, 2, w->annotation_id);
	int rows = 0;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		if (rows++ == 0) {
			ann = sqlite3_column_int64(q, 0);
			annotator = sqlite3_column_int64(q, 1);
			snprintf(status, sizeof(status), "%s", (const char *)sqlite3_column_text(q, 2));
			version = sqlite3_column_int64(q, 3);
		}
	}
	sqlite3_reset(q);
	if (step != SQLITE_DONE) {
		rc = sq_db_error(s, step, "read annotation", err);
		goto out;
	}
	if (!rows) {
		if (w->annotation_id) {
			buf_setf(err, "annotation: item %lld has no manual annotation %lld",
				 (long long)w->item_id, (long long)w->annotation_id);
			rc = CAIRN_EINVAL;
		} else {
			buf_setf(err, "item %lld has no submitted annotation to review",
				 (long long)w->item_id);
			rc = CAIRN_ECONFLICT;
		}
		goto out;
	}
	if (rows > 1) {
		buf_setf(err, "annotation: item %lld has several submitted annotations; name one",
			 (long long)w->item_id);
		rc = CAIRN_EINVAL;
		goto out;
	}
	if (strcmp(status, "submitted")) {
		buf_setf(err, "annotation %lld is %s, not submitted: there is nothing to review",
			 (long long)ann, status);
		rc = CAIRN_ECONFLICT;
		goto out;
	}
	if (annotator == w->reviewer_id) {
		buf_setf(err, "a reviewer does not review their own annotation");
		rc = CAIRN_EPERM;
		goto out;
	}
	/* An item another reviewer holds (review/next) is theirs to judge. */
	q = sq_stmt(s, "SELECT a.user_id, ifnull(u.name, '') FROM assignments a LEFT JOIN users u ON "
		 "u.id = a.user_id WHERE a.item_id = ?1 AND a.role = 'review' AND a.state = "
		 "'reserved' AND a.expires_at >= ?2 AND a.user_id != ?3 LIMIT 1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->item_id);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, w->reviewer_id);
	if ((step = sqlite3_step(q)) == SQLITE_ROW) {
		buf_setf(err, "item %lld is being reviewed by %s; it is theirs until they give a "
			 "verdict or their reservation runs out", (long long)w->item_id,
			 (const char *)sqlite3_column_text(q, 1));
		rc = CAIRN_ECONFLICT;
	} else if (step != SQLITE_DONE) {
		rc = sq_db_error(s, step, "check review reservations", err);
	}
	sqlite3_reset(q);
	if (rc)
		goto out;
	q = sq_stmt(s, "SELECT ifnull(batch_id, 0) FROM items WHERE id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->item_id);
	if ((rc = sq_one_i64(s, q, &batch, "read item", err)))
		goto out;
	q = sq_stmt(s, "INSERT INTO reviews(project_id, item_id, annotation_id, annotation_version, "
		 "batch_id, reviewer_id, verdict, note, reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
		 "?6, ?7, ?8, ?9, ?10)", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->project_id);
	sqlite3_bind_int64(q, 2, w->item_id);
	sqlite3_bind_int64(q, 3, ann);
	sqlite3_bind_int64(q, 4, version);
	bind_id(q, 5, batch);
	sqlite3_bind_int64(q, 6, w->reviewer_id);
	bind_text(q, 7, w->accept ? "accept" : "reject");
	bind_text(q, 8, w->comment);
	bind_text(q, 9, w->reason);
	sqlite3_bind_int64(q, 10, now);
	if ((rc = sq_step_done(s, q, "write review", err)))
		goto out;
	int64_t rid = sqlite3_last_insert_rowid(s->db), cid = 0;
	/* The verdict ends my hold on the item (review/next). */
	q = sq_stmt(s, "UPDATE assignments SET state = 'done', finished_at = ?3 WHERE item_id = ?1 AND "
		 "user_id = ?2 AND role = 'review' AND state = 'reserved'", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->item_id);
	sqlite3_bind_int64(q, 2, w->reviewer_id);
	sqlite3_bind_int64(q, 3, now);
	if ((rc = sq_step_done(s, q, "end review reservation", err)))
		goto out;
	q = sq_stmt(s, "UPDATE annotations SET status = ?2, updated_at = ?3 WHERE id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, ann);
	bind_text(q, 2, w->accept ? "accepted" : "rejected");
	sqlite3_bind_int64(q, 3, now);
	if ((rc = sq_step_done(s, q, "set annotation status", err)))
		goto out;
	if (w->comment && *w->comment) {
		q = sq_stmt(s, "INSERT INTO comments(project_id, item_id, annotation_id, object_uid, "
			 "review_id, user_id, body, x, y, frame, created_at, updated_at) VALUES (?1, ?2, "
			 "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, w->project_id);
		sqlite3_bind_int64(q, 2, w->item_id);
		sqlite3_bind_int64(q, 3, ann);
		bind_text(q, 4, w->object_uid);
		sqlite3_bind_int64(q, 5, rid);
		sqlite3_bind_int64(q, 6, w->reviewer_id);
		bind_text(q, 7, w->comment);
		if (w->has_point) {
			sqlite3_bind_double(q, 8, w->x);
			sqlite3_bind_double(q, 9, w->y);
		}
		if (w->frame >= 0)
			sqlite3_bind_int64(q, 10, w->frame);
		sqlite3_bind_int64(q, 11, now);
		if ((rc = sq_step_done(s, q, "write review comment", err)))
			goto out;
		cid = sqlite3_last_insert_rowid(s->db);
	}
	q = sq_stmt(s, "UPDATE items SET status = CASE WHEN ?2 = 0 THEN 'rejected' WHEN EXISTS (SELECT 1 "
		 "FROM annotations a WHERE a.item_id = ?1 AND a.kind = 'manual' AND a.status IN "
		 "('submitted', 'rejected')) THEN status ELSE 'reviewed' END, updated_at = ?3 WHERE "
		 "id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->item_id);
	sqlite3_bind_int(q, 2, w->accept);
	sqlite3_bind_int64(q, 3, now);
	if ((rc = sq_step_done(s, q, "set item status", err)))
		goto out;
	char detail[160];
	snprintf(detail, sizeof(detail), "{\"annotation\":%lld,\"version\":%lld,\"annotator\":%lld,"
		 "\"review\":%lld,\"batch\":%lld}", (long long)ann, (long long)version,
		 (long long)annotator, (long long)rid, (long long)batch);
	if ((rc = sq_wf_audit(s, w->reviewer_id, w->project_id, w->accept ? "review.accept" : "review.reject",
			   "item", w->item_id, detail, err)))
		goto out;
	if (review_id)
		*review_id = rid;
	if (comment_id)
		*comment_id = cid;
out:
	TX_END(s, rc, err);
	return rc;
}

/* Counts the review sample of batch b (read inside the caller's transaction). */
static int sample_counts(struct sqlite_store *s, const struct batch *b, struct batch_sample *out,
			 struct buf *err)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *q = sq_stmt(s, "SELECT count(*), total(NOT EXISTS (SELECT 1 FROM annotations a "
			       "WHERE a.item_id = s.id AND a.kind = 'manual' AND a.status != 'draft')), "
			       "total(EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.id AND "
			       "a.kind = 'manual' AND a.status = 'submitted')), total(EXISTS (SELECT 1 FROM "
			       "annotations a WHERE a.item_id = s.id AND a.kind = 'manual' AND a.status = "
			       "'rejected')), total(EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = "
			       "s.id AND a.kind = 'manual' AND a.status = 'accepted') AND NOT EXISTS (SELECT "
			       "1 FROM annotations a WHERE a.item_id = s.id AND a.kind = 'manual' AND "
			       "a.status IN ('submitted', 'rejected'))) FROM (SELECT id FROM items WHERE "
			       "batch_id = ?1 ORDER BY review_key, id LIMIT " SAMPLE_LIMIT ") s", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, b->id);
	sqlite3_bind_int64(q, 2, sq_sample_size(b->items, b->review_sample));
	int step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		out->size = sqlite3_column_int64(q, 0);
		out->missing = (int64_t)sqlite3_column_double(q, 1);
		out->pending = (int64_t)sqlite3_column_double(q, 2);
		out->rejected = (int64_t)sqlite3_column_double(q, 3);
		out->accepted = (int64_t)sqlite3_column_double(q, 4);
	}
	sqlite3_reset(q);
	if (step != SQLITE_ROW)
		return sq_db_error(s, step, "check the review sample", err);
	int64_t open = b->calibration ? 0 : b->open_items;
	out->ready = strcmp(b->stage, "done") && out->size && !out->missing && !out->pending &&
		     !out->rejected && !open && !b->reserved;
	return 0;
}

int sqlite_batch_sample(struct store *st, int64_t batch_id, struct batch_sample *out,
			struct buf *err)
{
	struct sqlite_store *s = S(st);
	struct batch b = {0};
	int rc = sqlite_batch_get(st, batch_id, &b, err);
	if (!rc)
		rc = sample_counts(s, &b, out, err);
	batch_release(&b);
	return rc;
}

int sqlite_batch_signoff(struct store *st, int64_t batch_id, int64_t by_user,
			 struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc = 0;
	struct batch b = {0};
	struct batch_sample sm;
	TX_BEGIN(s, err);
	if ((rc = sqlite_batch_get(st, batch_id, &b, err)))
		goto out;
	if (!strcmp(b.stage, "done")) {
		buf_setf(err, "batch '%s' is signed off already", b.name);
		rc = CAIRN_ECONFLICT;
		goto out;
	}
	if ((rc = sample_counts(s, &b, &sm, err)))
		goto out;
	int64_t sample = sm.size, missing = sm.missing, pending = sm.pending, rejected = sm.rejected;
	int64_t open = b.calibration ? 0 : b.open_items;
	if (!sm.ready) {
		buf_setf(err, "batch '%s' cannot be signed off yet: its review sample is %lld of %lld "
			 "items", b.name, (long long)sample, (long long)b.items);
		if (missing)
			buf_addf(err, "; %lld sampled items have no submitted annotation", (long long)missing);
		if (pending)
			buf_addf(err, "; %lld sampled items wait for review", (long long)pending);
		if (rejected)
			buf_addf(err, "; %lld sampled items were rejected and not yet resubmitted",
				 (long long)rejected);
		if (open)
			buf_addf(err, "; %lld items still want annotators", (long long)open);
		if (b.reserved)
			buf_addf(err, "; %lld items are reserved by annotators", (long long)b.reserved);
		rc = CAIRN_ECONFLICT;
		goto out;
	}
	int64_t now = now_ms();
	sqlite3_stmt *q = sq_stmt(s, "UPDATE batches SET stage = 'done', signed_off_by = ?2, signed_off_at = ?3 WHERE "
		 "id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, batch_id);
	sqlite3_bind_int64(q, 2, by_user);
	sqlite3_bind_int64(q, 3, now);
	if ((rc = sq_step_done(s, q, "sign off batch", err)))
		goto out;
	q = sq_stmt(s, "UPDATE items SET status = 'done', updated_at = ?2 WHERE batch_id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, batch_id);
	sqlite3_bind_int64(q, 2, now);
	if ((rc = sq_step_done(s, q, "finish batch items", err)))
		goto out;
	char detail[128];
	snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"sample\":%lld,\"items\":%lld}", b.stage,
		 (long long)sample, (long long)b.items);
	rc = sq_wf_audit(s, by_user, b.project_id, "batch.signoff", "batch", batch_id, detail, err);
out:
	TX_END(s, rc, err);
	batch_release(&b);
	return rc;
}

int sqlite_annotator_stats(struct store *st, int64_t project_id,
			   store_annotator_stats_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT a.user_id, u.name, total(a.status != 'draft'), "
			       "total(a.lead_time_ms), total(CASE WHEN a.status != 'draft' THEN (SELECT "
			       "count(*) FROM objects o WHERE o.annotation_id = a.id AND o.parent_id IS "
			       "NULL) ELSE 0 END), total((SELECT count(*) FROM reviews r WHERE "
			       "r.annotation_id = a.id)), total((SELECT count(*) FROM reviews r WHERE "
			       "r.annotation_id = a.id AND r.verdict = 'reject')) FROM annotations a JOIN "
			       "users u ON u.id = a.user_id WHERE a.project_id = ?1 AND a.kind = 'manual' "
			       "GROUP BY a.user_id ORDER BY u.name", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	struct annotator_stats *v = NULL;
	size_t n = 0, cap = 0;
	int rc, cbrc = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		struct annotator_stats *a = &v[n++];
		memset(a, 0, sizeof(*a));
		a->user_id = sqlite3_column_int64(q, 0);
		a->name = col_strdup(q, 1);
		a->items = (int64_t)sqlite3_column_double(q, 2);
		a->active_ms = (int64_t)sqlite3_column_double(q, 3);
		a->objects = (int64_t)sqlite3_column_double(q, 4);
		a->reviewed = (int64_t)sqlite3_column_double(q, 5);
		a->rejected = (int64_t)sqlite3_column_double(q, 6);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		rc = sq_db_error(s, rc, "annotator stats", err);
	else
		rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rc && !cbrc) {
			q = sq_stmt(s, "SELECT count(*) FROM assignments a JOIN items i ON i.id = a.item_id "
				 "WHERE a.user_id = ?1 AND a.state = 'skipped' AND i.project_id = ?2", err);
			if (!q) {
				rc = CAIRN_EIO;
			} else {
				sqlite3_bind_int64(q, 1, v[i].user_id);
				sqlite3_bind_int64(q, 2, project_id);
				rc = sq_one_i64(s, q, &v[i].skipped, "count skips", err);
			}
			if (!rc)
				cbrc = cb(ctx, &v[i]);
		}
		free((char *)v[i].name);
	}
	free(v);
	return rc ? rc : cbrc;
}

int sqlite_rejection_reasons(struct store *st, int64_t project_id, store_reason_cb cb,
			     void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT a.user_id, coalesce(r.reason, r.note, ''), count(*) AS n FROM "
			       "reviews r JOIN annotations a ON a.id = r.annotation_id WHERE r.project_id "
			       "= ?1 AND r.verdict = 'reject' GROUP BY a.user_id, 2 ORDER BY a.user_id, n "
			       "DESC, 2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	int rc, cbrc = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
			  sqlite3_column_int64(q, 2));
		if (cbrc)
			break;
	}
	sqlite3_reset(q);
	if (!cbrc && rc != SQLITE_DONE)
		return sq_db_error(s, rc, "rejection reasons", err);
	return cbrc;
}

struct obj_list {
	struct obj_brief *v;
	size_t n, cap;
};

static int read_briefs(struct sqlite_store *s, int64_t ann, struct obj_list *l, struct buf *err)
{
	l->n = 0;
	sqlite3_stmt *q = sq_stmt(s, "SELECT ifnull(label_id, 0), type, x0, y0, x1, y1 FROM objects WHERE "
			       "annotation_id = ?1 AND parent_id IS NULL ORDER BY id", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, ann);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 32;
			l->v = realloc(l->v, l->cap * sizeof(*l->v));
			if (!l->v)
				abort();
		}
		struct obj_brief *o = &l->v[l->n++];
		const char *type = (const char *)sqlite3_column_text(q, 1);
		o->label_id = sqlite3_column_int64(q, 0);
		o->is_box = type && !strcmp(type, "box");
		o->is_tag = type && !strcmp(type, "tag");
		o->x0 = sqlite3_column_double(q, 2);
		o->y0 = sqlite3_column_double(q, 3);
		o->x1 = sqlite3_column_double(q, 4);
		o->y1 = sqlite3_column_double(q, 5);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read objects", err);
	return 0;
}

int sqlite_gold_pairs(struct store *st, int64_t project_id, store_gold_pair_cb cb,
		      void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT a.user_id, a.item_id, a.id, g.id FROM annotations g JOIN "
			       "annotations a ON a.item_id = g.item_id AND a.kind = 'manual' AND "
			       "a.status != 'draft' WHERE g.project_id = ?1 AND g.kind = 'gold' ORDER BY "
			       "a.user_id, a.item_id", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	int64_t (*v)[4] = NULL;
	size_t n = 0, cap = 0;
	int rc, cbrc = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		for (int c = 0; c < 4; c++)
			v[n][c] = sqlite3_column_int64(q, c);
		n++;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		free(v);
		return sq_db_error(s, rc, "gold pairs", err);
	}
	rc = 0;
	struct obj_list mine = {0}, gold = {0};
	for (size_t i = 0; i < n && !rc && !cbrc; i++) {
		if ((rc = read_briefs(s, v[i][2], &mine, err)) || (rc = read_briefs(s, v[i][3], &gold, err)))
			break;
		struct gold_pair p = {v[i][0], v[i][1], mine.v, mine.n, gold.v, gold.n};
		cbrc = cb(ctx, &p);
	}
	free(mine.v);
	free(gold.v);
	free(v);
	return rc ? rc : cbrc;
}

int sq_assignment_on_save(struct sqlite_store *s, const struct annotation_write *w,
			  int64_t now, struct buf *err)
{
	bool submitted = w->status && !strcmp(w->status, "submitted");
	sqlite3_stmt *q;
	if (!submitted) {
		q = sq_stmt(s, "UPDATE assignments SET expires_at = ?3 + (expires_at - reserved_at), "
			 "reserved_at = ?3 WHERE item_id = ?1 AND user_id = ?2 AND role = 'annotate' "
			 "AND state = 'reserved'", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, w->key.item_id);
		sqlite3_bind_int64(q, 2, w->key.user_id);
		sqlite3_bind_int64(q, 3, now);
		return sq_step_done(s, q, "renew reservation", err);
	}
	q = sq_stmt(s, "INSERT INTO assignments(item_id, user_id, batch_id, role, state, is_gold, "
		 "reserved_at, finished_at) SELECT id, ?2, batch_id, 'annotate', 'done', 0, ?3, ?3 FROM "
		 "items WHERE id = ?1 ON CONFLICT(item_id, user_id, role) DO UPDATE SET state = 'done', "
		 "finished_at = excluded.finished_at WHERE state IN ('reserved', 'released')", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, w->key.item_id);
	sqlite3_bind_int64(q, 2, w->key.user_id);
	sqlite3_bind_int64(q, 3, now);
	int rc = sq_step_done(s, q, "finish assignment", err);
	if (!rc && sqlite3_changes(s->db) > 0)
		rc = sq_item_requeue(s, w->key.item_id, err);
	return rc;
}

