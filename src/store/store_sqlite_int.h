/*
 * store_sqlite_int.h - what the files of the SQLite backend share: the
 * handle, the group-commit state, statement helpers (sq_*) and each file's
 * entry points for the ops table in store_sqlite.c. Private to src/store/.
 */
#ifndef CAIRN_STORE_SQLITE_INT_H
#define CAIRN_STORE_SQLITE_INT_H

#include "store/store_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "base/buf.h"

#define STMT_CACHE 256

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

static inline struct sqlite_store *S(struct store *st)
{
	return (struct sqlite_store *)st;
}

static inline int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static inline void bind_id(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static inline char *col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Runs fn inside a transaction unless the caller already opened one. */
#define TX_BEGIN(s, err)                                                     \
	bool own_tx_ = !(s)->in_tx;                                          \
	if (own_tx_) {                                                       \
		int txrc_ = sq_tx_begin((s), "begin", (err));                   \
		if (txrc_)                                                   \
			return txrc_;                                        \
	}
#define TX_END(s, rc, err)                                                   \
	do {                                                                 \
		if (own_tx_) {                                               \
			if (rc)                                              \
				sq_tx_rollback(s);                              \
			else                                                 \
				rc = sq_tx_commit((s), "commit", (err));        \
		}                                                            \
	} while (0)

#define ITEM_COLS_I "i.id, i.project_id, i.kind, i.name, i.hash, i.size, i.width, i.height, " \
	"i.duration, i.frames, i.mime, i.source_group, i.link_path, i.meta, i.phash, i.batch_id, " \
	"i.split, i.status, i.created_at"

#define SAMPLE_LIMIT "max(?2, (SELECT count(*) FROM items WHERE batch_id = ?1 AND review_key < 0))"

/* store_sqlite.c */
int sq_db_error(struct sqlite_store *s, int rc, const char *what, struct buf *err);
sqlite3_stmt *sq_stmt(struct sqlite_store *s, const char *sql, struct buf *err);
int sq_step_done(struct sqlite_store *s, sqlite3_stmt *st, const char *what, struct buf *err);
void sq_snapshot_end(struct sqlite_store *s);
int sq_exec(struct sqlite_store *s, const char *sql, const char *what, struct buf *err);
void sq_writer_release(struct sqlite_store *s);
sqlite3_file *sq_wal_file(sqlite3 *db);
int sq_group_sync(struct gsync *g, uint64_t mine, sqlite3_file *wal);
int sq_writer_acquire(struct sqlite_store *s, const char *what, struct buf *err);
int sq_tx_begin(struct sqlite_store *s, const char *what, struct buf *err);
int sq_tx_commit(struct sqlite_store *s, const char *what, struct buf *err);
void sq_tx_rollback(struct sqlite_store *s);
int sq_open_handle(struct store **out, const char *path, int flags, int version,
		   struct gsync *ws_of, struct buf *err);

/* store_sqlite_bulk.c */
void sq_bulk_free(struct sqlite_store *s);
int sqlite_bulk_begin(struct store *st, struct buf *err);
int sqlite_bulk_end(struct store *st, struct buf *err);
int sq_bulk_write_objects(struct sqlite_store *s, int64_t ann_id, bool existed,
			  const struct annotation_write *w, struct buf *err);
void sqlite_snapshot(struct store *st, bool on);

/* store_sqlite_projects.c */
int sqlite_meta_get(struct store *st, const char *key, char **value, struct buf *err);
int sqlite_meta_set(struct store *st, const char *key, const char *value,
		    struct buf *err);
int sqlite_user_add(struct store *st, const char *name, const char *password_hash,
		    bool is_admin, int64_t *id, struct buf *err);
int sqlite_user_get(struct store *st, const char *name, int64_t id, struct user *out,
		    char **password_hash, struct buf *err);
int sqlite_user_set_password(struct store *st, int64_t id, const char *password_hash,
			     struct buf *err);
int sqlite_user_list(struct store *st, store_user_cb cb, void *ctx, struct buf *err);
int sqlite_project_create(struct store *st, const char *name, const char *description,
			  int64_t created_by, const char *schema_json, int64_t *id,
			  struct buf *err);
int sqlite_project_get(struct store *st, const char *name, int64_t id,
		       struct project *out, struct buf *err);
int sqlite_project_list(struct store *st, int64_t user_id, store_project_cb cb,
			void *ctx, struct buf *err);
int sqlite_project_delete(struct store *st, int64_t id, struct buf *err);
int sqlite_member_set(struct store *st, int64_t project_id, int64_t user_id,
		      enum role role, struct buf *err);
int sqlite_member_get(struct store *st, int64_t project_id, int64_t user_id,
		      enum role *role, struct buf *err);
int sqlite_schema_put(struct store *st, int64_t project_id, const char *json,
		      int64_t user_id, const char *message, int64_t *version,
		      struct buf *err);
int sqlite_schema_list(struct store *st, int64_t project_id, store_schema_version_cb cb,
		       void *ctx, struct buf *err);
int sqlite_schema_get(struct store *st, int64_t project_id, int64_t version,
		      char **json, int64_t *version_out, struct buf *err);
int sqlite_label_id(struct store *st, int64_t project_id, const char *name,
		    int64_t *label_id, struct buf *err);
int sqlite_token_add(struct store *st, int64_t user_id, bool is_session,
		     const char *name, const unsigned char hash[32], const char *csrf,
		     int64_t expires_at, int64_t *id, struct buf *err);
int sqlite_token_find(struct store *st, const unsigned char hash[32], struct token *out,
		      struct buf *err);
int sqlite_token_touch(struct store *st, int64_t id, int64_t now, int64_t expires_at,
		       struct buf *err);
int sqlite_token_revoke(struct store *st, int64_t id, int64_t user_id, struct buf *err);
int sqlite_token_list(struct store *st, int64_t user_id, store_token_cb cb, void *ctx,
		      struct buf *err);
int sqlite_item_scope(struct store *st, int64_t item_id, int64_t *project_id,
		      struct buf *err);
int sqlite_item_assigned(struct store *st, int64_t item_id, int64_t user_id, bool *out,
			 struct buf *err);
int sqlite_item_set_meta(struct store *st, int64_t id, const char *meta_json,
			 const char *split, struct buf *err);

/* store_sqlite_items.c */
void sq_item_from_row(sqlite3_stmt *q, struct item *it);
int sqlite_item_find_hash(struct store *st, int64_t project_id, const char *hash,
			  int64_t *id, struct buf *err);
int sqlite_item_add(struct store *st, const struct item *it, int64_t *id,
		    struct buf *err);
int sqlite_item_get(struct store *st, int64_t id, struct item *out, struct buf *err);
int sqlite_item_phashes(struct store *st, int64_t project_id, store_phash_cb cb,
			void *ctx, struct buf *err);
int sqlite_item_list(struct store *st, int64_t project_id, int64_t after_id,
		     int64_t limit, store_item_cb cb, void *ctx, struct buf *err);
int sqlite_project_stats(struct store *st, int64_t project_id,
			 struct project_stats *out, struct buf *err);
int sqlite_label_counts(struct store *st, int64_t project_id, store_label_count_cb cb,
			void *ctx, struct buf *err);
int sqlite_audit(struct store *st, int64_t user_id, int64_t project_id,
		 const char *action, const char *target_type, int64_t target_id,
		 const char *detail_json, struct buf *err);
int sqlite_member_remove(struct store *st, int64_t project_id, int64_t user_id,
			 struct buf *err);
int sqlite_member_list(struct store *st, int64_t project_id, store_member_cb cb,
		       void *ctx, struct buf *err);
int sqlite_user_update(struct store *st, int64_t id, int is_admin, int is_active,
		       struct buf *err);
int sqlite_item_query(struct store *st, const struct item_query *iq, store_item_cb cb,
		      void *ctx, struct buf *err);
int sqlite_item_count(struct store *st, const struct item_query *iq, int64_t *count,
		      struct buf *err);

/* store_sqlite_ann.c */
int sqlite_annotation_find(struct store *st, const struct annotation_key *k, int64_t id,
			   struct annotation *out, struct buf *err);
int sqlite_annotation_owner(struct store *st, int64_t id, int64_t *item_id,
			    enum annotation_kind *kind, int64_t *user_id, struct buf *err);
int sqlite_annotation_list(struct store *st, int64_t item_id, bool with_gold,
			   store_annotation_cb cb, void *ctx, struct buf *err);
int sqlite_item_docs(struct store *st, int64_t project_id, unsigned kinds,
		     int64_t after_id, int64_t limit, store_item_doc_cb cb, void *ctx,
		     struct buf *err);
int sqlite_ann_docs(struct store *st, int64_t project_id, unsigned kinds,
		    int64_t first_item, int64_t last_item, store_ann_doc_cb cb, void *ctx,
		    struct buf *err);
int sq_rewrite_objects(struct sqlite_store *s, int64_t ann_id, const struct annotation_write *w,
		       struct buf *err);
int sqlite_annotation_save(struct store *st, const struct annotation_write *w,
			   int64_t *id_out, int64_t *version_out, struct buf *err);
int sqlite_history_list(struct store *st, int64_t annotation_id, store_history_cb cb,
			void *ctx, struct buf *err);
int sqlite_history_get(struct store *st, int64_t annotation_id, int64_t version,
		       char **body, int64_t *schema_version, struct buf *err);

/* store_sqlite_jobs.c */
int sqlite_job_add(struct store *st, int64_t project_id, int64_t user_id, const char *kind,
		   const char *params_json, int64_t *id, struct buf *err);
int sqlite_job_get(struct store *st, int64_t id, struct job *out, struct buf *err);
int sqlite_job_list(struct store *st, int64_t project_id, int64_t limit,
		    store_job_cb cb, void *ctx, struct buf *err);
int sqlite_job_claim(struct store *st, struct job *out, struct buf *err);
int sqlite_job_progress(struct store *st, int64_t id, int64_t done, int64_t total,
			bool *cancel, struct buf *err);
int sqlite_job_finish(struct store *st, int64_t id, enum job_state state,
		      const char *result_json, const char *error, struct buf *err);
int sqlite_job_cancel(struct store *st, int64_t id, struct buf *err);
int sqlite_job_recover(struct store *st, int max_attempts, int64_t *requeued,
		       int64_t *failed, struct buf *err);

/* store_sqlite_comments.c */
int sqlite_comment_add(struct store *st, const struct comment *c, int64_t *id,
		       struct buf *err);
int sqlite_comment_get(struct store *st, int64_t id, struct comment *out, struct buf *err);
int sqlite_comment_list(struct store *st, int64_t item_id, store_comment_cb cb,
			void *ctx, struct buf *err);
int sqlite_comment_resolve(struct store *st, int64_t id, bool resolved, struct buf *err);
int sqlite_audit_list(struct store *st, int64_t project_id, int64_t before_id,
		      int64_t limit, store_audit_cb cb, void *ctx, struct buf *err);

/* store_sqlite_queue.c */
int sq_one_i64(struct sqlite_store *s, sqlite3_stmt *q, int64_t *out, const char *what,
	       struct buf *err);
int sq_wf_audit(struct sqlite_store *s, int64_t user_id, int64_t project_id,
		const char *action, const char *target_type, int64_t target_id,
		const char *detail, struct buf *err);
int sq_item_requeue(struct sqlite_store *s, int64_t item_id, struct buf *err);
int sq_reclaim_locked(struct sqlite_store *s, int64_t now, int64_t *count, struct buf *err);
int sqlite_queue_reclaim(struct store *st, int64_t now, int64_t *n, struct buf *err);
int sqlite_batch_get(struct store *st, int64_t id, struct batch *out, struct buf *err);
int sqlite_batch_list(struct store *st, int64_t project_id, int64_t member_id,
		      store_batch_cb cb, void *ctx, struct buf *err);
int sqlite_batch_scope(struct store *st, int64_t batch_id, int64_t *project_id,
		       struct buf *err);
int sqlite_batch_create(struct store *st, const struct batch_spec *sp, int64_t **ids_out,
			size_t *n_out, struct buf *err);
int sqlite_batch_update(struct store *st, int64_t id, const struct batch_patch *p,
			int64_t by_user, struct buf *err);
int sqlite_batch_assign(struct store *st, int64_t batch_id, int64_t user_id,
			const char *role, bool remove, int64_t by_user, struct buf *err);
int sqlite_batch_members(struct store *st, int64_t batch_id, store_batch_member_cb cb,
			 void *ctx, struct buf *err);
int sq_reserve(struct sqlite_store *s, int64_t item, int64_t user, int64_t batch, bool gold,
	       int64_t now, int64_t expires, struct buf *err);
int sqlite_queue_next(struct store *st, const struct queue_req *rq, struct queue_pick *out,
		      struct buf *err);
int sqlite_queue_finish(struct store *st, int64_t project_id, int64_t item_id,
			int64_t user_id, const char *state, struct buf *err);
int sqlite_review_release(struct store *st, int64_t project_id, int64_t item_id,
			  int64_t user_id, struct buf *err);

/* store_sqlite_review.c */
int64_t sq_sample_size(int64_t n, double r);
int sqlite_item_review_first(struct store *st, int64_t item_id, double score,
			     int64_t by_user, struct buf *err);
int sqlite_review_next(struct store *st, int64_t project_id, int64_t user_id,
		       bool all_batches, struct review_pick *out, struct buf *err);
int sqlite_review_add(struct store *st, const struct review_write *w, int64_t *review_id,
		      int64_t *comment_id, struct buf *err);
int sqlite_batch_sample(struct store *st, int64_t batch_id, struct batch_sample *out,
			struct buf *err);
int sqlite_batch_signoff(struct store *st, int64_t batch_id, int64_t by_user,
			 struct buf *err);
int sqlite_annotator_stats(struct store *st, int64_t project_id,
			   store_annotator_stats_cb cb, void *ctx, struct buf *err);
int sqlite_rejection_reasons(struct store *st, int64_t project_id, store_reason_cb cb,
			     void *ctx, struct buf *err);
int sqlite_gold_pairs(struct store *st, int64_t project_id, store_gold_pair_cb cb,
		      void *ctx, struct buf *err);
int sq_assignment_on_save(struct sqlite_store *s, const struct annotation_write *w,
			  int64_t now, struct buf *err);

#endif
