/*
 * http_auth.h - who is asking (session cookie or Bearer token), whether
 * they may (the one authorization check every route goes through, deny by
 * default), login throttling, and issuing sessions and API tokens.
 */
#ifndef CAIRN_HTTP_AUTH_H
#define CAIRN_HTTP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

#define SESSION_COOKIE "cairn_session"
#define CSRF_HEADER "X-CSRF-Token"
/* Sessions expire after this long without use. */
#define SESSION_IDLE_MS (12LL * 3600 * 1000)
/* ... and at the latest this long after sign-in. */
#define SESSION_MAX_MS (7LL * 24 * 3600 * 1000)

struct auth_throttle;
struct auth_throttle *auth_throttle_new(void);
void auth_throttle_free(struct auth_throttle *t);
/* Seconds the caller must wait before another login try for (name, ip); 0 = go. */
int auth_throttle_wait(struct auth_throttle *t, const char *name, const char *ip);
void auth_throttle_record(struct auth_throttle *t, const char *name, const char *ip, bool ok);

/*
 * Sets req->user_* from the Bearer token or the session cookie. A request
 * without credentials stays anonymous; bad or expired credentials answer
 * 401 (code "unauthenticated" or "session_expired"). A cookie-authenticated
 * write without the matching CSRF header answers 403.
 */
int auth_authenticate(struct http_req *req, struct http_resp *resp, struct auth_throttle *t);

/*
 * The central check: the route's permission against the user, resolving
 * the project through the path's first parameter. A project the user is
 * not a member of answers 404, so that ids reveal nothing.
 */
int auth_authorize(struct http_req *req, struct http_resp *resp);

/* The throttle of this server, for the login handler. */
struct auth_throttle *auth_server_throttle(struct http_req *req);

/*
 * Creates a session (kind "session") or an API token (kind "api") for
 * user_id. Writes the secret (to show once) and, for sessions, the CSRF
 * token into the arena. expires_ms 0 = never (API tokens).
 */
int auth_issue(struct http_req *req, int64_t user_id, const char *kind, const char *name,
	       int64_t expires_ms, int64_t *token_id, const char **secret, const char **csrf,
	       struct buf *err);

int64_t auth_now_ms(void);

#endif
