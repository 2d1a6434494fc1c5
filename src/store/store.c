/*
 * store.c - dispatch from the store.h API to the backend's ops table, and
 * the choice of backend from the path.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/banned.h"

int store_open(struct store **out, const char *path, int flags, struct buf *err)
{
	*out = NULL;
	if (!strncmp(path, "postgres://", 11) || !strncmp(path, "postgresql://", 13)) {
		buf_setf(err, "store: the postgresql backend is not built yet");
		return CAIRN_EUNSUPPORTED;
	}
	return store_sqlite_open(out, path, flags, err);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

int store_db_version(struct store *st) { return st->ops->db_version(st); }
int store_backup(struct store *st, const char *dest, struct buf *err) { return st->ops->backup(st, dest, err); }
int store_check(struct store *st, struct buf *err) { return st->ops->check(st, err); }
int store_begin(struct store *st, struct buf *err) { return st->ops->begin(st, err); }
int store_commit(struct store *st, struct buf *err) { return st->ops->commit(st, err); }
void store_rollback(struct store *st) { st->ops->rollback(st); }
int store_bulk_begin(struct store *st, struct buf *err) { return st->ops->bulk_begin(st, err); }
int store_bulk_end(struct store *st, struct buf *err) { return st->ops->bulk_end(st, err); }
void store_snapshot_begin(struct store *st) { st->ops->snapshot(st, true); }
void store_snapshot_end(struct store *st) { st->ops->snapshot(st, false); }

int store_meta_get(struct store *st, const char *key, char **value, struct buf *err)
{
	return st->ops->meta_get(st, key, value, err);
}

int store_meta_set(struct store *st, const char *key, const char *value, struct buf *err)
{
	return st->ops->meta_set(st, key, value, err);
}

int store_user_add(struct store *st, const char *name, const char *password_hash,
		   bool is_admin, int64_t *id, struct buf *err)
{
	return st->ops->user_add(st, name, password_hash, is_admin, id, err);
}

int store_user_get(struct store *st, const char *name, struct user *out,
		   char **password_hash, struct buf *err)
{
	return st->ops->user_get(st, name, 0, out, password_hash, err);
}

int store_user_get_id(struct store *st, int64_t id, struct user *out, struct buf *err)
{
	return st->ops->user_get(st, NULL, id, out, NULL, err);
}

int store_user_set_password(struct store *st, int64_t id, const char *password_hash,
			    struct buf *err)
{
	return st->ops->user_set_password(st, id, password_hash, err);
}

int store_user_list(struct store *st, store_user_cb cb, void *ctx, struct buf *err)
{
	return st->ops->user_list(st, cb, ctx, err);
}

int store_project_create(struct store *st, const char *name, const char *description,
			 int64_t created_by, const char *schema_json, int64_t *id,
			 struct buf *err)
{
	return st->ops->project_create(st, name, description, created_by, schema_json, id, err);
}

int store_project_get(struct store *st, const char *name, struct project *out,
		      struct buf *err)
{
	return st->ops->project_get(st, name, 0, out, err);
}

int store_project_get_id(struct store *st, int64_t id, struct project *out, struct buf *err)
{
	return st->ops->project_get(st, NULL, id, out, err);
}

int store_project_list(struct store *st, int64_t user_id, store_project_cb cb, void *ctx,
		       struct buf *err)
{
	return st->ops->project_list(st, user_id, cb, ctx, err);
}

int store_member_remove(struct store *st, int64_t project_id, int64_t user_id, struct buf *err)
{
	return st->ops->member_remove(st, project_id, user_id, err);
}

int store_member_list(struct store *st, int64_t project_id, store_member_cb cb, void *ctx,
		      struct buf *err)
{
	return st->ops->member_list(st, project_id, cb, ctx, err);
}

int store_user_update(struct store *st, int64_t id, int is_admin, int is_active,
		      struct buf *err)
{
	return st->ops->user_update(st, id, is_admin, is_active, err);
}

int store_item_query(struct store *st, const struct item_query *q, store_item_cb cb,
		     void *ctx, struct buf *err)
{
	return st->ops->item_query(st, q, cb, ctx, err);
}

int store_item_count(struct store *st, const struct item_query *q, int64_t *count,
		     struct buf *err)
{
	return st->ops->item_count(st, q, count, err);
}

int store_member_set(struct store *st, int64_t project_id, int64_t user_id, enum role role,
		     struct buf *err)
{
	return st->ops->member_set(st, project_id, user_id, role, err);
}

int store_member_get(struct store *st, int64_t project_id, int64_t user_id, enum role *role,
		     struct buf *err)
{
	return st->ops->member_get(st, project_id, user_id, role, err);
}

int store_schema_put(struct store *st, int64_t project_id, const char *schema_json,
		     int64_t user_id, const char *message, int64_t *version, struct buf *err)
{
	return st->ops->schema_put(st, project_id, schema_json, user_id, message, version, err);
}

int store_schema_get(struct store *st, int64_t project_id, int64_t version,
		     char **schema_json, int64_t *version_out, struct buf *err)
{
	return st->ops->schema_get(st, project_id, version, schema_json, version_out, err);
}

int store_schema_list(struct store *st, int64_t project_id, store_schema_version_cb cb,
		      void *ctx, struct buf *err)
{
	return st->ops->schema_list(st, project_id, cb, ctx, err);
}

int store_label_id(struct store *st, int64_t project_id, const char *name, int64_t *label_id,
		   struct buf *err)
{
	return st->ops->label_id(st, project_id, name, label_id, err);
}

int store_item_add(struct store *st, const struct item *it, int64_t *id, struct buf *err)
{
	return st->ops->item_add(st, it, id, err);
}

int store_item_get(struct store *st, int64_t id, struct item *out, struct buf *err)
{
	return st->ops->item_get(st, id, out, err);
}

int store_item_find_hash(struct store *st, int64_t project_id, const char *hash, int64_t *id,
			 struct buf *err)
{
	return st->ops->item_find_hash(st, project_id, hash, id, err);
}

int store_item_phashes(struct store *st, int64_t project_id, store_phash_cb cb, void *ctx,
		       struct buf *err)
{
	return st->ops->item_phashes(st, project_id, cb, ctx, err);
}

int store_item_list(struct store *st, int64_t project_id, int64_t after_id, int64_t limit,
		    store_item_cb cb, void *ctx, struct buf *err)
{
	return st->ops->item_list(st, project_id, after_id, limit, cb, ctx, err);
}

int store_project_stats(struct store *st, int64_t project_id, struct project_stats *out,
			struct buf *err)
{
	return st->ops->project_stats(st, project_id, out, err);
}

int store_label_counts(struct store *st, int64_t project_id, store_label_count_cb cb,
		       void *ctx, struct buf *err)
{
	return st->ops->label_counts(st, project_id, cb, ctx, err);
}

int store_audit(struct store *st, int64_t user_id, int64_t project_id, const char *action,
		const char *target_type, int64_t target_id, const char *detail_json,
		struct buf *err)
{
	return st->ops->audit(st, user_id, project_id, action, target_type, target_id,
			      detail_json, err);
}

int store_token_add(struct store *st, int64_t user_id, bool is_session, const char *name,
		    const unsigned char hash[32], const char *csrf, int64_t expires_at,
		    int64_t *id, struct buf *err)
{
	return st->ops->token_add(st, user_id, is_session, name, hash, csrf, expires_at, id, err);
}

int store_token_find(struct store *st, const unsigned char hash[32], struct token *out,
		     struct buf *err)
{
	return st->ops->token_find(st, hash, out, err);
}

int store_token_touch(struct store *st, int64_t id, int64_t now, int64_t expires_at,
		      struct buf *err)
{
	return st->ops->token_touch(st, id, now, expires_at, err);
}

int store_token_revoke(struct store *st, int64_t id, int64_t user_id, struct buf *err)
{
	return st->ops->token_revoke(st, id, user_id, err);
}

int store_token_list(struct store *st, int64_t user_id, store_token_cb cb, void *ctx,
		     struct buf *err)
{
	return st->ops->token_list(st, user_id, cb, ctx, err);
}

int store_item_scope(struct store *st, int64_t item_id, int64_t *project_id, struct buf *err)
{
	return st->ops->item_scope(st, item_id, project_id, err);
}

int store_item_assigned(struct store *st, int64_t item_id, int64_t user_id, bool *out,
			struct buf *err)
{
	return st->ops->item_assigned(st, item_id, user_id, out, err);
}

int store_annotation_find(struct store *st, const struct annotation_key *k,
			  struct annotation *out, struct buf *err)
{
	return st->ops->annotation_find(st, k, 0, out, err);
}

int store_annotation_get(struct store *st, int64_t id, struct annotation *out, struct buf *err)
{
	return st->ops->annotation_find(st, NULL, id, out, err);
}

int store_annotation_list(struct store *st, int64_t item_id, bool with_gold,
			  store_annotation_cb cb, void *ctx, struct buf *err)
{
	return st->ops->annotation_list(st, item_id, with_gold, cb, ctx, err);
}

int store_ann_docs(struct store *st, int64_t project_id, unsigned kinds, int64_t first_item,
		   int64_t last_item, store_ann_doc_cb cb, void *ctx, struct buf *err)
{
	return st->ops->ann_docs(st, project_id, kinds, first_item, last_item, cb, ctx, err);
}

int store_item_docs(struct store *st, int64_t project_id, unsigned kinds, int64_t after_id,
		    int64_t limit, store_item_doc_cb cb, void *ctx, struct buf *err)
{
	return st->ops->item_docs(st, project_id, kinds, after_id, limit, cb, ctx, err);
}

int store_annotation_save(struct store *st, const struct annotation_write *w, int64_t *id,
			  int64_t *version, struct buf *err)
{
	return st->ops->annotation_save(st, w, id, version, err);
}

int store_history_list(struct store *st, int64_t annotation_id, store_history_cb cb, void *ctx,
		       struct buf *err)
{
	return st->ops->history_list(st, annotation_id, cb, ctx, err);
}

int store_history_get(struct store *st, int64_t annotation_id, int64_t version, char **body,
		      int64_t *schema_version, struct buf *err)
{
	return st->ops->history_get(st, annotation_id, version, body, schema_version, err);
}

int store_annotation_owner(struct store *st, int64_t id, int64_t *item_id,
			   enum annotation_kind *kind, int64_t *user_id, struct buf *err)
{
	return st->ops->annotation_owner(st, id, item_id, kind, user_id, err);
}

int store_job_add(struct store *st, int64_t project_id, int64_t user_id, const char *kind,
		  const char *params_json, int64_t *id, struct buf *err)
{
	return st->ops->job_add(st, project_id, user_id, kind, params_json, id, err);
}

int store_job_get(struct store *st, int64_t id, struct job *out, struct buf *err)
{
	return st->ops->job_get(st, id, out, err);
}

int store_job_list(struct store *st, int64_t project_id, int64_t limit, store_job_cb cb,
		   void *ctx, struct buf *err)
{
	return st->ops->job_list(st, project_id, limit, cb, ctx, err);
}

int store_job_claim(struct store *st, struct job *out, struct buf *err)
{
	return st->ops->job_claim(st, out, err);
}

int store_job_progress(struct store *st, int64_t id, int64_t done, int64_t total, bool *cancel,
		       struct buf *err)
{
	return st->ops->job_progress(st, id, done, total, cancel, err);
}

int store_job_finish(struct store *st, int64_t id, enum job_state state, const char *result_json,
		     const char *error, struct buf *err)
{
	return st->ops->job_finish(st, id, state, result_json, error, err);
}

int store_job_cancel(struct store *st, int64_t id, struct buf *err)
{
	return st->ops->job_cancel(st, id, err);
}

int store_job_recover(struct store *st, int max_attempts, int64_t *requeued, int64_t *failed,
		      struct buf *err)
{
	return st->ops->job_recover(st, max_attempts, requeued, failed, err);
}

int store_comment_add(struct store *st, const struct comment *c, int64_t *id, struct buf *err)
{
	return st->ops->comment_add(st, c, id, err);
}

int store_comment_get(struct store *st, int64_t id, struct comment *out, struct buf *err)
{
	return st->ops->comment_get(st, id, out, err);
}

int store_comment_list(struct store *st, int64_t item_id, store_comment_cb cb, void *ctx,
		       struct buf *err)
{
	return st->ops->comment_list(st, item_id, cb, ctx, err);
}

int store_comment_resolve(struct store *st, int64_t id, bool resolved, struct buf *err)
{
	return st->ops->comment_resolve(st, id, resolved, err);
}

int store_audit_list(struct store *st, int64_t project_id, int64_t before_id, int64_t limit,
		     store_audit_cb cb, void *ctx, struct buf *err)
{
	return st->ops->audit_list(st, project_id, before_id, limit, cb, ctx, err);
}

int store_item_set_meta(struct store *st, int64_t id, const char *meta_json, const char *split,
			struct buf *err)
{
	return st->ops->item_set_meta(st, id, meta_json, split, err);
}

int store_project_delete(struct store *st, int64_t id, struct buf *err)
{
	return st->ops->project_delete(st, id, err);
}

/* ---- workflow ---- */

