/*
 * api_workflow.c - batches (create, list, change, members, sign-off), the
 * annotator's queue (next, skip, release), review (next, verdict) and the
 * annotator performance table. The rules live in the store's workflow
 * functions and in workflow/perf.c; docs/workflow.md tells the story.
 */
#include <math.h>
#include <sodium.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "workflow/perf.h"
#include "base/banned.h"

#define MAX_BATCH_NAME 200
#define MAX_LIST 1000

static void json_batch(struct buf *out, const struct batch *b)
{
	buf_addf(out, "{\"id\":%lld,\"project\":%lld,\"name\":", (long long)b->id,
		 (long long)b->project_id);
	buf_add_json_str(out, b->name ? b->name : "");
	buf_addf(out, ",\"kind\":\"%s\",\"stage\":\"%s\",\"overlap\":%lld,\"review_sample\":%.6g,"
		 "\"gold_first\":%lld,\"gold_rate\":%.6g,\"reserve_s\":%lld,\"items\":%lld,"
		 "\"open_items\":", b->calibration ? "calibration" : "normal", b->stage,
		 (long long)b->overlap, b->review_sample, (long long)b->gold_first, b->gold_rate,
		 (long long)(b->reserve_ms / 1000), (long long)b->items);
	if (b->open_items >= 0)
		buf_addf(out, "%lld", (long long)b->open_items);
	else
		buf_adds(out, "null");
	buf_addf(out, ",\"reserved\":%lld,\"submitted\":%lld,\"signed_off_by\":", (long long)b->reserved,
		 (long long)b->submitted);
	if (b->signed_off_by)
		buf_addf(out, "%lld,\"signed_off_at\":%lld", (long long)b->signed_off_by,
			 (long long)b->signed_off_at);
	else
		buf_adds(out, "null,\"signed_off_at\":null");
	buf_addf(out, ",\"created_at\":%lld", (long long)b->created_at);
}

struct members_ctx {
	struct buf *out;
	int n;
};

static int add_member(void *ctx, int64_t user_id, const char *name, const char *role)
{
	struct members_ctx *m = ctx;
	buf_addf(m->out, "%s{\"user\":%lld,\"name\":", m->n++ ? "," : "", (long long)user_id);
	buf_add_json_str(m->out, name ? name : "");
	buf_addf(m->out, ",\"role\":\"%s\"}", role);
	return 0;
}

/* Appends one batch with its members as a complete object. */
static int write_batch(struct http_req *req, int64_t id, struct buf *out, struct buf *err)
{
	struct batch b;
	int rc = store_batch_get(req->st, id, &b, err);
	if (rc)
		return rc;
	json_batch(out, &b);
	batch_release(&b);
	/* Where the review sample stands, for the manager's sign-off. */
	struct batch_sample sm;
	if ((rc = store_batch_sample(req->st, id, &sm, err)))
		return rc;
	buf_addf(out, ",\"sample\":{\"size\":%lld,\"accepted\":%lld,\"pending\":%lld,"
		 "\"rejected\":%lld,\"missing\":%lld,\"ready\":%s}", (long long)sm.size,
		 (long long)sm.accepted, (long long)sm.pending, (long long)sm.rejected,
		 (long long)sm.missing, sm.ready ? "true" : "false");
	buf_adds(out, ",\"members\":[");
	struct members_ctx m = {out, 0};
	rc = store_batch_members(req->st, id, add_member, &m, err);
	buf_adds(out, "]}");
	return rc;
}

static int answer_batch(struct http_req *req, struct http_resp *resp, int64_t id, int status)
{
	struct buf err = BUF_INIT;
	buf_setlen(&resp->body, 0);
	buf_adds(&resp->body, "{\"batch\":");
	int rc = write_batch(req, id, &resp->body, &err);
	buf_adds(&resp->body, "}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = status;
	buf_release(&err);
	return rc;
}

/* A number field in [min, max]; absent leaves *out. */
static int json_num(struct http_resp *resp, json_t *obj, const char *key, double min, double max,
		    double *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < min ||
	    json_number_value(v) > max)
		return http_fail(resp, CAIRN_EINVAL, key, "'%s' must be a number from %g to %g", key,
				 min, max);
	*out = json_number_value(v);
	return 0;
}

