/*
 * http.h - what a request handler sees of HTTP: the parsed request (with
 * its arena, its store handle and the authenticated user), the response it
 * fills, and helpers for headers, query strings, JSON bodies and errors.
 * Handlers live in src/api/ and are reached through the route table
 * (http/routes.c); the server (http/server.c) owns the sockets.
 *
 * Everything a handler allocates for the response comes from req->arena or
 * resp->body and is freed when the response has been sent.
 */
#ifndef CAIRN_HTTP_H
#define CAIRN_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "core/model.h"

struct store;
struct server;

/*
 * What a route requires. Deny is zero, so a route that forgets to say is
 * refused (deny by default). Project levels are checked against the
 * project the path names, directly ({project}) or through the object the
 * path names ({item}, {job}, {comment}).
 */
enum perm {
	PERM_DENY = 0,
	PERM_PUBLIC,      /* anyone, signed in or not */
	PERM_USER,        /* any signed-in user */
	PERM_ADMIN,       /* an administrator */
	PERM_VIEW,        /* project viewer or above */
	PERM_ANNOTATE,    /* project annotator or above */
	PERM_REVIEW,      /* project reviewer or above */
	PERM_MANAGE,      /* project manager (or admin) */
};

/* What the first path parameter of a route names. */
enum scope { SCOPE_NONE, SCOPE_PROJECT, SCOPE_ITEM, SCOPE_JOB, SCOPE_USER, SCOPE_TOKEN };

#define HTTP_MAX_ARGS 4

struct http_req {
	struct arena arena;
	const char *method;
	const char *path;            /* without the query string */
	void *conn;                  /* the server's connection, opaque */
	const char *body;            /* NUL-terminated; "" when none */
	size_t body_len;
	/* Routes with stream_body: the body as a temporary file (body is ""),
	 * removed by the server after the response; NULL otherwise. */
	const char *body_file;
	int64_t args[HTTP_MAX_ARGS]; /* numeric path parameters, in order */
	const char *sargs[HTTP_MAX_ARGS]; /* the same as text (for {name} parameters) */
	int nargs;
	struct store *st;            /* this thread's store handle */
	struct server *srv;
	const char *ip;
	/* Set by authentication. user_id 0 = anonymous. */
	int64_t user_id;
	const char *user_name;
	bool is_admin;
	int64_t token_id;
	bool via_cookie;             /* cookie session: writes need the CSRF header */
	const char *csrf;            /* that session's CSRF token (so a reloaded page can get it again) */
	/* Set by authorization for project-scoped routes. */
	int64_t project_id;
	enum role role;              /* the user's role there (admins: manager) */
	bool has_role;
	bool item_restricted;        /* an annotator: only assigned items */
	/* Whatever the route's handler needs to know about the route. */
	const struct route *route;
	/* Error detail field for the JSON error body, set by http_fail. */
	const char *err_field;
};

struct http_header_kv {
	const char *name;
	const char *value;
};

#define HTTP_MAX_HEADERS 8

struct http_resp {
	int status;
	const char *content_type;    /* default "application/json" */
	struct buf body;
	struct http_header_kv headers[HTTP_MAX_HEADERS];
	int nheaders;
	/* A file body instead of `body` (media, downloads): served with Range. */
	int fd;                      /* -1 = none; the server closes it */
	uint64_t fd_size;
	const char *etag;            /* set to make the response conditional */
	bool cache_immutable;        /* content-addressed: cache for a year */
};

typedef int (*http_handler)(struct http_req *req, struct http_resp *resp);

struct route {
	const char *method;
	const char *pattern;         /* "/api/v1/projects/{project}/items" */
	http_handler fn;
	enum perm perm;
	size_t max_body;             /* 0 = the default JSON limit */
	const char *summary;         /* for the OpenAPI document */
	/* Uploads: the body goes to a file under DATA/tmp/ as it arrives
	 * (req->body_file), capped by max_body, after authorization passed on
	 * the headers alone, so no unauthorised byte reaches the disk. */
	bool stream_body;
};

/* The route table (http/routes.c), ending with a NULL method. */
extern const struct route http_routes[];

/* Request accessors. Return NULL when absent. Borrowed. */
const char *http_header(struct http_req *req, const char *name);
const char *http_query(struct http_req *req, const char *name);
const char *http_cookie(struct http_req *req, const char *name);

/* Query helpers with validation: fail with a 400 naming the parameter. */
int http_query_i64(struct http_req *req, struct http_resp *resp, const char *name,
		   int64_t def, int64_t min, int64_t max, int64_t *out);

/*
 * Fills resp with {"error": {"code", "message", "field"}} and the status
 * that code maps to; returns code (negative) so handlers can
 * `return http_fail(...)`. field may be NULL.
 */
int http_fail(struct http_resp *resp, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Same, with a explicit HTTP status (e.g. 405, 429). */
int http_fail_status(struct http_resp *resp, int status, const char *code_name,
		     const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Parses the body as a JSON object (depth at most 64), or fails with a 400
 * that names the place ("body: line 3, column 7: ..."). The result is
 * owned: json_decref it.
 */
int http_json_body(struct http_req *req, struct http_resp *resp, json_t **out);

/* Typed field access for a parsed body: each fails with a 400 naming the field. */
int http_json_str(struct http_resp *resp, json_t *obj, const char *key, bool required,
		  size_t max_len, const char **out);
int http_json_i64(struct http_resp *resp, json_t *obj, const char *key, bool required,
		  int64_t *out);
int http_json_bool(struct http_resp *resp, json_t *obj, const char *key, bool *out);
/* Fails with a 400 if obj has a key not in the NULL-terminated list. */
int http_json_only(struct http_resp *resp, json_t *obj, const char *const *keys);

/* Adds a response header; value is copied into the request arena. */
void http_set_header(struct http_req *req, struct http_resp *resp, const char *name,
		     const char *value);
/* Sets a JSON body from jansson (compact) with status. */
int http_json(struct http_resp *resp, int status, json_t *doc);

/* Tells the background job runner that a job was queued. */
void server_jobs_wake(struct server *srv);

/* The data directory the server was started on. */
const char *server_data_dir(struct server *srv);

#endif
