/*
 * cmd_convert.c - `cairn convert`: import into a temporary store in a
 * temporary folder, export from it, delete it: one code path with import
 * and export, bounded memory by construction.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "base/banned.h"

int cli_export_opts(const char *cmd, const char *segm, const char *split, const char *seed,
		    struct fmt_split *sp, struct fmt_write_opts *o);
int cli_write_loss(const char *out, const struct fmt_loss *loss, bool quiet);

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

int cmd_convert(int argc, char **argv)
{
	const char *from = "auto", *to = NULL, *media = NULL, *segm = NULL, *split = NULL,
		   *seed = NULL;
	bool skip = false, json = false, done = false;
	struct cli_opt opts[] = {
		{"from", 1, &from, NULL}, {"to", 1, &to, NULL}, {"media", 1, &media, NULL},
		{"segm", 1, &segm, NULL}, {"split", 1, &split, NULL}, {"seed", 1, &seed, NULL},
		{"skip-invalid", 0, NULL, &skip}, {"json", 0, NULL, &json},
		{NULL, 0, NULL, NULL},
	};
	const struct cli_cmd *cmd = cli_find("convert");
	int npos = 0;
	int r = cli_parse(cmd, argc, argv, opts, &npos, &done);
	if (r || done)
		return r;
	if (!to)
		return cli_usage_error(cmd, "--to is required");
	if (npos != 2)
		return cli_usage_error(cmd, "give IN and OUT");
	struct buf err = BUF_INIT;
	const struct fmt_ops *g = fmt_find(to);
	if (!g)
		return cli_usage_error(cmd, "unknown format '%s' (see cairn formats)", to);
	const struct fmt_ops *f = !strcmp(from, "auto") ? fmt_probe(argv[0], &err) : fmt_find(from);
	if (!f) {
		if (strcmp(from, "auto"))
			return cli_usage_error(cmd, "unknown format '%s' (see cairn formats)", from);
		cli_error("convert", "%s", err.data);
		buf_release(&err);
		return EXIT_FAIL;
	}
	struct fmt_split sp;
	struct fmt_write_opts wo = {0};
	if ((r = cli_export_opts("convert", segm, split, seed, &sp, &wo)))
		return r;
	const char *t = getenv("TMPDIR");
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s/cairn-convert-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp)) {
		cli_error("convert", "cannot make a temporary folder: %s", strerror(errno));
		return EXIT_FAIL;
	}
	int rc = EXIT_FAIL;
	struct buf db = BUF_INIT;
	buf_addf(&db, "%s/cairn.db", tmp);
	struct store *st = NULL;
	int64_t pid = 0;
	struct fmt_import_report rep = {0};
	struct fmt_loss loss = {0};
	if (store_open(&st, db.data, STORE_CREATE, &err) ||
	    store_project_create(st, "convert", "", 0, NULL, &pid, &err)) {
		cli_error("convert", "%s", err.data);
		goto out;
	}
	struct fmt_import_opts io = {0};
	io.data_dir = tmp;
	io.media_dir = media;
	io.no_media = media == NULL;
	io.skip_invalid = skip;
	io.kind = ANN_GOLD;
	if (fmt_import(st, pid, f, argv[0], &io, &rep, &err)) {
		cli_error("convert", "%s", err.data);
		goto out;
	}
	if (rep.skipped)
		fprintf(stderr, "cairn convert: skipped %lld invalid records:\n%s",
			(long long)rep.skipped, rep.skipped_text.data);
	for (size_t i = 0; i < rep.notes.n; i++)
		fmt_loss_add(&loss, rep.notes.v[i].what, rep.notes.v[i].n);
	wo.data_dir = tmp;
	if (g->write(st, pid, argv[1], &wo, &loss, &err)) {
		cli_error("convert", "%s", err.data);
		goto out;
	}
	if (json) {
		struct buf j = BUF_INIT;
		buf_addf(&j, "{\"from\":\"%s\",\"to\":\"%s\",\"images\":%lld,\"objects\":%lld,"
			 "\"skipped\":%lld,\"loss\":", f->name, g->name, (long long)rep.images,
			 (long long)rep.objects, (long long)rep.skipped);
		fmt_loss_json(&loss, &j);
		buf_adds(&j, "}\n");
		fputs(j.data, stdout);
		buf_release(&j);
	} else {
		printf("converted %lld images, %lld objects from %s to %s in %s\n",
		       (long long)rep.images, (long long)rep.objects, f->name, g->name, argv[1]);
	}
	cli_write_loss(argv[1], &loss, json);
	rc = EXIT_OK;
out:
	if (st)
		store_close(st);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	fmt_import_report_release(&rep);
	fmt_loss_release(&loss);
	buf_release(&db);
	buf_release(&err);
	return rc;
}
