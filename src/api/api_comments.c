/*
 * api_comments.c - comments pinned to an item, one of its objects or a
 * point, with replies and resolution; and the audit log (admins see all,
 * managers their project's). Comment text is stored and returned as plain
 * text: the UI never interprets it as HTML.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "base/banned.h"

#define MAX_COMMENT 10000

void api_json_comment(struct buf *out, const struct comment *c)
{
	buf_addf(out, "{\"id\":%lld,\"item\":%lld,\"annotation\":", (long long)c->id,
		 (long long)c->item_id);
	if (c->annotation_id)
		buf_addf(out, "%lld", (long long)c->annotation_id);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"object\":");
	if (c->object_uid)
		buf_add_json_str(out, c->object_uid);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"parent\":");
	if (c->parent_id)
		buf_addf(out, "%lld", (long long)c->parent_id);
	else
		buf_adds(out, "null");
	buf_addf(out, ",\"user\":%lld,\"user_name\":", (long long)c->user_id);
	buf_add_json_str(out, c->user_name ? c->user_name : "");
	buf_adds(out, ",\"body\":");
	buf_add_json_str(out, c->body ? c->body : "");
	if (c->has_point)
		buf_addf(out, ",\"point\":[%.17g,%.17g]", c->x, c->y);
	else
		buf_adds(out, ",\"point\":null");
	buf_adds(out, ",\"frame\":");
	if (c->frame >= 0)
		buf_addf(out, "%lld", (long long)c->frame);
	else
		buf_adds(out, "null");
	buf_addf(out, ",\"resolved\":%s,\"created_at\":%lld,\"updated_at\":%lld}",
		 c->resolved ? "true" : "false", (long long)c->created_at, (long long)c->updated_at);
}

/*
 * What an annotator may read on an item several people label (docs/
 * workflow.md, "Comments"): their own comments; comments on their own
 * annotation (what a reviewer said about it); comments on no annotation
 * written by a reviewer, a manager or an admin (said to whoever labels the
 * item); and replies in those threads by the same people. Comments on
 * other annotators' annotations, and other annotators' comments, are not
 * shown. Everyone else sees every comment.
 */
static int comment_visible(struct http_req *req, const struct comment *c,
			   const int64_t *shown, size_t nshown, bool *out, struct buf *err)
{
	*out = true;
	if (!req->item_restricted || c->user_id == req->user_id)
		return 0;
	*out = false;
	if (c->annotation_id) {
		int64_t item, user;
		enum annotation_kind kind;
		int rc = store_annotation_owner(req->st, c->annotation_id, &item, &kind, &user, err);
		if (rc == CAIRN_ENOTFOUND)
			return 0;
		if (rc)
			return rc;
		*out = kind == ANN_MANUAL && user == req->user_id;
		return 0;
	}
	if (c->parent_id) {
		bool parent = false;
		for (size_t i = 0; i < nshown && !parent; i++)
			parent = shown[i] == c->parent_id;
		if (!parent)
			return 0;
	}
	/* By whom: staff, not another annotator. */
	enum role role;
	int rc = store_member_get(req->st, req->project_id, c->user_id, &role, err);
	if (rc == CAIRN_ENOTFOUND) {
		struct user u = {0};
		rc = store_user_get_id(req->st, c->user_id, &u, err);
		*out = !rc && u.is_admin;
		user_release(&u);
		return rc == CAIRN_ENOTFOUND ? 0 : rc;
	}
	if (rc)
		return rc;
	*out = role >= ROLE_REVIEWER;
	return 0;
}

struct list_ctx {
	struct http_req *req;
	struct buf *out;
	bool first;
	int64_t *shown;            /* ids listed so far, for replies */
	size_t n, cap;
	struct buf *err;
};

static int add_comment(void *vctx, const struct comment *c)
{
	struct list_ctx *l = vctx;
	bool ok;
	int rc = comment_visible(l->req, c, l->shown, l->n, &ok, l->err);
	if (rc || !ok)
		return rc;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->shown = realloc(l->shown, l->cap * sizeof(*l->shown));
		if (!l->shown)
			abort();
	}
	l->shown[l->n++] = c->id;
	if (!l->first)
		buf_addch(l->out, ',');
	api_json_comment(l->out, c);
	l->first = false;
	return 0;
}

