/*
 * store.h - the storage interface: the only door to persistent state.
 *
 * A `struct store` is an opaque handle over one backend (SQLite now,
 * PostgreSQL later) reached through a `struct store_ops` table, so callers
 * never know which. Everything is expressed in core types (core/model.h).
 *
 * Rules for every function here:
 * - returns 0 or a negative enum cairn_err; detail goes into `err` (may be NULL);
 * - arguments are borrowed; structs it fills own their strings (free them
 *   with the *_release of core/model.h); strings it returns are owned
 *   (free with free());
 * - a handle is used by one thread at a time; open one handle per thread
 *   (the HTTP server keeps a pool). Several handles, in one process or
 *   several, may write the same database: writes wait up to the busy
 *   timeout and then fail with CAIRN_EBUSY.
 * - outside store_begin/store_commit each write is its own transaction.
 */
#ifndef CAIRN_STORE_H
#define CAIRN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/model.h"

struct store;

/* The newest database schema this build knows (the last migration). */
int store_schema_version(void);

enum {
	STORE_CREATE = 1,      /* create the database if it does not exist */
	STORE_NO_MIGRATE = 2,  /* fail with CAIRN_EVERSION rather than migrate */
};

/*
 * Opens the database at `path` (a file path; "postgres://..." later).
 * Migrates an older database forward after copying it to
 * "<path>.v<N>-<unix time>.bak"; refuses (CAIRN_EVERSION) a database made by a
 * newer Cairn. *out is owned: close it with store_close.
 */
int store_open(struct store **out, const char *path, int flags, struct buf *err);
void store_close(struct store *st);
/* The schema version of the open database (after migration). */
int store_db_version(struct store *st);
/* Copies a consistent snapshot of the database to `dest` (a new file). */
int store_backup(struct store *st, const char *dest, struct buf *err);
/* Runs the backend's integrity check; CAIRN_EIO with the report when bad. */
int store_check(struct store *st, struct buf *err);

/* Write transactions. Nested begin is an error. */
int store_begin(struct store *st, struct buf *err);
int store_commit(struct store *st, struct buf *err);
void store_rollback(struct store *st);
/*
 * Bulk load, inside store_begin/store_commit (imports): annotation saves
 * keep the object counters per annotation and label instead of per object
 * row, with a larger page cache. store_bulk_end (or the commit) writes the
 * counters; a rollback undoes it all. Meanwhile objects may change only
 * through store_annotation_save.
 */
int store_bulk_begin(struct store *st, struct buf *err);
int store_bulk_end(struct store *st, struct buf *err);

/*
 * A read snapshot: the reads that follow see the database as of one moment
 * and share one read transaction (cheaper than one each: see the HTTP
 * server, which runs every request's checks and handler in one). A write on
 * the handle, store_begin or store_snapshot_end ends it; no-op inside a
 * write transaction. Never hold one across a wait.
 */
void store_snapshot_begin(struct store *st);
void store_snapshot_end(struct store *st);

/* Key/value settings of the installation (the secret, defaults). */
int store_meta_get(struct store *st, const char *key, char **value, struct buf *err);
int store_meta_set(struct store *st, const char *key, const char *value, struct buf *err);

/* Users. password_hash is an Argon2id string (libsodium's format). */
int store_user_add(struct store *st, const char *name, const char *password_hash,
		   bool is_admin, int64_t *id, struct buf *err);
int store_user_get(struct store *st, const char *name, struct user *out,
		   char **password_hash, struct buf *err);
int store_user_get_id(struct store *st, int64_t id, struct user *out, struct buf *err);
int store_user_set_password(struct store *st, int64_t id, const char *password_hash,
			    struct buf *err);
typedef int (*store_user_cb)(void *ctx, const struct user *u);
int store_user_list(struct store *st, store_user_cb cb, void *ctx, struct buf *err);

/*
 * Projects. store_project_create also stores schema_json as version 1 (if
 * not NULL) in the same transaction; the caller has validated it.
 */
int store_project_create(struct store *st, const char *name, const char *description,
			 int64_t created_by, const char *schema_json, int64_t *id,
			 struct buf *err);
int store_project_get(struct store *st, const char *name, struct project *out,
		      struct buf *err);
int store_project_get_id(struct store *st, int64_t id, struct project *out,
			 struct buf *err);
