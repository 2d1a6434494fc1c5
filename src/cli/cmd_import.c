/*
 * cmd_import.c - `cairn import`: a dataset (COCO ...) into a project, through
 * the import driver of src/formats/fmt.c. Also what `cairn export`,
 * `cairn convert` and `cairn formats` share is in their own cmd_*.c files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "base/banned.h"

static void on_progress(void *ctx, const char *phase, int64_t done, int64_t total)
{
	struct progress *p = ctx;
	p->what = phase;
	p->total = (uint64_t)(total > 0 ? total : 0);
	progress_update(p, (uint64_t)done);
}

struct first_admin {
	int64_t id;
};

static int find_admin(void *ctx, const struct user *u)
{
	struct first_admin *a = ctx;
	if (!a->id && u->is_admin && u->is_active)
		a->id = u->id;
	return 0;
}

static const struct cli_cmd *self(void)
{
	return cli_find("import");
}

int cmd_import(int argc, char **argv)
{
	const char *data = NULL, *project = NULL, *format = "auto", *media = NULL, *as = "manual";
	const char *user = NULL, *report = NULL;
	bool skip = false, json = false, no_media = false, done = false;
	struct cli_opt opts[] = {
		{"data", 1, &data, NULL}, {"project", 1, &project, NULL},
		{"format", 1, &format, NULL}, {"media", 1, &media, NULL},
		{"as", 1, &as, NULL}, {"user", 1, &user, NULL}, {"report", 1, &report, NULL},
		{"skip-invalid", 0, NULL, &skip}, {"no-media", 0, NULL, &no_media},
		{"json", 0, NULL, &json}, {NULL, 0, NULL, NULL},
	};
	int npos = 0;
	int r = cli_parse(self(), argc, argv, opts, &npos, &done);
	if (r || done)
		return r;
	if (!project)
		return cli_usage_error(self(), "--project is required");
	if (npos != 1)
		return cli_usage_error(self(), "give one PATH (a COCO file or the dataset's folder)");
	enum annotation_kind kind;
	if (!annotation_kind_parse(as, &kind) || kind == ANN_CONSENSUS)
		return cli_usage_error(self(), "--as must be manual, gold or prediction");
	struct buf err = BUF_INIT;
	const struct fmt_ops *f = !strcmp(format, "auto") ? fmt_probe(argv[0], &err)
							  : fmt_find(format);
	if (!f) {
		if (strcmp(format, "auto"))
			return cli_usage_error(self(), "unknown format '%s' (see cairn formats)", format);
		cli_error("import", "%s", err.data);
		buf_release(&err);
		return EXIT_FAIL;
	}
	const char *dir = cli_data_dir(data);
	struct store *st;
	if (cli_open_store("import", dir, &st))
		return EXIT_FAIL;
	struct project p;
	int rc = EXIT_FAIL;
	bool created = false;
	int pe = store_project_get(st, project, &p, &err);
	if (pe == CAIRN_ENOTFOUND) {
		/* A new project: its label schema is made from the dataset's categories. */
		struct first_admin ca = {0};
		store_user_list(st, find_admin, &ca, NULL);
		int64_t pid;
		buf_reset(&err);
		pe = store_project_create(st, project, "", ca.id, NULL, &pid, &err);
		if (!pe)
			pe = store_project_get_id(st, pid, &p, &err);
		created = !pe;
	}
	if (pe) {
		cli_error("import", "%s", err.data);
		store_close(st);
		buf_release(&err);
		return EXIT_FAIL;
	}
	if (created && !json)
		fprintf(stderr, "cairn import: creating project '%s'\n", project);
	struct fmt_import_opts o = {0};
	o.data_dir = dir;
	o.media_dir = media;
	o.no_media = no_media;
	o.skip_invalid = skip;
	o.kind = kind;
	o.source = f->name;
	struct first_admin fa = {0};
	if (user) {
		struct user u;
		if (store_user_get(st, user, &u, NULL, &err)) {
			cli_error("import", "%s", err.data);
			goto out;
		}
		fa.id = u.id;
		user_release(&u);
	} else {
		store_user_list(st, find_admin, &fa, NULL);
	}
	o.user_id = fa.id;
	if (kind == ANN_MANUAL && !o.user_id) {
		cli_error("import", "manual annotations need a user (--user NAME)");
		goto out;
	}
	struct progress pr;
	progress_init(&pr, "import", 0);
	o.progress = on_progress;
	o.progress_ctx = &pr;
	struct fmt_import_report rep;
	int e = fmt_import(st, p.id, f, argv[0], &o, &rep, &err);
	progress_finish(&pr);
	if (e && created) {
		/* Nothing half-made stays: the project this import made goes too. */
		struct buf e2 = BUF_INIT;
		store_project_delete(st, p.id, &e2);
		buf_release(&e2);
	}
	/* The report of what was skipped or kept in part, beside the data. */
	struct buf rj = BUF_INIT;
	buf_addf(&rj, "{\"project\":");
	buf_add_json_str(&rj, p.name);
	buf_addf(&rj, ",\"format\":\"%s\",\"ok\":%s,\"images\":%lld,\"objects\":%lld,"
		 "\"categories\":%lld,\"items_added\":%lld,\"annotations\":%lld,"
		 "\"schema_created\":%s,\"skipped\":%lld,\"not_kept\":", f->name,
		 e ? "false" : "true", (long long)rep.images, (long long)rep.objects,
		 (long long)rep.categories, (long long)rep.items_added, (long long)rep.annotations,
		 rep.schema_created ? "true" : "false", (long long)rep.skipped);
	fmt_loss_json(&rep.notes, &rj);
	buf_adds(&rj, ",\"skipped_records\":[");
	{
		const char *s = rep.skipped_text.data;
		int n = 0;
		while (s && *s) {
			const char *nl = strchr(s, '\n');
			size_t l = nl ? (size_t)(nl - s) : strlen(s);
			if (n++)
				buf_addch(&rj, ',');
			buf_add_json_strn(&rj, s, l);
			s += l + (nl ? 1 : 0);
		}
	}
	buf_adds(&rj, "]");
	if (e) {
		buf_adds(&rj, ",\"error\":");
		buf_add_json_str(&rj, err.data);
	}
	buf_adds(&rj, "}\n");
	if (rep.skipped || report) {
		struct buf path = BUF_INIT;
		if (report)
			buf_adds(&path, report);
		else
			buf_addf(&path, "%s/import-report-%lld.json", dir, (long long)time(NULL));
		FILE *fp = fopen(path.data, "w");
		if (fp) {
			fwrite(rj.data, 1, rj.len, fp);
			fclose(fp);
			if (!json)
				fprintf(stderr, "cairn import: report written to %s\n", path.data);
		}
		buf_release(&path);
	}
	if (json) {
		fputs(rj.data, stdout);
	} else if (!e) {
		printf("imported %lld images, %lld objects, %lld categories into '%s' "
		       "(%lld new items, %lld annotations%s)\n", (long long)rep.images,
		       (long long)rep.objects, (long long)rep.categories, p.name,
		       (long long)rep.items_added, (long long)rep.annotations,
		       rep.schema_created ? ", label schema made from the categories" : "");
		if (rep.skipped)
			printf("skipped %lld invalid records:\n%s", (long long)rep.skipped,
			       rep.skipped_text.data);
		for (size_t i = 0; i < rep.notes.n; i++)
			printf("not kept: %s: %lld\n", rep.notes.v[i].what, (long long)rep.notes.v[i].n);
	}
	if (e)
		cli_error("import", "%s", err.data);
	else
		rc = EXIT_OK;
	buf_release(&rj);
	fmt_import_report_release(&rep);
out:
	project_release(&p);
	store_close(st);
	buf_release(&err);
	return rc;
}
