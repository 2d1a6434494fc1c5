/*
 * cmd_project.c - `cairn project create|list|show`. A project is created
 * with a label schema file, validated and stored as version 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/schema_file.h"
#include "core/auth.h"
#include "core/schema.h"
#include "store/store.h"
#include "base/banned.h"

int stats_format(struct store *st, const struct project *p, bool json, struct buf *out,
		 struct buf *err);

struct list_ctx {
	bool json;
	bool first;
};

static int print_project(void *vctx, const struct project *p)
{
	struct list_ctx *c = vctx;
	if (c->json) {
		struct buf o = BUF_INIT;
		buf_addf(&o, "%s{\"id\":%lld,\"name\":", c->first ? "" : ",", (long long)p->id);
		buf_add_json_str(&o, p->name);
		buf_adds(&o, ",\"description\":");
		buf_add_json_str(&o, p->description ? p->description : "");
		buf_addf(&o, ",\"schema_version\":%lld,\"created_at\":%lld}",
			 (long long)p->schema_version, (long long)p->created_at);
		fputs(o.data, stdout);
		buf_release(&o);
	} else {
		printf("%-6lld %-24s %s\n", (long long)p->id, p->name,
		       p->description ? p->description : "");
	}
	c->first = false;
	return 0;
}

static int project_create(struct store *st, const char *name, const char *schema_path,
			  const char *description, bool json)
{
	struct buf err = BUF_INIT, canon = BUF_INIT;
	struct schema sc;
	int64_t id = 0, admin_id = 0;
	int rc = EXIT_FAIL;
	if (auth_name_ok("project", name, &err)) {
		cli_error("project create", "%s", err.data);
		goto out;
	}
	if (schema_load_file(&sc, schema_path, &canon, &err)) {
		cli_error("project create", "%s", err.data);
		goto out;
	}
	schema_release(&sc);
	/* Command-line projects belong to the first admin until the server
	 * adds per-user ownership from the browser. */
	struct user u = {0};
	if (store_user_get_id(st, 1, &u, NULL) == 0)
		admin_id = u.id;
	user_release(&u);
	if (store_project_create(st, name, description, admin_id, canon.data, &id, &err) ||
	    store_audit(st, admin_id, id, "project.create", "project", id, NULL, &err)) {
		cli_error("project create", "%s", err.data);
		goto out;
	}
	if (json) {
		struct buf o = BUF_INIT;
		buf_addf(&o, "{\"id\":%lld,\"name\":", (long long)id);
		buf_add_json_str(&o, name);
		buf_adds(&o, ",\"schema_version\":1}\n");
		fputs(o.data, stdout);
		buf_release(&o);
	} else {
		printf("Created project %s (id %lld) with schema version 1\n", name, (long long)id);
	}
	rc = EXIT_OK;
out:
	buf_release(&err);
	buf_release(&canon);
	return rc;
}

static int project_show(struct store *st, const char *name, bool json)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct project p = {0};
	char *schema = NULL;
	int rc = EXIT_FAIL;
	if (store_project_get(st, name, &p, &err)) {
		cli_error("project show", "%s", err.data);
		goto out;
	}
	if (p.schema_version && store_schema_get(st, p.id, 0, &schema, NULL, &err)) {
		cli_error("project show", "%s", err.data);
		goto out;
	}
	if (stats_format(st, &p, json, &out, &err)) {
		cli_error("project show", "%s", err.data);
		goto out;
	}
	if (json) {
		/* Splice the schema into the stats object: {"...","schema":{...}} */
		buf_setlen(&out, out.len - 2);
		buf_addf(&out, ",\"schema\":%s}\n", schema ? schema : "null");
	} else if (schema) {
		struct schema sc;
		if (schema_parse(&sc, schema, strlen(schema), &err) == 0) {
			buf_adds(&out, "labels:\n");
			for (size_t i = 0; i < sc.nlabels; i++) {
				buf_addf(&out, "  %-20s", sc.labels[i].name);
				for (int k = 0; k < SHAPE_KIND_COUNT_; k++)
					if (sc.labels[i].shapes & SHAPE_BIT(k))
						buf_addf(&out, " %s", shape_kind_name(k));
				buf_addch(&out, '\n');
			}
			schema_release(&sc);
		}
	}
	fputs(out.data, stdout);
	rc = EXIT_OK;
out:
	free(schema);
	project_release(&p);
	buf_release(&err);
	buf_release(&out);
	return rc;
}

int cmd_project(int argc, char **argv)
{
	const char *data = NULL, *schema = NULL, *description = NULL;
	bool json = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL},
		{"schema", 1, &schema, NULL},
		{"description", 1, &description, NULL},
		{"json", 0, NULL, &json},
		{0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("project");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos < 1)
		return cli_usage_error(cmd, "missing a subcommand: create, list or show");
	const char *sub = argv[0];
	if (!strcmp(sub, "create")) {
		if (npos != 2)
			return cli_usage_error(cmd, "'project create' takes one NAME");
		if (!schema)
			return cli_usage_error(cmd, "'project create' needs --schema FILE");
	} else if (!strcmp(sub, "show")) {
		if (npos != 2)
			return cli_usage_error(cmd, "'project show' takes one NAME");
	} else if (!strcmp(sub, "list")) {
		if (npos != 1)
			return cli_usage_error(cmd, "'project list' takes no arguments");
	} else {
		return cli_usage_error(cmd, "unknown subcommand '%s'", sub);
	}
	struct store *st;
	if (cli_open_store("project", cli_data_dir(data), &st))
		return EXIT_FAIL;
	if (!strcmp(sub, "create")) {
		rc = project_create(st, argv[1], schema, description, json);
	} else if (!strcmp(sub, "show")) {
		rc = project_show(st, argv[1], json);
	} else {
		struct buf err = BUF_INIT;
		struct list_ctx c = {json, true};
		if (json)
			fputs("[", stdout);
		rc = store_project_list(st, 0, print_project, &c, &err) ? EXIT_FAIL : EXIT_OK;
		if (json)
			fputs("]\n", stdout);
		if (rc)
			cli_error("project list", "%s", err.data);
		buf_release(&err);
	}
	store_close(st);
	return rc;
}