typedef int (*store_project_cb)(void *ctx, const struct project *p);
/* Projects by name; with user_id != 0 only those the user is a member of. */
int store_project_list(struct store *st, int64_t user_id, store_project_cb cb, void *ctx,
		       struct buf *err);

/* Deletes a project and everything in it (items, annotations, jobs ...). */
int store_project_delete(struct store *st, int64_t id, struct buf *err);

/* Members of a project, with their role. */
int store_member_set(struct store *st, int64_t project_id, int64_t user_id,
		     enum role role, struct buf *err);
/* CAIRN_ENOTFOUND when the user is not a member. */
int store_member_get(struct store *st, int64_t project_id, int64_t user_id,
		     enum role *role, struct buf *err);

/* Removes a member; CAIRN_ENOTFOUND if the user was not one. */
int store_member_remove(struct store *st, int64_t project_id, int64_t user_id, struct buf *err);
typedef int (*store_member_cb)(void *ctx, int64_t user_id, const char *name, enum role role);
int store_member_list(struct store *st, int64_t project_id, store_member_cb cb, void *ctx,
		      struct buf *err);
/* Changes a user's flags; -1 keeps a flag as it is. */
int store_user_update(struct store *st, int64_t id, int is_admin, int is_active,
		      struct buf *err);

/*
 * Label-schema versions. Each put makes a new version (returned) and makes it
 * the project's current one. The labels it names get stable integer ids in
 * the project's label table (matched by name to earlier versions).
 * version 0 in store_schema_get means the current one.
 */
int store_schema_put(struct store *st, int64_t project_id, const char *schema_json,
		     int64_t user_id, const char *message, int64_t *version,
		     struct buf *err);
int store_schema_get(struct store *st, int64_t project_id, int64_t version,
		     char **schema_json, int64_t *version_out, struct buf *err);
/* Every schema version of a project, newest first, without the bodies.
 * user_name is NULL when the version was made without a user (a CLI
 * command); the strings are borrowed for the call only. */
typedef int (*store_schema_version_cb)(void *ctx, int64_t version, const char *message,
				       int64_t user_id, const char *user_name,
				       int64_t created_at);
int store_schema_list(struct store *st, int64_t project_id, store_schema_version_cb cb,
		      void *ctx, struct buf *err);
/* The label id the project uses for a label name; CAIRN_ENOTFOUND if none. */
int store_label_id(struct store *st, int64_t project_id, const char *name,
		   int64_t *label_id, struct buf *err);

/*
 * Items. store_item_add fails with CAIRN_EEXIST (and sets *id to the existing
 * item) when the project already has an item with the same content hash.
 * For bulk ingest wrap many adds in store_begin/store_commit.
 */
int store_item_add(struct store *st, const struct item *it, int64_t *id, struct buf *err);
int store_item_get(struct store *st, int64_t id, struct item *out, struct buf *err);
int store_item_find_hash(struct store *st, int64_t project_id, const char *hash,
			 int64_t *id, struct buf *err);
typedef int (*store_phash_cb)(void *ctx, int64_t item_id, uint64_t phash);
/* Streams (id, phash) of the project's images that have a perceptual hash. */
int store_item_phashes(struct store *st, int64_t project_id, store_phash_cb cb,
		       void *ctx, struct buf *err);
/*
 * Replaces an item's metadata JSON (meta_json NULL: keep it) and split
 * (split NULL: keep it; "": none; else train, val or test). Importers keep
 * a dataset's own ids there ({"coco_id": 40}). CAIRN_ENOTFOUND if no item.
 */
int store_item_set_meta(struct store *st, int64_t id, const char *meta_json, const char *split,
			struct buf *err);
typedef int (*store_item_cb)(void *ctx, const struct item *it);
/* Streams items in id order after `after_id`, at most `limit` (0 = all). */
int store_item_list(struct store *st, int64_t project_id, int64_t after_id,
		    int64_t limit, store_item_cb cb, void *ctx, struct buf *err);

/*
 * A filtered page of a project's items, in id order after `after_id`.
 * Zero / NULL / -1 fields do not filter. Every combination is answered
 * from an index.
 */
