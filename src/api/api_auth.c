/*
 * api_auth.c - sign-in and sign-out (session cookie + CSRF token), the
 * signed-in user, password change, and personal API tokens.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "core/auth.h"
#include "http/http_auth.h"
#include "base/banned.h"

/* A fixed Argon2id hash that never matches: unknown users cost the same
 * time as known ones, so timing does not tell which names exist. */
static char dummy[256];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
	struct buf b = BUF_INIT;
	auth_hash_password("not a password of anyone", &b, NULL);
	snprintf(dummy, sizeof(dummy), "%s", b.data);
	buf_release(&b);
}

static const char *dummy_hash(void)
{
	pthread_once(&dummy_once, dummy_init);
	return dummy;
}

int api_login(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	const char *name, *password;
	static const char *const keys[] = {"username", "password", NULL};
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "username", true, 64, &name)) ||
	    (rc = http_json_str(resp, body, "password", true, 1024, &password)))
		goto out;
	struct auth_throttle *t = auth_server_throttle(req);
	int wait = auth_throttle_wait(t, name, req->ip);
	if (wait > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", wait);
		http_set_header(req, resp, "Retry-After", ra);
		rc = http_fail_status(resp, 429, "too_many_attempts", NULL,
				      "too many failed sign-ins; try again in %d s", wait);
		goto out;
	}
	struct user u = {0};
	char *hash = NULL;
	struct buf err = BUF_INIT;
	int found = store_user_get(req->st, name, &u, &hash, &err);
	bool ok = auth_check_password(found == 0 && hash ? hash : dummy_hash(), password) &&
		  found == 0 && u.is_active;
	free(hash);
	auth_throttle_record(t, name, req->ip, ok);
	if (!ok) {
		store_audit(req->st, found == 0 ? u.id : 0, 0, "auth.login_failed", "user",
			    found == 0 ? u.id : 0, NULL, NULL);
		user_release(&u);
		buf_release(&err);
		rc = http_fail(resp, CAIRN_EAUTH, NULL, "wrong user name or password");
		goto out;
	}
	const char *secret, *csrf;
	int64_t tid, now = auth_now_ms();
	rc = auth_issue(req, u.id, "session", NULL, now + SESSION_IDLE_MS, &tid, &secret, &csrf, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		user_release(&u);
		buf_release(&err);
		goto out;
	}
	store_audit(req->st, u.id, 0, "auth.login", "user", u.id, NULL, NULL);
	char cookie[256];
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld",
		 SESSION_COOKIE, secret, (long long)(SESSION_MAX_MS / 1000));
	http_set_header(req, resp, "Set-Cookie", cookie);
	buf_adds(&resp->body, "{\"user\":");
	api_json_user(&resp->body, &u);
	buf_adds(&resp->body, ",\"csrf_token\":");
	buf_add_json_str(&resp->body, csrf);
	buf_addf(&resp->body, ",\"expires_at\":%lld}", (long long)(now + SESSION_IDLE_MS));
	resp->status = 200;
	user_release(&u);
	buf_release(&err);
out:
	json_decref(body);
	return rc;
}

int api_logout(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	int rc = store_token_revoke(req->st, req->token_id, req->user_id, &err);
	buf_release(&err);
	if (rc && rc != CAIRN_ENOTFOUND)
		return http_fail(resp, rc, NULL, "cannot end the session");
	if (req->via_cookie) {
		char cookie[128];
		snprintf(cookie, sizeof(cookie), "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
			 SESSION_COOKIE);
		http_set_header(req, resp, "Set-Cookie", cookie);
	}
	store_audit(req->st, req->user_id, 0, "auth.logout", "user", req->user_id, NULL, NULL);
	buf_adds(&resp->body, "{\"ok\":true}");
	resp->status = 200;
	return 0;
}

struct me_ctx {
	struct buf *out;
	struct http_req *req;
	bool first;
};

static int add_my_project(void *vctx, const struct project *p)
{
	struct me_ctx *c = vctx;
	enum role r = ROLE_MANAGER;
	if (!c->req->is_admin)
		store_member_get(c->req->st, p->id, c->req->user_id, &r, NULL);
	buf_addf(c->out, "%s{\"id\":%lld,\"name\":", c->first ? "" : ",", (long long)p->id);
	buf_add_json_str(c->out, p->name);
	buf_addf(c->out, ",\"role\":\"%s\"}", role_name(r));
	c->first = false;
	return 0;
}

