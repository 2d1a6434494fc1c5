/*
 * http_auth.c - authentication (session cookie or Bearer token, with CSRF
 * for cookie writes), the central authorization check, and login
 * throttling. Secrets never reach the database: only their SHA-256.
 */
#include "http/http_auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "core/auth.h"
#include "store/store.h"
#include "base/banned.h"

#define TOKEN_PREFIX "cairn_"
#define SECRET_HEX 64
/* Record use at most once a minute per token: saves a write per request. */
#define TOUCH_EVERY_MS (60LL * 1000)

int64_t auth_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- login throttling ---- */

#define THROTTLE_SLOTS 4096
#define THROTTLE_FREE_TRIES 5
#define THROTTLE_WINDOW_MS (15LL * 60 * 1000)
#define THROTTLE_MAX_WAIT_S 900

struct throttle_slot {
	uint64_t key;            /* hash of "name|ip" or "|ip"; 0 = empty */
	int fails;
	int64_t last_ms;
};

struct auth_throttle {
	pthread_mutex_t lock;
	struct throttle_slot slots[THROTTLE_SLOTS];
};

struct auth_throttle *auth_throttle_new(void)
{
	struct auth_throttle *t = calloc(1, sizeof(*t));
	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void auth_throttle_free(struct auth_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static uint64_t throttle_key(const char *name, const char *ip)
{
	unsigned char h[8];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
	crypto_generichash_update(&st, (const unsigned char *)"|", 1);
	crypto_generichash_update(&st, (const unsigned char *)ip, strlen(ip));
	crypto_generichash_final(&st, h, sizeof(h));
	uint64_t k;
	memcpy(&k, h, sizeof(k));
	return k ? k : 1;
}

/* The slot for key: a small open-addressed table that overwrites the
 * stalest of a few probes, so memory stays fixed under any attack. */
static struct throttle_slot *slot_for(struct auth_throttle *t, uint64_t key, bool create,
				      int64_t now)
{
	struct throttle_slot *victim = NULL;
	for (int i = 0; i < 8; i++) {
		struct throttle_slot *s = &t->slots[(key + (uint64_t)i) % THROTTLE_SLOTS];
		if (s->key == key) {
			if (now - s->last_ms > THROTTLE_WINDOW_MS)
				s->fails = 0;
			return s;
		}
		if (!victim || s->key == 0 || s->last_ms < victim->last_ms)
			victim = s;
	}
	if (!create)
		return NULL;
	victim->key = key;
	victim->fails = 0;
	victim->last_ms = now;
	return victim;
}

static int wait_of(const struct throttle_slot *s, int64_t now, int free_tries)
{
	if (!s || s->fails < free_tries)
		return 0;
	int shift = s->fails - free_tries;
	int64_t wait_s = shift > 10 ? THROTTLE_MAX_WAIT_S : (1LL << shift);
	if (wait_s > THROTTLE_MAX_WAIT_S)
		wait_s = THROTTLE_MAX_WAIT_S;
	int64_t left = s->last_ms + wait_s * 1000 - now;
	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

int auth_throttle_wait(struct auth_throttle *t, const char *name, const char *ip)
{
	int64_t now = auth_now_ms();
	pthread_mutex_lock(&t->lock);
	int a = wait_of(slot_for(t, throttle_key(name, ip), false, now), now, THROTTLE_FREE_TRIES);
	/* One address trying many names is throttled too, more loosely. */
	int b = wait_of(slot_for(t, throttle_key("", ip), false, now), now, 4 * THROTTLE_FREE_TRIES);
	pthread_mutex_unlock(&t->lock);
	return a > b ? a : b;
}

void auth_throttle_record(struct auth_throttle *t, const char *name, const char *ip, bool ok)
{
	int64_t now = auth_now_ms();
	pthread_mutex_lock(&t->lock);
	struct throttle_slot *s = slot_for(t, throttle_key(name, ip), !ok, now);
	if (s) {
		if (ok) {
			s->key = 0;
		} else {
			s->fails++;
			s->last_ms = now;
		}
	}
	if (!ok) {
		s = slot_for(t, throttle_key("", ip), true, now);
		s->fails++;
		s->last_ms = now;
	}
	pthread_mutex_unlock(&t->lock);
}

/* ---- tokens ---- */

static void secret_hash(const char *secret, unsigned char out[32])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, strlen(secret));
}

int auth_issue(struct http_req *req, int64_t user_id, const char *kind, const char *name,
	       int64_t expires_ms, int64_t *token_id, const char **secret, const char **csrf,
	       struct buf *err)
{
	struct buf sec = BUF_INIT, cs = BUF_INIT;
	unsigned char hash[32];
	bool session = !strcmp(kind, "session");
	buf_adds(&sec, TOKEN_PREFIX);
	auth_random_hex(&sec, SECRET_HEX / 2);
	if (session)
		auth_random_hex(&cs, 32);
	secret_hash(sec.data, hash);
	int rc = store_token_add(req->st, user_id, session, name, hash, session ? cs.data : NULL,
				 expires_ms, token_id, err);
	if (!rc) {
		*secret = arena_strdup(&req->arena, sec.data);
		if (csrf)
			*csrf = session ? arena_strdup(&req->arena, cs.data) : NULL;
	}
	sodium_memzero(sec.data, sec.len);
	buf_release(&sec);
	buf_release(&cs);
	return rc;
}

static bool well_formed(const char *secret)
{
	size_t n = strlen(TOKEN_PREFIX);
	if (strncmp(secret, TOKEN_PREFIX, n) || strlen(secret) != n + SECRET_HEX)
		return false;
	return strspn(secret + n, "0123456789abcdef") == SECRET_HEX;
}

static bool is_write(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

int auth_authenticate(struct http_req *req, struct http_resp *resp, struct auth_throttle *t)
{
	const char *authz = http_header(req, "Authorization");
	const char *secret = NULL;
	bool cookie = false;
	(void)t;
	/* Public routes ignore credentials: a browser still holding an
	 * expired or revoked session cookie must be able to sign in again. */
	if (req->route && req->route->perm == PERM_PUBLIC)
		return 0;
	if (authz) {
		if (strncmp(authz, "Bearer ", 7))
			return http_fail(resp, CAIRN_EAUTH, "Authorization",
					 "the Authorization header must be 'Bearer <token>'");
		secret = authz + 7;
	} else {
		secret = http_cookie(req, SESSION_COOKIE);
		cookie = secret != NULL;
	}
	if (!secret)
		return 0; /* anonymous; authorization decides */
	if (!well_formed(secret))
		return http_fail(resp, CAIRN_EAUTH, cookie ? "cookie" : "Authorization",
				 "the %s is not a valid token", cookie ? "session cookie" : "token");
	unsigned char hash[32];
	secret_hash(secret, hash);
	struct token tok;
	struct buf err = BUF_INIT;
	int rc = store_token_find(req->st, hash, &tok, &err);
	if (rc == CAIRN_ENOTFOUND) {
		buf_release(&err);
		return http_fail(resp, CAIRN_EAUTH, NULL, "unknown or revoked credentials; sign in again");
	}
	if (rc) {
		http_fail(resp, rc, NULL, "%s", err.data);
		buf_release(&err);
		return rc;
	}
	int64_t now = auth_now_ms();
	if (tok.revoked || !tok.user_is_active || (cookie != tok.is_session)) {
		rc = http_fail(resp, CAIRN_EAUTH, NULL, "unknown or revoked credentials; sign in again");
		goto out;
	}
	if (tok.expires_at && tok.expires_at <= now) {
		rc = http_fail_status(resp, 401, "session_expired", NULL,
				      "the session has expired; sign in again (unsaved work is kept)");
		goto out;
	}
	if (cookie && is_write(req->method)) {
		const char *sent = http_header(req, CSRF_HEADER);
		if (!sent || !tok.csrf || strlen(sent) != strlen(tok.csrf) ||
		    sodium_memcmp(sent, tok.csrf, strlen(sent)) != 0) {
			rc = http_fail(resp, CAIRN_EPERM, CSRF_HEADER,
				       "a signed-in write needs the %s header from sign-in", CSRF_HEADER);
			goto out;
		}
	}
	req->user_id = tok.user_id;
	req->user_name = arena_strdup(&req->arena, tok.user_name);
	req->is_admin = tok.user_is_admin;
	req->token_id = tok.id;
	req->via_cookie = cookie;
	req->csrf = cookie && tok.csrf ? arena_strdup(&req->arena, tok.csrf) : NULL;
	if (now - tok.last_used_at > TOUCH_EVERY_MS) {
		int64_t exp = 0;
		if (tok.is_session) {
			exp = now + SESSION_IDLE_MS;
			if (exp > tok.created_at + SESSION_MAX_MS)
				exp = tok.created_at + SESSION_MAX_MS;
		}
		/* A failed touch must not fail the request it rides on. */
		store_token_touch(req->st, tok.id, now, exp, NULL);
	}
	rc = 0;
out:
	token_release(&tok);
	buf_release(&err);
	return rc;
}

/* ---- authorization ---- */

static int required_role(enum perm p, enum role *r)
{
	switch (p) {
	case PERM_VIEW: *r = ROLE_VIEWER; return 1;
	case PERM_ANNOTATE: *r = ROLE_ANNOTATOR; return 1;
	case PERM_REVIEW: *r = ROLE_REVIEWER; return 1;
	case PERM_MANAGE: *r = ROLE_MANAGER; return 1;
	default: return 0;
	}
}

/* Reports a missing object the same way whether it does not exist or the
 * user may not know of it. */
static int not_found(struct http_req *req, struct http_resp *resp)
{
	return http_fail(resp, CAIRN_ENOTFOUND, NULL, "nothing at %s", req->path);
}

/*
 * A path naming an annotation of an item ({item}/annotations/{annotation}):
 * it must belong to that item; annotators reach only their own manual
 * annotations and (to read) predictions; gold is for reviewers and up.
 */
static int authorize_annotation(struct http_req *req, struct http_resp *resp, enum role have)
{
	if (strstr(req->route->pattern, "{job}") && req->nargs >= 2) {
		/* A job is reached only through its own project. */
		struct job j;
		struct buf e = BUF_INIT;
		int jrc = store_job_get(req->st, req->args[1], &j, &e);
		buf_release(&e);
		if (jrc == CAIRN_ENOTFOUND || (!jrc && j.project_id != req->project_id)) {
			if (!jrc)
				job_release(&j);
			return not_found(req, resp);
		}
		if (jrc)
			return http_fail(resp, jrc, NULL, "cannot read the job");
		job_release(&j);
		return 0;
	}
	if (!strstr(req->route->pattern, "{annotation}") || req->nargs < 2)
		return 0;
	int64_t item, user;
	enum annotation_kind kind;
	struct buf err = BUF_INIT;
	int rc = store_annotation_owner(req->st, req->args[1], &item, &kind, &user, &err);
	buf_release(&err);
	if (rc == CAIRN_ENOTFOUND || (!rc && item != req->args[0]))
		return not_found(req, resp);
	if (rc)
		return http_fail(resp, rc, NULL, "cannot read the annotation");
	if (req->is_admin || have >= ROLE_REVIEWER)
		return 0;
	bool reading = !is_write(req->method);
	if (kind == ANN_GOLD || kind == ANN_CONSENSUS)
		return not_found(req, resp);
	if (kind == ANN_PREDICTION)
		return reading ? 0 : http_fail(resp, CAIRN_EPERM, NULL,
					       "predictions are changed by managers or their model");
	/* Viewers read everyone's manual work (the item's list shows it to
	 * them); annotators reach only their own. */
	if (user != req->user_id && !(reading && have == ROLE_VIEWER))
		return not_found(req, resp);
	return 0;
}

struct member_probe {
	int64_t user;
	bool *found;
};

static int batch_member_is(void *ctx, int64_t user_id, const char *name, const char *role)
{
	struct member_probe *m = ctx;
	(void)name;
	(void)role;
	if (user_id == m->user)
		*m->found = true;
	return 0;
}

int auth_authorize(struct http_req *req, struct http_resp *resp)
{
	const struct route *r = req->route;
	enum role need;
	if (r->perm == PERM_PUBLIC)
		return 0;
	if (r->perm == PERM_DENY)
		return http_fail(resp, CAIRN_EPERM, NULL, "this endpoint is not open to anyone");
	if (!req->user_id)
		return http_fail(resp, CAIRN_EAUTH, NULL, "sign in first");
	if (r->perm == PERM_USER)
		return 0;
	if (r->perm == PERM_ADMIN) {
		if (!req->is_admin)
			return http_fail(resp, CAIRN_EPERM, NULL, "only an administrator may do this");
		return 0;
	}
	if (!required_role(r->perm, &need))
		return http_fail(resp, CAIRN_EPERM, NULL, "denied");

	/* Find the project the path names, directly or through an object. */
	struct buf err = BUF_INIT;
	int64_t project = 0, item = 0, batch = 0;
	int rc = 0;
	const char *p = strchr(r->pattern, '{');
	if (!p || req->nargs == 0) {
		buf_release(&err);
		return http_fail(resp, CAIRN_EPERM, NULL, "denied");
	}
	if (!strncmp(p, "{project}", 9)) {
		project = req->args[0];
	} else if (!strncmp(p, "{item}", 6)) {
		item = req->args[0];
		rc = store_item_scope(req->st, item, &project, &err);
	} else if (!strncmp(p, "{batch}", 7)) {
		batch = req->args[0];
		rc = store_batch_scope(req->st, batch, &project, &err);
	} else {
		buf_release(&err);
		return http_fail(resp, CAIRN_EPERM, NULL, "denied");
	}
	if (rc == CAIRN_ENOTFOUND) {
		buf_release(&err);
		return not_found(req, resp);
	}
	if (rc) {
		http_fail(resp, rc, NULL, "%s", err.data);
		buf_release(&err);
		return rc;
	}
	req->project_id = project;
	/* {project}/.../{item}: the item must be one of that project's. */
	if (!item && project && req->nargs >= 2 && strstr(r->pattern, "{project}/") &&
	    strstr(r->pattern, "/{item}")) {
		int64_t owner = 0;
		rc = store_item_scope(req->st, req->args[1], &owner, &err);
		if (rc == CAIRN_ENOTFOUND || (!rc && owner != project)) {
			buf_release(&err);
			return not_found(req, resp);
		}
		if (rc) {
			http_fail(resp, rc, NULL, "%s", err.data);
			buf_release(&err);
			return rc;
		}
		item = req->args[1];
	}
	if (req->is_admin) {
		struct project pr;
		rc = store_project_get_id(req->st, project, &pr, &err);
		buf_release(&err);
		if (rc == CAIRN_ENOTFOUND)
			return not_found(req, resp);
		if (rc)
			return http_fail(resp, rc, NULL, "cannot read the project");
		project_release(&pr);
		req->role = ROLE_MANAGER;
		req->has_role = true;
		return authorize_annotation(req, resp, ROLE_MANAGER);
	}
	enum role have;
	rc = store_member_get(req->st, project, req->user_id, &have, &err);
	if (rc == CAIRN_ENOTFOUND) {
		buf_release(&err);
		return not_found(req, resp);
	}
	if (rc) {
		http_fail(resp, rc, NULL, "%s", err.data);
		buf_release(&err);
		return rc;
	}
	req->role = have;
	req->has_role = true;
	req->item_restricted = have == ROLE_ANNOTATOR;
	if (have < need) {
		buf_release(&err);
		return http_fail(resp, CAIRN_EPERM, NULL, "this needs the %s role in the project; you are %s",
				 role_name(need), role_name(have));
	}
	/* Annotators see only the items assigned to them. */
	if (item && have == ROLE_ANNOTATOR) {
		bool ok = false;
		rc = store_item_assigned(req->st, item, req->user_id, &ok, &err);
		if (rc) {
			buf_release(&err);
			return http_fail(resp, rc, NULL, "cannot check the assignment");
		}
		if (!ok) {
			buf_release(&err);
			return not_found(req, resp);
		}
	}
	/* ... and only the batches they are members of. */
	if (batch && have == ROLE_ANNOTATOR) {
		bool member = false;
		rc = store_batch_members(req->st, batch, batch_member_is, &(struct member_probe){
			req->user_id, &member}, &err);
		buf_release(&err);
		if (rc)
			return http_fail(resp, rc, NULL, "cannot check the batch's members");
		if (!member)
			return not_found(req, resp);
	}
	buf_release(&err);
	return authorize_annotation(req, resp, have);
}
