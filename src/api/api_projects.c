/*
 * api_projects.c - projects, their versioned label schema and their
 * members. Creating a project is for administrators; changing its schema
 * and members is for its managers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "core/auth.h"
#include "core/schema.h"
#include "base/banned.h"

struct list_ctx {
	struct http_req *req;
	struct buf *out;
	bool first;
};

static int add_project(void *vctx, const struct project *p)
{
	struct list_ctx *c = vctx;
	if (!c->first)
		buf_addch(c->out, ',');
	api_json_project(c->out, p);
	c->first = false;
	return 0;
}

int api_projects_list(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct list_ctx c = {req, &resp->body, true};
	buf_adds(&resp->body, "{\"projects\":[");
	int rc = store_project_list(req->st, req->is_admin ? 0 : req->user_id, add_project, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

/* Validates schema JSON text; on failure answers 400 with every error. */
static int parse_schema(struct http_resp *resp, const char *json, size_t len, const char *field,
			struct buf *canon)
{
	struct schema sc;
	struct buf err = BUF_INIT;
	int rc = schema_parse(&sc, json, len, &err);
	if (rc) {
		struct buf all = BUF_INIT;
		int n = 0;
		schema_validate_all(json, len, &all, &n);
		http_fail(resp, rc, field, "%s", err.data);
		/* Append the full list for the UI's live validation. */
		if (all.len && resp->body.len > 2) {
			buf_setlen(&resp->body, resp->body.len - 2);
			buf_adds(&resp->body, ",\"errors\":[");
			api_json_lines(&resp->body, all.data);
			buf_adds(&resp->body, "]}}");
		}
		buf_release(&all);
		buf_release(&err);
		return rc;
	}
	rc = schema_to_json(&sc, canon);
	schema_release(&sc);
	buf_release(&err);
	return rc;
}

