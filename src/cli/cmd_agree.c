/*
 * cmd_agree.c - `cairn agree` (inter-annotator agreement of a CSV of
 * ratings, or of a project's tags or objects) and `cairn consensus` (one
 * consensus annotation per item from its annotators' tags). The numbers
 * and the walk over a project come from src/quality/ (agree.c and
 * project_agree.c, shared with the server); this file parses the command
 * line, reads the CSV and prints.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "quality/agree.h"
#include "quality/project_agree.h"
#include "store/store.h"
#include "workflow/schema_cache.h"
#include "base/banned.h"

static long file_read(void *ctx, char *dst, size_t n)
{
	FILE *f = ctx;
	size_t got = fread(dst, 1, n, f);
	if (!got && ferror(f))
		return -1;
	return (long)got;
}

/* ---- cairn agree ---------------------------------------------------------- */

static int parse_agree_opts(const struct cli_cmd *cmd, const char *metric, const char *level,
			    const char *weights, const char *boot, const char *seed,
			    struct agree_opts *o)
{
	if (!metric)
		return cli_usage_error(cmd, "missing --metric percent|kappa|weighted-kappa|fleiss|alpha|gwet");
	if (!agree_metric_parse(metric, &o->metric))
		return cli_usage_error(cmd, "--metric must be percent, kappa, weighted-kappa, fleiss, alpha or gwet, got '%s'", metric);
	if (level && !agree_level_parse(level, &o->level))
		return cli_usage_error(cmd, "--level must be nominal, ordinal, interval or ratio, got '%s'", level);
	if (level && o->metric != AGREE_ALPHA)
		return cli_usage_error(cmd, "--level goes with --metric alpha");
	if (weights) {
		if (!agree_weights_parse(weights, &o->weights) || o->weights == AGREE_W_IDENTITY)
			return cli_usage_error(cmd, "--weights must be linear or quadratic, got '%s'", weights);
		if (o->metric != AGREE_WKAPPA && o->metric != AGREE_GWET)
			return cli_usage_error(cmd, "--weights goes with --metric weighted-kappa or gwet");
	} else if (o->metric == AGREE_WKAPPA) {
		o->weights = AGREE_W_LINEAR;
	}
	uint64_t v;
	if (boot) {
		if (!cli_parse_u64(boot, &v) || v > 100000)
			return cli_usage_error(cmd, "--bootstrap must be a number from 0 to 100000");
		o->bootstrap = (unsigned)v;
	}
	if (seed) {
		if (!cli_parse_u64(seed, &v))
			return cli_usage_error(cmd, "--seed must be a non-negative number");
		o->seed = v;
	}
	return 0;
}

static int open_project(const char *cmdname, const char *data, const char *project,
			struct store **st, struct project *p)
{
	if (cli_open_store(cmdname, cli_data_dir(data), st))
		return EXIT_FAIL;
	struct buf err = BUF_INIT;
	if (store_project_get(*st, project, p, &err)) {
		cli_error(cmdname, "%s", err.data);
		buf_release(&err);
		store_close(*st);
		return EXIT_FAIL;
	}
	buf_release(&err);
	return 0;
}

int cmd_agree(int argc, char **argv)
{
	const char *data = NULL, *project = NULL, *metric = NULL, *level = NULL, *weights = NULL;
	const char *boot = NULL, *seed = NULL, *kind = NULL, *floor_s = NULL, *window_s = NULL;
	bool json = false, spatial = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL}, {"project", 1, &project, NULL},
		{"metric", 1, &metric, NULL}, {"level", 1, &level, NULL},
		{"weights", 1, &weights, NULL}, {"bootstrap", 1, &boot, NULL},
		{"seed", 1, &seed, NULL}, {"label-kind", 1, &kind, NULL},
		{"spatial", 0, NULL, &spatial}, {"iou-floor", 1, &floor_s, NULL},
		{"window", 1, &window_s, NULL}, {"json", 0, NULL, &json}, {0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("agree");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos > 1)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
	if (!npos && !project)
		return cli_usage_error(cmd, "give a CSV file or --project NAME");
	if (npos && project)
		return cli_usage_error(cmd, "give a CSV file or --project NAME, not both");
	if (kind && strcmp(kind, "tag"))
		return cli_usage_error(cmd, "--label-kind must be tag");
	if (spatial && !project)
		return cli_usage_error(cmd, "--spatial needs --project NAME");
	(void)json; /* agree always prints one JSON object; --json is accepted */
	int64_t window_ms = 0;
	if (window_s) {
		uint64_t v;
		if (!project)
			return cli_usage_error(cmd, "--window needs --project NAME");
		if (!cli_parse_u64(window_s, &v) || v < 1 || v > 100ull * 365 * 86400)
			return cli_usage_error(cmd, "--window must be a number of seconds from 1 to 3153600000");
		window_ms = (int64_t)v * 1000;
	}
	struct buf err = BUF_INIT, out = BUF_INIT;

	if (spatial) {
		double fl = 0.1;
		if (floor_s) {
			char *end;
			fl = strtod(floor_s, &end);
			if (*end || end == floor_s || !(fl > 0 && fl <= 1))
				return cli_usage_error(cmd, "--iou-floor must be a number in (0, 1]");
		}
		struct store *st;
		struct project p = {0};
		if (open_project("agree", data, project, &st, &p))
			return EXIT_FAIL;
		struct project_agree_opts po = {.iou_floor = fl, .window_ms = window_ms,
						.which = PROJECT_AGREE_SPATIAL};
		rc = project_agree_json(st, &p, &po, &out, &err);
		if (rc) {
			cli_error("agree", "%s", err.data);
			rc = EXIT_FAIL;
		} else {
			buf_addch(&out, '\n');
			fputs(out.data, stdout);
			rc = EXIT_OK;
		}
		project_release(&p);
		store_close(st);
		schema_cache_clear();
		buf_release(&err);
		buf_release(&out);
		return rc;
	}

	struct agree_opts o = AGREE_OPTS_INIT;
	if ((rc = parse_agree_opts(cmd, metric, level, weights, boot, seed, &o)))
		return rc;
	struct agree_data d;
	agree_data_init(&d);
	struct store *st = NULL;
	struct project p = {0};
	(void)st;
	if (project) {
		agree_data_release(&d);
		if (open_project("agree", data, project, &st, &p))
			return EXIT_FAIL;
		struct project_agree_opts po = {.agree = o, .window_ms = window_ms,
						.which = PROJECT_AGREE_CATEGORICAL};
		rc = project_agree_json(st, &p, &po, &out, &err);
		if (rc) {
			cli_error("agree", "%s", err.data);
			rc = EXIT_FAIL;
		} else {
			buf_addch(&out, '\n');
			fputs(out.data, stdout);
			rc = EXIT_OK;
		}
		project_release(&p);
		store_close(st);
		schema_cache_clear();
		buf_release(&err);
		buf_release(&out);
		return rc;
	} else {
		const char *path = argv[0];
		FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
		if (!f) {
			cli_error("agree", "cannot open '%s': %s", path, strerror(errno));
			agree_data_release(&d);
			return EXIT_FAIL;
		}
		rc = agree_read_csv(&d, file_read, f, path, &err);
		if (f != stdin)
			fclose(f);
	}
	struct agree_result r;
	if (!rc)
		rc = agree_compute(&d, &o, &r, &err);
	if (rc) {
		cli_error("agree", "%s", err.data);
		rc = EXIT_FAIL;
	} else {
		project_agree_result_json(&d, &o, &r, NULL, &out);
		buf_addch(&out, '\n');
		fputs(out.data, stdout);
		rc = EXIT_OK;
	}
	agree_data_release(&d);
	buf_release(&err);
	buf_release(&out);
	return rc;
}

