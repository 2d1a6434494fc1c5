/*
 * api_meta.c - health and the OpenAPI 3 document, generated from the
 * route table so that no route can be missing from it.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "base/banned.h"

int api_health(struct http_req *req, struct http_resp *resp)
{
	buf_addf(&resp->body, "{\"ok\":true,\"version\":\"%s\"}", CAIRN_VERSION);
	resp->status = 200;
	return 0;
}

static const char *perm_text(enum perm p)
{
	switch (p) {
	case PERM_PUBLIC: return "public";
	case PERM_USER: return "any signed-in user";
	case PERM_ADMIN: return "administrators";
	case PERM_VIEW: return "project viewers and above";
	case PERM_ANNOTATE: return "project annotators and above";
	case PERM_REVIEW: return "project reviewers and above";
	case PERM_MANAGE: return "project managers";
	default: return "nobody";
	}
}

/* Appends the OpenAPI path template ({x} stays {x}) and its parameters. */
static void add_params(struct buf *out, const char *pattern)
{
	bool first = true;
	buf_adds(out, "\"parameters\":[");
	for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		buf_addf(out, "%s{\"name\":\"%.*s\",\"in\":\"path\",\"required\":true,"
			 "\"schema\":{\"type\":\"%s\"}}", first ? "" : ",", (int)(e - p - 1), p + 1,
			 (e - p - 1 == 4 && !strncmp(p + 1, "name", 4)) ? "string" : "integer");
		first = false;
	}
	buf_adds(out, "]");
}

int api_openapi(struct http_req *req, struct http_resp *resp)
{
	struct buf *o = &resp->body;
	buf_addf(o, "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"Cairn\",\"version\":\"%s\"},"
		 "\"components\":{\"securitySchemes\":{\"bearer\":{\"type\":\"http\",\"scheme\":"
		 "\"bearer\"},\"cookie\":{\"type\":\"apiKey\",\"in\":\"cookie\",\"name\":"
		 "\"cairn_session\"}},\"schemas\":{\"Error\":{\"type\":\"object\",\"properties\":"
		 "{\"error\":{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\"},"
		 "\"message\":{\"type\":\"string\"},\"field\":{\"type\":\"string\",\"nullable\":true}}}}}}},"
		 "\"paths\":{", CAIRN_VERSION);
	/* Group the routes by path; the table keeps a path's methods together. */
	const char *open_path = NULL;
	for (const struct route *r = http_routes; r->method; r++) {
		if (!open_path || strcmp(open_path, r->pattern)) {
			bool seen = false;
			for (const struct route *q = http_routes; q < r && !seen; q++)
				seen = !strcmp(q->pattern, r->pattern);
			if (seen)
				continue; /* already written with its first method */
			if (open_path)
				buf_adds(o, "},");
			buf_add_json_str(o, r->pattern);
			buf_adds(o, ":{");
			open_path = r->pattern;
			bool first = true;
			for (const struct route *q = r; q->method; q++) {
				if (strcmp(q->pattern, r->pattern))
					continue;
				char m[8];
				size_t i = 0;
				for (; q->method[i] && i < sizeof(m) - 1; i++)
					m[i] = (char)(q->method[i] | 0x20);
				m[i] = 0;
				buf_addf(o, "%s\"%s\":{\"summary\":", first ? "" : ",", m);
				buf_add_json_str(o, q->summary ? q->summary : "");
				buf_addf(o, ",\"description\":\"Allowed: %s.\",", perm_text(q->perm));
				add_params(o, q->pattern);
				if (q->perm != PERM_PUBLIC)
					buf_adds(o, ",\"security\":[{\"bearer\":[]},{\"cookie\":[]}]");
				buf_adds(o, ",\"responses\":{\"200\":{\"description\":\"OK\"},"
					 "\"default\":{\"description\":\"An error\",\"content\":"
					 "{\"application/json\":{\"schema\":{\"$ref\":"
					 "\"#/components/schemas/Error\"}}}}}}");
				first = false;
			}
		}
	}
	if (open_path)
		buf_adds(o, "}");
	buf_adds(o, "}}");
	resp->status = 200;
	return 0;
}
