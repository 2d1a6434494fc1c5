/*
 * store_int.h - what a storage backend implements: the ops table behind
 * store.h. A backend's handle starts with `struct store` so store.c can
 * dispatch without knowing the backend (SQLite's VFS pattern).
 */
#ifndef CAIRN_STORE_INT_H
#define CAIRN_STORE_INT_H

#include "store/store.h"

struct store_ops {
	const char *name;
	void (*close)(struct store *st);
	int (*db_version)(struct store *st);
	int (*backup)(struct store *st, const char *dest, struct buf *err);
	int (*check)(struct store *st, struct buf *err);
	int (*begin)(struct store *st, struct buf *err);
	int (*commit)(struct store *st, struct buf *err);
	void (*rollback)(struct store *st);
	int (*bulk_begin)(struct store *st, struct buf *err);
	int (*bulk_end)(struct store *st, struct buf *err);
	void (*snapshot)(struct store *st, bool on);
	int (*meta_get)(struct store *st, const char *key, char **value, struct buf *err);
	int (*meta_set)(struct store *st, const char *key, const char *value, struct buf *err);
	int (*user_add)(struct store *st, const char *name, const char *password_hash,
			bool is_admin, int64_t *id, struct buf *err);
	int (*user_get)(struct store *st, const char *name, int64_t id, struct user *out,
			char **password_hash, struct buf *err);
	int (*user_set_password)(struct store *st, int64_t id, const char *password_hash,
				 struct buf *err);
	int (*user_list)(struct store *st, store_user_cb cb, void *ctx, struct buf *err);
	int (*project_create)(struct store *st, const char *name, const char *description,
			      int64_t created_by, const char *schema_json, int64_t *id,
			      struct buf *err);
	int (*project_get)(struct store *st, const char *name, int64_t id, struct project *out,
			   struct buf *err);
	int (*project_list)(struct store *st, int64_t user_id, store_project_cb cb, void *ctx,
			    struct buf *err);
	int (*member_remove)(struct store *st, int64_t project_id, int64_t user_id, struct buf *err);
	int (*member_list)(struct store *st, int64_t project_id, store_member_cb cb, void *ctx,
			   struct buf *err);
	int (*user_update)(struct store *st, int64_t id, int is_admin, int is_active,
			   struct buf *err);
	int (*item_query)(struct store *st, const struct item_query *q, store_item_cb cb,
			  void *ctx, struct buf *err);
	int (*item_count)(struct store *st, const struct item_query *q, int64_t *count,
			  struct buf *err);
	int (*project_delete)(struct store *st, int64_t id, struct buf *err);
	int (*member_set)(struct store *st, int64_t project_id, int64_t user_id, enum role role,
			  struct buf *err);
	int (*member_get)(struct store *st, int64_t project_id, int64_t user_id, enum role *role,
			  struct buf *err);
	int (*schema_put)(struct store *st, int64_t project_id, const char *schema_json,
			  int64_t user_id, const char *message, int64_t *version, struct buf *err);
	int (*schema_get)(struct store *st, int64_t project_id, int64_t version,
			  char **schema_json, int64_t *version_out, struct buf *err);
	int (*schema_list)(struct store *st, int64_t project_id, store_schema_version_cb cb,
			   void *ctx, struct buf *err);
	int (*label_id)(struct store *st, int64_t project_id, const char *name,
			int64_t *label_id, struct buf *err);
	int (*item_add)(struct store *st, const struct item *it, int64_t *id, struct buf *err);
	int (*item_get)(struct store *st, int64_t id, struct item *out, struct buf *err);
	int (*item_find_hash)(struct store *st, int64_t project_id, const char *hash,
			      int64_t *id, struct buf *err);
	int (*item_phashes)(struct store *st, int64_t project_id, store_phash_cb cb, void *ctx,
			    struct buf *err);
	int (*item_list)(struct store *st, int64_t project_id, int64_t after_id, int64_t limit,
			 store_item_cb cb, void *ctx, struct buf *err);
	int (*project_stats)(struct store *st, int64_t project_id, struct project_stats *out,
			     struct buf *err);
	int (*label_counts)(struct store *st, int64_t project_id, store_label_count_cb cb,
			    void *ctx, struct buf *err);
	int (*token_add)(struct store *st, int64_t user_id, bool is_session, const char *name,
			 const unsigned char hash[32], const char *csrf, int64_t expires_at,
			 int64_t *id, struct buf *err);
	int (*token_find)(struct store *st, const unsigned char hash[32], struct token *out,
			  struct buf *err);
	int (*token_touch)(struct store *st, int64_t id, int64_t now, int64_t expires_at,
			   struct buf *err);
	int (*token_revoke)(struct store *st, int64_t id, int64_t user_id, struct buf *err);
	int (*token_list)(struct store *st, int64_t user_id, store_token_cb cb, void *ctx,
			  struct buf *err);
	int (*item_scope)(struct store *st, int64_t item_id, int64_t *project_id, struct buf *err);
	int (*item_assigned)(struct store *st, int64_t item_id, int64_t user_id, bool *out,
			     struct buf *err);
	int (*annotation_find)(struct store *st, const struct annotation_key *k, int64_t id,
			       struct annotation *out, struct buf *err);
	int (*annotation_owner)(struct store *st, int64_t id, int64_t *item_id,
				enum annotation_kind *kind, int64_t *user_id, struct buf *err);
	int (*annotation_list)(struct store *st, int64_t item_id, bool with_gold,
			       store_annotation_cb cb, void *ctx, struct buf *err);
	int (*ann_docs)(struct store *st, int64_t project_id, unsigned kinds, int64_t first_item,
			int64_t last_item, store_ann_doc_cb cb, void *ctx, struct buf *err);
	int (*item_docs)(struct store *st, int64_t project_id, unsigned kinds, int64_t after_id,
			 int64_t limit, store_item_doc_cb cb, void *ctx, struct buf *err);
	int (*annotation_save)(struct store *st, const struct annotation_write *w, int64_t *id,
			       int64_t *version, struct buf *err);
	int (*history_list)(struct store *st, int64_t annotation_id, store_history_cb cb,
			    void *ctx, struct buf *err);
	int (*history_get)(struct store *st, int64_t annotation_id, int64_t version, char **body,
			   int64_t *schema_version, struct buf *err);
	int (*job_add)(struct store *st, int64_t project_id, int64_t user_id, const char *kind,
		       const char *params_json, int64_t *id, struct buf *err);
	int (*job_get)(struct store *st, int64_t id, struct job *out, struct buf *err);
	int (*job_list)(struct store *st, int64_t project_id, int64_t limit, store_job_cb cb,
			void *ctx, struct buf *err);
	int (*job_claim)(struct store *st, struct job *out, struct buf *err);
	int (*job_progress)(struct store *st, int64_t id, int64_t done, int64_t total,
			    bool *cancel, struct buf *err);
	int (*job_finish)(struct store *st, int64_t id, enum job_state state,
			  const char *result_json, const char *error, struct buf *err);
	int (*job_cancel)(struct store *st, int64_t id, struct buf *err);
	int (*job_recover)(struct store *st, int max_attempts, int64_t *requeued, int64_t *failed,
			   struct buf *err);
	int (*comment_add)(struct store *st, const struct comment *c, int64_t *id, struct buf *err);
	int (*comment_get)(struct store *st, int64_t id, struct comment *out, struct buf *err);
	int (*comment_list)(struct store *st, int64_t item_id, store_comment_cb cb, void *ctx,
			    struct buf *err);
	int (*comment_resolve)(struct store *st, int64_t id, bool resolved, struct buf *err);
	int (*audit_list)(struct store *st, int64_t project_id, int64_t before_id, int64_t limit,
			  store_audit_cb cb, void *ctx, struct buf *err);
	int (*audit)(struct store *st, int64_t user_id, int64_t project_id, const char *action,
		     const char *target_type, int64_t target_id, const char *detail_json,
		     struct buf *err);
	int (*item_set_meta)(struct store *st, int64_t id, const char *meta_json,
			     const char *split, struct buf *err);
	int (*batch_create)(struct store *st, const struct batch_spec *spec, int64_t **ids,
			    size_t *n, struct buf *err);
	int (*batch_get)(struct store *st, int64_t id, struct batch *out, struct buf *err);
	int (*batch_list)(struct store *st, int64_t project_id, int64_t member_id,
			  store_batch_cb cb, void *ctx, struct buf *err);
	int (*batch_scope)(struct store *st, int64_t batch_id, int64_t *project_id, struct buf *err);
	int (*batch_update)(struct store *st, int64_t id, const struct batch_patch *p,
			    int64_t by_user, struct buf *err);
	int (*batch_assign)(struct store *st, int64_t batch_id, int64_t user_id, const char *role,
			    bool remove, int64_t by_user, struct buf *err);
	int (*batch_members)(struct store *st, int64_t batch_id, store_batch_member_cb cb,
			     void *ctx, struct buf *err);
	int (*queue_next)(struct store *st, const struct queue_req *q, struct queue_pick *out,
			  struct buf *err);
	int (*queue_finish)(struct store *st, int64_t project_id, int64_t item_id, int64_t user_id,
			    const char *state, struct buf *err);
	int (*queue_reclaim)(struct store *st, int64_t now, int64_t *n, struct buf *err);
	int (*item_review_first)(struct store *st, int64_t item_id, double score, int64_t by_user,
				 struct buf *err);
	int (*review_next)(struct store *st, int64_t project_id, int64_t user_id, bool all_batches,
			   struct review_pick *out, struct buf *err);
	int (*review_add)(struct store *st, const struct review_write *w, int64_t *review_id,
			  int64_t *comment_id, struct buf *err);
	int (*batch_signoff)(struct store *st, int64_t batch_id, int64_t by_user, struct buf *err);
	int (*batch_sample)(struct store *st, int64_t batch_id, struct batch_sample *out,
			    struct buf *err);
	int (*review_release)(struct store *st, int64_t project_id, int64_t item_id,
			      int64_t user_id, struct buf *err);
	int (*annotator_stats)(struct store *st, int64_t project_id, store_annotator_stats_cb cb,
			       void *ctx, struct buf *err);
	int (*rejection_reasons)(struct store *st, int64_t project_id, store_reason_cb cb,
				 void *ctx, struct buf *err);
	int (*gold_pairs)(struct store *st, int64_t project_id, store_gold_pair_cb cb, void *ctx,
			  struct buf *err);
};

struct store {
	const struct store_ops *ops;
};

/* Backends. */
int store_sqlite_open(struct store **out, const char *path, int flags, struct buf *err);
/* For tests of migration: opens and migrates only up to `version`. */
int store_sqlite_open_at(struct store **out, const char *path, int flags, int version,
			 struct buf *err);

#endif