int store_batch_create(struct store *st, const struct batch_spec *spec, int64_t **ids,
		       size_t *n, struct buf *err)
{
	return st->ops->batch_create(st, spec, ids, n, err);
}

int store_batch_get(struct store *st, int64_t id, struct batch *out, struct buf *err)
{
	return st->ops->batch_get(st, id, out, err);
}

int store_batch_list(struct store *st, int64_t project_id, int64_t member_id,
		     store_batch_cb cb, void *ctx, struct buf *err)
{
	return st->ops->batch_list(st, project_id, member_id, cb, ctx, err);
}

int store_batch_scope(struct store *st, int64_t batch_id, int64_t *project_id, struct buf *err)
{
	return st->ops->batch_scope(st, batch_id, project_id, err);
}

int store_batch_update(struct store *st, int64_t id, const struct batch_patch *p,
		       int64_t by_user, struct buf *err)
{
	return st->ops->batch_update(st, id, p, by_user, err);
}

int store_batch_assign(struct store *st, int64_t batch_id, int64_t user_id, const char *role,
		       bool remove, int64_t by_user, struct buf *err)
{
	return st->ops->batch_assign(st, batch_id, user_id, role, remove, by_user, err);
}

int store_batch_members(struct store *st, int64_t batch_id, store_batch_member_cb cb, void *ctx,
			struct buf *err)
{
	return st->ops->batch_members(st, batch_id, cb, ctx, err);
}

