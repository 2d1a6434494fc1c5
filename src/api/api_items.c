/*
 * api_items.c - a project's items: filtered pages with a cursor, counts,
 * one item, and its original media (by id only: no client path ever
 * reaches the file system).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "base/err.h"
#include "base/banned.h"

/* Reads the filters of an item list from the query string. */
static int read_filters(struct http_req *req, struct http_resp *resp, struct item_query *q)
{
	memset(q, 0, sizeof(*q));
	q->project_id = req->project_id;
	q->status = -1;
	q->kind = -1;
	const char *v;
	int rc;
	if ((v = http_query(req, "status")) && *v) {
		enum item_status s;
		if (!item_status_parse(v, &s))
			return http_fail(resp, CAIRN_EINVAL, "status", "'%s' is not an item status", v);
		q->status = (int)s;
	}
	if ((v = http_query(req, "kind")) && *v) {
		enum item_kind k;
		if (!item_kind_parse(v, &k))
			return http_fail(resp, CAIRN_EINVAL, "kind", "'%s' is not an item kind", v);
		q->kind = (int)k;
	}
	if ((v = http_query(req, "split")) && *v) {
		if (strcmp(v, "train") && strcmp(v, "val") && strcmp(v, "test"))
			return http_fail(resp, CAIRN_EINVAL, "split", "split must be train, val or test");
		q->split = v;
	}
	if ((v = http_query(req, "q")) && *v) {
		if (strlen(v) > 200)
			return http_fail(resp, CAIRN_EINVAL, "q", "the search is longer than 200 bytes");
		q->search = v;
	}
	if ((v = http_query(req, "label")) && *v) {
		struct buf err = BUF_INIT;
		rc = store_label_id(req->st, req->project_id, v, &q->label_id, &err);
		buf_release(&err);
		if (rc == CAIRN_ENOTFOUND)
			return http_fail(resp, CAIRN_EINVAL, "label", "the project has no label '%s'", v);
		if (rc)
			return http_fail(resp, rc, "label", "cannot look up the label");
	}
	if ((rc = http_query_i64(req, resp, "batch", 0, 0, INT64_MAX, &q->batch_id)) ||
	    (rc = http_query_i64(req, resp, "annotator", 0, 0, INT64_MAX, &q->annotator_id)) ||
	    (rc = http_query_i64(req, resp, "after", 0, 0, INT64_MAX, &q->after_id)) ||
	    (rc = http_query_i64(req, resp, "limit", 100, 1, 1000, &q->limit)))
		return rc;
	if (req->item_restricted)
		q->visible_to = req->user_id;
	return 0;
}

struct page_ctx {
	struct buf *out;
	int64_t last;
	int64_t n;
};

static int add_item(void *vctx, const struct item *it)
{
	struct page_ctx *c = vctx;
	if (c->n++)
		buf_addch(c->out, ',');
	api_json_item(c->out, it);
	c->last = it->id;
	return 0;
}

int api_items_list(struct http_req *req, struct http_resp *resp)
{
	struct item_query q;
	int rc = read_filters(req, resp, &q);
	if (rc)
		return rc;
	struct buf err = BUF_INIT;
	struct page_ctx c = {&resp->body, 0, 0};
	buf_adds(&resp->body, "{\"items\":[");
	rc = store_item_query(req->st, &q, add_item, &c, &err);
	if (rc) {
		http_fail(resp, rc, rc == CAIRN_EINVAL ? "q" : NULL, "%s", err.data);
		buf_release(&err);
		return rc;
	}
	buf_adds(&resp->body, "],\"next\":");
	if (c.n == q.limit)
		buf_addf(&resp->body, "%lld}", (long long)c.last);
	else
		buf_adds(&resp->body, "null}");
	buf_release(&err);
	resp->status = 200;
	return 0;
}

/* Counts with a search stop here (docs/api.md). */
#define ITEM_COUNT_SEARCH_CAP 1000