struct item_query {
	int64_t project_id;
	int status;              /* enum item_status, or -1 */
	int kind;                /* enum item_kind, or -1 */
	int64_t batch_id;
	const char *split;
	const char *search;      /* full-text over name and metadata */
	int64_t label_id;        /* items with an object of this label */
	int64_t annotator_id;    /* items this user has an annotation on */
	int64_t visible_to;      /* annotators: only items assigned to this user */
	int64_t after_id;
	int64_t limit;           /* 1..1000 */
	int64_t count_cap;       /* store_item_count with a search: > 0 stops past this many */
};
int store_item_query(struct store *st, const struct item_query *q, store_item_cb cb,
		     void *ctx, struct buf *err);
/*
 * Counts what store_item_query would return without a limit. Counts by
 * status, kind, split, split and status, or label alone are kept by the
 * database (O(log n)). With a search and count_cap > 0, counting stops at
 * count_cap + 1 matches: *count > count_cap then means "more than count_cap".
 */
int store_item_count(struct store *st, const struct item_query *q, int64_t *count,
		     struct buf *err);

/* Counts kept up to date by the database itself, read in O(log n). */
struct project_stats {
	int64_t items;
	int64_t bytes;
	int64_t by_kind[ITEM_KIND_COUNT_];
	int64_t by_status[ITEM_STATUS_COUNT_];
	int64_t annotations;
	int64_t objects;
};
int store_project_stats(struct store *st, int64_t project_id, struct project_stats *out,
			struct buf *err);
typedef int (*store_label_count_cb)(void *ctx, int64_t label_id, const char *name,
				    int64_t objects);
/* Object counts per label of the project (all annotation kinds). */
int store_label_counts(struct store *st, int64_t project_id, store_label_count_cb cb,
		       void *ctx, struct buf *err);

/*
 * Tokens. Only a hash of a token's secret is stored (hash: 32 bytes).
 * store_token_find fails with CAIRN_ENOTFOUND for an unknown hash.
 */
int store_token_add(struct store *st, int64_t user_id, bool is_session, const char *name,
		    const unsigned char hash[32], const char *csrf, int64_t expires_at,
		    int64_t *id, struct buf *err);
int store_token_find(struct store *st, const unsigned char hash[32], struct token *out,
		     struct buf *err);
/* Records use; moves a session's expiry (0 = keep). */
int store_token_touch(struct store *st, int64_t id, int64_t now, int64_t expires_at,
		      struct buf *err);
/* Revokes a token; with user_id != 0 only that user's. CAIRN_ENOTFOUND if none. */
int store_token_revoke(struct store *st, int64_t id, int64_t user_id, struct buf *err);
typedef int (*store_token_cb)(void *ctx, const struct token *t);
/* The user's live API tokens (not sessions), newest first. */
int store_token_list(struct store *st, int64_t user_id, store_token_cb cb, void *ctx,
		     struct buf *err);

/* The project an item belongs to; CAIRN_ENOTFOUND if no such item. */
int store_item_scope(struct store *st, int64_t item_id, int64_t *project_id, struct buf *err);
/*
 * Whether a user may see an item as an annotator: it is assigned to them,
 * or it is in a batch they annotate or review.
 */
int store_item_assigned(struct store *st, int64_t item_id, int64_t user_id, bool *out,
			struct buf *err);

/* Which annotation of an item: (kind, user for manual, source for predictions). */
struct annotation_key {
	int64_t item_id;
	enum annotation_kind kind;
	int64_t user_id;          /* manual: the annotator; else 0 */
	const char *source;       /* prediction: the model; else "" or NULL */
};

/* Reads an annotation with the body of its current version. */
int store_annotation_find(struct store *st, const struct annotation_key *k,
			  struct annotation *out, struct buf *err);
int store_annotation_get(struct store *st, int64_t id, struct annotation *out,
			 struct buf *err);
/* Who an annotation belongs to, for authorization. CAIRN_ENOTFOUND if none. */
int store_annotation_owner(struct store *st, int64_t id, int64_t *item_id,
			   enum annotation_kind *kind, int64_t *user_id, struct buf *err);
typedef int (*store_annotation_cb)(void *ctx, const struct annotation *a);
/* The item's annotations without bodies, in id order; gold only if asked. */
int store_annotation_list(struct store *st, int64_t item_id, bool with_gold,
			  store_annotation_cb cb, void *ctx, struct buf *err);

