/*
 * api_users.c - user administration (admins only): list, add, change
 * flags or password. There is no open sign-up.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "core/auth.h"
#include "base/banned.h"

struct list_ctx {
	struct buf *out;
	bool first;
};

static int add_user(void *vctx, const struct user *u)
{
	struct list_ctx *c = vctx;
	if (!c->first)
		buf_addch(c->out, ',');
	api_json_user(c->out, u);
	c->first = false;
	return 0;
}

int api_users_list(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct list_ctx c = {&resp->body, true};
	buf_adds(&resp->body, "{\"users\":[");
	int rc = store_user_list(req->st, add_user, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_users_create(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"name", "password", "admin", NULL};
	const char *name, *password;
	bool admin = false;
	struct buf err = BUF_INIT, hash = BUF_INIT, gen = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "name", true, 64, &name)) ||
	    (rc = http_json_str(resp, body, "password", false, 1024, &password)) ||
	    (rc = http_json_bool(resp, body, "admin", &admin)))
		goto out;
	if (auth_name_ok("user", name, &err)) {
		rc = http_fail(resp, CAIRN_EINVAL, "name", "%s", err.data);
		goto out;
	}
	if (!password) {
		auth_random_password(&gen, 20);
		password = gen.data;
	} else if (auth_password_ok(password, &err)) {
		rc = http_fail(resp, CAIRN_EINVAL, "password", "%s", err.data);
		goto out;
	}
	int64_t id;
	if ((rc = auth_hash_password(password, &hash, &err)) ||
	    (rc = store_user_add(req->st, name, hash.data, admin, &id, &err))) {
		rc = http_fail(resp, rc, rc == CAIRN_EEXIST ? "name" : NULL, "%s", err.data);
		goto out;
	}
	store_audit(req->st, req->user_id, 0, "user.add", "user", id, NULL, NULL);
	struct user u;
	if ((rc = store_user_get_id(req->st, id, &u, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	buf_adds(&resp->body, "{\"user\":");
	api_json_user(&resp->body, &u);
	if (gen.len) {
		buf_adds(&resp->body, ",\"password\":");
		buf_add_json_str(&resp->body, gen.data);
	}
	buf_adds(&resp->body, "}");
	user_release(&u);
	resp->status = 201;
out:
	json_decref(body);
	buf_release(&err);
	buf_release(&hash);
	buf_release(&gen);
	return rc;
}

int api_users_update(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	static const char *const keys[] = {"admin", "active", "password", NULL};
	int64_t id = req->args[0];
	bool admin = false, active = true;
	const char *password = NULL;
	struct buf err = BUF_INIT, hash = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_bool(resp, body, "admin", &admin)) ||
	    (rc = http_json_bool(resp, body, "active", &active)) ||
	    (rc = http_json_str(resp, body, "password", false, 1024, &password)))
		goto out;
	int set_admin = json_object_get(body, "admin") ? admin : -1;
	int set_active = json_object_get(body, "active") ? active : -1;
	if (id == req->user_id && (set_admin == 0 || set_active == 0)) {
		rc = http_fail(resp, CAIRN_EINVAL, set_admin == 0 ? "admin" : "active",
			       "you cannot remove your own administrator rights or deactivate yourself");
		goto out;
	}
	if (password) {
		if (auth_password_ok(password, &err)) {
			rc = http_fail(resp, CAIRN_EINVAL, "password", "%s", err.data);
			goto out;
		}
		if ((rc = auth_hash_password(password, &hash, &err)) ||
		    (rc = store_user_set_password(req->st, id, hash.data, &err))) {
			api_store_fail(resp, rc, &err);
			goto out;
		}
	}
	if ((rc = store_user_update(req->st, id, set_admin, set_active, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	store_audit(req->st, req->user_id, 0, "user.update", "user", id, NULL, NULL);
	struct user u;
	if ((rc = store_user_get_id(req->st, id, &u, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	buf_adds(&resp->body, "{\"user\":");
	api_json_user(&resp->body, &u);
	buf_adds(&resp->body, "}");
	user_release(&u);
	resp->status = 200;
out:
	json_decref(body);
	buf_release(&err);
	buf_release(&hash);
	return rc;
}
