/*
 * store_sqlite.c - the SQLite backend of store.h: WAL mode, prepared
 * statements only (cached per handle), forward-only numbered migrations
 * embedded from src/store/migrations/, each in its own transaction.
 */
#include "store/store_int.h"

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

#define STMT_CACHE 256
#define BUSY_TIMEOUT_MS 10000

struct gsync;

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	char *path;
	int version;
	bool in_tx;
	bool snapshot;            /* a read transaction of store_snapshot_begin is open */
	sqlite3_stmt *snap_begin, *snap_end;
	struct gsync *gsync;      /* group commit of this database file, or NULL */
	bool holds_writer;        /* this handle holds gsync's writer mutex */
	/* The shared writer (gsync's ws): used only by the thread holding the
	 * writer mutex; its WAL hook takes a ticket instead of waiting. */
	bool is_ws;
	uint64_t ticket;          /* group-commit number of its last commit */
	int nframes;              /* frames in the WAL after that commit */
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	int ncache;
	/* Item filter statements, one per combination of filters. */
	sqlite3_stmt *item_q[2][1 << 8];
	struct bulk *bulk;        /* between store_bulk_begin and its end, else NULL */
};

static const struct store_ops sqlite_ops;

static struct sqlite_store *S(struct store *st)
{
	return (struct sqlite_store *)st;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Maps an SQLite result code to ours, with the message in err. */
static int db_error(struct sqlite_store *s, int rc, const char *what, struct buf *err)
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
static void snapshot_end(struct sqlite_store *s);

static sqlite3_stmt *stmt(struct sqlite_store *s, const char *sql, struct buf *err)
{
	for (int i = 0; i < s->ncache; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].stmt);
			sqlite3_clear_bindings(s->cache[i].stmt);
			/* A write never runs in a read snapshot (it could find the
			 * snapshot stale and fail with SQLITE_BUSY_SNAPSHOT). */
			if (s->snapshot && !sqlite3_stmt_readonly(s->cache[i].stmt))
				snapshot_end(s);
			return s->cache[i].stmt;
		}
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		db_error(s, rc, "prepare", err);
		return NULL;
	}
	if (s->snapshot && !sqlite3_stmt_readonly(st))
		snapshot_end(s);
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

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static char *col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Steps a statement that returns no rows. */
static int step_done(struct sqlite_store *s, sqlite3_stmt *st, const char *what, struct buf *err)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(s, rc, what, err);
	return 0;
}

/*
 * Read snapshots (store_snapshot_begin): one read transaction for a run of
 * reads, so the connection checks the WAL, and empties its page cache if
 * another connection committed, once instead of at every statement. Ended
 * by store_snapshot_end, and before anything that writes on this handle.
 */
static void snapshot_end(struct sqlite_store *s)
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

static int exec(struct sqlite_store *s, const char *sql, const char *what, struct buf *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, what, err);
	return 0;
}

/*
 * Group commit. Every handle on one database file in this process shares a
 * struct gsync. Connections run with synchronous=NORMAL, so COMMIT only
 * write()s the WAL frames; then, before the COMMIT statement returns (in
 * SQLite's WAL hook, called after the write lock is released), the
 * committing thread waits until an fsync of the WAL that started after its
 * frames were written has finished. One thread (the leader) runs that fsync
 * for every commit made meanwhile, so 64 writers share one fsync instead of
 * queueing for 64. A commit that returns has thus been fsynced, as with
 * synchronous=FULL; if the fsync fails, COMMIT reports the error.
 * The writer mutex queues this process's write transactions instead of
 * SQLite's busy handler (which sleeps 1, 2, 5 ... 100 ms between tries); it
 * is released as soon as the commit is written, before the fsync.
 */
struct gsync {
	dev_t dev;
	ino_t ino;
	int refs;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t committed;       /* commits whose frames are written */
	uint64_t synced;          /* commits known durable */
	bool syncing;             /* a leader is in fsync */
	pthread_mutex_t writer;
	/* One connection, shared under the writer mutex, for annotation saves:
	 * its page cache stays valid from one save to the next (a commit by
	 * another connection empties a connection's cache), so a save reads
	 * almost nothing from the files. Opened on first use. */
	struct sqlite_store *ws;
	struct gsync *next;
};

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

static void writer_release(struct sqlite_store *s)
{
	if (s->holds_writer) {
		s->holds_writer = false;
		pthread_mutex_unlock(&s->gsync->writer);
	}
}

/* The WAL file of db's main database as SQLite opened it, or NULL. */
static sqlite3_file *wal_file(sqlite3 *db)
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
static int group_sync(struct gsync *g, uint64_t mine, sqlite3_file *wal)
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
	writer_release(s);
	pthread_mutex_lock(&g->mu);
	uint64_t mine = ++g->committed;
	pthread_mutex_unlock(&g->mu);
	int rc = group_sync(g, mine, wal_file(db));
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
static int writer_acquire(struct sqlite_store *s, const char *what, struct buf *err)
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

static int tx_begin(struct sqlite_store *s, const char *what, struct buf *err)
{
	/* The shared writer is only used by a thread that holds the mutex. */
	int rc;
	snapshot_end(s);
	if (s->gsync && !s->holds_writer && !s->is_ws && (rc = writer_acquire(s, what, err)))
		return rc;
	rc = exec(s, "BEGIN IMMEDIATE", what, err);
	if (rc)
		writer_release(s);
	return rc;
}

/* COMMIT (durable when it returns 0; the WAL hook releases the writer). */
static int tx_commit(struct sqlite_store *s, const char *what, struct buf *err)
{
	int rc = exec(s, "COMMIT", what, err);
	if (rc && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	writer_release(s);
	return rc;
}

static void tx_rollback(struct sqlite_store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	writer_release(s);
}

/* Runs fn inside a transaction unless the caller already opened one. */
#define TX_BEGIN(s, err)                                                     \
	bool own_tx_ = !(s)->in_tx;                                          \
	if (own_tx_) {                                                       \
		int txrc_ = tx_begin((s), "begin", (err));                   \
		if (txrc_)                                                   \
			return txrc_;                                        \
	}
#define TX_END(s, rc, err)                                                   \
	do {                                                                 \
		if (own_tx_) {                                               \
			if (rc)                                              \
				tx_rollback(s);                              \
			else                                                 \
				rc = tx_commit((s), "commit", (err));        \
		}                                                            \
	} while (0)

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
	sqlite3_stmt *st = stmt(s, "PRAGMA user_version", err);
	if (!st)
		return CAIRN_EIO;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, "read the schema version", err);
	*v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int backup_to(struct sqlite_store *s, const char *dest, struct buf *err)
{
	snapshot_end(s);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "prepare backup", err);
	sqlite3_bind_text(st, 1, dest, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "copy the database before migrating", err);
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
		if ((rc = exec(s, "BEGIN IMMEDIATE", "begin migration", err)))
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
		if ((rc = exec(s, "COMMIT", "commit migration", err)))
			return rc;
	}
	s->version = want;
	return 0;
}

/* ---- open / close ---- */

static void bulk_free(struct sqlite_store *s);

static void sqlite_close(struct store *st)
{
	struct sqlite_store *s = S(st);
	bulk_free(s);
	snapshot_end(s);
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
	writer_release(s);
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

/* Opens a handle; ws_of: as the shared writer of that gsync. */
static int open_handle(struct store **out, const char *path, int flags, int version,
		       struct gsync *ws_of, struct buf *err)
{
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
	 * WAL lets readers run beside the one writer. synchronous=FULL makes a
	 * commit durable against power loss as well as a killed process: a 2xx
	 * means committed, and bulk writers batch into large transactions so
	 * the fsync per commit is cheap.
	 */
	rc = exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
		  "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;", "configure", err);
	/*
	 * Group commit (above): NORMAL plus the WAL hook's shared fsync keeps
	 * FULL's promise, a commit that returned is on disk, at a fraction of
	 * the fsyncs. A database that is not a plain file keeps FULL.
	 */
	if (!rc && ws_of) {
		s->gsync = ws_of;
		s->is_ws = true;
		rc = exec(s, "PRAGMA synchronous=NORMAL", "configure", err);
		sqlite3_wal_hook(s->db, ws_commit_hook, s);
	} else if (!rc && (s->gsync = gsync_get(path))) {
		rc = exec(s, "PRAGMA synchronous=NORMAL", "configure", err);
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
	return open_handle(out, path, flags, version, NULL, err);
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
		return db_error(s, rc, "integrity check", err);
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
		return db_error(s, rc, "integrity check", err);
	return ok ? 0 : CAIRN_EIO;
}

static int sqlite_begin(struct store *st, struct buf *err)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx) {
		buf_setf(err, "store: a transaction is already open");
		return CAIRN_EINTERNAL;
	}
	int rc = tx_begin(s, "begin", err);
	if (!rc)
		s->in_tx = true;
	return rc;
}

static int sqlite_bulk_end(struct store *st, struct buf *err);

static int sqlite_commit(struct store *st, struct buf *err)
{
	struct sqlite_store *s = S(st);
	if (!s->in_tx) {
		buf_setf(err, "store: no transaction to commit");
		return CAIRN_EINTERNAL;
	}
	int rc = s->bulk ? sqlite_bulk_end(st, err) : 0;
	if (rc) {
		tx_rollback(s);
		bulk_free(s);
	} else {
		rc = tx_commit(s, "commit", err);
	}
	s->in_tx = false;
	return rc;
}

static void sqlite_rollback(struct store *st)
{
	struct sqlite_store *s = S(st);
	if (s->in_tx)
		tx_rollback(s);
	s->in_tx = false;
	bulk_free(s); /* the rollback brought the dropped triggers back */
}

/* ---- bulk load ---- */

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

struct bulk_count {
	int64_t key;               /* label id, or -project id for objects without a label */
	int64_t project_id;
	int64_t objects;           /* delta of label_counts (and of the project's 'objects') */
	int64_t items;             /* delta of 'label_items:<label>' */
};

struct bulk {
	char *trigger_sql[BULK_NTRIG];
	int64_t old_cache;         /* the cache_size pragma before */
	struct bulk_count *v;      /* open addressing by key; key 0 = free */
	size_t n, cap;             /* cap a power of two */
};

