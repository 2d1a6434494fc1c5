/*
 * api_annotations.c - an item's annotations: mine (manual), gold,
 * predictions by model; GET the current document, PUT a new version with
 * If-Match on the version (409 with the current state when someone saved
 * first); history, one version, and the diff of two.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "workflow/ann_service.h"
#include "base/banned.h"

#define MAX_SOURCE 64

/* Writes {"annotation": {...meta}, "document": {...}} for a or version 0. */
static void write_current(struct buf *out, const struct annotation *a)
{
	if (!a) {
		buf_adds(out, "{\"annotation\":null,\"version\":0,\"document\":null}");
		return;
	}
	buf_addf(out, "{\"annotation\":{\"id\":%lld,\"item\":%lld,\"kind\":\"%s\",\"user\":",
		 (long long)a->id, (long long)a->item_id, annotation_kind_name(a->kind));
	if (a->user_id)
		buf_addf(out, "%lld", (long long)a->user_id);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"source\":");
	buf_add_json_str(out, a->source ? a->source : "");
	buf_adds(out, ",\"status\":");
	buf_add_json_str(out, a->status ? a->status : "draft");
	buf_addf(out, ",\"version\":%lld,\"schema_version\":%lld,\"lead_time_ms\":%lld,"
		 "\"created_at\":%lld,\"updated_at\":%lld,\"updated_by\":%lld},\"version\":%lld,"
		 "\"document\":", (long long)a->version, (long long)a->schema_version,
		 (long long)a->lead_time_ms, (long long)a->created_at, (long long)a->updated_at,
		 (long long)a->updated_by, (long long)a->version);
	/* Not through %s: vsnprintf into a too-small buffer first (buf_addf's
	 * first try) crawls byte by byte, and took half the server's CPU on a
	 * 34 KB document (bench/server.sh). */
	buf_adds(out, a->body ? a->body : "null");
	buf_addch(out, '}');
}

static void set_version_etag(struct http_req *req, struct http_resp *resp, int64_t v)
{
	resp->etag = arena_printf(&req->arena, "\"%lld\"", (long long)v);
}

/* The key an endpoint names: mine, gold, or predictions/{name}. */
static int key_of(struct http_req *req, struct http_resp *resp, enum annotation_kind kind,
		  struct annotation_key *k)
{
	memset(k, 0, sizeof(*k));
	k->item_id = req->args[0];
	k->kind = kind;
	k->source = "";
	if (kind == ANN_MANUAL)
		k->user_id = req->user_id;
	if (kind == ANN_PREDICTION) {
		const char *name = req->sargs[1];
		size_t n = strlen(name);
		/* No leading '.': ".." and "." are never names (they may become
		 * file names in exports). */
		if (n == 0 || n > MAX_SOURCE || name[0] == '.' ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
			return http_fail(resp, CAIRN_EINVAL, "name",
					 "a model name is 1-%d characters of letters, digits, '.', '_', '-', "
					 "not starting with '.'", MAX_SOURCE);
		k->source = name;
	}
	return 0;
}

static int get_by_key(struct http_req *req, struct http_resp *resp, enum annotation_kind kind)
{
	struct annotation_key k;
	int rc = key_of(req, resp, kind, &k);
	if (rc)
		return rc;
	struct annotation a;
	struct buf err = BUF_INIT;
	rc = store_annotation_find(req->st, &k, &a, &err);
	if (rc == CAIRN_ENOTFOUND) {
		write_current(&resp->body, NULL);
		set_version_etag(req, resp, 0);
		rc = 0;
	} else if (rc) {
		api_store_fail(resp, rc, &err);
	} else {
		write_current(&resp->body, &a);
		set_version_etag(req, resp, a.version);
		annotation_release(&a);
	}
	buf_release(&err);
	if (!rc)
		resp->status = 200;
	return rc;
}

/* Reads If-Match: "N", N or W/"N". */
static int expected_version(struct http_req *req, struct http_resp *resp, int64_t *out)
{
	const char *im = http_header(req, "If-Match");
	if (!im)
		return http_fail_status(resp, 428, "precondition_required", "If-Match",
					"a save needs If-Match with the version it replaces "
					"(\"0\" for a new annotation), so that no save is lost");
	if (!strncmp(im, "W/", 2))
		im += 2;
	size_t n = strlen(im);
	if (n >= 2 && im[0] == '"' && im[n - 1] == '"') {
		im++;
		n -= 2;
	}
	int64_t v = 0;
	if (n == 0 || n > 18)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (im[i] < '0' || im[i] > '9')
			goto bad;
		v = v * 10 + (im[i] - '0');
	}
	*out = v;
	return 0;
bad:
	return http_fail(resp, CAIRN_EINVAL, "If-Match", "If-Match must be a version number, e.g. \"3\"");
}

