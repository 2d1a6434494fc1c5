/*
 * store_sqlite.c - the SQLite backend of store.h: WAL mode, prepared
 * statements only (cached per handle), group commit, forward-only numbered
 * migrations embedded from src/store/migrations/, each in its own
 * transaction; opening and closing, and the ops table. The rest of the
 * backend is in store_sqlite_*.c, sharing store_sqlite_int.h.
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

#define BUSY_TIMEOUT_MS 10000



static const struct store_ops sqlite_ops;



/* Maps an SQLite result code to ours, with the message in err. */
int sq_db_error(struct sqlite_store *s, int rc, const char *what, struct buf *err)
{
	int code;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: code = CAIRN_EBUSY; break;
	case SQLITE_CONSTRAINT: code = CAIRN_EEXIST; break;
	case SQLITE_NOMEM: code = CAIRN_ENOMEM; break;
	case SQLITE_FULL: code = CAIRN_EIO; break;
	case SQLITE_TOOBIG: code = CAIRN_ETOOBIG; break;
	default: code = CAIRN_EIO;
	}
	buf_setf(err, "store: %s: %s", what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	return code;
}

/*
 * Returns a reset, cleared prepared statement for sql, which must be a
 * string literal: the cache is keyed by its address.
 */

sqlite3_stmt *sq_stmt(struct sqlite_store *s, const char *sql, struct buf *err)
{
	for (int i = 0; i < s->ncache; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].stmt);
			sqlite3_clear_bindings(s->cache[i].stmt);
			/* A write never runs in a read snapshot (it could find the
			 * snapshot stale and fail with SQLITE_BUSY_SNAPSHOT). */
			if (s->snapshot && !sqlite3_stmt_readonly(s->cache[i].stmt))
				sq_snapshot_end(s);
			return s->cache[i].stmt;
		}
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		sq_db_error(s, rc, "prepare", err);
		return NULL;
	}
	if (s->snapshot && !sqlite3_stmt_readonly(st))
		sq_snapshot_end(s);
	if (s->ncache < STMT_CACHE) {
		s->cache[s->ncache].sql = sql;
		s->cache[s->ncache].stmt = st;
		s->ncache++;
	} else {
		/* Never reached with the fixed set of statements below; keep it
		 * correct anyway by evicting the oldest entry. */
		sqlite3_finalize(s->cache[0].stmt);
		memmove(&s->cache[0], &s->cache[1], sizeof(s->cache[0]) * (STMT_CACHE - 1));
		s->cache[STMT_CACHE - 1].sql = sql;
		s->cache[STMT_CACHE - 1].stmt = st;
	}
	return st;
}




/* Steps a statement that returns no rows. */
int sq_step_done(struct sqlite_store *s, sqlite3_stmt *st, const char *what, struct buf *err)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_db_error(s, rc, what, err);
	return 0;
}

/*
 * Read snapshots (store_snapshot_begin): one read transaction for a run of
 * reads, so the connection checks the WAL, and empties its page cache if
 * another connection committed, once instead of at every statement. Ended
 * by store_snapshot_end, and before anything that writes on this handle.
 */
void sq_snapshot_end(struct sqlite_store *s)
{
	if (!s->snapshot)
		return;
	s->snapshot = false;
	if (sqlite3_get_autocommit(s->db))
		return;
	/* Prepared once: a request opens and ends one snapshot. */
	if (!s->snap_end)
		sqlite3_prepare_v3(s->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &s->snap_end, NULL);
	if (!s->snap_end || sqlite3_step(s->snap_end) != SQLITE_DONE)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (s->snap_end)
		sqlite3_reset(s->snap_end);
}

int sq_exec(struct sqlite_store *s, const char *sql, const char *what, struct buf *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, what, err);
	return 0;
}


static void sqlite_close(struct store *st);

static pthread_mutex_t gsync_mu = PTHREAD_MUTEX_INITIALIZER;
static struct gsync *gsync_list;

/* The shared state of the database file at path (refcounted), or NULL. */
static struct gsync *gsync_get(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return NULL;
	pthread_mutex_lock(&gsync_mu);
	struct gsync *g;
	for (g = gsync_list; g; g = g->next)
		if (g->dev == sb.st_dev && g->ino == sb.st_ino)
			break;
	if (g) {
		g->refs++;
	} else if ((g = calloc(1, sizeof(*g)))) {
		g->dev = sb.st_dev;
		g->ino = sb.st_ino;
		g->refs = 1;
		pthread_mutex_init(&g->mu, NULL);
		pthread_cond_init(&g->cv, NULL);
		pthread_mutex_init(&g->writer, NULL);
		g->next = gsync_list;
		gsync_list = g;
	}
	pthread_mutex_unlock(&gsync_mu);
	return g;
}