static void bulk_free(struct sqlite_store *s)
{
	struct bulk *b = s->bulk;
	if (!b)
		return;
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA cache_size=%lld", (long long)b->old_cache);
	sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
	for (size_t i = 0; i < BULK_NTRIG; i++)
		free(b->trigger_sql[i]);
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

static int sqlite_bulk_begin(struct store *st, struct buf *err)
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
		return db_error(s, rc, "bulk load", err);
	struct buf drop = BUF_INIT;
	for (size_t i = 0; i < BULK_NTRIG && !rc; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, bulk_trigger_names[i], -1, SQLITE_STATIC);
		int step = sqlite3_step(q);
		if (step == SQLITE_ROW) {
			b->trigger_sql[i] = col_strdup(q, 0);
			buf_addf(&drop, "DROP TRIGGER %s;", bulk_trigger_names[i]);
		} else if (step != SQLITE_DONE) {
			rc = db_error(s, step, "bulk load", err);
		}
	}
	sqlite3_finalize(q);
	if (!rc && drop.len)
		rc = exec(s, drop.data, "bulk load", err);
	buf_release(&drop);
	return rc;
}

/* Writes the counters summed during the bulk load and brings the triggers back. */
static int sqlite_bulk_end(struct store *st, struct buf *err)
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
		sqlite3_stmt *q = stmt(s, "INSERT INTO project_counts VALUES (?1, 'objects', ?2) "
				       "ON CONFLICT DO UPDATE SET n = n + excluded.n", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, c->project_id);
		sqlite3_bind_int64(q, 2, c->objects);
		if ((rc = step_done(s, q, "count objects", err)) || c->key < 0)
			continue;
		q = stmt(s, "INSERT INTO label_counts VALUES (?1, ?2, ?3) "
			 "ON CONFLICT DO UPDATE SET n = n + excluded.n", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, c->project_id);
		sqlite3_bind_int64(q, 2, c->key);
		sqlite3_bind_int64(q, 3, c->objects);
		if ((rc = step_done(s, q, "count objects", err)))
			break;
		q = stmt(s, "INSERT INTO project_counts VALUES (?1, 'label_items:' || ?2, ?3) "
			 "ON CONFLICT DO UPDATE SET n = n + excluded.n", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, c->project_id);
		sqlite3_bind_int64(q, 2, c->key);
		sqlite3_bind_int64(q, 3, c->items);
		rc = step_done(s, q, "count items", err);
	}
	for (size_t i = 0; i < BULK_NTRIG && !rc; i++)
		if (b->trigger_sql[i])
			rc = exec(s, b->trigger_sql[i], "bulk load: restore trigger", err);
	if (!rc)
		bulk_free(s);
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
static int rewrite_objects(struct sqlite_store *s, int64_t ann_id, const struct annotation_write *w,
			   struct buf *err);

static int bulk_write_objects(struct sqlite_store *s, int64_t ann_id, bool existed,
			      const struct annotation_write *w, struct buf *err)
{
	const struct ann_doc *d = w->doc;
	size_t nd = 0, cap = (d ? d->nobjects : 0) + 8;
	struct bulk_delta *v = malloc(cap * sizeof(*v));
	if (!v)
		return CAIRN_ENOMEM;
	int rc = 0;
	if (existed) {
		sqlite3_stmt *q = stmt(s, "SELECT ifnull(label_id, 0), count(*) FROM objects WHERE "
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
			return db_error(s, step, "read objects", err);
		}
	}
	if ((rc = rewrite_objects(s, ann_id, w, err))) {
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
		sqlite3_stmt *q = stmt(s, "INSERT INTO item_label_objects VALUES (?1, ?2, ?3) "
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
			rc = db_error(s, step, "count objects", err);
			break;
		}
		int64_t before = after - delta;
		c->items += (after > 0) - (before > 0);
		if (after <= 0) {
			q = stmt(s, "DELETE FROM item_label_objects WHERE item_id = ?1 AND label_id = ?2",
				 err);
			if (!q) {
				rc = CAIRN_EIO;
				break;
			}
			sqlite3_bind_int64(q, 1, w->key.item_id);
			sqlite3_bind_int64(q, 2, label);
			rc = step_done(s, q, "count objects", err);
		}
	}
	free(v);
	return rc;
}

static void sqlite_snapshot(struct store *st, bool on)
{
	struct sqlite_store *s = S(st);
	if (!on) {
		snapshot_end(s);
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

/* ---- meta ---- */

static int sqlite_meta_get(struct store *st, const char *key, char **value, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT value FROM meta WHERE key = ?1", err);
	if (!q)
		return CAIRN_EIO;
	bind_text(q, 1, key);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*value = col_strdup(q, 0);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read setting", err);
	buf_setf(err, "store: no setting '%s'", key);
	return CAIRN_ENOTFOUND;
}

static int sqlite_meta_set(struct store *st, const char *key, const char *value,
			   struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
			       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", err);
	if (!q)
		return CAIRN_EIO;
	bind_text(q, 1, key);
	bind_text(q, 2, value);
	return step_done(s, q, "write setting", err);
}

/* ---- users ---- */

static int sqlite_user_add(struct store *st, const char *name, const char *password_hash,
			   bool is_admin, int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO users(name, password_hash, is_admin, created_at, "
			       "updated_at) VALUES (?1, ?2, ?3, ?4, ?4)", err);
	if (!q)
		return CAIRN_EIO;
	bind_text(q, 1, name);
	bind_text(q, 2, password_hash);
	sqlite3_bind_int(q, 3, is_admin);
	sqlite3_bind_int64(q, 4, now_ms());
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "user '%s' already exists", name);
		return CAIRN_EEXIST;
	}
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "add user", err);
	if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static void user_from_row(sqlite3_stmt *q, struct user *u)
{
	u->id = sqlite3_column_int64(q, 0);
	u->name = col_strdup(q, 1);
	u->display_name = col_strdup(q, 2);
	u->is_admin = sqlite3_column_int(q, 3);
	u->is_active = sqlite3_column_int(q, 4);
	u->created_at = sqlite3_column_int64(q, 5);
}

static int sqlite_user_get(struct store *st, const char *name, int64_t id, struct user *out,
			   char **password_hash, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (name) {
		q = stmt(s, "SELECT id, name, display_name, is_admin, is_active, created_at, "
			 "password_hash FROM users WHERE name = ?1", err);
		if (q)
			bind_text(q, 1, name);
	} else {
		q = stmt(s, "SELECT id, name, display_name, is_admin, is_active, created_at, "
			 "password_hash FROM users WHERE id = ?1", err);
		if (q)
			sqlite3_bind_int64(q, 1, id);
	}
	if (!q)
		return CAIRN_EIO;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		user_from_row(q, out);
		if (password_hash)
			*password_hash = col_strdup(q, 6);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read user", err);
	if (name)
		buf_setf(err, "no user '%s'", name);
	else
		buf_setf(err, "no user with id %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_user_set_password(struct store *st, int64_t id, const char *password_hash,
				    struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE users SET password_hash = ?2, updated_at = ?3 "
			       "WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, password_hash);
	sqlite3_bind_int64(q, 3, now_ms());
	int rc = step_done(s, q, "set password", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no user with id %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

static int sqlite_user_list(struct store *st, store_user_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	/* Not cached: a callback may call back into the store. */
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, name, display_name, is_admin, is_active, "
				    "created_at FROM users ORDER BY id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list users", err);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct user u = {0};
		user_from_row(q, &u);
		cbrc = cb(ctx, &u);
		user_release(&u);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "list users", err);
	return 0;
}

/* ---- projects and schemas ---- */

static int schema_put_locked(struct sqlite_store *s, int64_t project_id, const char *json,
			     int64_t user_id, const char *message, int64_t *version,
			     struct buf *err);

static int sqlite_project_create(struct store *st, const char *name, const char *description,
				 int64_t created_by, const char *schema_json, int64_t *id,
				 struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	sqlite3_stmt *q = stmt(s, "INSERT INTO projects(name, description, created_by, "
			       "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	bind_text(q, 1, name);
	bind_text(q, 2, description ? description : "");
	bind_id(q, 3, created_by);
	sqlite3_bind_int64(q, 4, now_ms());
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "project '%s' already exists", name);
		rc = CAIRN_EEXIST;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(s, rc, "create project", err);
		goto out;
	}
	rc = 0;
	int64_t pid = sqlite3_last_insert_rowid(s->db);
	if (schema_json)
		rc = schema_put_locked(s, pid, schema_json, created_by, "created", NULL, err);
	if (!rc && created_by) {
		q = stmt(s, "INSERT INTO members(project_id, user_id, role, created_at) "
			 "VALUES (?1, ?2, 'manager', ?3)", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, pid);
		sqlite3_bind_int64(q, 2, created_by);
		sqlite3_bind_int64(q, 3, now_ms());
		rc = step_done(s, q, "add the creator as manager", err);
	}
	if (!rc && id)
		*id = pid;
out:
	TX_END(s, rc, err);
	return rc;
}

static void project_from_row(sqlite3_stmt *q, struct project *p)
{
	p->id = sqlite3_column_int64(q, 0);
	p->name = col_strdup(q, 1);
	p->description = col_strdup(q, 2);
	p->schema_version = sqlite3_column_int64(q, 3);
	p->created_by = sqlite3_column_int64(q, 4);
	p->created_at = sqlite3_column_int64(q, 5);
}

