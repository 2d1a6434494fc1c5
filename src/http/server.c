/*
 * server.c - libmicrohttpd glue: per-request state and body limits, route
 * matching, authentication and authorization (http_auth.c) before any
 * handler runs, and the response path (security headers, ETag, gzip,
 * Range, one log line per request).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/err.h"
#include "base/json_scan.h"
#include "http/http.h"
#include "http/http_auth.h"
#include "store/store.h"
#include "workflow/jobs.h"
#include "base/banned.h"

#define DEFAULT_MAX_BODY (16u << 20)
#define MAX_JSON_DEPTH 64
#define GZIP_MIN 1024

struct server {
	const struct server_opts *o;
	struct MHD_Daemon *d;
	char *db_path;
	pthread_key_t store_key;
	struct auth_throttle *throttle;
	struct job_runner *jobs;
	uint64_t max_upload;         /* $CAIRN_MAX_UPLOAD: a lower cap for uploads; 0 = none */
};

struct req_state {
	struct http_req req;
	struct http_resp resp;
	struct buf body;
	const struct route *route;
	bool too_big;
	bool responded;
	bool authed;                 /* authentication and authorization done */
	/* stream_body routes: the temporary file the body goes to. */
	int body_fd;                 /* -1 = none */
	char *body_path;             /* owned; unlinked when the request ends */
	uint64_t body_bytes;
	int body_errno;              /* a failed write, else 0 */
	struct timespec start;
};