/*
 * The export cursor: one row per item with the current body of the
 * annotation a dataset export writes for it. Among the item's annotations
 * whose kind is in `kinds` (bits of enum annotation_kind; 0 = every kind)
 * it picks consensus, then gold, then manual, then prediction; within one
 * kind the latest updated_at, the lowest id on a tie. ann_id is 0 (body
 * NULL) when the item has none. The body is borrowed for the callback.
 */
struct store_item_doc {
	struct item item;
	int64_t ann_id;
	enum annotation_kind kind;
	int64_t schema_version;
	const char *body;
	size_t body_len;
};
typedef int (*store_item_doc_cb)(void *ctx, const struct store_item_doc *d);
/* Streams a project's items in id order after `after_id`, at most `limit`
 * (0 = all), each with its picked annotation body: one query a page, no
 * query per item. */
int store_item_docs(struct store *st, int64_t project_id, unsigned kinds, int64_t after_id,
		    int64_t limit, store_item_doc_cb cb, void *ctx, struct buf *err);

/*
 * The quality cursor: every annotation (kind in `kinds`, bits of enum
 * annotation_kind; 0 = every kind) of the project's items whose id is in
 * [first_item, last_item], with the body of its current version, ordered
 * by item id then annotation id: one query for a page of items, none per
 * item or annotation. The body is borrowed for the callback.
 */
struct store_ann_doc {
	int64_t id, item_id, user_id, version, schema_version, updated_at;
	enum annotation_kind kind;
	const char *body;
	size_t body_len;
};
typedef int (*store_ann_doc_cb)(void *ctx, const struct store_ann_doc *d);
int store_ann_docs(struct store *st, int64_t project_id, unsigned kinds, int64_t first_item,
		   int64_t last_item, store_ann_doc_cb cb, void *ctx, struct buf *err);

struct ann_doc;
/*
 * A save: the document (already validated, in canonical JSON `body`) and
 * its objects, written as the next version in one transaction. label_ids
 * maps each label index of the document's schema to the project's label id.
 */
struct annotation_write {
	struct annotation_key key;
	int64_t project_id;
	int64_t expected_version;  /* the version being replaced; 0: must not exist yet */
	int64_t schema_version;
	const char *status;        /* draft or submitted (reviews set the others) */
	int64_t lead_time_ms;      /* to add */
	int64_t saved_by;          /* the user saving */
	const char *body;
	const char *summary;       /* JSON of what changed, for history */
	const struct ann_doc *doc;
	const int64_t *label_ids;
	/* When set, an audit-log row (this action, user saved_by, target the
	 * annotation) is written in the same transaction as the save. */
	const char *audit_action;
	const char *audit_detail;  /* JSON for that row's detail, or NULL */
	/* When the caller compared doc with the version it replaces under the
	 * same schema (ann_doc_changes): unchanged says nothing differs, so no
	 * object row is written; else changed[i] marks doc's objects to write
	 * (new or different) and removed_uids those to delete. Neither set:
	 * not known, every row is compared. */
	bool unchanged;
	const bool *changed;
	const char *const *removed_uids;
	size_t nremoved;
};
/*
 * Saves; *id and *version get the annotation and its new version. When
 * the annotation is not at expected_version (someone saved first, or it
 * exists when 0 was expected) fails with CAIRN_ECONFLICT and changes
 * nothing.
 */
int store_annotation_save(struct store *st, const struct annotation_write *w, int64_t *id,
			  int64_t *version, struct buf *err);

struct history_entry {
	int64_t version;
	int64_t user_id;
	const char *user_name;
	const char *status;
	const char *summary;      /* JSON, or NULL */
	int64_t created_at;
};
typedef int (*store_history_cb)(void *ctx, const struct history_entry *h);
/* Every saved version, newest first. */
int store_history_list(struct store *st, int64_t annotation_id, store_history_cb cb, void *ctx,
		       struct buf *err);
/* The document of one version (owned). CAIRN_ENOTFOUND if none. */
int store_history_get(struct store *st, int64_t annotation_id, int64_t version, char **body,
		      int64_t *schema_version, struct buf *err);

/* Background jobs. */
int store_job_add(struct store *st, int64_t project_id, int64_t user_id, const char *kind,
		  const char *params_json, int64_t *id, struct buf *err);