int api_items_count(struct http_req *req, struct http_resp *resp)
{
	struct item_query q;
	int rc = read_filters(req, resp, &q);
	if (rc)
		return rc;
	/* A search can match most of a million items: past the cap the answer
	 * is {"count": 1000, "capped": true} (docs/api.md). */
	q.count_cap = ITEM_COUNT_SEARCH_CAP;
	struct buf err = BUF_INIT;
	int64_t n;
	rc = store_item_count(req->st, &q, &n, &err);
	if (rc) {
		http_fail(resp, rc, rc == CAIRN_EINVAL ? "q" : NULL, "%s", err.data);
		buf_release(&err);
		return rc;
	}
	if (q.search && *q.search && n > ITEM_COUNT_SEARCH_CAP)
		buf_addf(&resp->body, "{\"count\":%d,\"capped\":true}", ITEM_COUNT_SEARCH_CAP);
	else
		buf_addf(&resp->body, "{\"count\":%lld}", (long long)n);
	buf_release(&err);
	resp->status = 200;
	return 0;
}

struct want_item {
	int64_t id;
	struct item *out;
};

static int keep_item(void *ctx, const struct item *it)
{
	struct want_item *w = ctx;
	struct item *out = w->out;
	if (out->id || it->id != w->id)
		return 0;
	*out = *it;
	/* The page is released by the store: take copies. */
	out->name = it->name ? strdup(it->name) : NULL;
	out->mime = it->mime ? strdup(it->mime) : NULL;
	out->source_group = it->source_group ? strdup(it->source_group) : NULL;
	out->link_path = it->link_path ? strdup(it->link_path) : NULL;
	out->meta = it->meta ? strdup(it->meta) : NULL;
	out->split = it->split ? strdup(it->split) : NULL;
	return 0;
}

/* One item as its viewer may see it: an annotator sees the batch a gold
 * item was routed to them through, as the list and the queue show it, so
 * nothing tells a gold item apart (docs/workflow.md). */
static int item_for_viewer(struct http_req *req, int64_t id, struct item *it, struct buf *err)
{
	if (!req->item_restricted)
		return store_item_get(req->st, id, it, err);
	struct item_query q = {
		.project_id = req->project_id, .status = -1, .kind = -1, .visible_to = req->user_id,
		.after_id = id - 1, .limit = 1,
	};
	memset(it, 0, sizeof(*it));
	struct want_item w = {id, it};
	int rc = store_item_query(req->st, &q, keep_item, &w, err);
	if (rc)
		return rc;
	if (!it->id) {
		buf_setf(err, "no item with id %lld", (long long)id);
		return CAIRN_ENOTFOUND;
	}
	return 0;
}

int api_items_get(struct http_req *req, struct http_resp *resp)
{
	struct item it;
	struct buf err = BUF_INIT;
	int rc = item_for_viewer(req, req->args[0], &it, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_adds(&resp->body, "{\"item\":");
	api_json_item(&resp->body, &it);
	buf_adds(&resp->body, "}");
	item_release(&it);
	buf_release(&err);
	resp->status = 200;
	return 0;
}

int api_media_original(struct http_req *req, struct http_resp *resp)
{
	struct item it;
	struct buf err = BUF_INIT, path = BUF_INIT;
	int rc = store_item_get(req->st, req->args[0], &it, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	/* The path comes from the database (the content hash, or the place an
	 * administrator linked at ingest), never from the request. */
	if (it.link_path)
		buf_adds(&path, it.link_path);
	else
		buf_addf(&path, "%s/media/%.2s/%s", server_data_dir(req->srv), it.hash, it.hash);
	int fd = open(path.data, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		rc = http_fail(resp, CAIRN_ENOTFOUND, NULL, "the media of item %lld is missing from "
			       "the data directory", (long long)it.id);
		goto out;
	}
	resp->fd = fd;
	resp->fd_size = (uint64_t)sb.st_size;
	resp->content_type = arena_strdup(&req->arena, it.mime ? it.mime : "application/octet-stream");
	resp->etag = arena_printf(&req->arena, "\"%s\"", it.hash);
	resp->cache_immutable = !it.link_path;
	resp->status = 200;
	rc = 0;
out:
	item_release(&it);
	buf_release(&err);
	buf_release(&path);
	return rc;
}