static void gsync_put(struct gsync *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&gsync_mu);
	if (--g->refs == 0) {
		for (struct gsync **pp = &gsync_list; *pp; pp = &(*pp)->next) {
			if (*pp == g) {
				*pp = g->next;
				break;
			}
		}
		if (g->ws)
			sqlite_close(&g->ws->base);
		pthread_mutex_destroy(&g->mu);
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->writer);
		free(g);
	}
	pthread_mutex_unlock(&gsync_mu);
}

void sq_writer_release(struct sqlite_store *s)
{
	if (s->holds_writer) {
		s->holds_writer = false;
		pthread_mutex_unlock(&s->gsync->writer);
	}
}

/* The WAL file of db's main database as SQLite opened it, or NULL. */
sqlite3_file *sq_wal_file(sqlite3 *db)
{
	sqlite3_file *wal = NULL;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK ||
	    !wal || !wal->pMethods)
		return NULL;
	return wal;
}

/*
 * Returns once commit number mine of g is on disk: either an fsync that
 * started after it was counted has finished, or this thread runs one (the
 * leader) through wal, for every commit counted so far.
 */
int sq_group_sync(struct gsync *g, uint64_t mine, sqlite3_file *wal)
{
	int rc = SQLITE_OK;
	pthread_mutex_lock(&g->mu);
	while (g->synced < mine && rc == SQLITE_OK) {
		if (g->syncing) {
			pthread_cond_wait(&g->cv, &g->mu);
			continue;
		}
		/* Lead: one fsync covers every commit counted so far. */
		g->syncing = true;
		uint64_t upto = g->committed;
		pthread_mutex_unlock(&g->mu);
		rc = wal ? wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) : SQLITE_IOERR_FSYNC;
		pthread_mutex_lock(&g->mu);
		g->syncing = false;
		if (rc == SQLITE_OK && upto > g->synced)
			g->synced = upto;
		pthread_cond_broadcast(&g->cv);
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

/* SQLite's WAL hook: after each commit of this connection, make it durable. */
static int wal_commit_hook(void *ctx, sqlite3 *db, const char *dbname, int nframes)
{
	struct sqlite_store *s = ctx;
	struct gsync *g = s->gsync;
	/* The frames are written and the write lock is free: let the next writer in. */
	sq_writer_release(s);
	pthread_mutex_lock(&g->mu);
	uint64_t mine = ++g->committed;
	pthread_mutex_unlock(&g->mu);
	int rc = sq_group_sync(g, mine, sq_wal_file(db));
	/* What sqlite3_wal_autocheckpoint's own hook does (replaced by this one). */
	if (rc == SQLITE_OK && nframes >= 1000)
		sqlite3_wal_checkpoint_v2(db, dbname, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return rc;
}

/* The shared writer's WAL hook: the committing thread still holds the
 * writer mutex and the connection; it takes a number here and waits for
 * the fsync after it has let both go (shared_save). */
static int ws_commit_hook(void *ctx, sqlite3 *db, const char *dbname, int nframes)
{
	struct sqlite_store *s = ctx;
	(void)db;
	(void)dbname;
	pthread_mutex_lock(&s->gsync->mu);
	s->ticket = ++s->gsync->committed;
	pthread_mutex_unlock(&s->gsync->mu);
	s->nframes = nframes;
	return SQLITE_OK;
}

/* BEGIN IMMEDIATE, queued behind this process's other writers. */
/* Takes gsync's writer mutex for s, waiting as long as SQLite's busy
 * timeout would. */
int sq_writer_acquire(struct sqlite_store *s, const char *what, struct buf *err)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += BUSY_TIMEOUT_MS / 1000;
	if (pthread_mutex_timedlock(&s->gsync->writer, &until) != 0) {
		buf_setf(err, "store: %s: the database is busy", what);
		return CAIRN_EBUSY;
	}
	s->holds_writer = true;
	return 0;
}

int sq_tx_begin(struct sqlite_store *s, const char *what, struct buf *err)
{
	/* The shared writer is only used by a thread that holds the mutex. */
	int rc;
	sq_snapshot_end(s);
	if (s->gsync && !s->holds_writer && !s->is_ws && (rc = sq_writer_acquire(s, what, err)))
		return rc;
	rc = sq_exec(s, "BEGIN IMMEDIATE", what, err);
	if (rc)
		sq_writer_release(s);
	return rc;
}

/* COMMIT (durable when it returns 0; the WAL hook releases the writer). */
int sq_tx_commit(struct sqlite_store *s, const char *what, struct buf *err)
{
	int rc = sq_exec(s, "COMMIT", what, err);
	if (rc && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sq_writer_release(s);
	return rc;
}

void sq_tx_rollback(struct sqlite_store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sq_writer_release(s);
}


/* ---- migrations ---- */

static int migration_number(const char *path)
{
	/* "/0001_init.sql" -> 1 */
	const char *p = path + (path[0] == '/');
	int n = 0, digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 6) {
		n = n * 10 + (*p - '0');
		p++;
		digits++;
	}
	return digits ? n : -1;
}

int store_schema_version(void)
{
	int max = 0;
	for (const struct asset *a = migration_files; a->path; a++) {
		int n = migration_number(a->path);
		if (n > max)
			max = n;
	}
	return max;
}

static int read_user_version(struct sqlite_store *s, int *v, struct buf *err)
{
	sqlite3_stmt *st = sq_stmt(s, "PRAGMA user_version", err);
	if (!st)
		return CAIRN_EIO;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return sq_db_error(s, rc, "read the schema version", err);
	*v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int backup_to(struct sqlite_store *s, const char *dest, struct buf *err)
{
	sq_snapshot_end(s);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "prepare backup", err);
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "copy the database before migrating", err);
	return 0;
}