/* An integer field in [min, max]; absent leaves *out. */
static int json_int(struct http_resp *resp, json_t *obj, const char *key, int64_t min,
		    int64_t max, int64_t *out)
{
	int64_t v = *out;
	int rc = http_json_i64(resp, obj, key, false, &v);
	if (rc)
		return rc;
	json_t *j = json_object_get(obj, key);
	if (!j || json_is_null(j))
		return 0;
	if (v < min || v > max)
		return http_fail(resp, CAIRN_EINVAL, key, "'%s' must be from %lld to %lld", key,
				 (long long)min, (long long)max);
	*out = v;
	return 0;
}

struct list_ctx {
	struct buf *out;
	int n;
};

static int add_batch(void *ctx, const struct batch *b)
{
	struct list_ctx *l = ctx;
	if (l->n++)
		buf_addch(l->out, ',');
	json_batch(l->out, b);
	buf_adds(l->out, "}");
	return 0;
}

int api_batches_list(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct list_ctx l = {&resp->body, 0};
	buf_adds(&resp->body, "{\"batches\":[");
	/* Annotators see the batches they are members of. */
	int rc = store_batch_list(req->st, req->project_id, req->item_restricted ? req->user_id : 0,
				  add_batch, &l, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

/* Reads "annotators" and "reviewers" (arrays of user ids) and applies them. */
static int apply_members(struct http_req *req, struct http_resp *resp, json_t *body,
			 const int64_t *batches, size_t nb, bool remove)
{
	static const char *const keys[] = {"annotators", "reviewers"};
	static const char *const roles[] = {"annotator", "reviewer"};
	for (int k = 0; k < 2; k++) {
		json_t *arr = json_object_get(body, keys[k]);
		if (!arr || json_is_null(arr))
			continue;
		if (!json_is_array(arr) || json_array_size(arr) > MAX_LIST)
			return http_fail(resp, CAIRN_EINVAL, keys[k], "'%s' must be an array of user ids "
					 "(at most %d)", keys[k], MAX_LIST);
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0)
				return http_fail(resp, CAIRN_EINVAL, keys[k], "%s[%zu] must be a user id",
						 keys[k], i);
		}
	}
	struct buf err = BUF_INIT;
	for (int k = 0; k < 2; k++) {
		json_t *arr = json_object_get(body, keys[k]);
		if (!arr || json_is_null(arr))
			continue;
		size_t i;
		json_t *v;
		json_array_foreach(arr, i, v) {
			for (size_t b = 0; b < nb; b++) {
				int rc = store_batch_assign(req->st, batches[b], json_integer_value(v),
							    roles[k], remove, req->user_id, &err);
				if (rc) {
					http_fail(resp, rc, keys[k], "%s", err.data);
					buf_release(&err);
					return rc;
				}
			}
		}
	}
	buf_release(&err);
	return 0;
}

