/*
 * store_sqlite_comments.c - the SQLite backend (store_sqlite.c): comments pinned to items, objects or
 * points, and the audit log.
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

#define COMMENT_COLS "c.id, c.project_id, c.item_id, ifnull(c.annotation_id, 0), c.object_uid, " \
	"ifnull(c.parent_id, 0), c.user_id, u.name, c.body, c.x, c.y, ifnull(c.frame, -1), " \
	"c.resolved, c.created_at, c.updated_at"

static void comment_from_row(sqlite3_stmt *q, struct comment *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(q, 0);
	c->project_id = sqlite3_column_int64(q, 1);
	c->item_id = sqlite3_column_int64(q, 2);
	c->annotation_id = sqlite3_column_int64(q, 3);
	c->object_uid = col_strdup(q, 4);
	c->parent_id = sqlite3_column_int64(q, 5);
	c->user_id = sqlite3_column_int64(q, 6);
	c->user_name = col_strdup(q, 7);
	c->body = col_strdup(q, 8);
	c->has_point = sqlite3_column_type(q, 9) != SQLITE_NULL;
	c->x = sqlite3_column_double(q, 9);
	c->y = sqlite3_column_double(q, 10);
	c->frame = sqlite3_column_int64(q, 11);
	c->resolved = sqlite3_column_int(q, 12);
	c->created_at = sqlite3_column_int64(q, 13);
	c->updated_at = sqlite3_column_int64(q, 14);
}

int sqlite_comment_add(struct store *st, const struct comment *c, int64_t *id,
		       struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO comments(project_id, item_id, annotation_id, object_uid, "
			       "parent_id, user_id, body, x, y, frame, created_at, updated_at) VALUES "
			       "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, c->project_id);
	sqlite3_bind_int64(q, 2, c->item_id);
	bind_id(q, 3, c->annotation_id);
	bind_text(q, 4, c->object_uid);
	bind_id(q, 5, c->parent_id);
	sqlite3_bind_int64(q, 6, c->user_id);
	bind_text(q, 7, c->body);
	if (c->has_point) {
		sqlite3_bind_double(q, 8, c->x);
		sqlite3_bind_double(q, 9, c->y);
	}
	if (c->frame >= 0)
		sqlite3_bind_int64(q, 10, c->frame);
	sqlite3_bind_int64(q, 11, now_ms());
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "the comment refers to something that does not exist");
		return CAIRN_EINVAL;
	}
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "add comment", err);
	if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int sqlite_comment_get(struct store *st, int64_t id, struct comment *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT " COMMENT_COLS " FROM comments c JOIN users u ON "
			       "u.id = c.user_id WHERE c.id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		comment_from_row(q, out);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read comment", err);
	buf_setf(err, "no comment %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_comment_list(struct store *st, int64_t item_id, store_comment_cb cb,
			void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT " COMMENT_COLS " FROM comments c JOIN users u ON "
				    "u.id = c.user_id WHERE c.item_id = ?1 ORDER BY c.id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list comments", err);
	sqlite3_bind_int64(q, 1, item_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct comment c;
		comment_from_row(q, &c);
		cbrc = cb(ctx, &c);
		comment_release(&c);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list comments", err);
	return 0;
}

int sqlite_comment_resolve(struct store *st, int64_t id, bool resolved, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE comments SET resolved = ?2, updated_at = ?3 WHERE id = ?1",
			       err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, resolved);
	sqlite3_bind_int64(q, 3, now_ms());
	int rc = sq_step_done(s, q, "resolve comment", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no comment %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

int sqlite_audit_list(struct store *st, int64_t project_id, int64_t before_id,
		      int64_t limit, store_audit_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT a.id, a.at, ifnull(a.user_id, 0), u.name, "
				    "ifnull(a.project_id, 0), a.action, a.target_type, "
				    "ifnull(a.target_id, 0), a.detail FROM audit a LEFT JOIN users u "
				    "ON u.id = a.user_id WHERE (?1 = 0 OR a.project_id = ?1) AND "
				    "(?2 = 0 OR a.id < ?2) ORDER BY a.id DESC LIMIT ?3", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "read the audit log", err);
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, before_id);
	sqlite3_bind_int64(q, 3, limit > 0 ? limit : 100);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct audit_entry e = {
			.id = sqlite3_column_int64(q, 0),
			.at = sqlite3_column_int64(q, 1),
			.user_id = sqlite3_column_int64(q, 2),
			.user_name = (const char *)sqlite3_column_text(q, 3),
			.project_id = sqlite3_column_int64(q, 4),
			.action = (const char *)sqlite3_column_text(q, 5),
			.target_type = (const char *)sqlite3_column_text(q, 6),
			.target_id = sqlite3_column_int64(q, 7),
			.detail = (const char *)sqlite3_column_text(q, 8),
		};
		cbrc = cb(ctx, &e);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read the audit log", err);
	return 0;
}