static int migrate(struct sqlite_store *s, int flags, int want, struct buf *err)
{
	int have, rc;
	if ((rc = read_user_version(s, &have, err)))
		return rc;
	if (have > store_schema_version()) {
		buf_setf(err, "store: '%s' has schema version %d, newer than this cairn (%d); "
			 "upgrade cairn to open it", s->path, have, store_schema_version());
		return CAIRN_EVERSION;
	}
	if (have >= want) {
		s->version = have;
		return 0;
	}
	if (flags & STORE_NO_MIGRATE) {
		buf_setf(err, "store: '%s' has schema version %d and needs migrating to %d",
			 s->path, have, want);
		return CAIRN_EVERSION;
	}
	if (have > 0) {
		char dest[4096];
		snprintf(dest, sizeof(dest), "%s.v%d-%lld.bak", s->path, have,
			 (long long)(now_ms() / 1000));
		if ((rc = backup_to(s, dest, err)))
			return rc;
	}
	for (int v = have + 1; v <= want; v++) {
		const struct asset *m = NULL;
		for (const struct asset *a = migration_files; a->path; a++)
			if (migration_number(a->path) == v)
				m = a;
		if (!m) {
			buf_setf(err, "store: migration %d is missing from this build", v);
			return CAIRN_EINTERNAL;
		}
		if ((rc = sq_exec(s, "BEGIN IMMEDIATE", "begin migration", err)))
			return rc;
		/* Another process may have migrated while we waited for the lock. */
		int now;
		if ((rc = read_user_version(s, &now, err))) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		if (now >= v) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			continue;
		}
		char *msg = NULL;
		rc = sqlite3_exec(s->db, (const char *)m->data, NULL, NULL, &msg);
		if (rc == SQLITE_OK) {
			char pragma[64];
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
			rc = sqlite3_exec(s->db, pragma, NULL, NULL, &msg);
		}
		if (rc != SQLITE_OK) {
			buf_setf(err, "store: migration %s failed: %s", m->path + 1,
				 msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return CAIRN_EIO;
		}
		if ((rc = sq_exec(s, "COMMIT", "commit migration", err)))
			return rc;
	}
	s->version = want;
	return 0;
}

/* ---- open / close ---- */


static void sqlite_close(struct store *st)
{
	struct sqlite_store *s = S(st);
	sq_bulk_free(s);
	sq_snapshot_end(s);
	sqlite3_finalize(s->snap_begin);
	sqlite3_finalize(s->snap_end);
	for (int i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].stmt);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < (1 << 8); i++)
			if (s->item_q[k][i])
				sqlite3_finalize(s->item_q[k][i]);
	if (s->db)
		sqlite3_close(s->db);
	sq_writer_release(s);
	/* The shared writer holds no reference: its gsync closes it. */
	if (!s->is_ws)
		gsync_put(s->gsync);
	free(s->path);
	free(s);
}