int store_job_get(struct store *st, int64_t id, struct job *out, struct buf *err);
typedef int (*store_job_cb)(void *ctx, const struct job *j);
/* The project's jobs, newest first, at most limit. */
int store_job_list(struct store *st, int64_t project_id, int64_t limit, store_job_cb cb,
		   void *ctx, struct buf *err);
/* Takes the oldest queued job and marks it running; CAIRN_ENOTFOUND if none. */
int store_job_claim(struct store *st, struct job *out, struct buf *err);
/* Records progress; *cancel tells whether a cancel was asked for. */
int store_job_progress(struct store *st, int64_t id, int64_t done, int64_t total, bool *cancel,
		       struct buf *err);
/* Ends a running job: done (result), failed (error) or cancelled. */
int store_job_finish(struct store *st, int64_t id, enum job_state state, const char *result_json,
		     const char *error, struct buf *err);
/* Cancels a queued job at once, or asks a running one to stop. CAIRN_EINVAL if it has ended. */
int store_job_cancel(struct store *st, int64_t id, struct buf *err);
/*
 * After a restart: running jobs with fewer than max_attempts starts go back
 * to the queue, the others fail with the reason. *requeued, *failed count them.
 */
int store_job_recover(struct store *st, int max_attempts, int64_t *requeued, int64_t *failed,
		      struct buf *err);

/* Comments. store_comment_add reads project, item, annotation, object, parent,
 * user, body, point and frame from c. */
int store_comment_add(struct store *st, const struct comment *c, int64_t *id, struct buf *err);
int store_comment_get(struct store *st, int64_t id, struct comment *out, struct buf *err);
typedef int (*store_comment_cb)(void *ctx, const struct comment *c);
/* An item's comments in order. */
int store_comment_list(struct store *st, int64_t item_id, store_comment_cb cb, void *ctx,
		       struct buf *err);
int store_comment_resolve(struct store *st, int64_t id, bool resolved, struct buf *err);

/*
 * Workflow (docs/workflow.md): batches of items with a stage, members,
 * overlap, gold mixing and a reservation timeout; the one "next item"
 * routine; review of a random sample; sign-off; annotator performance.
 * Every write below runs in one write transaction (BEGIN IMMEDIATE), so
 * concurrent callers are serialised: a pick and its reservation are one
 * step. Each state change writes its audit-log row in that transaction.
 */
struct batch {
	int64_t id;
	int64_t project_id;
	char *name;
	bool calibration;          /* everyone labels every item */
	char stage[12];            /* annotate, review or done */
	int64_t overlap;           /* annotators per item (normal batches) */
	double review_sample;      /* fraction reviewed, (0, 1] */
	int64_t gold_first;        /* gold items each annotator gets first */
	double gold_rate;          /* then this fraction of the items served */
	int64_t reserve_ms;        /* idle reservations are reclaimed after this */
	int64_t signed_off_by, signed_off_at, created_at;
	/* Counts, filled by get and list. */
	int64_t items;             /* items in the batch */
	int64_t open_items;        /* normal: still wanting annotators */
	int64_t reserved;          /* live reservations */
	int64_t submitted;         /* finished annotate assignments */
};
void batch_release(struct batch *b);

/* What store_batch_create makes: the project's unbatched items that have
 * no gold annotation, filtered, in order, cut into batches of `size`. */
struct batch_spec {
	int64_t project_id;
	const char *name;          /* one batch: this; several: name-1, name-2 ... */
	int64_t size;              /* items per batch, >= 1 */
	int64_t limit;             /* at most this many items in all; 0 = all */
	int status;                /* enum item_status, or -1 */
	int kind;                  /* enum item_kind, or -1 */
	const char *split;         /* or NULL */
	bool random_order;         /* else by id */
	uint64_t seed;             /* of the random order */
	bool calibration;
	int64_t overlap;
	double review_sample;
	int64_t gold_first;
	double gold_rate;
	int64_t reserve_ms;
	int64_t created_by;
};
/* ids: the batches made, in order (owned, free()); *n their number.
 * CAIRN_EINVAL when no item matches; CAIRN_EEXIST when a name is taken. */
int store_batch_create(struct store *st, const struct batch_spec *spec, int64_t **ids,
		       size_t *n, struct buf *err);
