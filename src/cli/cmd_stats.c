/*
 * cmd_stats.c - `cairn stats --project NAME`: the counts the database keeps
 * (items by kind and status, bytes, annotations, objects per label).
 */
#include <stdio.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/store.h"
#include "base/banned.h"

struct label_ctx {
	struct buf *out;
	bool json;
	bool first;
};

static int add_label(void *vctx, int64_t id, const char *name, int64_t n)
{
	struct label_ctx *c = vctx;
	if (c->json) {
		buf_addf(c->out, "%s{\"id\":%lld,\"name\":", c->first ? "" : ",", (long long)id);
		buf_add_json_str(c->out, name ? name : "");
		buf_addf(c->out, ",\"objects\":%lld}", (long long)n);
	} else {
		buf_addf(c->out, "  %-20s %lld\n", name ? name : "?", (long long)n);
	}
	c->first = false;
	return 0;
}

/* Shared with `project show`: formats a project's counts. */
int stats_format(struct store *st, const struct project *p, bool json, struct buf *out,
		 struct buf *err);

int stats_format(struct store *st, const struct project *p, bool json, struct buf *out,
		 struct buf *err)
{
	struct project_stats s;
	int rc = store_project_stats(st, p->id, &s, err);
	if (rc)
		return rc;
	if (json) {
		buf_adds(out, "{\"project\":");
		buf_add_json_str(out, p->name);
		buf_addf(out, ",\"schema_version\":%lld,\"items\":%lld,\"bytes\":%lld,"
			 "\"annotations\":%lld,\"objects\":%lld,\"by_kind\":{",
			 (long long)p->schema_version, (long long)s.items, (long long)s.bytes,
			 (long long)s.annotations, (long long)s.objects);
		for (int k = 0; k < ITEM_KIND_COUNT_; k++)
			buf_addf(out, "%s\"%s\":%lld", k ? "," : "", item_kind_name(k),
				 (long long)s.by_kind[k]);
		buf_adds(out, "},\"by_status\":{");
		for (int k = 0; k < ITEM_STATUS_COUNT_; k++)
			buf_addf(out, "%s\"%s\":%lld", k ? "," : "", item_status_name(k),
				 (long long)s.by_status[k]);
		buf_adds(out, "},\"labels\":[");
	} else {
		buf_addf(out, "project %s (schema version %lld)\n", p->name,
			 (long long)p->schema_version);
		buf_addf(out, "items: %lld (%.1f MB)\n", (long long)s.items, (double)s.bytes / 1e6);
		for (int k = 0; k < ITEM_KIND_COUNT_; k++)
			if (s.by_kind[k])
				buf_addf(out, "  %-12s %lld\n", item_kind_name(k), (long long)s.by_kind[k]);
		buf_adds(out, "by status:\n");
		for (int k = 0; k < ITEM_STATUS_COUNT_; k++)
			if (s.by_status[k])
				buf_addf(out, "  %-12s %lld\n", item_status_name(k),
					 (long long)s.by_status[k]);
		buf_addf(out, "annotations: %lld\nobjects: %lld\nobjects per label:\n",
			 (long long)s.annotations, (long long)s.objects);
	}
	struct label_ctx c = {out, json, true};
	rc = store_label_counts(st, p->id, add_label, &c, err);
	if (json)
		buf_adds(out, "]}\n");
	return rc;
}

int cmd_stats(int argc, char **argv)
{
	const char *data = NULL, *project = NULL;
	bool json = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL},
		{"project", 1, &project, NULL},
		{"json", 0, NULL, &json},
		{0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("stats");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
	if (!project)
		return cli_usage_error(cmd, "missing --project NAME");
	struct store *st;
	if (cli_open_store("stats", cli_data_dir(data), &st))
		return EXIT_FAIL;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct project p = {0};
	rc = EXIT_FAIL;
	if (store_project_get(st, project, &p, &err) || stats_format(st, &p, json, &out, &err)) {
		cli_error("stats", "%s", err.data);
	} else {
		fputs(out.data, stdout);
		rc = EXIT_OK;
	}
	project_release(&p);
	store_close(st);
	buf_release(&err);
	buf_release(&out);
	return rc;
}