int store_sqlite_open(struct store **out, const char *path, int flags, struct buf *err)
{
	return store_sqlite_open_at(out, path, flags, store_schema_version(), err);
}

/*
 * SQLite's allocation statistics cost a global mutex and two counters per
 * malloc and free (3% of an import's CPU); cairn reads none of them. Only
 * possible before SQLite starts, so done before the process's first open;
 * later it is a harmless no-op.
 */
static void sqlite_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Opens a handle; ws_of: as the shared writer of that gsync. */
int sq_open_handle(struct store **out, const char *path, int flags, int version,
		   struct gsync *ws_of, struct buf *err)
{
	static pthread_once_t config_once = PTHREAD_ONCE_INIT;
	pthread_once(&config_once, sqlite_global_config);
	struct sqlite_store *s = calloc(1, sizeof(*s));
	if (!s)
		return CAIRN_ENOMEM;
	s->base.ops = &sqlite_ops;
	s->path = strdup(path);
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		if (!(flags & STORE_CREATE) && access(path, F_OK) != 0)
			buf_setf(err, "store: no database at '%s' (run 'cairn init' first)", path);
		else
			buf_setf(err, "store: cannot open '%s': %s", path, sqlite3_errstr(rc));
		sqlite_close(&s->base);
		return rc == SQLITE_CANTOPEN ? CAIRN_ENOTFOUND : CAIRN_EIO;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/*
	 * A new database gets 8 KiB pages (a no-op on an existing one, and
	 * only possible before WAL is on): an annotation's history body, about
	 * 2.5 KB for ten boxes, filled a 4 KiB page alone, so half of the
	 * history table was free space written twice (WAL, then checkpoint).
	 */
	if (flags & STORE_CREATE)
		rc = sq_exec(s, "PRAGMA page_size=8192", "configure", err);
	/*
	 * WAL lets readers run beside the one writer. synchronous=FULL makes a
	 * commit durable against power loss as well as a killed process: a 2xx
	 * means committed, and bulk writers batch into large transactions so
	 * the fsync per commit is cheap.
	 */
	if (!rc)
		rc = sq_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			  "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;", "configure", err);
	/*
	 * Group commit (above): NORMAL plus the WAL hook's shared fsync keeps
	 * FULL's promise, a commit that returned is on disk, at a fraction of
	 * the fsyncs. A database that is not a plain file keeps FULL.
	 */
	if (!rc && ws_of) {
		s->gsync = ws_of;
		s->is_ws = true;
		rc = sq_exec(s, "PRAGMA synchronous=NORMAL", "configure", err);
		sqlite3_wal_hook(s->db, ws_commit_hook, s);
	} else if (!rc && (s->gsync = gsync_get(path))) {
		rc = sq_exec(s, "PRAGMA synchronous=NORMAL", "configure", err);
		sqlite3_wal_hook(s->db, wal_commit_hook, s);
	}
	if (!rc)
		rc = migrate(s, flags, version, err);
	if (rc) {
		sqlite_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

int store_sqlite_open_at(struct store **out, const char *path, int flags, int version,
			 struct buf *err)
{
	return sq_open_handle(out, path, flags, version, NULL, err);
}

static int sqlite_db_version(struct store *st)
{
	return S(st)->version;
}

static int sqlite_backup(struct store *st, const char *dest, struct buf *err)
{
	return backup_to(S(st), dest, err);
}

static int sqlite_check(struct store *st, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_db_error(s, rc, "integrity check", err);
	struct buf report = BUF_INIT;
	bool ok = true;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(q, 0);
		if (line && strcmp(line, "ok")) {
			ok = false;
			buf_addf(&report, "%s%s", report.len ? "; " : "", line);
		}
	}
	sqlite3_finalize(q);
	if (!ok)
		buf_setf(err, "store: integrity check failed: %s", report.data);
	buf_release(&report);
	if (rc != SQLITE_DONE)
		return sq_db_error(s, rc, "integrity check", err);
	return ok ? 0 : CAIRN_EIO;
}

static int sqlite_begin(struct store *st, struct buf *err)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx) {
		buf_setf(err, "store: a transaction is already open");
		return CAIRN_EINTERNAL;
	}
	int rc = sq_tx_begin(s, "begin", err);
	if (!rc)
		s->in_tx = true;
	return rc;
}


