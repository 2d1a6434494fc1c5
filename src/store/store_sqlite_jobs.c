/*
 * store_sqlite_jobs.c - the SQLite backend (store_sqlite.c): the persisted background-job queue:
 * add, claim, progress, finish, cancel, recovery after a restart.
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

#define JOB_COLS "id, ifnull(project_id, 0), ifnull(user_id, 0), kind, state, params, " \
	"progress_done, progress_total, result, error, cancel_requested, attempts, created_at, " \
	"ifnull(started_at, 0), ifnull(finished_at, 0)"

static void job_from_row(sqlite3_stmt *q, struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(q, 0);
	j->project_id = sqlite3_column_int64(q, 1);
	j->user_id = sqlite3_column_int64(q, 2);
	j->kind = col_strdup(q, 3);
	job_state_parse((const char *)sqlite3_column_text(q, 4), &j->state);
	j->params = col_strdup(q, 5);
	j->done = sqlite3_column_int64(q, 6);
	j->total = sqlite3_column_int64(q, 7);
	j->result = col_strdup(q, 8);
	j->error = col_strdup(q, 9);
	j->cancel_requested = sqlite3_column_int(q, 10);
	j->attempts = sqlite3_column_int(q, 11);
	j->created_at = sqlite3_column_int64(q, 12);
	j->started_at = sqlite3_column_int64(q, 13);
	j->finished_at = sqlite3_column_int64(q, 14);
}

int sqlite_job_add(struct store *st, int64_t project_id, int64_t user_id, const char *kind,
		   const char *params_json, int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "INSERT INTO jobs(project_id, user_id, kind, params, created_at) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)", err);
	if (!q)
		return CAIRN_EIO;
	bind_id(q, 1, project_id);
	bind_id(q, 2, user_id);
	bind_text(q, 3, kind);
	bind_text(q, 4, params_json ? params_json : "{}");
	sqlite3_bind_int64(q, 5, now_ms());
	int rc = sq_step_done(s, q, "add job", err);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int sqlite_job_get(struct store *st, int64_t id, struct job *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		job_from_row(q, out);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "read job", err);
	buf_setf(err, "no job %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_job_list(struct store *st, int64_t project_id, int64_t limit,
		    store_job_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT " JOB_COLS " FROM jobs WHERE project_id = ?1 "
				    "ORDER BY id DESC LIMIT ?2", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "list jobs", err);
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, limit > 0 ? limit : 100);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct job j;
		job_from_row(q, &j);
		cbrc = cb(ctx, &j);
		job_release(&j);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "list jobs", err);
	return 0;
}

int sqlite_job_claim(struct store *st, struct job *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE jobs SET state = 'running', started_at = ?1, heartbeat_at = ?1, "
			       "attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE state = "
			       "'queued' ORDER BY id LIMIT 1) RETURNING " JOB_COLS, err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, now_ms());
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		job_from_row(q, out);
		while (sqlite3_step(q) == SQLITE_ROW)
			;
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "claim job", err);
	return CAIRN_ENOTFOUND;
}

int sqlite_job_progress(struct store *st, int64_t id, int64_t done, int64_t total,
			bool *cancel, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE jobs SET progress_done = ?2, progress_total = ?3, "
			       "heartbeat_at = ?4 WHERE id = ?1 RETURNING cancel_requested", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, done);
	sqlite3_bind_int64(q, 3, total);
	sqlite3_bind_int64(q, 4, now_ms());
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (cancel)
			*cancel = sqlite3_column_int(q, 0);
		while (sqlite3_step(q) == SQLITE_ROW)
			;
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "record progress", err);
	buf_setf(err, "no job %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

int sqlite_job_finish(struct store *st, int64_t id, enum job_state state,
		      const char *result_json, const char *error, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE jobs SET state = ?2, result = ?3, error = ?4, "
			       "finished_at = ?5 WHERE id = ?1 AND state = 'running'", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, job_state_name(state));
	bind_text(q, 3, result_json);
	bind_text(q, 4, error);
	sqlite3_bind_int64(q, 5, now_ms());
	return sq_step_done(s, q, "finish job", err);
}

int sqlite_job_cancel(struct store *st, int64_t id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE jobs SET state = CASE WHEN state = 'queued' THEN "
			       "'cancelled' ELSE state END, finished_at = CASE WHEN state = 'queued' "
			       "THEN ?2 ELSE finished_at END, cancel_requested = 1 WHERE id = ?1 AND "
			       "state IN ('queued', 'running')", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now_ms());
	int rc = sq_step_done(s, q, "cancel job", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "job %lld has already ended", (long long)id);
		return CAIRN_EINVAL;
	}
	return rc;
}

int sqlite_job_recover(struct store *st, int max_attempts, int64_t *requeued,
		       int64_t *failed, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	sqlite3_stmt *q = sq_stmt(s, "UPDATE jobs SET state = 'failed', finished_at = ?2, error = "
			       "'interrupted by a restart ' || attempts || ' times; not tried again' "
			       "WHERE state = 'running' AND (attempts >= ?1 OR cancel_requested)", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int(q, 1, max_attempts);
	sqlite3_bind_int64(q, 2, now_ms());
	if ((rc = sq_step_done(s, q, "recover jobs", err)))
		goto out;
	if (failed)
		*failed = sqlite3_changes(s->db);
	q = sq_stmt(s, "UPDATE jobs SET state = 'queued', progress_done = 0 WHERE state = 'running'", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	if ((rc = sq_step_done(s, q, "recover jobs", err)))
		goto out;
	if (requeued)
		*requeued = sqlite3_changes(s->db);
out:
	TX_END(s, rc, err);
	return rc;
}