const char *server_data_dir(struct server *srv)
{
	return srv->o->data_dir;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void store_destroy(void *p)
{
	store_close(p);
}

/* Each worker thread opens its own handle on first use. */
static struct store *thread_store(struct server *srv, struct buf *err)
{
	struct store *st = pthread_getspecific(srv->store_key);
	if (st)
		return st;
	if (store_open(&st, srv->db_path, 0, err))
		return NULL;
	pthread_setspecific(srv->store_key, st);
	return st;
}

/* ---- request accessors ---- */

const char *http_header(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_cookie(struct http_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

int http_query_i64(struct http_req *req, struct http_resp *resp, const char *name,
		   int64_t def, int64_t min, int64_t max, int64_t *out)
{
	const char *v = http_query(req, name);
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return http_fail(resp, CAIRN_EINVAL, name,
				 "query parameter '%s' must be an integer from %lld to %lld",
				 name, (long long)min, (long long)max);
	*out = n;
	return 0;
}

/* ---- responses ---- */

static void resp_error_body(struct http_resp *resp, const char *code_name, const char *field,
			    const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT;
	buf_vaddf(&msg, fmt, ap);
	buf_reset(&resp->body);
	resp->body.max = 0;
	buf_adds(&resp->body, "{\"error\":{\"code\":");
	buf_add_json_str(&resp->body, code_name);
	buf_adds(&resp->body, ",\"message\":");
	buf_add_json_str(&resp->body, msg.data);
	buf_adds(&resp->body, ",\"field\":");
	if (field)
		buf_add_json_str(&resp->body, field);
	else
		buf_adds(&resp->body, "null");
	buf_adds(&resp->body, "}}");
	resp->content_type = "application/json";
	resp->etag = NULL;
	if (resp->fd >= 0) {
		close(resp->fd);
		resp->fd = -1;
	}
	buf_release(&msg);
}

int http_fail(struct http_resp *resp, int code, const char *field, const char *fmt, ...)
{
	va_list ap;
	if (code >= 0)
		code = CAIRN_EINTERNAL;
	resp->status = err_http_status(code);
	va_start(ap, fmt);
	resp_error_body(resp, err_name(code), field, fmt, ap);
	va_end(ap);
	return code;
}

int http_fail_status(struct http_resp *resp, int status, const char *code_name,
		     const char *field, const char *fmt, ...)
{
	va_list ap;
	resp->status = status;
	va_start(ap, fmt);
	resp_error_body(resp, code_name, field, fmt, ap);
	va_end(ap);
	return status >= 500 ? CAIRN_EINTERNAL : CAIRN_EINVAL;
}

void http_set_header(struct http_req *req, struct http_resp *resp, const char *name,
		     const char *value)
{
	if (resp->nheaders >= HTTP_MAX_HEADERS)
		return;
	resp->headers[resp->nheaders].name = name;
	resp->headers[resp->nheaders].value = arena_strdup(&req->arena, value);
	resp->nheaders++;
}

int http_json(struct http_resp *resp, int status, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return http_fail(resp, CAIRN_ENOMEM, NULL, "cannot serialise the response");
	buf_reset(&resp->body);
	buf_adds(&resp->body, s);
	free(s);
	resp->status = status;
	resp->content_type = "application/json";
	return 0;
}

/* ---- JSON bodies ---- */


int http_json_body(struct http_req *req, struct http_resp *resp, json_t **out)
{
	*out = NULL;
	const char *ct = http_header(req, "Content-Type");
	if (ct && strncmp(ct, "application/json", 16))
		return http_fail_status(resp, 415, "unsupported_media_type", "Content-Type",
					"the body must be application/json, not '%s'", ct);
	if (req->body_len == 0)
		return http_fail(resp, CAIRN_EINVAL, "body", "the request needs a JSON body");
	/* Refuse deep nesting before jansson recurses into it. */
	size_t line = json_scan_too_deep(req->body, req->body_len, MAX_JSON_DEPTH);
	if (line)
		return http_fail(resp, CAIRN_EINVAL, "body",
				 "JSON nested deeper than %d levels (line %zu)", MAX_JSON_DEPTH, line);
	json_error_t je;
	json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return http_fail(resp, CAIRN_EINVAL, "body", "invalid JSON at line %d, column %d: %s",
				 je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return http_fail(resp, CAIRN_EINVAL, "body", "the body must be a JSON object");
	}
	*out = j;
	return 0;
}

int http_json_str(struct http_resp *resp, json_t *obj, const char *key, bool required,
		  size_t max_len, const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return http_fail(resp, CAIRN_EINVAL, key, "'%s' is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return http_fail(resp, CAIRN_EINVAL, key, "'%s' must be a string", key);
	size_t n = json_string_length(v);
	if (n > max_len)
		return http_fail(resp, CAIRN_EINVAL, key, "'%s' is longer than %zu bytes", key,
				 max_len);
	if (strlen(json_string_value(v)) != n)
		return http_fail(resp, CAIRN_EINVAL, key, "'%s' must not contain NUL characters",
				 key);
	*out = json_string_value(v);
	return 0;
}

int http_json_i64(struct http_resp *resp, json_t *obj, const char *key, bool required,
		  int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v)) {
		if (required)
			return http_fail(resp, CAIRN_EINVAL, key, "'%s' is required", key);
		return 0;
	}
	if (!json_is_integer(v))
		return http_fail(resp, CAIRN_EINVAL, key, "'%s' must be an integer", key);
	*out = json_integer_value(v);
	return 0;
}

int http_json_bool(struct http_resp *resp, json_t *obj, const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return http_fail(resp, CAIRN_EINVAL, key, "'%s' must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

int http_json_only(struct http_resp *resp, json_t *obj, const char *const *keys)
{
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		bool ok = false;
		for (const char *const *p = keys; *p && !ok; p++)
			ok = !strcmp(*p, k);
		if (!ok) {
			struct buf allowed = BUF_INIT;
			for (const char *const *p = keys; *p; p++)
				buf_addf(&allowed, "%s%s", p == keys ? "" : ", ", *p);
			int rc = http_fail(resp, CAIRN_EINVAL, k, "unknown field '%s' (expected: %s)",
					   k, allowed.data);
			buf_release(&allowed);
			return rc;
		}
	}
	return 0;
}

/* ---- routing ---- */

static enum scope scope_of(const char *name, size_t n)
{
#define IS(s) (n == sizeof(s) - 1 && !memcmp(name, s, n))
	if (IS("project"))
		return SCOPE_PROJECT;
	if (IS("item"))
		return SCOPE_ITEM;
	if (IS("job"))
		return SCOPE_JOB;
	if (IS("user"))
		return SCOPE_USER;
	if (IS("token"))
		return SCOPE_TOKEN;
#undef IS
	return SCOPE_NONE;
}

/*
 * Matches path against pattern; fills numeric args ({x} takes digits
 * unless it is {name}, which takes text). The first parameter names the
 * object the route is scoped to, an id, so it must be positive; later ones
 * may be 0 (a tile's level, column or row). Returns true on a match.
 */
static bool match(const char *pattern, const char *path, struct http_req *req,
		  enum scope *scope)
{
	int nargs = 0;
	*scope = SCOPE_NONE;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			const char *name = p + 1;
			size_t nlen = (size_t)(close - name);
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			if (len == 0 || nargs >= HTTP_MAX_ARGS)
				return false;
			bool text = nlen == 4 && !memcmp(name, "name", 4);
			int64_t v = 0;
			if (!text) {
				if (len > 18)
					return false;
				for (size_t i = 0; i < len; i++) {
					if (s[i] < '0' || s[i] > '9')
						return false;
					v = v * 10 + (s[i] - '0');
				}
				if (v <= 0 && nargs == 0)
					return false;
			}
			if (nargs == 0)
				*scope = scope_of(name, nlen);
			req->args[nargs] = v;
			req->sargs[nargs] = arena_strndup(&req->arena, s, len);
			nargs++;
			p = close + 1;
			s += len;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	if (*p || *s)
		return false;
	req->nargs = nargs;
	return true;
}

/* Finds the route; 404 or 405 (with Allow) in resp when there is none. */
static const struct route *route_find(struct http_req *req, struct http_resp *resp,
				      enum scope *scope)
{
	struct buf allow = BUF_INIT;
	const char *method = req->method;
	bool head = !strcmp(method, "HEAD");
	for (const struct route *r = http_routes; r->method; r++) {
		if (!match(r->pattern, req->path, req, scope))
			continue;
		if (!strcmp(r->method, method) || (head && !strcmp(r->method, "GET"))) {
			buf_release(&allow);
			return r;
		}
		buf_addf(&allow, "%s%s", allow.len ? ", " : "", r->method);
	}
	if (allow.len) {
		http_set_header(req, resp, "Allow", allow.data);
		http_fail_status(resp, 405, "method_not_allowed", NULL,
				 "%s is not allowed on %s (allowed: %s)", method, req->path, allow.data);
	} else if (!strncmp(req->path, "/api/", 5)) {
		http_fail(resp, CAIRN_ENOTFOUND, NULL, "no API endpoint %s %s", method, req->path);
	} else {
		buf_release(&allow);
		return NULL; /* static assets are tried next */
	}
	buf_release(&allow);
	return NULL;
}

/* ---- the response path ---- */

static uint64_t fnv1a(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static bool accepts_gzip(struct http_req *req)
{
	const char *ae = http_header(req, "Accept-Encoding");
	return ae && strstr(ae, "gzip");
}

static bool gzip_buf(const struct buf *in, struct buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	size_t bound = deflateBound(&z, in->len);
	if (buf_grow(out, bound)) {
		deflateEnd(&z);
		return false;
	}
	z.next_in = (unsigned char *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (unsigned char *)out->data;
	z.avail_out = (uInt)bound;
	int rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END;
}

static void add_common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' blob: data:; "
				"style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
				"form-action 'self'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
}

/* Parses "bytes=a-b" (one range) against size; false if unsatisfiable. */
static bool parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
	if (strncmp(h, "bytes=", 6) || size == 0)
		return false;
	const char *s = h + 6;
	char *end;
	if (*s == '-') {
		unsigned long long n = strtoull(s + 1, &end, 10);
		if (*end || n == 0)
			return false;
		*from = n >= size ? 0 : size - n;
		*to = size - 1;
		return true;
	}
	unsigned long long a = strtoull(s, &end, 10);
	if (end == s || *end != '-')
		return false;
	s = end + 1;
	unsigned long long b = size - 1;
	if (*s) {
		b = strtoull(s, &end, 10);
		if (*end)
			return false;
	}
	if (a >= size || b < a)
		return false;
	if (b >= size)
		b = size - 1;
	*from = a;
	*to = b;
	return true;
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct req_state *rs)
{
	struct http_req *req = &rs->req;
	struct http_resp *resp = &rs->resp;
	struct MHD_Response *r = NULL;
	int status = resp->status ? resp->status : 200;
	bool head = !strcmp(req->method, "HEAD");
	uint64_t bytes = 0;
	char tmp[128];

	const char *inm = resp->etag ? http_header(req, "If-None-Match") : NULL;
	if (status == 200 && resp->etag && inm && !strcmp(inm, resp->etag)) {
		status = 304;
		if (resp->fd >= 0) {
			close(resp->fd);
			resp->fd = -1;
		}
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else if (resp->fd >= 0) {
		uint64_t from = 0, to = resp->fd_size ? resp->fd_size - 1 : 0;
		const char *range = http_header(req, "Range");
		if (range && status == 200) {
			if (!parse_range(range, resp->fd_size, &from, &to)) {
				close(resp->fd);
				resp->fd = -1;
				snprintf(tmp, sizeof(tmp), "bytes */%" PRIu64, resp->fd_size);
				http_set_header(req, resp, "Content-Range", tmp);
				http_fail_status(resp, 416, "range_not_satisfiable", "Range",
						 "range '%s' is outside the %" PRIu64 " bytes", range,
						 resp->fd_size);
				status = 416;
				goto buffer;
			}
			status = 206;
			snprintf(tmp, sizeof(tmp), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to,
				 resp->fd_size);
			http_set_header(req, resp, "Content-Range", tmp);
		}
		bytes = resp->fd_size ? to - from + 1 : 0;
		if (head) {
			close(resp->fd);
			resp->fd = -1;
			r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		} else {
			r = MHD_create_response_from_fd_at_offset64(bytes, resp->fd, from);
			resp->fd = -1; /* MHD closes it */
		}
		MHD_add_response_header(r, "Accept-Ranges", "bytes");
	} else {
	buffer:;
		struct buf gz = BUF_INIT;
		struct buf *out = &resp->body;
		bool json = !resp->content_type || !strncmp(resp->content_type, "application/json", 16);
		if (status == 200 && !resp->etag && !strcmp(req->method, "GET") && json) {
			snprintf(tmp, sizeof(tmp), "W/\"%016" PRIx64 "\"",
				 fnv1a(resp->body.data, resp->body.len));
			resp->etag = arena_strdup(&req->arena, tmp);
			if (inm == NULL)
				inm = http_header(req, "If-None-Match");
			if (inm && !strcmp(inm, resp->etag)) {
				status = 304;
				buf_reset(&resp->body);
			}
		}
		bool compress = resp->body.len >= GZIP_MIN && accepts_gzip(req) &&
				(json || (resp->content_type && (!strncmp(resp->content_type, "text/", 5) ||
								 strstr(resp->content_type, "javascript"))));
		if (compress && gzip_buf(&resp->body, &gz))
			out = &gz;
		else
			compress = false;
		size_t len;
		char *data = buf_detach(out, &len);
		bytes = len;
		r = MHD_create_response_from_buffer(head ? 0 : len, data, MHD_RESPMEM_MUST_FREE);
		if (compress) {
			MHD_add_response_header(r, "Content-Encoding", "gzip");
		}
		if (json || compress)
			MHD_add_response_header(r, "Vary", "Accept-Encoding");
		buf_release(&gz);
	}
	if (!r)
		return MHD_NO;
	add_common_headers(r);
	MHD_add_response_header(r, "Content-Type",
				resp->content_type ? resp->content_type : "application/json");
	if (resp->etag)
		MHD_add_response_header(r, "ETag", resp->etag);
	if (resp->cache_immutable)
		MHD_add_response_header(r, "Cache-Control", "private, max-age=31536000, immutable");
	else
		MHD_add_response_header(r, "Cache-Control", "no-cache");
	for (int i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	rs->responded = true;
	if (!req->srv->o->quiet) {
		fprintf(stderr, "%s %s %d %" PRIu64 " %.1fms %s\n", req->method, req->path, status,
			bytes, ms_since(&rs->start), req->user_name ? req->user_name : "-");
	}
	return ok;
}

/* ---- static assets (the browser UI) ---- */

static const char *mime_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot)
		return "application/octet-stream";
	static const struct {
		const char *ext, *mime;
	} m[] = {
		{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
		{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
		{".svg", "image/svg+xml"}, {".png", "image/png"}, {".json", "application/json"},
		{".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcmp(dot, m[i].ext))
			return m[i].mime;
	return "application/octet-stream";
}

#include "base/asset.h"

static bool serve_asset(struct http_req *req, struct http_resp *resp)
{
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD"))
		return false;
	const char *path = req->path;
	const struct asset *hit = NULL;
	for (const struct asset *a = web_assets; a->path && !hit; a++)
		if (!strcmp(a->path, path))
			hit = a;
	/* The UI routes itself: unknown non-file paths get index.html. */
	if (!hit && !strchr(strrchr(path, '/'), '.'))
		for (const struct asset *a = web_assets; a->path && !hit; a++)
			if (!strcmp(a->path, "/index.html"))
				hit = a;
	if (!hit)
		return false;
	buf_reset(&resp->body);
	buf_add(&resp->body, hit->data, hit->size);
	resp->content_type = mime_of(hit->path);
	resp->status = 200;
	char tag[40];
	snprintf(tag, sizeof(tag), "\"%016" PRIx64 "\"", fnv1a(hit->data, hit->size));
	resp->etag = arena_strdup(&req->arena, tag);
	return true;
}

/* ---- the request handler ---- */

/* Opens the thread's store and runs the central checks; 0, or the answer
 * is in resp. With keep, they run in a read snapshot that stays open for
 * the handler (dispatch ends it). */
static int authorize(struct server *srv, struct req_state *rs, bool keep)
{
	struct http_req *req = &rs->req;
	struct buf err = BUF_INIT;
	req->st = thread_store(srv, &err);
	if (!req->st) {
		http_fail(&rs->resp, CAIRN_EIO, NULL, "the database is unavailable: %s", err.data);
		buf_release(&err);
		return -1;
	}
	buf_release(&err);
	req->route = rs->route;
	store_snapshot_begin(req->st);
	int rc = auth_authenticate(req, &rs->resp, srv->throttle) || auth_authorize(req, &rs->resp);
	if (rc || !keep)
		store_snapshot_end(req->st);
	if (rc)
		return -1;
	rs->authed = true;
	return 0;
}

/* Creates DATA/tmp/upload-XXXXXX for a streamed body; 0 or the answer is in resp. */
static int body_file_open(struct server *srv, struct req_state *rs)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/tmp", srv->o->data_dir);
	if (mkdir(p.data, 0700) && errno != EEXIST) {
		http_fail(&rs->resp, CAIRN_EIO, NULL, "cannot create '%s': %s", p.data, strerror(errno));
		buf_release(&p);
		return -1;
	}
	buf_adds(&p, "/upload-XXXXXX");
	rs->body_fd = mkostemp(p.data, O_CLOEXEC);
	if (rs->body_fd < 0) {
		http_fail(&rs->resp, CAIRN_EIO, NULL, "cannot create a file for the upload: %s",
			  strerror(errno));
		buf_release(&p);
		return -1;
	}
	rs->body_path = buf_detach(&p, NULL);
	return 0;
}

/* Appends a chunk of a streamed body; past the cap the file goes at once. */
static void body_file_write(struct req_state *rs, const char *data, size_t n)
{
	if (rs->too_big || rs->body_errno || rs->body_fd < 0)
		return;
	if (rs->body_bytes + n > rs->body.max) {
		rs->too_big = true;
		close(rs->body_fd);
		rs->body_fd = -1;
		unlink(rs->body_path);
		return;
	}
	size_t off = 0;
	while (off < n) {
		ssize_t k = write(rs->body_fd, data + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			rs->body_errno = k < 0 ? errno : EIO;
			close(rs->body_fd);
			rs->body_fd = -1;
			unlink(rs->body_path);
			return;
		}
		off += (size_t)k;
	}
	rs->body_bytes += n;
}

/* Removes upload files a killed process left in DATA/tmp/. */
static int sweep_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void sweep_uploads(const char *data_dir)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/tmp", data_dir);
	DIR *d = opendir(p.data);
	size_t base = p.len;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "upload-", 7))
			continue;
		buf_setlen(&p, base);
		buf_addf(&p, "/%s", e->d_name);
		nftw(p.data, sweep_entry, 8, FTW_DEPTH | FTW_PHYS);
	}
	if (d)
		closedir(d);
	buf_release(&p);
}

static void dispatch(struct server *srv, struct req_state *rs)
{
	struct http_req *req = &rs->req;
	struct http_resp *resp = &rs->resp;
	if (rs->too_big) {
		http_fail(resp, CAIRN_ETOOBIG, "body", "the request body is larger than %zu bytes",
			  rs->body.max);
		goto out;
	}
	if (!rs->route) {
		/* route_find already answered 404/405 for the API. */
		if (resp->status)
			goto out;
		if (!serve_asset(req, resp))
			http_fail(resp, CAIRN_ENOTFOUND, NULL, "nothing at %s", req->path);
		goto out;
	}
	if (!rs->authed && authorize(srv, rs, true))
		goto out;
	if (rs->route->stream_body) {
		if (rs->body_errno || rs->body_fd < 0 || close(rs->body_fd)) {
			int e = rs->body_errno ? rs->body_errno : errno;
			rs->body_fd = -1;
			http_fail(resp, CAIRN_EIO, "body", "cannot store the upload: %s", strerror(e));
			goto out;
		}
		rs->body_fd = -1;
		req->body = "";
		req->body_len = 0;
		req->body_file = rs->body_path;
	} else {
		req->body = rs->body.data;
		req->body_len = rs->body.len;
	}
	int rc = rs->route->fn(req, resp);
	if (rc && resp->status < 400)
		http_fail(resp, rc, NULL, "%s", cairn_strerror(rc));
	/* The handler is done with an uploaded body: it goes before the answer
	 * does, so a client never sees it linger. */
	if (rs->body_path)
		unlink(rs->body_path);
out:
	if (req->st)
		store_snapshot_end(req->st);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct req_state *rs = *con_cls;
	if (!rs) {
		rs = calloc(1, sizeof(*rs));
		if (!rs)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rs->start);
		rs->body = (struct buf)BUF_INIT;
		rs->resp.body = (struct buf)BUF_INIT;
		rs->resp.fd = -1;
		rs->body_fd = -1;
		rs->req.method = method;
		rs->req.path = url;
		rs->req.conn = c;
		rs->req.srv = srv;
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char ip[INET6_ADDRSTRLEN] = "?";
		if (ci && ci->client_addr) {
			if (ci->client_addr->sa_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)ci->client_addr)->sin_addr, ip,
					  sizeof(ip));
			else if (ci->client_addr->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
					  ip, sizeof(ip));
		}
		rs->req.ip = arena_strdup(&rs->req.arena, ip);
		*con_cls = rs;
		enum scope scope;
		rs->route = route_find(&rs->req, &rs->resp, &scope);
		size_t max = rs->route && rs->route->max_body ? rs->route->max_body : DEFAULT_MAX_BODY;
		bool stream = rs->route && rs->route->stream_body;
		if (stream && srv->max_upload && srv->max_upload < max)
			max = srv->max_upload;
		rs->body.max = max;
		/* An upload is authorised on its headers, before any byte is stored. */
		if (stream && authorize(srv, rs, false))
			return send_response(c, rs);
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > max) {
			/* Answer at once; MHD closes the connection without reading on. */
			rs->too_big = true;
			dispatch(srv, rs);
			return send_response(c, rs);
		}
		if (stream && body_file_open(srv, rs))
			return send_response(c, rs);
		return MHD_YES;
	}
	if (*upload_size) {
		if (rs->responded)
			; /* answered early (refused): the rest is discarded */
		else if (rs->body_path)
			body_file_write(rs, upload_data, *upload_size);
		else if (!rs->too_big && buf_add(&rs->body, upload_data, *upload_size))
			rs->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rs->responded)
		return MHD_YES;
	dispatch(srv, rs);
	return send_response(c, rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req_state *rs = *con_cls;
	if (!rs)
		return;
	if (rs->resp.fd >= 0)
		close(rs->resp.fd);
	if (rs->body_fd >= 0)
		close(rs->body_fd);
	if (rs->body_path) {
		unlink(rs->body_path);
		free(rs->body_path);
	}
	buf_release(&rs->body);
	buf_release(&rs->resp.body);
	arena_release(&rs->req.arena);
	free(rs);
	*con_cls = NULL;
}