static int sqlite_commit(struct store *st, struct buf *err)
{
	struct sqlite_store *s = S(st);
	if (!s->in_tx) {
		buf_setf(err, "store: no transaction to commit");
		return CAIRN_EINTERNAL;
	}
	int rc = s->bulk ? sqlite_bulk_end(st, err) : 0;
	if (rc) {
		sq_tx_rollback(s);
		sq_bulk_free(s);
	} else {
		rc = sq_tx_commit(s, "commit", err);
	}
	s->in_tx = false;
	return rc;
}

static void sqlite_rollback(struct store *st)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx)
		sq_tx_rollback(s);
	s->in_tx = false;
	sq_bulk_free(s); /* the rollback brought the dropped triggers back */
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.db_version = sqlite_db_version,
	.backup = sqlite_backup,
	.check = sqlite_check,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.bulk_begin = sqlite_bulk_begin,
	.bulk_end = sqlite_bulk_end,
	.snapshot = sqlite_snapshot,
	.meta_get = sqlite_meta_get,
	.meta_set = sqlite_meta_set,
	.user_add = sqlite_user_add,
	.user_get = sqlite_user_get,
	.user_set_password = sqlite_user_set_password,
	.user_list = sqlite_user_list,
	.project_create = sqlite_project_create,
	.project_get = sqlite_project_get,
	.project_list = sqlite_project_list,
	.project_delete = sqlite_project_delete,
	.member_set = sqlite_member_set,
	.member_get = sqlite_member_get,
	.schema_put = sqlite_schema_put,
	.schema_get = sqlite_schema_get,
	.schema_list = sqlite_schema_list,
	.label_id = sqlite_label_id,
	.item_add = sqlite_item_add,
	.item_get = sqlite_item_get,
	.item_find_hash = sqlite_item_find_hash,
	.item_phashes = sqlite_item_phashes,
	.item_list = sqlite_item_list,
	.project_stats = sqlite_project_stats,
	.label_counts = sqlite_label_counts,
	.token_add = sqlite_token_add,
	.token_find = sqlite_token_find,
	.token_touch = sqlite_token_touch,
	.token_revoke = sqlite_token_revoke,
	.token_list = sqlite_token_list,
	.item_scope = sqlite_item_scope,
	.item_assigned = sqlite_item_assigned,
	.member_remove = sqlite_member_remove,
	.member_list = sqlite_member_list,
	.user_update = sqlite_user_update,
	.item_query = sqlite_item_query,
	.item_count = sqlite_item_count,
	.annotation_find = sqlite_annotation_find,
	.annotation_owner = sqlite_annotation_owner,
	.annotation_list = sqlite_annotation_list,
	.item_docs = sqlite_item_docs,
	.ann_docs = sqlite_ann_docs,
	.annotation_save = sqlite_annotation_save,
	.history_list = sqlite_history_list,
	.history_get = sqlite_history_get,
	.job_add = sqlite_job_add,
	.job_get = sqlite_job_get,
	.job_list = sqlite_job_list,
	.job_claim = sqlite_job_claim,
	.job_progress = sqlite_job_progress,
	.job_finish = sqlite_job_finish,
	.job_cancel = sqlite_job_cancel,
	.job_recover = sqlite_job_recover,
	.comment_add = sqlite_comment_add,
	.comment_get = sqlite_comment_get,
	.comment_list = sqlite_comment_list,
	.comment_resolve = sqlite_comment_resolve,
	.audit_list = sqlite_audit_list,
	.audit = sqlite_audit,
	.item_set_meta = sqlite_item_set_meta,
	.batch_create = sqlite_batch_create,
	.batch_get = sqlite_batch_get,
	.batch_list = sqlite_batch_list,
	.batch_scope = sqlite_batch_scope,
	.batch_update = sqlite_batch_update,
	.batch_assign = sqlite_batch_assign,
	.batch_members = sqlite_batch_members,
	.queue_next = sqlite_queue_next,
	.queue_finish = sqlite_queue_finish,
	.queue_reclaim = sqlite_queue_reclaim,
	.item_review_first = sqlite_item_review_first,
	.review_next = sqlite_review_next,
	.review_add = sqlite_review_add,
	.batch_signoff = sqlite_batch_signoff,
	.batch_sample = sqlite_batch_sample,
	.review_release = sqlite_review_release,
	.annotator_stats = sqlite_annotator_stats,
	.rejection_reasons = sqlite_rejection_reasons,
	.gold_pairs = sqlite_gold_pairs,
};