static int sqlite_project_get(struct store *st, const char *name, int64_t id,
			      struct project *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (name) {
		q = stmt(s, "SELECT id, name, description, schema_version, created_by, created_at "
			 "FROM projects WHERE name = ?1", err);
		if (q)
			bind_text(q, 1, name);
	} else {
		q = stmt(s, "SELECT id, name, description, schema_version, created_by, created_at "
			 "FROM projects WHERE id = ?1", err);
		if (q)
			sqlite3_bind_int64(q, 1, id);
	}
	if (!q)
		return CAIRN_EIO;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		project_from_row(q, out);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read project", err);
	if (name)
		buf_setf(err, "no project '%s'", name);
	else
		buf_setf(err, "no project with id %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_project_list(struct store *st, int64_t user_id, store_project_cb cb,
			       void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, name, description, schema_version, "
				    "created_by, created_at FROM projects p WHERE archived = 0 "
				    "AND (?1 = 0 OR EXISTS (SELECT 1 FROM members m WHERE "
				    "m.project_id = p.id AND m.user_id = ?1)) ORDER BY name",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list projects", err);
	sqlite3_bind_int64(q, 1, user_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct project p = {0};
		project_from_row(q, &p);
		cbrc = cb(ctx, &p);
		project_release(&p);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "list projects", err);
	return 0;
}

static int sqlite_project_delete(struct store *st, int64_t id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	/* Counters are per project and not covered by foreign keys. */
	static const char *const sql[] = {
		"DELETE FROM project_counts WHERE project_id = ?1",
		"DELETE FROM label_counts WHERE project_id = ?1",
		"DELETE FROM projects WHERE id = ?1",
	};
	rc = 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && !rc; i++) {
		sqlite3_stmt *q = stmt(s, sql[i], err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, id);
		rc = step_done(s, q, "delete project", err);
	}
	TX_END(s, rc, err);
	return rc;
}

static int sqlite_member_set(struct store *st, int64_t project_id, int64_t user_id,
			     enum role role, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO members(project_id, user_id, role, created_at) "
			       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(project_id, user_id) "
			       "DO UPDATE SET role = excluded.role", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, user_id);
	bind_text(q, 3, role_name(role));
	sqlite3_bind_int64(q, 4, now_ms());
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		buf_setf(err, "no such project or user");
		return CAIRN_ENOTFOUND;
	}
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "set member", err);
	return 0;
}

static int sqlite_member_get(struct store *st, int64_t project_id, int64_t user_id,
			     enum role *role, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT role FROM members WHERE project_id = ?1 AND user_id = ?2",
			       err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		bool ok = role_parse((const char *)sqlite3_column_text(q, 0), role);
		sqlite3_reset(q);
		return ok ? 0 : CAIRN_EINTERNAL;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read member", err);
	buf_setf(err, "user %lld is not a member of project %lld", (long long)user_id,
		 (long long)project_id);
	return CAIRN_ENOTFOUND;
}

/*
 * Gives every label named in the schema a stable id in the labels table.
 * The schema is canonical JSON from core/schema; the names are read with
 * SQLite's JSON functions so the store needs no JSON parser of its own.
 */
static int sync_labels(struct sqlite_store *s, int64_t project_id, const char *json,
		       int64_t version, struct buf *err)
{
	sqlite3_stmt *q = stmt(s,
		"INSERT INTO labels(project_id, name, color, first_version, last_version) "
		"SELECT ?1, json_extract(value, '$.name'), json_extract(value, '$.color'), ?3, ?3 "
		"FROM json_each(?2, '$.labels') WHERE json_extract(value, '$.name') IS NOT NULL "
		"ON CONFLICT(project_id, name) DO UPDATE SET last_version = excluded.last_version, "
		"color = excluded.color", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	bind_text(q, 2, json);
	sqlite3_bind_int64(q, 3, version);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_ERROR) {
			buf_setf(err, "store: the schema is not valid JSON with a labels array");
			return CAIRN_EINVAL;
		}
		return db_error(s, rc, "record labels", err);
	}
	return 0;
}

static int schema_put_locked(struct sqlite_store *s, int64_t project_id, const char *json,
			     int64_t user_id, const char *message, int64_t *version,
			     struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "UPDATE projects SET schema_version = schema_version + 1, "
			       "updated_at = ?2 WHERE id = ?1 RETURNING schema_version", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, now_ms());
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc == SQLITE_DONE) {
			buf_setf(err, "no project with id %lld", (long long)project_id);
			return CAIRN_ENOTFOUND;
		}
		return db_error(s, rc, "bump schema version", err);
	}
	int64_t v = sqlite3_column_int64(q, 0);
	/* Finish the UPDATE ... RETURNING before the next statement. */
	while (sqlite3_step(q) == SQLITE_ROW)
		;
	sqlite3_reset(q);
	q = stmt(s, "INSERT INTO schemas(project_id, version, body, message, created_by, "
		 "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, v);
	bind_text(q, 3, json);
	bind_text(q, 4, message);
	bind_id(q, 5, user_id);
	sqlite3_bind_int64(q, 6, now_ms());
	if ((rc = step_done(s, q, "store schema", err)))
		return rc;
	if ((rc = sync_labels(s, project_id, json, v, err)))
		return rc;
	if (version)
		*version = v;
	return 0;
}

static int sqlite_schema_put(struct store *st, int64_t project_id, const char *json,
			     int64_t user_id, const char *message, int64_t *version,
			     struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	rc = schema_put_locked(s, project_id, json, user_id, message, version, err);
	TX_END(s, rc, err);
	return rc;
}

static int sqlite_schema_list(struct store *st, int64_t project_id, store_schema_version_cb cb,
			      void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT s.version, s.message, s.created_by, u.name, "
				    "s.created_at FROM schemas s LEFT JOIN users u ON u.id = "
				    "s.created_by WHERE s.project_id = ?1 ORDER BY s.version DESC",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list schema versions", err);
	sqlite3_bind_int64(q, 1, project_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW)
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
			  sqlite3_column_int64(q, 2), (const char *)sqlite3_column_text(q, 3),
			  sqlite3_column_int64(q, 4));
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "list schema versions", err);
	return 0;
}

