/*
 * api_common.c - JSON shapes shared by the API's resources and the
 * mapping of store errors to responses.
 */
#include "api/api.h"

#include <string.h>

#include "base/err.h"
#include "base/banned.h"

void api_json_user(struct buf *out, const struct user *u)
{
	buf_addf(out, "{\"id\":%lld,\"name\":", (long long)u->id);
	buf_add_json_str(out, u->name);
	buf_addf(out, ",\"admin\":%s,\"active\":%s,\"created_at\":%lld}",
		 u->is_admin ? "true" : "false", u->is_active ? "true" : "false",
		 (long long)u->created_at);
}

void api_json_project(struct buf *out, const struct project *p)
{
	buf_addf(out, "{\"id\":%lld,\"name\":", (long long)p->id);
	buf_add_json_str(out, p->name);
	buf_adds(out, ",\"description\":");
	buf_add_json_str(out, p->description ? p->description : "");
	buf_addf(out, ",\"schema_version\":%lld,\"created_at\":%lld}",
		 (long long)p->schema_version, (long long)p->created_at);
}

void api_json_item(struct buf *out, const struct item *it)
{
	buf_addf(out, "{\"id\":%lld,\"project\":%lld,\"kind\":\"%s\",\"name\":", (long long)it->id,
		 (long long)it->project_id, item_kind_name(it->kind));
	buf_add_json_str(out, it->name ? it->name : "");
	buf_addf(out, ",\"hash\":\"%s\",\"size\":%lld,\"width\":%d,\"height\":%d", it->hash,
		 (long long)it->size, it->width, it->height);
	if (it->duration > 0)
		buf_addf(out, ",\"duration\":%.17g", it->duration);
	if (it->frames)
		buf_addf(out, ",\"frames\":%lld", (long long)it->frames);
	buf_adds(out, ",\"mime\":");
	if (it->mime)
		buf_add_json_str(out, it->mime);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"group\":");
	if (it->source_group)
		buf_add_json_str(out, it->source_group);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"batch\":");
	if (it->batch_id)
		buf_addf(out, "%lld", (long long)it->batch_id);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"split\":");
	if (it->split)
		buf_add_json_str(out, it->split);
	else
		buf_adds(out, "null");
	buf_addf(out, ",\"status\":\"%s\",\"meta\":%s,\"created_at\":%lld}",
		 item_status_name(it->status), it->meta ? it->meta : "null",
		 (long long)it->created_at);
}

int api_store_fail(struct http_resp *resp, int rc, const struct buf *err)
{
	return http_fail(resp, rc, NULL, "%s", err && err->len ? err->data : cairn_strerror(rc));
}

void api_json_lines(struct buf *out, const char *lines)
{
	bool first = true;
	while (*lines) {
		const char *nl = strchr(lines, '\n');
		size_t n = nl ? (size_t)(nl - lines) : strlen(lines);
		if (n) {
			if (!first)
				buf_addch(out, ',');
			buf_add_json_strn(out, lines, n);
			first = false;
		}
		lines += n + (nl ? 1 : 0);
	}
}