int store_batch_get(struct store *st, int64_t id, struct batch *out, struct buf *err);
typedef int (*store_batch_cb)(void *ctx, const struct batch *b);
/* The project's batches by id; with member_id only those the user is a member of. */
int store_batch_list(struct store *st, int64_t project_id, int64_t member_id,
		     store_batch_cb cb, void *ctx, struct buf *err);
/* The project of a batch, for authorization. CAIRN_ENOTFOUND if none. */
int store_batch_scope(struct store *st, int64_t batch_id, int64_t *project_id, struct buf *err);
/* Changes what is set: name (non-NULL), stage (non-NULL; "done" only by
 * sign-off), overlap, review_sample, gold_first, gold_rate, reserve_ms
 * (each when >= 0). Re-queues the items when the overlap changes. */
struct batch_patch {
	const char *name;
	const char *stage;
	int64_t overlap;
	double review_sample;
	int64_t gold_first;
	double gold_rate;
	int64_t reserve_ms;
};
int store_batch_update(struct store *st, int64_t id, const struct batch_patch *p,
		       int64_t by_user, struct buf *err);
/* Adds (or with remove, removes) a member of the batch as "annotator" or
 * "reviewer". The user must be a member of the batch's project with at
 * least that role (CAIRN_EINVAL otherwise). */
int store_batch_assign(struct store *st, int64_t batch_id, int64_t user_id, const char *role,
		       bool remove, int64_t by_user, struct buf *err);
typedef int (*store_batch_member_cb)(void *ctx, int64_t user_id, const char *name,
				     const char *role);
int store_batch_members(struct store *st, int64_t batch_id, store_batch_member_cb cb, void *ctx,
			struct buf *err);

/* The next item for an annotator. */
struct queue_req {
	int64_t project_id;
	int64_t user_id;
	int64_t now;               /* unix ms; 0 = the clock */
	double roll;               /* uniform in [0, 1): draws gold mixing */
};
struct queue_pick {
	int64_t item_id;
	int64_t batch_id;
	/* "rejected" (back from review), "reserved" (already mine), "gold",
	 * "calibration" or "batch". Static. Gold is never told to annotators:
	 * the API shows it as "batch". */
	const char *reason;
	bool is_gold;
	int64_t expires_at;
};
/*
 * In one write transaction: reclaims expired reservations (of every
 * project), then picks, in this order, an item of mine rejected in review,
 * my live reservation, a gold item (the batch's gold_first, then gold_rate),
 * the first open item of my first batch in the annotate stage, and
 * reserves it. Never an item I submitted, skipped or hold. CAIRN_ENOTFOUND
 * when nothing is left.
 */
int store_queue_next(struct store *st, const struct queue_req *q, struct queue_pick *out,
		     struct buf *err);
/* Ends my live reservation of an item: state "skipped" (never offered to
 * me again) or "released" (offered again, to anyone). CAIRN_ENOTFOUND if I
 * hold none on it. */
int store_queue_finish(struct store *st, int64_t project_id, int64_t item_id, int64_t user_id,
		       const char *state, struct buf *err);
/* Reclaims every reservation expired at `now`; *n counts them. */
int store_queue_reclaim(struct store *st, int64_t now, int64_t *n, struct buf *err);

/* The next annotation a reviewer should check. */
struct review_pick {
	int64_t item_id;
	int64_t batch_id;
	int64_t annotation_id;
	int64_t annotator_id;
	int64_t version;
	int64_t expires_at;        /* the reviewer holds the item until then */
	bool low_agreement;        /* put first by store_item_review_first */
};
/* A submitted manual annotation, not the reviewer's own, on an item in the
 * review sample of a batch the user reviews (every batch of the project
 * with all_batches) that is not done. The item is reserved for this
 * reviewer (one at a time, renewed by asking again, ended by the verdict
 * or the batch's reserve_ms): no other reviewer gets it meanwhile.
 * CAIRN_ENOTFOUND when none. */
int store_review_next(struct store *st, int64_t project_id, int64_t user_id, bool all_batches,
		      struct review_pick *out, struct buf *err);
/* Puts an item whose annotators disagree (score in [0, 1], lower first)
 * ahead of its batch's random review sample: its review_key becomes
 * score - 2. A batch's sample is its items with a negative key plus the
 * random ones up to review_sample, whichever is more (docs/workflow.md).
 * Audited as review.low_agreement. CAIRN_ENOTFOUND when no such item. */