static int put_by_key(struct http_req *req, struct http_resp *resp, enum annotation_kind kind)
{
	struct annotation_key k;
	int64_t expect = 0;
	int rc;
	if ((rc = key_of(req, resp, kind, &k)) || (rc = expected_version(req, resp, &expect)))
		return rc;
	const char *ct = http_header(req, "Content-Type");
	if (ct && strncmp(ct, "application/json", 16))
		return http_fail_status(resp, 415, "unsupported_media_type", "Content-Type",
					"the body must be application/json, not '%s'", ct);
	const char *status = http_query(req, "status");
	if (!status)
		status = "draft";
	if (strcmp(status, "draft") && strcmp(status, "submitted"))
		return http_fail(resp, CAIRN_EINVAL, "status", "status must be draft or submitted");
	int64_t lead;
	if ((rc = http_query_i64(req, resp, "lead_time_ms", 0, 0, 24LL * 3600 * 1000, &lead)))
		return rc;
	struct item it;
	struct buf err = BUF_INIT;
	if ((rc = store_item_get(req->st, k.item_id, &it, &err))) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	struct ann_save in = {
		.project_id = req->project_id,
		.item_id = k.item_id,
		.width = it.width,
		.height = it.height,
		.key = k,
		.expected_version = expect,
		.json = req->body,
		.len = req->body_len,
		.status = status,
		.lead_time_ms = lead,
		.user_id = req->user_id,
		.audit_action = "annotation.save",
	};
	item_release(&it);
	struct ann_saved out;
	rc = ann_service_save(req->st, &in, &out, &err);
	if (rc == CAIRN_ECONFLICT) {
		/* 409 with the current state, so the client can merge. */
		struct annotation cur;
		struct buf e2 = BUF_INIT;
		bool have = store_annotation_find(req->st, &k, &cur, &e2) == 0;
		http_fail(resp, rc, "If-Match", "%s; the current version is in 'current'", err.data);
		buf_setlen(&resp->body, resp->body.len - 1);
		buf_adds(&resp->body, ",\"current\":");
		write_current(&resp->body, have ? &cur : NULL);
		buf_adds(&resp->body, "}");
		if (have)
			annotation_release(&cur);
		buf_release(&e2);
	} else if (rc) {
		/* "annotation: $.objects[2].label: ..." -> field "$.objects[2].label" */
		const char *msg = err.data, *field = NULL;
		if (!strncmp(msg, "annotation: ", 12))
			msg += 12;
		const char *colon = msg[0] == '$' ? strstr(msg, ": ") : NULL;
		if (colon)
			field = arena_strndup(&req->arena, msg, (size_t)(colon - msg));
		http_fail(resp, rc, field, "%s", err.data);
	} else {
		buf_addf(&resp->body, "{\"id\":%lld,\"version\":%lld,\"schema_version\":%lld,"
			 "\"status\":\"%s\",\"warnings\":[", (long long)out.id, (long long)out.version,
			 (long long)out.schema_version, status);
		api_json_lines(&resp->body, out.warnings.data);
		buf_adds(&resp->body, "]}");
		set_version_etag(req, resp, out.version);
		resp->status = expect == 0 ? 201 : 200;
	}
	/* Failed saves (409, 400) may hold the canonical body and warnings too. */
	ann_saved_release(&out);
	buf_release(&err);
	return rc;
}

int api_ann_mine_get(struct http_req *req, struct http_resp *resp)
{
	return get_by_key(req, resp, ANN_MANUAL);
}

int api_ann_mine_put(struct http_req *req, struct http_resp *resp)
{
	return put_by_key(req, resp, ANN_MANUAL);
}

int api_ann_gold_get(struct http_req *req, struct http_resp *resp)
{
	return get_by_key(req, resp, ANN_GOLD);
}

int api_ann_gold_put(struct http_req *req, struct http_resp *resp)
{
	return put_by_key(req, resp, ANN_GOLD);
}

int api_prediction_get(struct http_req *req, struct http_resp *resp)
{
	return get_by_key(req, resp, ANN_PREDICTION);
}

int api_prediction_put(struct http_req *req, struct http_resp *resp)
{
	return put_by_key(req, resp, ANN_PREDICTION);
}