/*
 * Decodes %XX in URLs and query values like libmicrohttpd does, except
 * %00, which stays as the three characters: a NUL would silently cut the
 * path or a value short ("/items/1%00junk" read as "/items/1"). Left
 * as text, such a request meets the ordinary checks and gets a 4xx.
 */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (r[0] == '%' && r[1] && r[2] && (hi = hexval(r[1])) >= 0 &&
		    (lo = hexval(r[2])) >= 0 && (hi | lo)) {
			*w++ = (char)(hi * 16 + lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
	return (size_t)(w - s);
}

int server_run(const struct server_opts *o, struct buf *err)
{
	struct server srv = {0};
	struct buf path = BUF_INIT;
	int rc = 0;
	srv.o = o;
	/*
	 * Each request allocates and frees buffers of tens of KB (a document,
	 * its canonical form, the answer). With glibc's sliding thresholds a
	 * worker thread's heap grew and shrank on every request (an mprotect
	 * or madvise each time, a cross-CPU TLB flush for the latter): keep up
	 * to 8 MB free per heap and map only blocks of 1 MB or more.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	buf_addf(&path, "%s/cairn.db", o->data_dir);
	srv.db_path = buf_detach(&path, NULL);

	/* Open once here: migrations run before any request, and a missing
	 * or newer database stops the start with a clear message. */
	struct store *st;
	if ((rc = store_open(&st, srv.db_path, 0, err))) {
		free(srv.db_path);
		return rc;
	}
	store_close(st);
	sweep_uploads(o->data_dir);
	const char *mu = getenv("CAIRN_MAX_UPLOAD");
	if (mu && *mu) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(mu, &end, 10);
		if (errno || *end || v == 0) {
			buf_setf(err, "serve: CAIRN_MAX_UPLOAD must be a number of bytes, not '%s'", mu);
			free(srv.db_path);
			return CAIRN_EINVAL;
		}
		srv.max_upload = v;
	}
	srv.throttle = auth_throttle_new();

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_key_create(&srv.store_key, store_destroy);

	struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(o->port);
	if (inet_pton(AF_INET, o->host, &addr.sin_addr) != 1) {
		buf_setf(err, "serve: '%s' is not an IPv4 address", o->host);
		rc = CAIRN_EINVAL;
		goto out;
	}
	unsigned threads = o->threads ? o->threads : 8;
	srv.d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC |
			MHD_USE_ERROR_LOG,
		o->port, NULL, NULL, on_request, &srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_SIGPIPE_HANDLED_BY_APP, (unsigned)1,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, &srv,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, &srv,
		MHD_OPTION_END);
	if (!srv.d) {
		buf_setf(err, "serve: cannot listen on %s:%u: %s", o->host, (unsigned)o->port,
			 strerror(errno ? errno : EADDRINUSE));
		rc = CAIRN_EIO;
		goto out;
	}
	if ((rc = job_runner_start(&srv.jobs, o->data_dir, err))) {
		MHD_stop_daemon(srv.d);
		goto out;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	uint16_t port = di ? di->port : o->port;
	if (o->on_listen)
		o->on_listen(o->ctx, port);
	sigdelset(&set, SIGPIPE);
	int sig;
	sigwait(&set, &sig);
	if (!o->quiet)
		fprintf(stderr, "cairn: %s received, finishing requests in flight\n",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
	MHD_quiesce_daemon(srv.d);
	MHD_stop_daemon(srv.d);
	job_runner_stop(srv.jobs);
out:
	/* Worker threads have exited and closed their handles (key destructor). */
	pthread_key_delete(srv.store_key);
	auth_throttle_free(srv.throttle);
	free(srv.db_path);
	return rc;
}

void server_jobs_wake(struct server *srv)
{
	job_runner_wake(srv->jobs);
}

struct auth_throttle *auth_server_throttle(struct http_req *req)
{
	return req->srv->throttle;
}