int api_comments_json(struct http_req *req, int64_t item_id, struct buf *out, struct buf *err)
{
	struct list_ctx c = {.req = req, .out = out, .first = true, .err = err};
	int rc = store_comment_list(req->st, item_id, add_comment, &c, err);
	free(c.shown);
	return rc;
}

/* Whether the comment (on this item) is one req may read. */
static int comment_readable(struct http_req *req, const struct comment *c, bool *out,
			    struct buf *err)
{
	if (!req->item_restricted) {
		*out = true;
		return 0;
	}
	/* Replies need their thread: list the item as the annotator sees it. */
	struct buf tmp = BUF_INIT;
	struct list_ctx l = {.req = req, .out = &tmp, .first = true, .err = err};
	int rc = store_comment_list(req->st, c->item_id, add_comment, &l, err);
	*out = false;
	for (size_t i = 0; !rc && i < l.n; i++)
		if (l.shown[i] == c->id)
			*out = true;
	free(l.shown);
	buf_release(&tmp);
	return rc;
}

int api_comments_list(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	buf_adds(&resp->body, "{\"comments\":[");
	int rc = api_comments_json(req, req->args[0], &resp->body, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_comments_create(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"body", "annotation", "object", "point", "frame", "parent", NULL};
	struct comment c = {0};
	const char *text, *object;
	struct buf err = BUF_INIT;
	c.frame = -1;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "body", true, MAX_COMMENT, &text)) ||
	    (rc = http_json_str(resp, body, "object", false, 64, &object)) ||
	    (rc = http_json_i64(resp, body, "annotation", false, &c.annotation_id)) ||
	    (rc = http_json_i64(resp, body, "frame", false, &c.frame)) ||
	    (rc = http_json_i64(resp, body, "parent", false, &c.parent_id)))
		goto out;
	if (!*text) {
		rc = http_fail(resp, CAIRN_EINVAL, "body", "a comment cannot be empty");
		goto out;
	}
	json_t *pt = json_object_get(body, "point");
	if (pt && !json_is_null(pt)) {
		if (!json_is_array(pt) || json_array_size(pt) != 2 ||
		    !json_is_number(json_array_get(pt, 0)) || !json_is_number(json_array_get(pt, 1))) {
			rc = http_fail(resp, CAIRN_EINVAL, "point", "'point' must be [x, y]");
			goto out;
		}
		c.has_point = true;
		c.x = json_number_value(json_array_get(pt, 0));
		c.y = json_number_value(json_array_get(pt, 1));
		if (!isfinite(c.x) || !isfinite(c.y) || fabs(c.x) > 1e9 || fabs(c.y) > 1e9) {
			rc = http_fail(resp, CAIRN_EINVAL, "point", "'point' must be finite pixel coordinates");
			goto out;
		}
	}
	if (c.frame < -1 || (json_object_get(body, "frame") && c.frame < 0)) {
		rc = http_fail(resp, CAIRN_EINVAL, "frame", "'frame' must be 0 or more");
		goto out;
	}
	/* What the comment points at must be on this item. */
	if (c.annotation_id) {
		int64_t item, user;
		enum annotation_kind kind;
		if (store_annotation_owner(req->st, c.annotation_id, &item, &kind, &user, &err) ||
		    item != req->args[0] ||
		    (req->item_restricted && !(kind == ANN_MANUAL && user == req->user_id))) {
			rc = http_fail(resp, CAIRN_EINVAL, "annotation", "no annotation %lld on this item",
				       (long long)c.annotation_id);
			goto out;
		}
	}
	if (c.parent_id) {
		struct comment parent = {0};
		int prc = store_comment_get(req->st, c.parent_id, &parent, &err);
		bool readable = false;
		if (!prc && parent.item_id == req->args[0])
			prc = comment_readable(req, &parent, &readable, &err);
		if (prc || !readable) {
			comment_release(&parent);
			rc = http_fail(resp, CAIRN_EINVAL, "parent", "no comment %lld on this item",
				       (long long)c.parent_id);
			goto out;
		}
		comment_release(&parent);
	}
	c.project_id = req->project_id;
	c.item_id = req->args[0];
	c.user_id = req->user_id;
	c.body = (char *)text;
	c.object_uid = (char *)object;
	int64_t id;
	if ((rc = store_comment_add(req->st, &c, &id, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	struct comment saved;
	if ((rc = store_comment_get(req->st, id, &saved, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	buf_adds(&resp->body, "{\"comment\":");
	api_json_comment(&resp->body, &saved);
	buf_adds(&resp->body, "}");
	comment_release(&saved);
	resp->status = 201;
out:
	json_decref(body);
	buf_release(&err);
	return rc;
}

int api_comments_resolve(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"resolved", NULL};
	bool resolved = true;
	struct buf err = BUF_INIT;
	struct comment c;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_bool(resp, body, "resolved", &resolved)))
		goto out;
	if ((rc = store_comment_get(req->st, req->args[1], &c, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	bool here = c.item_id == req->args[0];
	if (here && (rc = comment_readable(req, &c, &here, &err))) {
		comment_release(&c);
		api_store_fail(resp, rc, &err);
		goto out;
	}
	comment_release(&c);
	if (!here) {
		rc = http_fail(resp, CAIRN_ENOTFOUND, NULL, "no comment %lld on this item",
			       (long long)req->args[1]);
		goto out;
	}
	if ((rc = store_comment_resolve(req->st, req->args[1], resolved, &err)) ||
	    (rc = store_comment_get(req->st, req->args[1], &c, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	buf_adds(&resp->body, "{\"comment\":");
	api_json_comment(&resp->body, &c);
	buf_adds(&resp->body, "}");
	comment_release(&c);
	resp->status = 200;
out:
	json_decref(body);
	buf_release(&err);
	return rc;
}

struct audit_ctx {
	struct buf *out;
	bool first;
	int64_t last;
	int64_t n;
};

static int add_audit(void *vctx, const struct audit_entry *e)
{
	struct audit_ctx *c = vctx;
	buf_addf(c->out, "%s{\"id\":%lld,\"at\":%lld,\"user\":", c->first ? "" : ",", (long long)e->id,
		 (long long)e->at);
	if (e->user_id)
		buf_addf(c->out, "%lld", (long long)e->user_id);
	else
		buf_adds(c->out, "null");
	buf_adds(c->out, ",\"user_name\":");
	if (e->user_name)
		buf_add_json_str(c->out, e->user_name);
	else
		buf_adds(c->out, "null");
	buf_adds(c->out, ",\"project\":");
	if (e->project_id)
		buf_addf(c->out, "%lld", (long long)e->project_id);
	else
		buf_adds(c->out, "null");
	buf_adds(c->out, ",\"action\":");
	buf_add_json_str(c->out, e->action ? e->action : "");
	buf_adds(c->out, ",\"target_type\":");
	if (e->target_type)
		buf_add_json_str(c->out, e->target_type);
	else
		buf_adds(c->out, "null");
	buf_addf(c->out, ",\"target\":%lld,\"detail\":%s}", (long long)e->target_id,
		 e->detail ? e->detail : "null");
	c->first = false;
	c->last = e->id;
	c->n++;
	return 0;
}

static int audit_page(struct http_req *req, struct http_resp *resp, int64_t project)
{
	int64_t before, limit;
	int rc;
	if ((rc = http_query_i64(req, resp, "before", 0, 0, INT64_MAX, &before)) ||
	    (rc = http_query_i64(req, resp, "limit", 100, 1, 1000, &limit)))
		return rc;
	struct buf err = BUF_INIT;
	struct audit_ctx c = {&resp->body, true, 0, 0};
	buf_adds(&resp->body, "{\"entries\":[");
	rc = store_audit_list(req->st, project, before, limit, add_audit, &c, &err);
	buf_adds(&resp->body, "],\"next\":");
	if (c.n == limit)
		buf_addf(&resp->body, "%lld}", (long long)c.last);
	else
		buf_adds(&resp->body, "null}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_audit_all(struct http_req *req, struct http_resp *resp)
{
	return audit_page(req, resp, 0);
}

int api_audit_project(struct http_req *req, struct http_resp *resp)
{
	return audit_page(req, resp, req->project_id);
}