struct list_ctx {
	struct buf *out;
	struct http_req *req;
	bool first;
};

static int add_annotation(void *vctx, const struct annotation *a)
{
	struct list_ctx *c = vctx;
	/* Annotators see their own work and the pre-labels, nobody else's. */
	if (c->req->item_restricted && !(a->kind == ANN_PREDICTION ||
					 (a->kind == ANN_MANUAL && a->user_id == c->req->user_id)))
		return 0;
	buf_addf(c->out, "%s{\"id\":%lld,\"kind\":\"%s\",\"user\":", c->first ? "" : ",",
		 (long long)a->id, annotation_kind_name(a->kind));
	if (a->user_id)
		buf_addf(c->out, "%lld", (long long)a->user_id);
	else
		buf_adds(c->out, "null");
	buf_adds(c->out, ",\"source\":");
	buf_add_json_str(c->out, a->source ? a->source : "");
	buf_addf(c->out, ",\"status\":\"%s\",\"version\":%lld,\"schema_version\":%lld,"
		 "\"updated_at\":%lld}", a->status ? a->status : "draft", (long long)a->version,
		 (long long)a->schema_version, (long long)a->updated_at);
	c->first = false;
	return 0;
}

int api_ann_list(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct list_ctx c = {&resp->body, req, true};
	bool gold = req->is_admin || req->role >= ROLE_REVIEWER;
	buf_adds(&resp->body, "{\"annotations\":[");
	int rc = store_annotation_list(req->st, req->args[0], gold, add_annotation, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_ann_get(struct http_req *req, struct http_resp *resp)
{
	struct annotation a;
	struct buf err = BUF_INIT;
	int rc = store_annotation_get(req->st, req->args[1], &a, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
	} else {
		write_current(&resp->body, &a);
		set_version_etag(req, resp, a.version);
		annotation_release(&a);
		resp->status = 200;
	}
	buf_release(&err);
	return rc;
}

struct hist_ctx {
	struct buf *out;
	bool first;
};

static int add_history(void *vctx, const struct history_entry *h)
{
	struct hist_ctx *c = vctx;
	buf_addf(c->out, "%s{\"version\":%lld,\"user\":", c->first ? "" : ",", (long long)h->version);
	if (h->user_id)
		buf_addf(c->out, "%lld", (long long)h->user_id);
	else
		buf_adds(c->out, "null");
	buf_adds(c->out, ",\"user_name\":");
	if (h->user_name)
		buf_add_json_str(c->out, h->user_name);
	else
		buf_adds(c->out, "null");
	buf_addf(c->out, ",\"status\":\"%s\",\"created_at\":%lld,\"changes\":%s}",
		 h->status ? h->status : "draft", (long long)h->created_at,
		 h->summary ? h->summary : "null");
	c->first = false;
	return 0;
}

int api_ann_history(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct hist_ctx c = {&resp->body, true};
	buf_adds(&resp->body, "{\"versions\":[");
	int rc = store_history_list(req->st, req->args[1], add_history, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_ann_version(struct http_req *req, struct http_resp *resp)
{
	char *body = NULL;
	int64_t sv = 0;
	struct buf err = BUF_INIT;
	int rc = store_history_get(req->st, req->args[1], req->args[2], &body, &sv, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
	} else {
		buf_addf(&resp->body, "{\"version\":%lld,\"schema_version\":%lld,\"document\":",
			 (long long)req->args[2], (long long)sv);
		buf_adds(&resp->body, body);
		buf_addch(&resp->body, '}');
		resp->cache_immutable = true;
		resp->status = 200;
	}
	free(body);
	buf_release(&err);
	return rc;
}

int api_ann_diff(struct http_req *req, struct http_resp *resp)
{
	int64_t from, to;
	int rc;
	if ((rc = http_query_i64(req, resp, "from", 0, 1, INT64_MAX, &from)) ||
	    (rc = http_query_i64(req, resp, "to", 0, 1, INT64_MAX, &to)))
		return rc;
	if (!from || !to)
		return http_fail(resp, CAIRN_EINVAL, from ? "to" : "from",
				 "the diff needs ?from=VERSION&to=VERSION");
	struct buf err = BUF_INIT;
	buf_addf(&resp->body, "{\"from\":%lld,\"to\":%lld,\"changes\":", (long long)from, (long long)to);
	rc = ann_service_diff(req->st, req->project_id, req->args[1], from, to, &resp->body, &err);
	buf_adds(&resp->body, "}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}