int store_queue_next(struct store *st, const struct queue_req *q, struct queue_pick *out,
		     struct buf *err)
{
	return st->ops->queue_next(st, q, out, err);
}

int store_queue_finish(struct store *st, int64_t project_id, int64_t item_id, int64_t user_id,
		       const char *state, struct buf *err)
{
	return st->ops->queue_finish(st, project_id, item_id, user_id, state, err);
}

int store_queue_reclaim(struct store *st, int64_t now, int64_t *n, struct buf *err)
{
	return st->ops->queue_reclaim(st, now, n, err);
}

int store_item_review_first(struct store *st, int64_t item_id, double score, int64_t by_user,
			    struct buf *err)
{
	return st->ops->item_review_first(st, item_id, score, by_user, err);
}

int store_review_next(struct store *st, int64_t project_id, int64_t user_id, bool all_batches,
		      struct review_pick *out, struct buf *err)
{
	return st->ops->review_next(st, project_id, user_id, all_batches, out, err);
}

int store_review_add(struct store *st, const struct review_write *w, int64_t *review_id,
		     int64_t *comment_id, struct buf *err)
{
	return st->ops->review_add(st, w, review_id, comment_id, err);
}

int store_batch_signoff(struct store *st, int64_t batch_id, int64_t by_user, struct buf *err)
{
	return st->ops->batch_signoff(st, batch_id, by_user, err);
}

int store_batch_sample(struct store *st, int64_t batch_id, struct batch_sample *out,
		       struct buf *err)
{
	return st->ops->batch_sample(st, batch_id, out, err);
}

int store_review_release(struct store *st, int64_t project_id, int64_t item_id, int64_t user_id,
			 struct buf *err)
{
	return st->ops->review_release(st, project_id, item_id, user_id, err);
}

int store_annotator_stats(struct store *st, int64_t project_id, store_annotator_stats_cb cb,
			  void *ctx, struct buf *err)
{
	return st->ops->annotator_stats(st, project_id, cb, ctx, err);
}

int store_rejection_reasons(struct store *st, int64_t project_id, store_reason_cb cb, void *ctx,
			    struct buf *err)
{
	return st->ops->rejection_reasons(st, project_id, cb, ctx, err);
}

int store_gold_pairs(struct store *st, int64_t project_id, store_gold_pair_cb cb, void *ctx,
		     struct buf *err)
{
	return st->ops->gold_pairs(st, project_id, cb, ctx, err);
}

void batch_release(struct batch *b)
{
	if (!b)
		return;
	free(b->name);
	b->name = NULL;
}