int api_projects_create(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"name", "description", "schema", NULL};
	const char *name, *desc;
	struct buf err = BUF_INIT, canon = BUF_INIT;
	char *schema_text = NULL;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "name", true, 64, &name)) ||
	    (rc = http_json_str(resp, body, "description", false, 10000, &desc)))
		goto out;
	if (auth_name_ok("project", name, &err)) {
		rc = http_fail(resp, CAIRN_EINVAL, "name", "%s", err.data);
		goto out;
	}
	json_t *sj = json_object_get(body, "schema");
	if (!json_is_object(sj)) {
		rc = http_fail(resp, CAIRN_EINVAL, "schema", "'schema' must be a label schema object");
		goto out;
	}
	schema_text = json_dumps(sj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!schema_text || (rc = parse_schema(resp, schema_text, strlen(schema_text), "schema", &canon)))
		goto out;
	int64_t id;
	if ((rc = store_project_create(req->st, name, desc, req->user_id, canon.data, &id, &err))) {
		http_fail(resp, rc, rc == CAIRN_EEXIST ? "name" : NULL, "%s", err.data);
		goto out;
	}
	store_audit(req->st, req->user_id, id, "project.create", "project", id, NULL, NULL);
	struct project p;
	if ((rc = store_project_get_id(req->st, id, &p, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	buf_adds(&resp->body, "{\"project\":");
	api_json_project(&resp->body, &p);
	buf_adds(&resp->body, "}");
	project_release(&p);
	resp->status = 201;
out:
	free(schema_text);
	json_decref(body);
	buf_release(&err);
	buf_release(&canon);
	return rc;
}

struct label_ctx {
	struct buf *out;
	bool first;
};

static int add_label_count(void *vctx, int64_t id, const char *name, int64_t n)
{
	struct label_ctx *c = vctx;
	buf_addf(c->out, "%s{\"id\":%lld,\"name\":", c->first ? "" : ",", (long long)id);
	buf_add_json_str(c->out, name ? name : "");
	buf_addf(c->out, ",\"objects\":%lld}", (long long)n);
	c->first = false;
	return 0;
}

int api_projects_get(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct project p;
	struct project_stats s;
	int rc = store_project_get_id(req->st, req->project_id, &p, &err);
	if (!rc)
		rc = store_project_stats(req->st, p.id, &s, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_adds(&resp->body, "{\"project\":");
	api_json_project(&resp->body, &p);
	buf_addf(&resp->body, ",\"role\":\"%s\",\"counts\":{\"items\":%lld,\"bytes\":%lld,"
		 "\"annotations\":%lld,\"objects\":%lld,\"by_kind\":{", role_name(req->role),
		 (long long)s.items, (long long)s.bytes, (long long)s.annotations,
		 (long long)s.objects);
	for (int k = 0; k < ITEM_KIND_COUNT_; k++)
		buf_addf(&resp->body, "%s\"%s\":%lld", k ? "," : "", item_kind_name(k),
			 (long long)s.by_kind[k]);
	buf_adds(&resp->body, "},\"by_status\":{");
	for (int k = 0; k < ITEM_STATUS_COUNT_; k++)
		buf_addf(&resp->body, "%s\"%s\":%lld", k ? "," : "", item_status_name(k),
			 (long long)s.by_status[k]);
	buf_adds(&resp->body, "},\"labels\":[");
	struct label_ctx c = {&resp->body, true};
	rc = store_label_counts(req->st, p.id, add_label_count, &c, &err);
	buf_adds(&resp->body, "]}}");
	project_release(&p);
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_schema_get(struct http_req *req, struct http_resp *resp)
{
	int64_t version;
	int rc = http_query_i64(req, resp, "version", 0, 0, INT32_MAX, &version);
	if (rc)
		return rc;
	struct buf err = BUF_INIT;
	char *json = NULL;
	int64_t got;
	rc = store_schema_get(req->st, req->project_id, version, &json, &got, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	struct project p;
	int64_t current = 0;
	if (store_project_get_id(req->st, req->project_id, &p, NULL) == 0) {
		current = p.schema_version;
		project_release(&p);
	}
	buf_addf(&resp->body, "{\"version\":%lld,\"current\":%lld,\"schema\":%s}", (long long)got,
		 (long long)current, json);
	free(json);
	buf_release(&err);
	resp->status = 200;
	return 0;
}

struct version_ctx {
	struct buf *out;
	bool first;
};

static int add_version(void *vctx, int64_t version, const char *message, int64_t user_id,
		       const char *user_name, int64_t created_at)
{
	struct version_ctx *c = vctx;
	buf_addf(c->out, "%s{\"version\":%lld,\"message\":", c->first ? "" : ",",
		 (long long)version);
	buf_add_json_str(c->out, message ? message : "");
	if (user_name) {
		buf_addf(c->out, ",\"user\":%lld,\"user_name\":", (long long)user_id);
		buf_add_json_str(c->out, user_name);
	} else {
		buf_adds(c->out, ",\"user\":null,\"user_name\":null");
	}
	buf_addf(c->out, ",\"created_at\":%lld}", (long long)created_at);
	c->first = false;
	return 0;
}

int api_schema_versions(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct version_ctx c = {&resp->body, true};
	buf_adds(&resp->body, "{\"versions\":[");
	int rc = store_schema_list(req->st, req->project_id, add_version, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

/* The schema endpoints read the raw body: refuse non-JSON content types
 * the way http_json_body does for the others (415). */
static int json_content_type(struct http_req *req, struct http_resp *resp)
{
	const char *ct = http_header(req, "Content-Type");
	if (ct && strncmp(ct, "application/json", 16))
		return http_fail_status(resp, 415, "unsupported_media_type", "Content-Type",
					"the body must be application/json, not '%s'", ct);
	return 0;
}

int api_schema_put(struct http_req *req, struct http_resp *resp)
{
	struct buf canon = BUF_INIT, err = BUF_INIT;
	int rc = json_content_type(req, resp);
	if (!rc)
		rc = parse_schema(resp, req->body, req->body_len, "body", &canon);
	if (rc)
		goto out;
	/* Optimistic concurrency: If-Match names the version being replaced. */
	const char *im = http_header(req, "If-Match");
	if (im) {
		struct project p;
		if ((rc = store_project_get_id(req->st, req->project_id, &p, &err))) {
			api_store_fail(resp, rc, &err);
			goto out;
		}
		char cur[32];
		snprintf(cur, sizeof(cur), "%lld", (long long)p.schema_version);
		project_release(&p);
		if (strcmp(im, cur) && !(strlen(im) == strlen(cur) + 2 && !strncmp(im + 1, cur, strlen(cur)))) {
			rc = http_fail(resp, CAIRN_ECONFLICT, "If-Match",
				       "the schema is at version %s, not %s; reload and apply your change again",
				       cur, im);
			goto out;
		}
	}
	int64_t v;
	const char *msg = http_query(req, "message");
	if ((rc = store_schema_put(req->st, req->project_id, canon.data, req->user_id,
				   msg ? msg : "", &v, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	store_audit(req->st, req->user_id, req->project_id, "schema.put", "project", req->project_id,
		    NULL, NULL);
	buf_addf(&resp->body, "{\"version\":%lld,\"current\":%lld,\"schema\":%s}", (long long)v,
		 (long long)v, canon.data);
	resp->status = 200;
out:
	buf_release(&canon);
	buf_release(&err);
	return rc;
}

int api_schema_validate(struct http_req *req, struct http_resp *resp)
{
	struct buf all = BUF_INIT;
	int n = 0;
	int rc = json_content_type(req, resp);
	if (rc)
		return rc;
	rc = schema_validate_all(req->body, req->body_len, &all, &n);
	buf_addf(&resp->body, "{\"valid\":%s,\"count\":%d,\"errors\":[", rc ? "false" : "true", n);
	api_json_lines(&resp->body, all.data);
	buf_adds(&resp->body, "]}");
	buf_release(&all);
	resp->status = 200;
	return 0;
}

struct member_ctx {
	struct buf *out;
	bool first;
};

static int add_member(void *vctx, int64_t user_id, const char *name, enum role role)
{
	struct member_ctx *c = vctx;
	buf_addf(c->out, "%s{\"user\":%lld,\"name\":", c->first ? "" : ",", (long long)user_id);
	buf_add_json_str(c->out, name ? name : "");
	buf_addf(c->out, ",\"role\":\"%s\"}", role_name(role));
	c->first = false;
	return 0;
}

int api_members_list(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct member_ctx c = {&resp->body, true};
	buf_adds(&resp->body, "{\"members\":[");
	int rc = store_member_list(req->st, req->project_id, add_member, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_members_put(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"role", NULL};
	const char *rname;
	enum role role;
	struct buf err = BUF_INIT;
	int64_t uid = req->args[1];
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "role", true, 32, &rname)))
		goto out;
	if (!role_parse(rname, &role)) {
		rc = http_fail(resp, CAIRN_EINVAL, "role",
			       "'%s' is not a role (manager, reviewer, annotator, viewer)", rname);
		goto out;
	}
	struct user u;
	if ((rc = store_user_get_id(req->st, uid, &u, &err))) {
		rc = http_fail(resp, rc, "user", "%s", err.data);
		goto out;
	}
	user_release(&u);
	if ((rc = store_member_set(req->st, req->project_id, uid, role, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	store_audit(req->st, req->user_id, req->project_id, "member.set", "user", uid, NULL, NULL);
	buf_addf(&resp->body, "{\"user\":%lld,\"role\":\"%s\"}", (long long)uid, role_name(role));
	resp->status = 200;
out:
	json_decref(body);
	buf_release(&err);
	return rc;
}

int api_members_delete(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	int rc = store_member_remove(req->st, req->project_id, req->args[1], &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	store_audit(req->st, req->user_id, req->project_id, "member.remove", "user", req->args[1],
		    NULL, NULL);
	buf_release(&err);
	resp->status = 204;
	return 0;
}
