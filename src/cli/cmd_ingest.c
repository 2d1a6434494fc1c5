/*
 * cmd_ingest.c - `cairn ingest --project NAME PATH...`: adds files, folders
 * and zip archives to a project through the ingest service
 * (media/ingest.h) and prints what was added, skipped and rejected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "media/ingest.h"
#include "media/media_image.h"
#include "store/store.h"

#include "base/banned.h"

static void on_progress(void *ctx, uint64_t done)
{
	progress_update(ctx, done);
}

static void json_notes(struct buf *out, const char *key, const struct ingest_notes *ns, int kind)
{
	buf_addf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < ns->n; i++) {
		const struct ingest_note *n = &ns->v[i];
		buf_adds(out, i ? ",{\"path\":" : "{\"path\":");
		buf_add_json_str(out, n->path);
		buf_adds(out, ",\"reason\":");
		buf_add_json_str(out, n->reason);
		if (kind == 1)
			buf_addf(out, ",\"item\":%lld", (long long)n->other_id);
		if (kind == 2)
			buf_addf(out, ",\"item\":%lld,\"resembles\":%lld,\"distance\":%d",
				 (long long)n->item_id, (long long)n->other_id, n->distance);
		buf_addch(out, '}');
	}
	buf_addch(out, ']');
}

static void text_notes(struct buf *out, const char *title, const struct ingest_notes *ns)
{
	if (!ns->n)
		return;
	buf_addf(out, "%s:\n", title);
	for (size_t i = 0; i < ns->n; i++)
		buf_addf(out, "  %s: %s\n", ns->v[i].path, ns->v[i].reason);
}

static enum ingest_sync sync_from_env(void)
{
	/* Undocumented in the usage line: for benchmarks of the fsync policy. */
	const char *s = getenv("CAIRN_INGEST_SYNC");
	if (s && !strcmp(s, "file"))
		return INGEST_SYNC_FILE;
	if (s && !strcmp(s, "none"))
		return INGEST_SYNC_NONE;
	return INGEST_SYNC_BATCH;
}

int cmd_ingest(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("ingest");
	const char *project = NULL, *data = NULL, *near = NULL, *threads = NULL;
	bool link = false, json = false, done = false;
	const struct cli_opt opts[] = {
		{"project", 1, &project, NULL},
		{"data", 1, &data, NULL},
		{"near-threshold", 1, &near, NULL},
		{"threads", 1, &threads, NULL},
		{"link", 0, NULL, &link},
		{"json", 0, NULL, &json},
		{0, 0, 0, 0},
	};
	int npos = 0;
	int rc = cli_parse(cmd, argc, argv, opts, &npos, &done);
	if (rc || done)
		return rc;
	if (!project)
		return cli_usage_error(cmd, "--project NAME is required");
	if (npos == 0)
		return cli_usage_error(cmd, "give at least one file, folder or zip archive");
	struct ingest_opts o = INGEST_OPTS_INIT;
	o.link = link;
	o.sync = sync_from_env();
	if (near) {
		uint64_t v;
		if (!cli_parse_u64(near, &v) || v > 63)
			return cli_usage_error(cmd, "--near-threshold must be 0 to 63, not '%s'", near);
		o.near_threshold = (int)v;
	}
	if (threads) {
		uint64_t v;
		if (!cli_parse_u64(threads, &v) || v < 1 || v > 16)
			return cli_usage_error(cmd, "--threads must be 1 to 16, not '%s'", threads);
		o.threads = (int)v;
	}
	const char *dir = cli_data_dir(data);
	struct store *st = NULL;
	rc = cli_open_store("ingest", dir, &st);
	if (rc)
		return rc;
	struct buf err = BUF_INIT;
	struct project p;
	memset(&p, 0, sizeof p);
	if (store_project_get(st, project, &p, &err)) {
		cli_error("ingest", "%s", err.data);
		buf_release(&err);
		store_close(st);
		return EXIT_FAIL;
	}
	struct progress pr;
	progress_init(&pr, "ingest", 0);
	o.progress = on_progress;
	o.progress_ctx = &pr;
	struct ingest_report rep;
	int r = ingest_run(st, p.id, dir, argv, (size_t)npos, &o, &rep, &err);
	progress_finish(&pr);
	struct buf out = BUF_INIT;
	if (json) {
		buf_adds(&out, "{\"project\":");
		buf_add_json_str(&out, p.name);
		buf_addf(&out, ",\"ok\":%s,\"files\":%lld,\"added\":%lld,\"bytes\":%lld,"
			 "\"duplicates\":%lld,\"near_duplicates\":%lld,\"rejected\":%lld",
			 r ? "false" : "true", (long long)rep.files, (long long)rep.added,
			 (long long)rep.bytes_added, (long long)rep.duplicates,
			 (long long)rep.near_duplicates, (long long)rep.rejected);
		if (r) {
			buf_adds(&out, ",\"error\":");
			buf_add_json_str(&out, err.data);
		}
		json_notes(&out, "duplicate_files", &rep.dups, 1);
		json_notes(&out, "near_duplicate_files", &rep.nears, 2);
		json_notes(&out, "rejected_files", &rep.rejects, 0);
		const struct ingest_times *t = &rep.time;
		buf_addf(&out, ",\"seconds\":{\"total\":%.3f,\"writer_waiting\":%.3f,\"store\":%.3f,"
			 "\"flush\":%.3f,\"workers_idle\":%.3f},\"threads\":%d", t->total,
			 t->writer_waiting, t->store, t->flush, t->workers_idle, t->threads);
		buf_adds(&out, "}\n");
	} else {
		text_notes(&out, "duplicates (skipped)", &rep.dups);
		text_notes(&out, "near-duplicates (added)", &rep.nears);
		text_notes(&out, "rejected", &rep.rejects);
		buf_addf(&out, "project %s: %lld added (%.1f MB), %lld duplicates skipped, "
			 "%lld near-duplicates, %lld rejected\n", p.name, (long long)rep.added,
			 (double)rep.bytes_added / 1e6, (long long)rep.duplicates,
			 (long long)rep.near_duplicates, (long long)rep.rejected);
	}
	fwrite(out.data, 1, out.len, stdout);
	if (r)
		cli_error("ingest", "%s", err.data);
	buf_release(&out);
	buf_release(&err);
	ingest_report_release(&rep);
	project_release(&p);
	store_close(st);
	media_image_shutdown();
	return r ? EXIT_FAIL : EXIT_OK;
}