int store_item_review_first(struct store *st, int64_t item_id, double score, int64_t by_user,
			    struct buf *err);
struct review_write {
	int64_t project_id;
	int64_t item_id;
	int64_t annotation_id;     /* 0: the item's only submitted annotation */
	int64_t reviewer_id;
	bool accept;
	const char *reason;        /* a short tag, or NULL */
	const char *comment;       /* or NULL; required to reject */
	const char *object_uid;    /* the comment's pin, or NULL */
	bool has_point;
	double x, y;
	int64_t frame;             /* -1 = none */
};
/* Records a verdict on a submitted annotation: accepted, or rejected (back
 * to its annotator's queue with the comment). CAIRN_ECONFLICT when it is
 * not submitted (reviewed already, or a draft); CAIRN_EINVAL when the item
 * has several submitted annotations and none is named. */
int store_review_add(struct store *st, const struct review_write *w, int64_t *review_id,
		     int64_t *comment_id, struct buf *err);
/* Signs a batch off: stage done, its items done. CAIRN_ECONFLICT (err
 * says what is missing) unless every sampled item is reviewed with all its
 * annotations accepted and, for a normal batch, no item still wants an
 * annotator. */
int store_batch_signoff(struct store *st, int64_t batch_id, int64_t by_user, struct buf *err);
/* Where a batch's review sample stands: `size` sampled items, of which
 * `accepted` have every manual annotation accepted, `pending` have one
 * waiting for review, `rejected` one sent back and not resubmitted, and
 * `missing` no submitted annotation yet. `ready` when sign-off would pass. */
struct batch_sample {
	int64_t size, accepted, pending, rejected, missing;
	bool ready;
};
int store_batch_sample(struct store *st, int64_t batch_id, struct batch_sample *out,
		       struct buf *err);
/* Gives back the item a reviewer holds (review/next) for another reviewer;
 * CAIRN_ENOTFOUND when they hold none on it. */
int store_review_release(struct store *st, int64_t project_id, int64_t item_id, int64_t user_id,
			 struct buf *err);

/* Annotator performance. */
struct annotator_stats {
	int64_t user_id;
	const char *name;
	int64_t items;             /* manual annotations submitted (any review state) */
	int64_t objects;
	int64_t active_ms;         /* the editor's lead time, summed */
	int64_t reviewed, rejected;
	int64_t skipped;
};
typedef int (*store_annotator_stats_cb)(void *ctx, const struct annotator_stats *s);
int store_annotator_stats(struct store *st, int64_t project_id, store_annotator_stats_cb cb,
			  void *ctx, struct buf *err);
typedef int (*store_reason_cb)(void *ctx, int64_t user_id, const char *reason, int64_t n);
/* Rejection reasons (the reason tag, else the note) per annotator, most frequent first. */
int store_rejection_reasons(struct store *st, int64_t project_id, store_reason_cb cb, void *ctx,
			    struct buf *err);
struct obj_brief {
	int64_t label_id;
	bool is_box;               /* else a tag when is_tag */
	bool is_tag;
	double x0, y0, x1, y1;
};
struct gold_pair {
	int64_t user_id;
	int64_t item_id;
	const struct obj_brief *mine;
	size_t nmine;
	const struct obj_brief *gold;
	size_t ngold;
};
typedef int (*store_gold_pair_cb)(void *ctx, const struct gold_pair *p);
/* Each submitted manual annotation on an item that has a gold annotation,
 * with both sets of objects, by user. */
int store_gold_pairs(struct store *st, int64_t project_id, store_gold_pair_cb cb, void *ctx,
		     struct buf *err);

typedef int (*store_audit_cb)(void *ctx, const struct audit_entry *e);
/* The audit log, newest first, before `before_id` (0 = from the newest);
 * project_id 0 = every project. */
int store_audit_list(struct store *st, int64_t project_id, int64_t before_id, int64_t limit,
		     store_audit_cb cb, void *ctx, struct buf *err);

/* Appends to the audit log. detail_json may be NULL. */
int store_audit(struct store *st, int64_t user_id, int64_t project_id, const char *action,
		const char *target_type, int64_t target_id, const char *detail_json,
		struct buf *err);

#endif