int api_me(struct http_req *req, struct http_resp *resp)
{
	struct user u;
	struct buf err = BUF_INIT;
	int rc = store_user_get_id(req->st, req->user_id, &u, &err);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_adds(&resp->body, "{\"user\":");
	api_json_user(&resp->body, &u);
	buf_adds(&resp->body, ",\"projects\":[");
	struct me_ctx c = {&resp->body, req, true};
	rc = store_project_list(req->st, req->is_admin ? 0 : req->user_id, add_my_project, &c, &err);
	buf_adds(&resp->body, "]");
	if (req->csrf) {
		buf_adds(&resp->body, ",\"csrf_token\":");
		buf_add_json_str(&resp->body, req->csrf);
	}
	buf_adds(&resp->body, "}");
	user_release(&u);
	if (rc) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	buf_release(&err);
	resp->status = 200;
	return 0;
}

int api_password(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	const char *cur, *next;
	static const char *const keys[] = {"current", "new", NULL};
	struct buf err = BUF_INIT, hash = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "current", true, 1024, &cur)) ||
	    (rc = http_json_str(resp, body, "new", true, 1024, &next)))
		goto out;
	struct user u = {0};
	char *stored = NULL;
	rc = store_user_get(req->st, req->user_name, &u, &stored, &err);
	bool ok = !rc && auth_check_password(stored, cur);
	free(stored);
	user_release(&u);
	if (!ok) {
		rc = http_fail(resp, CAIRN_EPERM, "current", "the current password is wrong");
		goto out;
	}
	if (auth_password_ok(next, &err)) {
		rc = http_fail(resp, CAIRN_EINVAL, "new", "%s", err.data);
		goto out;
	}
	if ((rc = auth_hash_password(next, &hash, &err)) ||
	    (rc = store_user_set_password(req->st, req->user_id, hash.data, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	store_audit(req->st, req->user_id, 0, "user.passwd", "user", req->user_id, NULL, NULL);
	buf_adds(&resp->body, "{\"ok\":true}");
	resp->status = 200;
out:
	json_decref(body);
	buf_release(&err);
	buf_release(&hash);
	return rc;
}

struct tok_ctx {
	struct buf *out;
	bool first;
};

static int add_token(void *vctx, const struct token *t)
{
	struct tok_ctx *c = vctx;
	buf_addf(c->out, "%s{\"id\":%lld,\"name\":", c->first ? "" : ",", (long long)t->id);
	buf_add_json_str(c->out, t->name ? t->name : "");
	buf_addf(c->out, ",\"created_at\":%lld,\"last_used_at\":%lld}", (long long)t->created_at,
		 (long long)t->last_used_at);
	c->first = false;
	return 0;
}

int api_tokens_list(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct tok_ctx c = {&resp->body, true};
	buf_adds(&resp->body, "{\"tokens\":[");
	int rc = store_token_list(req->st, req->user_id, add_token, &c, &err);
	buf_adds(&resp->body, "]}");
	if (rc)
		api_store_fail(resp, rc, &err);
	else
		resp->status = 200;
	buf_release(&err);
	return rc;
}

int api_tokens_create(struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	int rc = http_json_body(req, resp, &body);
	if (rc)
		return rc;
	const char *name;
	static const char *const keys[] = {"name", NULL};
	struct buf err = BUF_INIT;
	if ((rc = http_json_only(resp, body, keys)) ||
	    (rc = http_json_str(resp, body, "name", true, 100, &name)))
		goto out;
	const char *secret;
	int64_t id;
	if ((rc = auth_issue(req, req->user_id, "api", name, 0, &id, &secret, NULL, &err))) {
		api_store_fail(resp, rc, &err);
		goto out;
	}
	store_audit(req->st, req->user_id, 0, "token.create", "token", id, NULL, NULL);
	buf_addf(&resp->body, "{\"id\":%lld,\"name\":", (long long)id);
	buf_add_json_str(&resp->body, name);
	buf_adds(&resp->body, ",\"token\":");
	buf_add_json_str(&resp->body, secret);
	buf_adds(&resp->body, "}");
	resp->status = 201;
out:
	json_decref(body);
	buf_release(&err);
	return rc;
}

int api_tokens_delete(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	/* Only the owner's tokens: another user's id answers 404. */
	int rc = store_token_revoke(req->st, req->args[0], req->user_id, &err);
	buf_release(&err);
	if (rc == CAIRN_ENOTFOUND)
		return http_fail(resp, rc, NULL, "you have no token %lld", (long long)req->args[0]);
	if (rc)
		return http_fail(resp, rc, NULL, "cannot revoke the token");
	store_audit(req->st, req->user_id, 0, "token.revoke", "token", req->args[0], NULL, NULL);
	resp->status = 204;
	return 0;
}