static int sqlite_schema_get(struct store *st, int64_t project_id, int64_t version,
			     char **json, int64_t *version_out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (version > 0) {
		q = stmt(s, "SELECT body, version FROM schemas WHERE project_id = ?1 AND version = ?2",
			 err);
		if (q)
			sqlite3_bind_int64(q, 2, version);
	} else {
		q = stmt(s, "SELECT s.body, s.version FROM schemas s JOIN projects p "
			 "ON p.id = s.project_id AND p.schema_version = s.version WHERE p.id = ?1", err);
	}
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*json = col_strdup(q, 0);
		if (version_out)
			*version_out = sqlite3_column_int64(q, 1);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read schema", err);
	if (version > 0)
		buf_setf(err, "project %lld has no schema version %lld", (long long)project_id,
			 (long long)version);
	else
		buf_setf(err, "project %lld has no schema yet", (long long)project_id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_label_id(struct store *st, int64_t project_id, const char *name,
			   int64_t *label_id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT id FROM labels WHERE project_id = ?1 AND name = ?2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	bind_text(q, 2, name);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*label_id = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read label", err);
	buf_setf(err, "no label '%s' in project %lld", name, (long long)project_id);
	return CAIRN_ENOTFOUND;
}

/* ---- items ---- */

#define ITEM_COLS_I "i.id, i.project_id, i.kind, i.name, i.hash, i.size, i.width, i.height, " \
	"i.duration, i.frames, i.mime, i.source_group, i.link_path, i.meta, i.phash, i.batch_id, " \
	"i.split, i.status, i.created_at"
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

static void item_from_row(sqlite3_stmt *q, struct item *it)
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

static int sqlite_item_find_hash(struct store *st, int64_t project_id, const char *hash,
				 int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT id FROM items WHERE project_id = ?1 AND hash = ?2", err);
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
		return db_error(s, rc, "find item", err);
	buf_setf(err, "no item with hash %s", hash);
	return CAIRN_ENOTFOUND;
}

static int sqlite_item_add(struct store *st, const struct item *it, int64_t *id,
			   struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO items(project_id, kind, name, hash, size, width, "
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
		return db_error(s, rc, "add item", err);
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

static int sqlite_item_get(struct store *st, int64_t id, struct item *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT " ITEM_COLS " FROM items WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		item_from_row(q, out);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read item", err);
	buf_setf(err, "no item with id %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_item_phashes(struct store *st, int64_t project_id, store_phash_cb cb,
			       void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, phash FROM items WHERE project_id = ?1 "
				    "AND phash IS NOT NULL", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "read perceptual hashes", err);
	sqlite3_bind_int64(q, 1, project_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW)
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (uint64_t)sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read perceptual hashes", err);
	return 0;
}

static int sqlite_item_list(struct store *st, int64_t project_id, int64_t after_id,
			    int64_t limit, store_item_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	/* "+project_id": walk the rowid from after_id; an index on project_id
	 * alone would read and sort the whole project for every page. */
	int rc = sqlite3_prepare_v2(s->db, "SELECT " ITEM_COLS " FROM items WHERE +project_id = ?1 "
				    "AND id > ?2 ORDER BY id LIMIT ?3", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list items", err);
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, after_id);
	sqlite3_bind_int64(q, 3, limit > 0 ? limit : -1);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct item it;
		item_from_row(q, &it);
		cbrc = cb(ctx, &it);
		item_release(&it);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "list items", err);
	return 0;
}

static int sqlite_project_stats(struct store *st, int64_t project_id,
				struct project_stats *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *q = stmt(s, "SELECT key, n FROM project_counts WHERE project_id = ?1", err);
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
		return db_error(s, rc, "read counts", err);
	return 0;
}

static int sqlite_label_counts(struct store *st, int64_t project_id, store_label_count_cb cb,
			       void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT l.id, l.name, ifnull(c.n, 0) FROM labels l "
				    "LEFT JOIN label_counts c ON c.project_id = l.project_id "
				    "AND c.label_id = l.id WHERE l.project_id = ?1 ORDER BY l.id",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "read label counts", err);
	sqlite3_bind_int64(q, 1, project_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW)
		cbrc = cb(ctx, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
			  sqlite3_column_int64(q, 2));
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "read label counts", err);
	return 0;
}

static int sqlite_audit(struct store *st, int64_t user_id, int64_t project_id,
			const char *action, const char *target_type, int64_t target_id,
			const char *detail_json, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO audit(at, user_id, project_id, action, target_type, "
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
	return step_done(s, q, "write audit log", err);
}



static int sqlite_member_remove(struct store *st, int64_t project_id, int64_t user_id,
				struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "DELETE FROM members WHERE project_id = ?1 AND user_id = ?2", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, project_id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = step_done(s, q, "remove member", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "user %lld is not a member", (long long)user_id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

static int sqlite_member_list(struct store *st, int64_t project_id, store_member_cb cb,
			      void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT m.user_id, u.name, m.role FROM members m JOIN "
				    "users u ON u.id = m.user_id WHERE m.project_id = ?1 ORDER BY u.name",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list members", err);
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
		return db_error(s, rc, "list members", err);
	return 0;
}

static int sqlite_user_update(struct store *st, int64_t id, int is_admin, int is_active,
			      struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE users SET is_admin = CASE WHEN ?2 < 0 THEN is_admin "
			       "ELSE ?2 END, is_active = CASE WHEN ?3 < 0 THEN is_active ELSE ?3 END, "
			       "updated_at = ?4 WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, is_admin);
	sqlite3_bind_int(q, 3, is_active);
	sqlite3_bind_int64(q, 4, now_ms());
	int rc = step_done(s, q, "update user", err);
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
			db_error(s, rc, "prepare item query", err);
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

static int sqlite_item_query(struct store *st, const struct item_query *iq, store_item_cb cb,
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
		item_from_row(q, &page[n++]);
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
		return db_error(s, rc, "list items", err);
	}
	return cbrc;
}

static int sqlite_item_count(struct store *st, const struct item_query *iq, int64_t *count,
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
		sqlite3_stmt *q = stmt(s, "SELECT n FROM project_counts WHERE project_id = ?1 AND key = ?2",
				       err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, iq->project_id);
		bind_text(q, 2, key);
		int rc = sqlite3_step(q);
		*count = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
		sqlite3_reset(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_error(s, rc, "count items", err);
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
		return db_error(s, rc, "count items", err);
	}
	return 0;
}


/* ---- annotations ---- */

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

static int sqlite_annotation_find(struct store *st, const struct annotation_key *k, int64_t id,
				  struct annotation *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q;
	if (k) {
		q = stmt(s, "SELECT " ANN_COLS ", h.body, ifnull(h.user_id, 0) FROM annotations a "
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
		q = stmt(s, "SELECT " ANN_COLS ", h.body, ifnull(h.user_id, 0) FROM annotations a "
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
		return db_error(s, rc, "read annotation", err);
	buf_setf(err, "no such annotation");
	return CAIRN_ENOTFOUND;
}

static int sqlite_annotation_owner(struct store *st, int64_t id, int64_t *item_id,
				   enum annotation_kind *kind, int64_t *user_id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT item_id, kind, ifnull(user_id, 0) FROM annotations "
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
		return db_error(s, rc, "read annotation", err);
	buf_setf(err, "no annotation %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_annotation_list(struct store *st, int64_t item_id, bool with_gold,
				  store_annotation_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT " ANN_COLS " FROM annotations a WHERE "
				    "a.item_id = ?1 AND (?2 OR a.kind <> 'gold') ORDER BY a.id",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list annotations", err);
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
		return db_error(s, rc, "list annotations", err);
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
static int sqlite_item_docs(struct store *st, int64_t project_id, unsigned kinds,
			    int64_t after_id, int64_t limit, store_item_doc_cb cb, void *ctx,
			    struct buf *err)
{
	_Static_assert(ANN_MANUAL == 0 && ANN_PREDICTION == 1 && ANN_GOLD == 2 &&
		       ANN_CONSENSUS == 3, "the kind bits in the SQL below");
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT " ITEM_COLS_I ", a.id, a.kind, a.schema_version, h.body "
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
		item_from_row(q, &d.item);
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
		return db_error(s, rc, "list items with annotations", err);
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
static int rewrite_objects(struct sqlite_store *s, int64_t ann_id, const struct annotation_write *w,
			 struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "DELETE FROM objects WHERE annotation_id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, ann_id);
	int rc = step_done(s, q, "clear objects", err);
	if (rc)
		return rc;
	const struct ann_doc *d = w->doc;
	if (!d || !d->nobjects)
		return 0;
	int64_t *ids = malloc(d->nobjects * sizeof(*ids));
	if (!ids)
		return CAIRN_ENOMEM;
	q = stmt(s, OBJECT_INSERT, err);
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
			rc = db_error(s, src, "write object", err);
		ids[i] = sqlite3_last_insert_rowid(s->db);
	}
	sqlite3_reset(q);
	/* Parents and relations refer to objects written above. */
	for (size_t i = 0; i < d->nobjects && !rc; i++) {
		const struct ann_object *o = &d->objects[i];
		if (o->parent_index == SIZE_MAX || o->parent_index >= d->nobjects)
			continue;
		sqlite3_stmt *u = stmt(s, "UPDATE objects SET parent_id = ?2 WHERE id = ?1", err);
		if (!u) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(u, 1, ids[i]);
		sqlite3_bind_int64(u, 2, ids[o->parent_index]);
		rc = step_done(s, u, "link parent", err);
	}
	for (size_t i = 0; i < d->nrelations && !rc; i++) {
		const struct ann_relation *r = &d->relations[i];
		sqlite3_stmt *u = stmt(s, "INSERT INTO relations(annotation_id, type, from_object, "
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
		rc = step_done(s, u, "write relation", err);
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
	sqlite3_stmt *q = stmt(s, "SELECT id, uid, parent_id IS NOT NULL FROM objects "
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
		return db_error(s, rc, "read objects", err);
	if (!*linked) {
		q = stmt(s, "SELECT EXISTS (SELECT 1 FROM relations WHERE annotation_id = ?1)", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, ann_id);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW && sqlite3_column_int(q, 0))
			*linked = true;
		sqlite3_reset(q);
		if (rc != SQLITE_ROW)
			return db_error(s, rc, "read relations", err);
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
		sqlite3_stmt *q = stmt(s, "UPDATE objects SET label_id = ?4, type = ?5, geometry = ?6, "
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
		    (rc = step_done(s, q, "update object", err)))
			break;
		if (sqlite3_changes(s->db) > 0)
			continue;
		if (!(q = stmt(s, OBJECT_INSERT, err))) {
			rc = CAIRN_EIO;
			break;
		}
		if ((rc = bind_object(q, ann_id, w, &d->objects[i], &tmp)))
			break;
		rc = step_done(s, q, "write object", err);
	}
	buf_release(&tmp);
	for (size_t i = 0; i < w->nremoved && !rc; i++) {
		sqlite3_stmt *q = stmt(s, "DELETE FROM objects WHERE annotation_id = ?1 AND uid = ?2",
				       err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, ann_id);
		bind_text(q, 2, w->removed_uids[i]);
		rc = step_done(s, q, "delete object", err);
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
		rc = rewrite_objects(s, ann_id, w, err);
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
			q = stmt(s, "UPDATE objects SET label_id = ?4, type = ?5, geometry = ?6, rle = ?7, "
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
			q = stmt(s, OBJECT_INSERT, err);
		}
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		if ((rc = bind_object(q, ann_id, w, o, &tmp)))
			break;
		if (m)
			sqlite3_bind_int64(q, 25, m->id);
		rc = step_done(s, q, m ? "update object" : "write object", err);
	}
	buf_release(&tmp);
	for (size_t i = 0; i < nold && !rc; i++) {
		if (old[i].seen)
			continue;
		sqlite3_stmt *q = stmt(s, "DELETE FROM objects WHERE id = ?1", err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, old[i].id);
		rc = step_done(s, q, "delete object", err);
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
static int assignment_on_save(struct sqlite_store *s, const struct annotation_write *w,
			      int64_t now, struct buf *err);

static int annotation_save_on(struct sqlite_store *s, const struct annotation_write *w,
			      int64_t *id_out, int64_t *version_out, struct buf *err)
{
	int rc = 0;
	int64_t id = 0, version = 0, now = now_ms();
	TX_BEGIN(s, err);
	sqlite3_stmt *q = stmt(s, "SELECT id, version, status = ?5 FROM annotations WHERE "
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
		rc = db_error(s, step, "read annotation", err);
		goto out;
	}
	if (version != w->expected_version) {
		buf_setf(err, "the annotation is at version %lld, not %lld", (long long)version,
			 (long long)w->expected_version);
		rc = CAIRN_ECONFLICT;
		goto out;
	}
	if (!id) {
		q = stmt(s, "INSERT INTO annotations(project_id, item_id, user_id, source, kind, status, "
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
		if ((rc = step_done(s, q, "create annotation", err)))
			goto out;
		id = sqlite3_last_insert_rowid(s->db);
		version = 1;
	} else {
		/* Without status when it stays: setting it, even to the same
		 * value, rewrites its two index entries (two more pages). */
		q = same_status
			? stmt(s, "UPDATE annotations SET version = version + 1, "
			       "schema_version = ?4, lead_time_ms = lead_time_ms + ?5, updated_at = ?6 "
			       "WHERE id = ?1 AND version = ?2", err)
			: stmt(s, "UPDATE annotations SET version = version + 1, status = ?3, "
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
		if ((rc = step_done(s, q, "update annotation", err)))
			goto out;
		version++;
	}
	q = stmt(s, "INSERT INTO annotation_history(annotation_id, version, user_id, status, body, "
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
	if ((rc = step_done(s, q, "write history", err)))
		goto out;
	if ((rc = s->bulk ? bulk_write_objects(s, id, existed, w, err) : write_objects(s, id, w, err)))
		goto out;
	/* An item with a first manual annotation is in progress. */
	if (w->key.kind == ANN_MANUAL) {
		/* A draft of an item already in progress touches only updated_at:
		 * setting status to the same value would rewrite its index entry
		 * and run the count triggers for nothing. */
		q = stmt(s, "UPDATE items SET updated_at = ?3 WHERE id = ?1 AND ?2 IS NOT 'submitted' "
			 "AND status = 'in_progress'", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, w->key.item_id);
		bind_text(q, 2, w->status ? w->status : "draft");
		sqlite3_bind_int64(q, 3, now);
		if ((rc = step_done(s, q, "update item status", err)))
			goto out;
		if (sqlite3_changes(s->db) == 0) {
			q = stmt(s, "UPDATE items SET status = CASE WHEN ?2 = 'submitted' THEN "
				 "'annotated' ELSE 'in_progress' END, updated_at = ?3 WHERE id = ?1 AND "
				 "status IN ('new', 'in_progress', 'rejected')", err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, w->key.item_id);
			bind_text(q, 2, w->status ? w->status : "draft");
			sqlite3_bind_int64(q, 3, now);
			if ((rc = step_done(s, q, "update item status", err)))
				goto out;
		}
		if ((rc = assignment_on_save(s, w, now, err)))
			goto out;
	}
	/* The audit row rides in the same transaction: one commit, one fsync. */
	if (w->audit_action) {
		q = stmt(s, "INSERT INTO audit(at, user_id, project_id, action, target_type, "
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
		if ((rc = step_done(s, q, "write audit log", err)))
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
static int sqlite_annotation_save(struct store *st, const struct annotation_write *w,
				  int64_t *id_out, int64_t *version_out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	/* Reads after the save must see it (and a 409 the current version). */
	snapshot_end(s);
	if (!s->gsync || s->in_tx || s->is_ws)
		return annotation_save_on(s, w, id_out, version_out, err);
	int rc = writer_acquire(s, "save annotation", err);
	if (rc)
		return rc;
	struct gsync *g = s->gsync;
	if (!g->ws) {
		struct store *ws;
		struct buf e2 = BUF_INIT;
		if (open_handle(&ws, s->path, 0, s->version, g, &e2) == 0)
			g->ws = S(ws);
		buf_release(&e2);
	}
	if (!g->ws) {
		/* No second connection (out of file handles?): save on this one. */
		writer_release(s);
		return annotation_save_on(s, w, id_out, version_out, err);
	}
	struct sqlite_store *ws = g->ws;
	ws->ticket = 0;
	rc = annotation_save_on(ws, w, id_out, version_out, err);
	uint64_t mine = ws->ticket;
	int nframes = ws->nframes;
	/* The fsync goes through this thread's own handle on the WAL; one that
	 * has not opened it yet syncs through the writer's, still holding it. */
	sqlite3_file *wal = wal_file(s->db);
	int src = SQLITE_OK;
	if (!rc && mine && !wal)
		src = group_sync(g, mine, wal_file(ws->db));
	writer_release(s);
	if (!rc && mine && wal)
		src = group_sync(g, mine, wal);
	if (src != SQLITE_OK) {
		buf_setf(err, "store: save annotation: cannot sync the log: %s", sqlite3_errstr(src));
		return CAIRN_EIO;
	}
	/* The writer's hook replaces SQLite's auto-checkpoint at 1,000 frames. */
	if (!rc && nframes >= 1000)
		sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return rc;
}

static int sqlite_history_list(struct store *st, int64_t annotation_id, store_history_cb cb,
			       void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT h.version, ifnull(h.user_id, 0), u.name, h.status, "
				    "h.summary, h.created_at FROM annotation_history h LEFT JOIN users u "
				    "ON u.id = h.user_id WHERE h.annotation_id = ?1 ORDER BY h.version DESC",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list history", err);
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
		return db_error(s, rc, "list history", err);
	return 0;
}

static int sqlite_history_get(struct store *st, int64_t annotation_id, int64_t version,
			      char **body, int64_t *schema_version, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT body, schema_version FROM annotation_history WHERE "
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
		return db_error(s, rc, "read history", err);
	buf_setf(err, "annotation %lld has no version %lld", (long long)annotation_id,
		 (long long)version);
	return CAIRN_ENOTFOUND;
}


/* ---- jobs ---- */

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

static int sqlite_job_add(struct store *st, int64_t project_id, int64_t user_id, const char *kind,
			  const char *params_json, int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO jobs(project_id, user_id, kind, params, created_at) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)", err);
	if (!q)
		return CAIRN_EIO;
	bind_id(q, 1, project_id);
	bind_id(q, 2, user_id);
	bind_text(q, 3, kind);
	bind_text(q, 4, params_json ? params_json : "{}");
	sqlite3_bind_int64(q, 5, now_ms());
	int rc = step_done(s, q, "add job", err);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sqlite_job_get(struct store *st, int64_t id, struct job *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", err);
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
		return db_error(s, rc, "read job", err);
	buf_setf(err, "no job %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_job_list(struct store *st, int64_t project_id, int64_t limit,
			   store_job_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT " JOB_COLS " FROM jobs WHERE project_id = ?1 "
				    "ORDER BY id DESC LIMIT ?2", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list jobs", err);
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
		return db_error(s, rc, "list jobs", err);
	return 0;
}

static int sqlite_job_claim(struct store *st, struct job *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE jobs SET state = 'running', started_at = ?1, heartbeat_at = ?1, "
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
		return db_error(s, rc, "claim job", err);
	return CAIRN_ENOTFOUND;
}

static int sqlite_job_progress(struct store *st, int64_t id, int64_t done, int64_t total,
			       bool *cancel, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE jobs SET progress_done = ?2, progress_total = ?3, "
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
		return db_error(s, rc, "record progress", err);
	buf_setf(err, "no job %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_job_finish(struct store *st, int64_t id, enum job_state state,
			     const char *result_json, const char *error, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE jobs SET state = ?2, result = ?3, error = ?4, "
			       "finished_at = ?5 WHERE id = ?1 AND state = 'running'", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	bind_text(q, 2, job_state_name(state));
	bind_text(q, 3, result_json);
	bind_text(q, 4, error);
	sqlite3_bind_int64(q, 5, now_ms());
	return step_done(s, q, "finish job", err);
}

static int sqlite_job_cancel(struct store *st, int64_t id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE jobs SET state = CASE WHEN state = 'queued' THEN "
			       "'cancelled' ELSE state END, finished_at = CASE WHEN state = 'queued' "
			       "THEN ?2 ELSE finished_at END, cancel_requested = 1 WHERE id = ?1 AND "
			       "state IN ('queued', 'running')", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now_ms());
	int rc = step_done(s, q, "cancel job", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "job %lld has already ended", (long long)id);
		return CAIRN_EINVAL;
	}
	return rc;
}

static int sqlite_job_recover(struct store *st, int max_attempts, int64_t *requeued,
			      int64_t *failed, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc;
	TX_BEGIN(s, err);
	sqlite3_stmt *q = stmt(s, "UPDATE jobs SET state = 'failed', finished_at = ?2, error = "
			       "'interrupted by a restart ' || attempts || ' times; not tried again' "
			       "WHERE state = 'running' AND (attempts >= ?1 OR cancel_requested)", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int(q, 1, max_attempts);
	sqlite3_bind_int64(q, 2, now_ms());
	if ((rc = step_done(s, q, "recover jobs", err)))
		goto out;
	if (failed)
		*failed = sqlite3_changes(s->db);
	q = stmt(s, "UPDATE jobs SET state = 'queued', progress_done = 0 WHERE state = 'running'", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	if ((rc = step_done(s, q, "recover jobs", err)))
		goto out;
	if (requeued)
		*requeued = sqlite3_changes(s->db);
out:
	TX_END(s, rc, err);
	return rc;
}


/* ---- comments and the audit log ---- */

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

static int sqlite_comment_add(struct store *st, const struct comment *c, int64_t *id,
			      struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO comments(project_id, item_id, annotation_id, object_uid, "
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
		return db_error(s, rc, "add comment", err);
	if (id)
		*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int sqlite_comment_get(struct store *st, int64_t id, struct comment *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT " COMMENT_COLS " FROM comments c JOIN users u ON "
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
		return db_error(s, rc, "read comment", err);
	buf_setf(err, "no comment %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_comment_list(struct store *st, int64_t item_id, store_comment_cb cb,
			       void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT " COMMENT_COLS " FROM comments c JOIN users u ON "
				    "u.id = c.user_id WHERE c.item_id = ?1 ORDER BY c.id", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list comments", err);
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
		return db_error(s, rc, "list comments", err);
	return 0;
}

static int sqlite_comment_resolve(struct store *st, int64_t id, bool resolved, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE comments SET resolved = ?2, updated_at = ?3 WHERE id = ?1",
			       err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, resolved);
	sqlite3_bind_int64(q, 3, now_ms());
	int rc = step_done(s, q, "resolve comment", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no comment %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

static int sqlite_audit_list(struct store *st, int64_t project_id, int64_t before_id,
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
		return db_error(s, rc, "read the audit log", err);
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
		return db_error(s, rc, "read the audit log", err);
	return 0;
}

/* ---- tokens ---- */

static int sqlite_token_add(struct store *st, int64_t user_id, bool is_session,
			    const char *name, const unsigned char hash[32], const char *csrf,
			    int64_t expires_at, int64_t *id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "INSERT INTO tokens(user_id, kind, name, secret_hash, csrf, "
			       "created_at, expires_at, last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6)",
			       err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, user_id);
	bind_text(q, 2, is_session ? "session" : "api");
	bind_text(q, 3, name);
	sqlite3_bind_blob(q, 4, hash, 32, SQLITE_TRANSIENT);
	bind_text(q, 5, csrf);
	sqlite3_bind_int64(q, 6, now_ms());
	bind_id(q, 7, expires_at);
	int rc = step_done(s, q, "add token", err);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int sqlite_token_find(struct store *st, const unsigned char hash[32], struct token *out,
			     struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT t.id, t.user_id, t.kind, t.name, t.csrf, t.created_at, "
			       "ifnull(t.expires_at, 0), ifnull(t.last_used_at, 0), t.revoked, u.name, "
			       "u.is_admin, u.is_active FROM tokens t JOIN users u ON u.id = t.user_id "
			       "WHERE t.secret_hash = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_TRANSIENT);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(q, 0);
		out->user_id = sqlite3_column_int64(q, 1);
		out->is_session = !strcmp((const char *)sqlite3_column_text(q, 2), "session");
		out->name = col_strdup(q, 3);
		out->csrf = col_strdup(q, 4);
		out->created_at = sqlite3_column_int64(q, 5);
		out->expires_at = sqlite3_column_int64(q, 6);
		out->last_used_at = sqlite3_column_int64(q, 7);
		out->revoked = sqlite3_column_int(q, 8);
		out->user_name = col_strdup(q, 9);
		out->user_is_admin = sqlite3_column_int(q, 10);
		out->user_is_active = sqlite3_column_int(q, 11);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "find token", err);
	buf_setf(err, "unknown token");
	return CAIRN_ENOTFOUND;
}

static int sqlite_token_touch(struct store *st, int64_t id, int64_t now, int64_t expires_at,
			      struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE tokens SET last_used_at = ?2, expires_at = "
			       "CASE WHEN ?3 > 0 THEN ?3 ELSE expires_at END WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int64(q, 3, expires_at);
	return step_done(s, q, "touch token", err);
}

static int sqlite_token_revoke(struct store *st, int64_t id, int64_t user_id, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE tokens SET revoked = 1 WHERE id = ?1 AND revoked = 0 "
			       "AND (?2 = 0 OR user_id = ?2)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = step_done(s, q, "revoke token", err);
	if (!rc && sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no token %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return rc;
}

static int sqlite_token_list(struct store *st, int64_t user_id, store_token_cb cb, void *ctx,
			     struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT id, name, created_at, ifnull(expires_at, 0), "
				    "ifnull(last_used_at, 0) FROM tokens WHERE user_id = ?1 AND "
				    "kind = 'api' AND revoked = 0 ORDER BY id DESC", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "list tokens", err);
	sqlite3_bind_int64(q, 1, user_id);
	int cbrc = 0;
	while (!cbrc && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct token t = {0};
		t.id = sqlite3_column_int64(q, 0);
		t.user_id = user_id;
		t.name = col_strdup(q, 1);
		t.created_at = sqlite3_column_int64(q, 2);
		t.expires_at = sqlite3_column_int64(q, 3);
		t.last_used_at = sqlite3_column_int64(q, 4);
		cbrc = cb(ctx, &t);
		token_release(&t);
	}
	sqlite3_finalize(q);
	if (cbrc)
		return cbrc;
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "list tokens", err);
	return 0;
}

static int sqlite_item_scope(struct store *st, int64_t item_id, int64_t *project_id,
			     struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT project_id FROM items WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, item_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*project_id = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		return 0;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, "find item", err);
	buf_setf(err, "no item %lld", (long long)item_id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_item_assigned(struct store *st, int64_t item_id, int64_t user_id, bool *out,
				struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT EXISTS (SELECT 1 FROM assignments WHERE item_id = ?1 "
			       "AND user_id = ?2) OR EXISTS (SELECT 1 FROM items i JOIN batch_members b "
			       "ON b.batch_id = i.batch_id WHERE i.id = ?1 AND b.user_id = ?2)", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, item_id);
	sqlite3_bind_int64(q, 2, user_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, "check assignment", err);
	return 0;
}

static int sqlite_item_set_meta(struct store *st, int64_t id, const char *meta_json,
				const char *split, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "UPDATE items SET meta = CASE WHEN ?2 THEN ?3 ELSE meta END, "
			       "split = CASE WHEN ?4 THEN NULLIF(?5, '') ELSE split END, "
			       "updated_at = ?6 WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int(q, 2, meta_json != NULL);
	bind_text(q, 3, meta_json);
	sqlite3_bind_int(q, 4, split != NULL);
	bind_text(q, 5, split);
	sqlite3_bind_int64(q, 6, now_ms());
	int rc = step_done(s, q, "update item", err);
	if (rc)
		return rc;
	if (sqlite3_changes(s->db) == 0) {
		buf_setf(err, "no item with id %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return 0;
}

/* ---- workflow: batches, routing, review, performance ---- */

/* A row-stepping helper for single-value queries: *out gets column 0. */
static int one_i64(struct sqlite_store *s, sqlite3_stmt *q, int64_t *out, const char *what,
		   struct buf *err)
{
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, rc, what, err);
	if (rc == SQLITE_DONE)
		return CAIRN_ENOTFOUND;
	return 0;
}

static int wf_audit(struct sqlite_store *s, int64_t user_id, int64_t project_id,
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
static int item_requeue(struct sqlite_store *s, int64_t item_id, struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "UPDATE items SET assigned = (SELECT count(*) FROM assignments a "
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
	return step_done(s, q, "requeue item", err);
}

#define RECLAIM_MAX 256

static int reclaim_locked(struct sqlite_store *s, int64_t now, int64_t *count, struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "SELECT a.id, a.item_id, a.user_id, ifnull(a.batch_id, 0), "
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
		return db_error(s, rc, "find expired reservations", err);
	}
	sqlite3_reset(q);
	for (int i = 0; i < n; i++) {
		q = stmt(s, "UPDATE assignments SET state = 'released', finished_at = ?2 WHERE id = ?1",
			 err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, rows[i][0]);
		sqlite3_bind_int64(q, 2, now);
		if ((rc = step_done(s, q, "reclaim reservation", err)) ||
		    (rc = item_requeue(s, rows[i][1], err)))
			return rc;
		char detail[96];
		snprintf(detail, sizeof(detail), "{\"user\":%lld,\"batch\":%lld}",
			 (long long)rows[i][2], (long long)rows[i][3]);
		if ((rc = wf_audit(s, 0, rows[i][4], rows[i][5] ? "review.reclaim" : "queue.reclaim",
				   "item", rows[i][1], detail, err)))
			return rc;
	}
	if (count)
		*count += n;
	return 0;
}

static int sqlite_queue_reclaim(struct store *st, int64_t now, int64_t *n, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int rc = 0;
	if (n)
		*n = 0;
	TX_BEGIN(s, err);
	rc = reclaim_locked(s, now ? now : now_ms(), n, err);
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

static int sqlite_batch_get(struct store *st, int64_t id, struct batch *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT " BATCH_COLS " FROM batches b WHERE b.id = ?1", err);
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
		return db_error(s, rc, "read batch", err);
	buf_setf(err, "no batch %lld", (long long)id);
	return CAIRN_ENOTFOUND;
}

static int sqlite_batch_list(struct store *st, int64_t project_id, int64_t member_id,
			     store_batch_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = member_id
		? stmt(s, "SELECT " BATCH_COLS " FROM batches b WHERE b.project_id = ?1 AND b.id IN "
		       "(SELECT batch_id FROM batch_members WHERE user_id = ?2) ORDER BY b.id", err)
		: stmt(s, "SELECT " BATCH_COLS " FROM batches b WHERE b.project_id = ?1 ORDER BY b.id",
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
		return db_error(s, rc, "list batches", err);
	return cbrc;
}

static int sqlite_batch_scope(struct store *st, int64_t batch_id, int64_t *project_id,
			      struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT project_id FROM batches WHERE id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, batch_id);
	int rc = one_i64(s, q, project_id, "find batch", err);
	if (rc == CAIRN_ENOTFOUND)
		buf_setf(err, "no batch %lld", (long long)batch_id);
	return rc;
}

static int sqlite_batch_create(struct store *st, const struct batch_spec *sp, int64_t **ids_out,
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
		rc = db_error(s, src, "prepare batch items", err);
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
		rc = db_error(s, src, "read batch items", err);
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
		q = stmt(s, "INSERT INTO batches(project_id, name, kind, stage, overlap, review_sample, "
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
			rc = db_error(s, step, "create batch", err);
			goto out;
		}
		ids[b] = sqlite3_last_insert_rowid(s->db);
		size_t from = b * (size_t)sp->size, to = from + (size_t)sp->size;
		if (to > n)
			to = n;
		for (size_t i = from; i < to; i++) {
			q = stmt(s, "UPDATE items SET batch_id = ?2, review_key = (abs(random()) % "
				 "1000000007) / 1000000007.0 WHERE id = ?1", err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, items[i]);
			sqlite3_bind_int64(q, 2, ids[b]);
			if ((rc = step_done(s, q, "put item in batch", err)) ||
			    (rc = item_requeue(s, items[i], err)))
				goto out;
		}
		char detail[160];
		snprintf(detail, sizeof(detail), "{\"items\":%zu,\"overlap\":%lld,\"calibration\":%s}",
			 to - from, (long long)sp->overlap, sp->calibration ? "true" : "false");
		if ((rc = wf_audit(s, sp->created_by, sp->project_id, "batch.create", "batch", ids[b],
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

static int sqlite_batch_update(struct store *st, int64_t id, const struct batch_patch *p,
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
	sqlite3_stmt *q = stmt(s, "UPDATE batches SET name = ifnull(?2, name), stage = ifnull(?3, stage), "
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
		rc = db_error(s, step, "update batch", err);
		goto out;
	}
	if (p->overlap >= 1 && p->overlap != b.overlap) {
		q = stmt(s, "UPDATE items SET queue = CASE WHEN ?3 THEN 1 ELSE assigned < ?2 END "
			 "WHERE batch_id = ?1", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, p->overlap);
		sqlite3_bind_int(q, 3, b.calibration);
		if ((rc = step_done(s, q, "requeue batch", err)))
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
	rc = wf_audit(s, by_user, b.project_id, p->stage ? "batch.stage" : "batch.update", "batch",
		      id, detail.data, err);
out:
	TX_END(s, rc, err);
	batch_release(&b);
	buf_release(&detail);
	return rc;
}

static int sqlite_batch_assign(struct store *st, int64_t batch_id, int64_t user_id,
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
		q = stmt(s, "SELECT role FROM members WHERE project_id = ?1 AND user_id = ?2", err);
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
			rc = db_error(s, step, "read member", err);
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
		q = stmt(s, "INSERT INTO batch_members(batch_id, user_id, role) VALUES (?1, ?2, ?3) "
			 "ON CONFLICT DO NOTHING", err);
	} else {
		q = stmt(s, "DELETE FROM batch_members WHERE batch_id = ?1 AND user_id = ?2 AND role = ?3",
			 err);
	}
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, batch_id);
	sqlite3_bind_int64(q, 2, user_id);
	bind_text(q, 3, role);
	if ((rc = step_done(s, q, "assign batch", err)))
		goto out;
	bool changed = sqlite3_changes(s->db) > 0;
	if (remove && !reviewer && changed) {
		/* Their reservations in the batch go back to the others. */
		q = stmt(s, "SELECT item_id FROM assignments WHERE batch_id = ?1 AND user_id = ?2 AND "
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
			q = stmt(s, "UPDATE assignments SET state = 'released', finished_at = ?3 WHERE "
				 "item_id = ?1 AND user_id = ?2 AND role = 'annotate' AND state = 'reserved'",
				 err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, held[i]);
			sqlite3_bind_int64(q, 2, user_id);
			sqlite3_bind_int64(q, 3, now_ms());
			if ((rc = step_done(s, q, "release reservation", err)) ||
			    (rc = item_requeue(s, held[i], err)))
				goto out;
		}
	}
	if (changed) {
		char detail[96];
		snprintf(detail, sizeof(detail), "{\"user\":%lld,\"role\":\"%s\"}", (long long)user_id,
			 reviewer ? "reviewer" : "annotator");
		rc = wf_audit(s, by_user, project, remove ? "batch.unassign" : "batch.assign", "batch",
			      batch_id, detail, err);
	}
out:
	TX_END(s, rc, err);
	return rc;
}

static int sqlite_batch_members(struct store *st, int64_t batch_id, store_batch_member_cb cb,
				void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT m.user_id, u.name, m.role FROM batch_members m JOIN users u "
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
		return db_error(s, rc, "list batch members", err);
	return cbrc;
}

/* Reserves item for user (or takes back a reservation they released). */
static int reserve(struct sqlite_store *s, int64_t item, int64_t user, int64_t batch, bool gold,
		   int64_t now, int64_t expires, struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "INSERT INTO assignments(item_id, user_id, batch_id, role, state, "
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
	int rc = step_done(s, q, "reserve item", err);
	if (!rc && !gold)
		rc = item_requeue(s, item, err);
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

static int sqlite_queue_next(struct store *st, const struct queue_req *rq, struct queue_pick *out,
			     struct buf *err)
{
	struct sqlite_store *s = S(st);
	int64_t now = rq->now ? rq->now : now_ms();
	int rc = 0, step;
	struct my_batch *mb = NULL;
	memset(out, 0, sizeof(*out));
	TX_BEGIN(s, err);
	if ((rc = reclaim_locked(s, now, NULL, err)))
		goto out;
	/* 1. Back from review: my rejected annotations, oldest first. */
	sqlite3_stmt *q = stmt(s, "SELECT an.item_id, ifnull(i.batch_id, 0) FROM annotations an JOIN "
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
		rc = db_error(s, step, "find rejected items", err);
		goto out;
	}
	if (out->item_id)
		goto out;
	/* 2. What I hold already (asking again renews it). */
	q = stmt(s, "SELECT a.id, a.item_id, ifnull(a.batch_id, 0), a.is_gold, a.expires_at - "
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
		rc = db_error(s, step, "find my reservation", err);
		goto out;
	}
	if (held) {
		q = stmt(s, "UPDATE assignments SET reserved_at = ?2, expires_at = ?3 WHERE id = ?1", err);
		if (!q) {
			rc = CAIRN_EIO;
			goto out;
		}
		out->expires_at = now + (span > 0 ? span : 1800000);
		sqlite3_bind_int64(q, 1, held);
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_int64(q, 3, out->expires_at);
		rc = step_done(s, q, "renew reservation", err);
		goto out;
	}
	/* 3. My batches in the annotate stage, oldest first. */
	q = stmt(s, "SELECT b.id, b.kind = 'calibration', b.gold_first, b.gold_rate, b.reserve_ms FROM "
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
		q = stmt(s, "SELECT i.id FROM items i WHERE i.batch_id = ?1 AND i.queue = 1 AND NOT "
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
		if ((rc = one_i64(s, q, &cand, "find next item", err)) == CAIRN_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc)
			goto out;
		/* Gold: the first gold_first of each annotator, then at gold_rate. */
		bool want_gold = false;
		if (mb[b].gold_first > 0 || mb[b].gold_rate > 0) {
			q = stmt(s, "SELECT count(*) FROM assignments WHERE batch_id = ?1 AND user_id = ?2 "
				 "AND is_gold = 1", err);
			if (!q) {
				rc = CAIRN_EIO;
				goto out;
			}
			sqlite3_bind_int64(q, 1, mb[b].id);
			sqlite3_bind_int64(q, 2, rq->user_id);
			int64_t golds = 0;
			if ((rc = one_i64(s, q, &golds, "count gold", err)))
				goto out;
			want_gold = golds < mb[b].gold_first || rq->roll < mb[b].gold_rate;
		}
		int64_t expires = now + mb[b].reserve_ms;
		if (want_gold) {
			q = stmt(s, "SELECT g.item_id FROM annotations g WHERE g.project_id = ?1 AND "
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
			rc = one_i64(s, q, &gold, "find gold item", err);
			if (rc && rc != CAIRN_ENOTFOUND)
				goto out;
			rc = 0;
			if (gold) {
				if ((rc = reserve(s, gold, rq->user_id, mb[b].id, true, now, expires, err)))
					goto out;
				out->item_id = gold;
				out->batch_id = mb[b].id;
				out->is_gold = true;
				out->reason = "gold";
				out->expires_at = expires;
				break;
			}
		}
		if ((rc = reserve(s, cand, rq->user_id, mb[b].id, false, now, expires, err)))
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
		rc = wf_audit(s, rq->user_id, rq->project_id, "queue.reserve", "item", out->item_id,
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
	sqlite3_stmt *q = stmt(s, "UPDATE assignments SET state = ?4, finished_at = ?5 WHERE item_id = ?1 "
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
	if ((rc = step_done(s, q, "end reservation", err)))
		goto out;
	if (sqlite3_changes(s->db) == 0) {
		buf_setf(err, "you hold no %sreservation of item %lld", strcmp(role, "review") ? "" :
			 "review ", (long long)item_id);
		rc = CAIRN_ENOTFOUND;
		goto out;
	}
	if (strcmp(role, "review") && (rc = item_requeue(s, item_id, err)))
		goto out;
	rc = wf_audit(s, user_id, project_id, action, "item", item_id, NULL, err);
out:
	TX_END(s, rc, err);
	return rc;
}

static int sqlite_queue_finish(struct store *st, int64_t project_id, int64_t item_id,
			       int64_t user_id, const char *state, struct buf *err)
{
	if (strcmp(state, "skipped") && strcmp(state, "released")) {
		buf_setf(err, "state: '%s' is not skipped or released", state);
		return CAIRN_EINVAL;
	}
	return end_hold(S(st), project_id, item_id, user_id, "annotate", state,
			!strcmp(state, "skipped") ? "queue.skip" : "queue.release", err);
}

static int sqlite_review_release(struct store *st, int64_t project_id, int64_t item_id,
				 int64_t user_id, struct buf *err)
{
	return end_hold(S(st), project_id, item_id, user_id, "review", "released", "review.release",
			err);
}

/* Sample size of a batch of n items at rate r: at least one item. */
static int64_t sample_size(int64_t n, double r)
{
	if (n <= 0)
		return 0;
	int64_t k = (int64_t)ceil((double)n * r - 1e-9);
	return k < 1 ? 1 : (k > n ? n : k);
}

static int batch_item_count(struct sqlite_store *s, int64_t batch, int64_t *n, struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "SELECT count(*) FROM items WHERE batch_id = ?1", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, batch);
	return one_i64(s, q, n, "count batch items", err);
}

/* The reviewer's live reservation, if any: item, batch, reservation id. */
static int review_held(struct sqlite_store *s, int64_t project_id, int64_t user_id,
		       int64_t *assignment, int64_t *item, int64_t *batch, struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "SELECT a.id, a.item_id, ifnull(a.batch_id, 0) FROM assignments a "
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
		return db_error(s, step, "find my review reservation", err);
	return 0;
}

/* The first submitted annotation of item, not by user, to review. */
static int review_pending(struct sqlite_store *s, int64_t item, int64_t user,
			  struct review_pick *out, struct buf *err)
{
	sqlite3_stmt *q = stmt(s, "SELECT id, user_id, version FROM annotations WHERE item_id = ?1 AND "
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
		return db_error(s, step, "read the annotation to review", err);
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
static int sqlite_review_next(struct store *st, int64_t project_id, int64_t user_id,
			      bool all_batches, struct review_pick *out, struct buf *err)
{
	struct sqlite_store *s = S(st);
	int64_t now = now_ms();
	memset(out, 0, sizeof(*out));
	int rc = 0;
	struct { int64_t id; double rate; int64_t reserve_ms; } *v = NULL;
	size_t n = 0, cap = 0;
	TX_BEGIN(s, err);
	if ((rc = reclaim_locked(s, now, NULL, err)))
		goto out;
	sqlite3_stmt *q = all_batches
		? stmt(s, "SELECT id, review_sample, reserve_ms FROM batches WHERE project_id = ?1 AND "
		       "stage != 'done' ORDER BY id", err)
		: stmt(s, "SELECT b.id, b.review_sample, b.reserve_ms FROM batch_members m JOIN "
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
		rc = db_error(s, rc, "list batches to review", err);
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
		q = stmt(s, "UPDATE assignments SET state = CASE WHEN ?2 THEN 'reserved' ELSE "
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
		if ((rc = step_done(s, q, "renew review reservation", err)))
			goto out;
		if (keep) {
			out->batch_id = held_batch;
			out->expires_at = now + v[b].reserve_ms;
			goto out;
		}
		memset(out, 0, sizeof(*out));
		if ((rc = wf_audit(s, user_id, project_id, "review.release", "item", held_item, NULL,
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
		q = stmt(s, "SELECT s.id, an.id, an.user_id, an.version FROM (SELECT id, review_key "
			 "FROM items WHERE batch_id = ?1 ORDER BY review_key, id LIMIT ?2) s JOIN "
			 "annotations an ON an.item_id = s.id AND an.kind = 'manual' AND an.status = "
			 "'submitted' AND an.user_id != ?3 WHERE NOT EXISTS (SELECT 1 FROM assignments "
			 "a WHERE a.item_id = s.id AND a.role = 'review' AND a.state = 'reserved' AND "
			 "a.user_id != ?3) ORDER BY s.review_key, s.id, an.id LIMIT 1", err);
		if (!q) {
			rc = CAIRN_EIO;
			break;
		}
		sqlite3_bind_int64(q, 1, v[b].id);
		sqlite3_bind_int64(q, 2, sample_size(items, v[b].rate));
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
			rc = db_error(s, step, "find an item to review", err);
		}
		sqlite3_reset(q);
	}
	if (rc)
		goto out;
	q = stmt(s, "INSERT INTO assignments(item_id, user_id, batch_id, role, state, is_gold, "
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
	if ((rc = step_done(s, q, "reserve item for review", err)))
		goto out;
	char detail[96];
	snprintf(detail, sizeof(detail), "{\"batch\":%lld,\"annotation\":%lld}",
		 (long long)out->batch_id, (long long)out->annotation_id);
	rc = wf_audit(s, user_id, project_id, "review.reserve", "item", out->item_id, detail, err);
out:
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

static int sqlite_review_add(struct store *st, const struct review_write *w, int64_t *review_id,
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
		q = stmt(s, "SELECT id, ifnull(user_id, 0), status, version FROM annotations WHERE "
			 "id = ?2 AND item_id = ?1 AND kind = 'manual'", err);
	} else {
		q = stmt(s, "SELECT id, ifnull(user_id, 0), status, version FROM annotations WHERE "
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
		rc = db_error(s, step, "read annotation", err);
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
	q = stmt(s, "SELECT a.user_id, ifnull(u.name, '') FROM assignments a LEFT JOIN users u ON "
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
		rc = db_error(s, step, "check review reservations", err);
	}
	sqlite3_reset(q);
	if (rc)
		goto out;
	q = stmt(s, "SELECT ifnull(batch_id, 0) FROM items WHERE id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->item_id);
	if ((rc = one_i64(s, q, &batch, "read item", err)))
		goto out;
	q = stmt(s, "INSERT INTO reviews(project_id, item_id, annotation_id, annotation_version, "
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
	if ((rc = step_done(s, q, "write review", err)))
		goto out;
	int64_t rid = sqlite3_last_insert_rowid(s->db), cid = 0;
	/* The verdict ends my hold on the item (review/next). */
	q = stmt(s, "UPDATE assignments SET state = 'done', finished_at = ?3 WHERE item_id = ?1 AND "
		 "user_id = ?2 AND role = 'review' AND state = 'reserved'", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, w->item_id);
	sqlite3_bind_int64(q, 2, w->reviewer_id);
	sqlite3_bind_int64(q, 3, now);
	if ((rc = step_done(s, q, "end review reservation", err)))
		goto out;
	q = stmt(s, "UPDATE annotations SET status = ?2, updated_at = ?3 WHERE id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, ann);
	bind_text(q, 2, w->accept ? "accepted" : "rejected");
	sqlite3_bind_int64(q, 3, now);
	if ((rc = step_done(s, q, "set annotation status", err)))
		goto out;
	if (w->comment && *w->comment) {
		q = stmt(s, "INSERT INTO comments(project_id, item_id, annotation_id, object_uid, "
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
		if ((rc = step_done(s, q, "write review comment", err)))
			goto out;
		cid = sqlite3_last_insert_rowid(s->db);
	}
	q = stmt(s, "UPDATE items SET status = CASE WHEN ?2 = 0 THEN 'rejected' WHEN EXISTS (SELECT 1 "
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
	if ((rc = step_done(s, q, "set item status", err)))
		goto out;
	char detail[160];
	snprintf(detail, sizeof(detail), "{\"annotation\":%lld,\"version\":%lld,\"annotator\":%lld,"
		 "\"review\":%lld,\"batch\":%lld}", (long long)ann, (long long)version,
		 (long long)annotator, (long long)rid, (long long)batch);
	if ((rc = wf_audit(s, w->reviewer_id, w->project_id, w->accept ? "review.accept" : "review.reject",
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
	sqlite3_stmt *q = stmt(s, "SELECT count(*), total(NOT EXISTS (SELECT 1 FROM annotations a "
			       "WHERE a.item_id = s.id AND a.kind = 'manual' AND a.status != 'draft')), "
			       "total(EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = s.id AND "
			       "a.kind = 'manual' AND a.status = 'submitted')), total(EXISTS (SELECT 1 FROM "
			       "annotations a WHERE a.item_id = s.id AND a.kind = 'manual' AND a.status = "
			       "'rejected')), total(EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = "
			       "s.id AND a.kind = 'manual' AND a.status = 'accepted') AND NOT EXISTS (SELECT "
			       "1 FROM annotations a WHERE a.item_id = s.id AND a.kind = 'manual' AND "
			       "a.status IN ('submitted', 'rejected'))) FROM (SELECT id FROM items WHERE "
			       "batch_id = ?1 ORDER BY review_key, id LIMIT ?2) s", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, b->id);
	sqlite3_bind_int64(q, 2, sample_size(b->items, b->review_sample));
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
		return db_error(s, step, "check the review sample", err);
	int64_t open = b->calibration ? 0 : b->open_items;
	out->ready = strcmp(b->stage, "done") && out->size && !out->missing && !out->pending &&
		     !out->rejected && !open && !b->reserved;
	return 0;
}

static int sqlite_batch_sample(struct store *st, int64_t batch_id, struct batch_sample *out,
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

static int sqlite_batch_signoff(struct store *st, int64_t batch_id, int64_t by_user,
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
	sqlite3_stmt *q = stmt(s, "UPDATE batches SET stage = 'done', signed_off_by = ?2, signed_off_at = ?3 WHERE "
		 "id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, batch_id);
	sqlite3_bind_int64(q, 2, by_user);
	sqlite3_bind_int64(q, 3, now);
	if ((rc = step_done(s, q, "sign off batch", err)))
		goto out;
	q = stmt(s, "UPDATE items SET status = 'done', updated_at = ?2 WHERE batch_id = ?1", err);
	if (!q) {
		rc = CAIRN_EIO;
		goto out;
	}
	sqlite3_bind_int64(q, 1, batch_id);
	sqlite3_bind_int64(q, 2, now);
	if ((rc = step_done(s, q, "finish batch items", err)))
		goto out;
	char detail[128];
	snprintf(detail, sizeof(detail), "{\"from\":\"%s\",\"sample\":%lld,\"items\":%lld}", b.stage,
		 (long long)sample, (long long)b.items);
	rc = wf_audit(s, by_user, b.project_id, "batch.signoff", "batch", batch_id, detail, err);
out:
	TX_END(s, rc, err);
	batch_release(&b);
	return rc;
}

static int sqlite_annotator_stats(struct store *st, int64_t project_id,
				  store_annotator_stats_cb cb, void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT a.user_id, u.name, total(a.status != 'draft'), "
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
		rc = db_error(s, rc, "annotator stats", err);
	else
		rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!rc && !cbrc) {
			q = stmt(s, "SELECT count(*) FROM assignments a JOIN items i ON i.id = a.item_id "
				 "WHERE a.user_id = ?1 AND a.state = 'skipped' AND i.project_id = ?2", err);
			if (!q) {
				rc = CAIRN_EIO;
			} else {
				sqlite3_bind_int64(q, 1, v[i].user_id);
				sqlite3_bind_int64(q, 2, project_id);
				rc = one_i64(s, q, &v[i].skipped, "count skips", err);
			}
			if (!rc)
				cbrc = cb(ctx, &v[i]);
		}
		free((char *)v[i].name);
	}
	free(v);
	return rc ? rc : cbrc;
}

static int sqlite_rejection_reasons(struct store *st, int64_t project_id, store_reason_cb cb,
				    void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT a.user_id, coalesce(r.reason, r.note, ''), count(*) AS n FROM "
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
		return db_error(s, rc, "rejection reasons", err);
	return cbrc;
}

struct obj_list {
	struct obj_brief *v;
	size_t n, cap;
};

static int read_briefs(struct sqlite_store *s, int64_t ann, struct obj_list *l, struct buf *err)
{
	l->n = 0;
	sqlite3_stmt *q = stmt(s, "SELECT ifnull(label_id, 0), type, x0, y0, x1, y1 FROM objects WHERE "
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
		return db_error(s, rc, "read objects", err);
	return 0;
}

static int sqlite_gold_pairs(struct store *st, int64_t project_id, store_gold_pair_cb cb,
			     void *ctx, struct buf *err)
{
	struct sqlite_store *s = S(st);
	sqlite3_stmt *q = stmt(s, "SELECT a.user_id, a.item_id, a.id, g.id FROM annotations g JOIN "
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
		return db_error(s, rc, "gold pairs", err);
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

static int assignment_on_save(struct sqlite_store *s, const struct annotation_write *w,
			      int64_t now, struct buf *err)
{
	bool submitted = w->status && !strcmp(w->status, "submitted");
	sqlite3_stmt *q;
	if (!submitted) {
		q = stmt(s, "UPDATE assignments SET expires_at = ?3 + (expires_at - reserved_at), "
			 "reserved_at = ?3 WHERE item_id = ?1 AND user_id = ?2 AND role = 'annotate' "
			 "AND state = 'reserved'", err);
		if (!q)
			return CAIRN_EIO;
		sqlite3_bind_int64(q, 1, w->key.item_id);
		sqlite3_bind_int64(q, 2, w->key.user_id);
		sqlite3_bind_int64(q, 3, now);
		return step_done(s, q, "renew reservation", err);
	}
	q = stmt(s, "INSERT INTO assignments(item_id, user_id, batch_id, role, state, is_gold, "
		 "reserved_at, finished_at) SELECT id, ?2, batch_id, 'annotate', 'done', 0, ?3, ?3 FROM "
		 "items WHERE id = ?1 ON CONFLICT(item_id, user_id, role) DO UPDATE SET state = 'done', "
		 "finished_at = excluded.finished_at WHERE state IN ('reserved', 'released')", err);
	if (!q)
		return CAIRN_EIO;
	sqlite3_bind_int64(q, 1, w->key.item_id);
	sqlite3_bind_int64(q, 2, w->key.user_id);
	sqlite3_bind_int64(q, 3, now);
	int rc = step_done(s, q, "finish assignment", err);
	if (!rc && sqlite3_changes(s->db) > 0)
		rc = item_requeue(s, w->key.item_id, err);
	return rc;
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
	.review_next = sqlite_review_next,
	.review_add = sqlite_review_add,
	.batch_signoff = sqlite_batch_signoff,
	.batch_sample = sqlite_batch_sample,
	.review_release = sqlite_review_release,
	.annotator_stats = sqlite_annotator_stats,
	.rejection_reasons = sqlite_rejection_reasons,
	.gold_pairs = sqlite_gold_pairs,
};