/* ---- cairn consensus ------------------------------------------------------ */

static int find_admin(void *ctx, const struct user *u)
{
	int64_t *id = ctx;
	if (!*id && u->is_admin && u->is_active)
		*id = u->id;
	return 0;
}

int cmd_consensus(int argc, char **argv)
{
	const char *data = NULL, *project = NULL, *method = "majority", *min_s = NULL;
	const char *user = NULL, *min_ann_s = NULL;
	bool json = false, dry = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL}, {"project", 1, &project, NULL},
		{"method", 1, &method, NULL}, {"min-agreement", 1, &min_s, NULL},
		{"min-annotators", 1, &min_ann_s, NULL}, {"user", 1, &user, NULL},
		{"dry-run", 0, NULL, &dry}, {"json", 0, NULL, &json}, {0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("consensus");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
	if (!project)
		return cli_usage_error(cmd, "missing --project NAME");
	bool ds = !strcmp(method, "dawid-skene");
	if (!ds && strcmp(method, "majority"))
		return cli_usage_error(cmd, "--method must be majority or dawid-skene, got '%s'", method);
	double min_agree = 0.5;
	if (min_s) {
		char *end;
		min_agree = strtod(min_s, &end);
		if (*end || end == min_s || !(min_agree >= 0 && min_agree <= 1))
			return cli_usage_error(cmd, "--min-agreement must be a number in [0, 1]");
	}
	uint64_t min_ann = 2;
	if (min_ann_s && (!cli_parse_u64(min_ann_s, &min_ann) || min_ann < 1))
		return cli_usage_error(cmd, "--min-annotators must be a number >= 1");

	struct store *st;
	struct project p = {0};
	if (open_project("consensus", data, project, &st, &p))
		return EXIT_FAIL;
	struct buf err = BUF_INIT, out = BUF_INIT;
	int64_t uid = 0;
	if (user) {
		struct user u = {0};
		if (store_user_get(st, user, &u, NULL, &err)) {
			cli_error("consensus", "%s", err.data);
			project_release(&p);
			store_close(st);
			buf_release(&err);
			return EXIT_FAIL;
		}
		uid = u.id;
		user_release(&u);
	} else {
		store_user_list(st, find_admin, &uid, NULL);
	}
	struct project_consensus_opts co = {
		.method = method, .min_agree = min_agree, .min_ann = (size_t)min_ann,
		.dry_run = dry, .user_id = uid,
		.review_f1 = PROJECT_REVIEW_F1, .review_tags = PROJECT_REVIEW_TAGS,
	};
	struct project_consensus_counts cnt = {0};
	rc = project_consensus(st, &p, &co, &out, &cnt, &err);
	if (rc) {
		cli_error("consensus", "%s", err.data);
		rc = EXIT_FAIL;
	} else if (json) {
		buf_addch(&out, '\n');
		fputs(out.data, stdout);
		rc = EXIT_OK;
	} else {
		printf("consensus (%s) of project %s: %zu saved%s, %zu for review (agreement under %.2f), %zu with "
		       "fewer than %llu annotators\n", method, p.name, cnt.saved, dry ? " (dry run: none)" : "",
		       cnt.needs_review, min_agree, cnt.too_few, (unsigned long long)min_ann);
		printf("%zu items put first in their batch's review sample (object F1@0.5 under %.2f or "
		       "annotators disagreeing on the label)\n", cnt.queued, PROJECT_REVIEW_F1);
		rc = EXIT_OK;
	}
	project_release(&p);
	store_close(st);
	schema_cache_clear();
	buf_release(&err);
	buf_release(&out);
	return rc;
}