int api_batches_create(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"name", "size", "limit", "status", "kind", "split", "order",
		"seed", "calibration", "overlap", "review_sample", "gold_first", "gold_rate",
		"reserve_s", "annotators", "reviewers", NULL};
	struct batch_spec sp = {
		.project_id = req->project_id, .size = 1000, .status = -1, .kind = -1, .overlap = 1,
		.review_sample = 0.15, .gold_first = 5, .gold_rate = 0.10, .reserve_ms = 1800000,
		.created_by = req->user_id,
	};
	const char *name = NULL, *status = NULL, *kind = NULL, *split = NULL, *order = NULL;
	int64_t seed = 0, reserve_s = 1800;
	bool calibration = false;
	int64_t *ids = NULL;
	size_t nb = 0;
	struct buf err = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "name", true, MAX_BATCH_NAME, &name)) ||
	    (rc = http_json_str(resp, body, "status", false, 32, &status)) ||
	    (rc = http_json_str(resp, body, "kind", false, 32, &kind)) ||
	    (rc = http_json_str(resp, body, "split", false, 16, &split)) ||
	    (rc = http_json_str(resp, body, "order", false, 16, &order)) ||
	    (rc = http_json_bool(resp, body, "calibration", &calibration)) ||
	    (rc = json_int(resp, body, "size", 1, 1000000, &sp.size)) ||
	    (rc = json_int(resp, body, "limit", 0, INT64_MAX, &sp.limit)) ||
	    (rc = json_int(resp, body, "seed", 0, INT64_MAX, &seed)) ||
	    (rc = json_int(resp, body, "overlap", 1, 100, &sp.overlap)) ||
	    (rc = json_num(resp, body, "review_sample", 1e-6, 1, &sp.review_sample)) ||
	    (rc = json_int(resp, body, "gold_first", 0, 1000000, &sp.gold_first)) ||
	    (rc = json_num(resp, body, "gold_rate", 0, 1, &sp.gold_rate)) ||
	    (rc = json_int(resp, body, "reserve_s", 1, 7 * 24 * 3600, &reserve_s)))
		goto out;
	if (!*name) {
		rc = http_fail(resp, CAIRN_EINVAL, "name", "a batch needs a name");
		goto out;
	}
	enum item_status st;
	enum item_kind ik;
	if (status) {
		if (!item_status_parse(status, &st)) {
			rc = http_fail(resp, CAIRN_EINVAL, "status", "'%s' is not an item status", status);
			goto out;
		}
		sp.status = (int)st;
	}
	if (kind) {
		if (!item_kind_parse(kind, &ik)) {
			rc = http_fail(resp, CAIRN_EINVAL, "kind", "'%s' is not an item kind", kind);
			goto out;
		}
		sp.kind = (int)ik;
	}
	if (split && strcmp(split, "train") && strcmp(split, "val") && strcmp(split, "test")) {
		rc = http_fail(resp, CAIRN_EINVAL, "split", "split must be train, val or test");
		goto out;
	}
	if (order && strcmp(order, "id") && strcmp(order, "random")) {
		rc = http_fail(resp, CAIRN_EINVAL, "order", "order must be id or random");
		goto out;
	}
	sp.name = name;
	sp.split = split;
	sp.random_order = order && !strcmp(order, "random");
	sp.seed = (uint64_t)seed;
	sp.calibration = calibration;
	sp.reserve_ms = reserve_s * 1000;
	/* The batches and their members are one transaction: a bad member
	 * leaves no batch behind. */
	if ((rc = store_begin(req->st, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	if ((rc = store_batch_create(req->st, &sp, &ids, &nb, &err))) {
		store_rollback(req->st);
		http_fail(resp, rc, rc == CAIRN_EEXIST ? "name" : NULL, "%s", err.data);
		goto out;
	}
	if ((rc = apply_members(req, resp, body, ids, nb, false))) {
		store_rollback(req->st);
		goto out;
	}
	if ((rc = store_commit(req->st, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	buf_adds(&resp->body, "{\"batches\":[");
	for (size_t i = 0; i < nb && !rc; i++) {
		if (i)
			buf_addch(&resp->body, ',');
		rc = write_batch(req, ids[i], &resp->body, &err);
	}
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 201;
out:
	free(ids);
	json_decref(body);
	buf_release(&err);
	return rc;
}

int api_batches_get(struct http_req *req, struct http_resp *resp)
{
	return answer_batch(req, resp, req->args[0], 200);
}

int api_batches_update(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"name", "stage", "overlap", "review_sample", "gold_first",
		"gold_rate", "reserve_s", NULL};
	struct batch_patch p = {NULL, NULL, -1, -1, -1, -1, -1};
	int64_t reserve_s = -1;
	struct buf err = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "name", false, MAX_BATCH_NAME, &p.name)) ||
	    (rc = http_json_str(resp, body, "stage", false, 16, &p.stage)) ||
	    (rc = json_int(resp, body, "overlap", 1, 100, &p.overlap)) ||
	    (rc = json_num(resp, body, "review_sample", 1e-6, 1, &p.review_sample)) ||
	    (rc = json_int(resp, body, "gold_first", 0, 1000000, &p.gold_first)) ||
	    (rc = json_num(resp, body, "gold_rate", 0, 1, &p.gold_rate)) ||
	    (rc = json_int(resp, body, "reserve_s", 1, 7 * 24 * 3600, &reserve_s)))
		goto out;
	if (p.name && !*p.name) {
		rc = http_fail(resp, CAIRN_EINVAL, "name", "a batch needs a name");
		goto out;
	}
	if (reserve_s > 0)
		p.reserve_ms = reserve_s * 1000;
	if ((rc = store_batch_update(req->st, req->args[0], &p, req->user_id, &err))) {
		http_fail(resp, rc, rc == CAIRN_EINVAL && p.stage ? "stage" : NULL, "%s", err.data);
		goto out;
	}
	rc = answer_batch(req, resp, req->args[0], 200);
out:
	json_decref(body);
	buf_release(&err);
	return rc;
}

int api_batches_assign(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"annotators", "reviewers", "remove", NULL};
	bool remove = false;
	int64_t id = req->args[0];
	struct buf err = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_bool(resp, body, "remove", &remove)))
		goto out;
	/* All the members change, or none. */
	if ((rc = store_begin(req->st, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	if ((rc = apply_members(req, resp, body, &id, 1, remove))) {
		store_rollback(req->st);
		goto out;
	}
	if ((rc = store_commit(req->st, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	rc = answer_batch(req, resp, id, 200);
out:
	json_decref(body);
	buf_release(&err);
	return rc;
}

int api_batches_signoff(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	int rc = store_batch_signoff(req->st, req->args[0], req->user_id, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_release(&err);
	return answer_batch(req, resp, req->args[0], 200);
}

/* The item as GET /items/{id} shows it, with the routed batch. */
static int write_item(struct http_req *req, int64_t item_id, int64_t batch_id, struct buf *out,
		      struct buf *err)
{
	struct item it;
	int rc = store_item_get(req->st, item_id, &it, err);
	if (rc)
		return rc;
	/* A gold item keeps no batch of its own; showing the one it was
	 * routed through keeps it indistinguishable. */
	it.batch_id = batch_id;
	api_json_item(out, &it);
	item_release(&it);
	return 0;
}

int api_queue_next(struct http_req *req, struct http_resp *resp)
{
	struct queue_req q = {
		.project_id = req->project_id,
		.user_id = req->user_id,
		.roll = (double)randombytes_uniform(1000000) / 1e6,
	};
	struct queue_pick pick;
	struct buf err = BUF_INIT;
	int rc = store_queue_next(req->st, &q, &pick, &err);
	if (rc == CAIRN_ENOTFOUND) {
		buf_release(&err);
		resp->status = 204;
		return 0;
	}
	if (rc)
		goto fail;
	buf_adds(&resp->body, "{\"item\":");
	if ((rc = write_item(req, pick.item_id, pick.batch_id, &resp->body, &err)))
		goto fail;
	/* Annotators are never told an item is gold. */
	const char *reason = pick.is_gold && !strcmp(pick.reason, "gold") ? "batch" : pick.reason;
	buf_addf(&resp->body, ",\"batch\":%lld,\"reason\":\"%s\",\"expires_at\":",
		 (long long)pick.batch_id, reason);
	if (pick.expires_at)
		buf_addf(&resp->body, "%lld", (long long)pick.expires_at);
	else
		buf_adds(&resp->body, "null");
	if (!strcmp(pick.reason, "rejected")) {
		/* What the reviewer said, pinned where they pinned it. */
		buf_adds(&resp->body, ",\"comments\":[");
		if ((rc = api_comments_json(req, pick.item_id, &resp->body, &err)))
			goto fail;
		buf_adds(&resp->body, "]");
	}
	buf_adds(&resp->body, "}");
	buf_release(&err);
	resp->status = 200;
	return 0;
fail:
	buf_setlen(&resp->body, 0);
	api_store_fail(resp, rc, &err);
	buf_release(&err);
	return rc;
}

static int queue_finish(struct http_req *req, struct http_resp *resp, const char *state)
{
	struct buf err = BUF_INIT;
	int rc = store_queue_finish(req->st, req->project_id, req->args[1], req->user_id, state, &err);
	if (rc)
		api_store_fail(resp, rc, &err);
	else {
		buf_addf(&resp->body, "{\"item\":%lld,\"state\":\"%s\"}", (long long)req->args[1], state);
		resp->status = 200;
	}
	buf_release(&err);
	return rc;
}

int api_queue_skip(struct http_req *req, struct http_resp *resp)
{
	return queue_finish(req, resp, "skipped");
}

int api_queue_release(struct http_req *req, struct http_resp *resp)
{
	return queue_finish(req, resp, "released");
}

int api_review_next(struct http_req *req, struct http_resp *resp)
{
	struct review_pick pick;
	struct buf err = BUF_INIT;
	/* Managers review any batch; reviewers the batches they are assigned. */
	bool all = req->is_admin || req->role >= ROLE_MANAGER;
	int rc = store_review_next(req->st, req->project_id, req->user_id, all, &pick, &err);
	if (rc == CAIRN_ENOTFOUND) {
		buf_release(&err);
		resp->status = 204;
		return 0;
	}
	if (!rc) {
		buf_adds(&resp->body, "{\"item\":");
		rc = write_item(req, pick.item_id, pick.batch_id, &resp->body, &err);
	}
	if (rc) {
		buf_setlen(&resp->body, 0);
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_addf(&resp->body, ",\"batch\":%lld,\"annotation\":{\"id\":%lld,\"user\":%lld,"
		 "\"version\":%lld},\"reason\":\"%s\",\"low_agreement\":%s,\"expires_at\":%lld}",
		 (long long)pick.batch_id, (long long)pick.annotation_id,
		 (long long)pick.annotator_id, (long long)pick.version,
		 pick.low_agreement ? "low_agreement" : "sample",
		 pick.low_agreement ? "true" : "false", (long long)pick.expires_at);
	buf_release(&err);
	resp->status = 200;
	return 0;
}

int api_review_release(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	int rc = store_review_release(req->st, req->project_id, req->args[1], req->user_id, &err);
	if (rc)
		api_store_fail(resp, rc, &err);
	else {
		buf_addf(&resp->body, "{\"item\":%lld,\"state\":\"released\"}", (long long)req->args[1]);
		resp->status = 200;
	}
	buf_release(&err);
	return rc;
}

int api_review_create(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"verdict", "comment", "reason", "annotation", "object",
		"point", "frame", NULL};
	struct review_write w = {
		.project_id = req->project_id, .item_id = req->args[0], .reviewer_id = req->user_id,
		.frame = -1,
	};
	const char *verdict;
	struct buf err = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "verdict", true, 16, &verdict)) ||
	    (rc = http_json_str(resp, body, "comment", false, 10000, &w.comment)) ||
	    (rc = http_json_str(resp, body, "reason", false, 100, &w.reason)) ||
	    (rc = http_json_str(resp, body, "object", false, 64, &w.object_uid)) ||
	    (rc = http_json_i64(resp, body, "annotation", false, &w.annotation_id)) ||
	    (rc = http_json_i64(resp, body, "frame", false, &w.frame)))
		goto out;
	if (strcmp(verdict, "accept") && strcmp(verdict, "reject")) {
		rc = http_fail(resp, CAIRN_EINVAL, "verdict", "verdict must be accept or reject");
		goto out;
	}
	w.accept = !strcmp(verdict, "accept");
	if (json_object_get(body, "frame") && w.frame < 0) {
		rc = http_fail(resp, CAIRN_EINVAL, "frame", "'frame' must be 0 or more");
		goto out;
	}
	json_t *pt = json_object_get(body, "point");
	if (pt && !json_is_null(pt)) {
		if (!json_is_array(pt) || json_array_size(pt) != 2 ||
		    !json_is_number(json_array_get(pt, 0)) || !json_is_number(json_array_get(pt, 1))) {
			rc = http_fail(resp, CAIRN_EINVAL, "point", "'point' must be [x, y]");
			goto out;
		}
		w.has_point = true;
		w.x = json_number_value(json_array_get(pt, 0));
		w.y = json_number_value(json_array_get(pt, 1));
		if (!isfinite(w.x) || !isfinite(w.y) || fabs(w.x) > 1e9 || fabs(w.y) > 1e9) {
			rc = http_fail(resp, CAIRN_EINVAL, "point", "'point' must be finite pixel coordinates");
			goto out;
		}
	}
	if (w.reason && !*w.reason)
		w.reason = NULL;
	int64_t rid = 0, cid = 0;
	if ((rc = store_review_add(req->st, &w, &rid, &cid, &err))) {
		const char *field = rc == CAIRN_EINVAL
			? (!strncmp(err.data, "comment", 7) ? "comment" : "annotation") : NULL;
		http_fail(resp, rc, field, "%s", err.data);
		goto out;
	}
	buf_addf(&resp->body, "{\"review\":{\"id\":%lld,\"item\":%lld,\"verdict\":\"%s\",\"comment\":",
		 (long long)rid, (long long)w.item_id, verdict);
	if (cid)
		buf_addf(&resp->body, "%lld}}", (long long)cid);
	else
		buf_adds(&resp->body, "null}}");
	resp->status = 201;
out:
	json_decref(body);
	buf_release(&err);
	return rc;
}

int api_stats_annotators(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	/* Reviewers and managers see every annotator; an annotator sees their own row. */
	int64_t only = req->role < ROLE_REVIEWER && !req->is_admin ? req->user_id : 0;
	int rc = perf_annotators_json_for(req->st, req->project_id, only, &resp->body, &err);
	if (rc) {
		buf_setlen(&resp->body, 0);
		api_store_fail(resp, rc, &err);
	} else {
		resp->status = 200;
	}
	buf_release(&err);
	return rc;
}
