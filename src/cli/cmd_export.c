/*
 * cmd_export.c - `cairn export`: a project written in a dataset format to a
 * folder, with a loss report (what the format cannot carry, by kind)
 * printed and written beside it as loss-report.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "base/banned.h"

static void on_progress(void *ctx, int64_t done, int64_t total)
{
	struct progress *p = ctx;
	p->total = (uint64_t)(total > 0 ? total : 0);
	progress_update(p, (uint64_t)done);
}

int cli_export_opts(const char *cmd, const char *segm, const char *split, const char *seed,
		    struct fmt_split *sp, struct fmt_write_opts *o);

int cli_export_opts(const char *cmd, const char *segm, const char *split, const char *seed,
		    struct fmt_split *sp, struct fmt_write_opts *o)
{
	if (!segm || !strcmp(segm, "keep"))
		o->segm = FMT_SEGM_KEEP;
	else if (!strcmp(segm, "polygon"))
		o->segm = FMT_SEGM_POLYGON;
	else if (!strcmp(segm, "rle"))
		o->segm = FMT_SEGM_RLE;
	else
		return cli_usage_error(cli_find(cmd), "--segm must be keep, polygon or rle");
	if (split) {
		struct buf err = BUF_INIT;
		if (fmt_split_parse(sp, split, &err)) {
			int r = cli_usage_error(cli_find(cmd), "%s", err.data);
			buf_release(&err);
			return r;
		}
		uint64_t s = 0;
		if (seed && !cli_parse_u64(seed, &s))
			return cli_usage_error(cli_find(cmd), "--seed must be a number");
		sp->seed = s;
		o->split = sp;
	}
	return 0;
}

int cli_write_loss(const char *out, const struct fmt_loss *loss, bool quiet);

int cli_write_loss(const char *out, const struct fmt_loss *loss, bool quiet)
{
	struct buf j = BUF_INIT, path = BUF_INIT;
	fmt_loss_json(loss, &j);
	buf_addch(&j, '\n');
	buf_addf(&path, "%s/loss-report.json", out);
	FILE *f = fopen(path.data, "w");
	if (f) {
		fwrite(j.data, 1, j.len, f);
		fclose(f);
	}
	if (!quiet) {
		if (!loss->n)
			printf("loss report: nothing lost\n");
		else
			printf("loss report (also in %s):\n", path.data);
		for (size_t i = 0; i < loss->n; i++)
			printf("  %-48s %lld\n", loss->v[i].what, (long long)loss->v[i].n);
	}
	buf_release(&j);
	buf_release(&path);
	return 0;
}

int cmd_export(int argc, char **argv)
{
	const char *data = NULL, *project = NULL, *format = NULL, *segm = NULL, *split = NULL;
	const char *seed = NULL, *from = NULL;
	bool media = false, json = false, done = false;
	struct cli_opt opts[] = {
		{"data", 1, &data, NULL}, {"project", 1, &project, NULL},
		{"format", 1, &format, NULL}, {"segm", 1, &segm, NULL}, {"split", 1, &split, NULL},
		{"seed", 1, &seed, NULL}, {"from", 1, &from, NULL},
		{"include-media", 0, NULL, &media}, {"json", 0, NULL, &json},
		{NULL, 0, NULL, NULL},
	};
	const struct cli_cmd *cmd = cli_find("export");
	int npos = 0;
	int r = cli_parse(cmd, argc, argv, opts, &npos, &done);
	if (r || done)
		return r;
	if (!project || !format)
		return cli_usage_error(cmd, "--project and --format are required");
	if (npos != 1)
		return cli_usage_error(cmd, "give one OUT folder");
	const struct fmt_ops *f = fmt_find(format);
	if (!f)
		return cli_usage_error(cmd, "unknown format '%s' (see cairn formats)", format);
	struct fmt_split sp;
	struct fmt_write_opts o = {0};
	if ((r = cli_export_opts("export", segm, split, seed, &sp, &o)))
		return r;
	if (from) {
		enum annotation_kind k;
		if (!annotation_kind_parse(from, &k))
			return cli_usage_error(cmd, "--from must be manual, gold, prediction or consensus");
		o.kinds = 1u << k;
	}
	const char *dir = cli_data_dir(data);
	o.data_dir = dir;
	o.include_media = media;
	struct store *st;
	if (cli_open_store("export", dir, &st))
		return EXIT_FAIL;
	struct buf err = BUF_INIT;
	struct project p;
	int rc = EXIT_FAIL;
	if (store_project_get(st, project, &p, &err)) {
		cli_error("export", "%s", err.data);
		goto out0;
	}
	struct progress pr;
	progress_init(&pr, "export", 0);
	o.progress = on_progress;
	o.progress_ctx = &pr;
	struct fmt_loss loss = {0};
	int e = f->write(st, p.id, argv[0], &o, &loss, &err);
	progress_finish(&pr);
	if (e) {
		cli_error("export", "%s", err.data);
	} else {
		if (json) {
			struct buf j = BUF_INIT;
			buf_adds(&j, "{\"out\":");
			buf_add_json_str(&j, argv[0]);
			buf_addf(&j, ",\"format\":\"%s\",\"loss\":", f->name);
			fmt_loss_json(&loss, &j);
			buf_adds(&j, "}\n");
			fputs(j.data, stdout);
			buf_release(&j);
		} else {
			printf("exported '%s' as %s to %s\n", p.name, f->name, argv[0]);
		}
		cli_write_loss(argv[0], &loss, json);
		rc = EXIT_OK;
	}
	fmt_loss_release(&loss);
	project_release(&p);
out0:
	store_close(st);
	buf_release(&err);
	return rc;
}
