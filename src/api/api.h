/*
 * api.h - the REST API's handlers, one file per resource (api_*.c), and
 * the JSON shapes they share. A handler parses, relies on the central
 * authorization already done (http_auth.c), calls the store or a service,
 * and serialises. No SQL and no business rules here.
 */
#ifndef CAIRN_API_H
#define CAIRN_API_H

#include "http/http.h"
#include "store/store.h"

/* api_auth.c */
int api_login(struct http_req *req, struct http_resp *resp);
int api_logout(struct http_req *req, struct http_resp *resp);
int api_me(struct http_req *req, struct http_resp *resp);
int api_password(struct http_req *req, struct http_resp *resp);
int api_tokens_list(struct http_req *req, struct http_resp *resp);
int api_tokens_create(struct http_req *req, struct http_resp *resp);
int api_tokens_delete(struct http_req *req, struct http_resp *resp);

/* api_users.c */
int api_users_list(struct http_req *req, struct http_resp *resp);
int api_users_create(struct http_req *req, struct http_resp *resp);
int api_users_update(struct http_req *req, struct http_resp *resp);

/* api_projects.c */
int api_projects_list(struct http_req *req, struct http_resp *resp);
int api_projects_create(struct http_req *req, struct http_resp *resp);
int api_projects_get(struct http_req *req, struct http_resp *resp);
int api_schema_get(struct http_req *req, struct http_resp *resp);
int api_schema_put(struct http_req *req, struct http_resp *resp);
int api_schema_validate(struct http_req *req, struct http_resp *resp);
int api_schema_versions(struct http_req *req, struct http_resp *resp);
int api_members_list(struct http_req *req, struct http_resp *resp);
int api_members_put(struct http_req *req, struct http_resp *resp);
int api_members_delete(struct http_req *req, struct http_resp *resp);

/* api_items.c */
int api_items_list(struct http_req *req, struct http_resp *resp);
int api_items_count(struct http_req *req, struct http_resp *resp);
int api_items_get(struct http_req *req, struct http_resp *resp);
int api_media_original(struct http_req *req, struct http_resp *resp);

/* api_annotations.c */
int api_ann_list(struct http_req *req, struct http_resp *resp);
int api_ann_mine_get(struct http_req *req, struct http_resp *resp);
int api_ann_mine_put(struct http_req *req, struct http_resp *resp);
int api_ann_gold_get(struct http_req *req, struct http_resp *resp);
int api_ann_gold_put(struct http_req *req, struct http_resp *resp);
int api_prediction_get(struct http_req *req, struct http_resp *resp);
int api_prediction_put(struct http_req *req, struct http_resp *resp);
int api_ann_get(struct http_req *req, struct http_resp *resp);
int api_ann_history(struct http_req *req, struct http_resp *resp);
int api_ann_version(struct http_req *req, struct http_resp *resp);
int api_ann_diff(struct http_req *req, struct http_resp *resp);

/* api_jobs.c */
/* Starts a background job of `kind` for the request's project: the body
 * (or {}) is checked by `check`, queued, audited as `audit_action`, and
 * answered 202 with the whole job. */
int api_job_start(struct http_req *req, struct http_resp *resp, const char *kind,
		  int (*check)(const char *params_json, struct buf *err), const char *audit_action);
int api_exports_create(struct http_req *req, struct http_resp *resp);
int api_imports_create(struct http_req *req, struct http_resp *resp);
int api_jobs_list(struct http_req *req, struct http_resp *resp);
int api_jobs_get(struct http_req *req, struct http_resp *resp);
int api_jobs_cancel(struct http_req *req, struct http_resp *resp);
int api_jobs_download(struct http_req *req, struct http_resp *resp);

/* api_comments.c */
int api_comments_list(struct http_req *req, struct http_resp *resp);
int api_comments_create(struct http_req *req, struct http_resp *resp);
int api_comments_resolve(struct http_req *req, struct http_resp *resp);
int api_audit_all(struct http_req *req, struct http_resp *resp);
int api_audit_project(struct http_req *req, struct http_resp *resp);

/* api_workflow.c */
int api_batches_list(struct http_req *req, struct http_resp *resp);
int api_batches_create(struct http_req *req, struct http_resp *resp);
int api_batches_get(struct http_req *req, struct http_resp *resp);
int api_batches_update(struct http_req *req, struct http_resp *resp);
int api_batches_assign(struct http_req *req, struct http_resp *resp);
int api_batches_signoff(struct http_req *req, struct http_resp *resp);
int api_queue_next(struct http_req *req, struct http_resp *resp);
int api_queue_skip(struct http_req *req, struct http_resp *resp);
int api_queue_release(struct http_req *req, struct http_resp *resp);
int api_review_release(struct http_req *req, struct http_resp *resp);
int api_review_next(struct http_req *req, struct http_resp *resp);
int api_review_create(struct http_req *req, struct http_resp *resp);
int api_stats_annotators(struct http_req *req, struct http_resp *resp);

/* api_quality.c */
int api_quality_agreement(struct http_req *req, struct http_resp *resp);
int api_quality_confusion(struct http_req *req, struct http_resp *resp);
int api_quality_checks(struct http_req *req, struct http_resp *resp);
int api_quality_progress(struct http_req *req, struct http_resp *resp);
int api_quality_classes(struct http_req *req, struct http_resp *resp);
int api_quality_checks_start(struct http_req *req, struct http_resp *resp);
int api_quality_checks_job(struct http_req *req, struct http_resp *resp);
int api_quality_consensus(struct http_req *req, struct http_resp *resp);

/* api_media.c */
int api_media_thumbnail(struct http_req *req, struct http_resp *resp);
int api_media_tiles(struct http_req *req, struct http_resp *resp);
int api_media_tile(struct http_req *req, struct http_resp *resp);
int api_media_upload(struct http_req *req, struct http_resp *resp);

/* api_meta.c */
int api_health(struct http_req *req, struct http_resp *resp);
int api_openapi(struct http_req *req, struct http_resp *resp);

/* Shared JSON writers (append one object to out). */
void api_json_user(struct buf *out, const struct user *u);
void api_json_project(struct buf *out, const struct project *p);
void api_json_item(struct buf *out, const struct item *it);
void api_json_comment(struct buf *out, const struct comment *c);
/* Appends the item's comments that req may read (an annotator: only
 * those about their own work), comma-separated, in order. */
int api_comments_json(struct http_req *req, int64_t item_id, struct buf *out, struct buf *err);

/* Appends the non-empty lines of `lines` as JSON strings separated by commas
 * (the caller writes the brackets). */
void api_json_lines(struct buf *out, const char *lines);

/* Maps a store error to the response (status from the error table). */
int api_store_fail(struct http_resp *resp, int rc, const struct buf *err);

#endif
