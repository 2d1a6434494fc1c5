/*
 * cmd_batch.c - `cairn batch create|list|assign|signoff`: the manager's
 * side of the workflow from the shell, on the same store functions as the
 * API (docs/workflow.md). Audit rows written here have no user.
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
#include "store/store.h"
#include "base/banned.h"

static bool parse_frac(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static void batch_line(struct buf *out, const struct batch *b, bool json)
{
	if (json) {
		buf_addf(out, "{\"id\":%lld,\"name\":", (long long)b->id);
		buf_add_json_str(out, b->name ? b->name : "");
		buf_addf(out, ",\"kind\":\"%s\",\"stage\":\"%s\",\"overlap\":%lld,\"review_sample\":%.6g,"
			 "\"items\":%lld,\"open_items\":", b->calibration ? "calibration" : "normal",
			 b->stage, (long long)b->overlap, b->review_sample, (long long)b->items);
		if (b->open_items >= 0)
			buf_addf(out, "%lld", (long long)b->open_items);
		else
			buf_adds(out, "null");
		buf_addf(out, ",\"reserved\":%lld,\"submitted\":%lld}", (long long)b->reserved,
			 (long long)b->submitted);
	} else {
		buf_addf(out, "%-6lld %-24s %-11s %-8s overlap %-3lld items %-6lld submitted %lld\n",
			 (long long)b->id, b->name ? b->name : "", b->calibration ? "calibration" : "normal",
			 b->stage, (long long)b->overlap, (long long)b->items, (long long)b->submitted);
	}
}

struct list_ctx {
	struct buf *out;
	bool json;
	int n;
};

static int list_one(void *ctx, const struct batch *b)
{
	struct list_ctx *l = ctx;
	if (l->json && l->n)
		buf_addch(l->out, ',');
	l->n++;
	batch_line(l->out, b, l->json);
	return 0;
}

/* Assigns the comma-separated user names in `names` to batch as role. */
static int assign_names(struct store *st, int64_t batch, const char *names, const char *role,
			bool remove, struct buf *err)
{
	const char *p = names;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char name[128];
		if (n == 0 || n >= sizeof(name)) {
			buf_setf(err, "--%ss: '%.*s' is not a user name", role, (int)n, p);
			return CAIRN_EINVAL;
		}
		memcpy(name, p, n);
		name[n] = 0;
		struct user u = {0};
		int rc = store_user_get(st, name, &u, NULL, err);
		int64_t id = u.id;
		user_release(&u);
		if (rc)
			return rc;
		if ((rc = store_batch_assign(st, batch, id, role, remove, 0, err)))
			return rc;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

int cmd_batch(int argc, char **argv)
{
	const char *data = NULL, *project = NULL, *name = NULL, *size = NULL, *limit = NULL,
		   *overlap = NULL, *sample = NULL, *gold_first = NULL, *gold_rate = NULL,
		   *reserve = NULL, *order = NULL, *seed = NULL, *status = NULL, *annotators = NULL,
		   *reviewers = NULL;
	bool json = false, calibration = false, remove = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL}, {"project", 1, &project, NULL}, {"name", 1, &name, NULL},
		{"size", 1, &size, NULL}, {"limit", 1, &limit, NULL}, {"overlap", 1, &overlap, NULL},
		{"review-sample", 1, &sample, NULL}, {"gold-first", 1, &gold_first, NULL},
		{"gold-rate", 1, &gold_rate, NULL}, {"reserve-s", 1, &reserve, NULL},
		{"order", 1, &order, NULL}, {"seed", 1, &seed, NULL}, {"status", 1, &status, NULL},
		{"annotators", 1, &annotators, NULL}, {"reviewers", 1, &reviewers, NULL},
		{"calibration", 0, NULL, &calibration}, {"remove", 0, NULL, &remove},
		{"json", 0, NULL, &json}, {0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("batch");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos < 1)
		return cli_usage_error(cmd, "missing create, list, assign or signoff");
	const char *verb = argv[0];
	bool create = !strcmp(verb, "create"), list = !strcmp(verb, "list");
	bool assign = !strcmp(verb, "assign"), signoff = !strcmp(verb, "signoff");
	if (!create && !list && !assign && !signoff)
		return cli_usage_error(cmd, "unknown subcommand '%s'", verb);
	uint64_t batch = 0;
	if ((assign || signoff) && (npos != 2 || !cli_parse_u64(argv[1], &batch) || !batch))
		return cli_usage_error(cmd, "%s needs one batch id", verb);
	if ((create || list) && npos != 1)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
	if ((create || list) && !project)
		return cli_usage_error(cmd, "missing --project NAME");
	if (create && !name)
		return cli_usage_error(cmd, "missing --name NAME");
	struct batch_spec sp = {
		.name = name, .size = 1000, .status = -1, .kind = -1, .overlap = 1, .review_sample = 0.15,
		.gold_first = 5, .gold_rate = 0.10, .reserve_ms = 1800000, .calibration = calibration,
	};
	uint64_t u;
	if (size && (!cli_parse_u64(size, &u) || !u || u > 1000000))
		return cli_usage_error(cmd, "--size must be 1 to 1000000");
	if (size)
		sp.size = (int64_t)u;
	if (limit && !cli_parse_u64(limit, &u))
		return cli_usage_error(cmd, "--limit must be a number");
	if (limit)
		sp.limit = (int64_t)u;
	if (overlap && (!cli_parse_u64(overlap, &u) || !u || u > 100))
		return cli_usage_error(cmd, "--overlap must be 1 to 100");
	if (overlap)
		sp.overlap = (int64_t)u;
	if (gold_first && (!cli_parse_u64(gold_first, &u) || u > 1000000))
		return cli_usage_error(cmd, "--gold-first must be a count");
	if (gold_first)
		sp.gold_first = (int64_t)u;
	if (reserve && (!cli_parse_u64(reserve, &u) || !u || u > 7 * 24 * 3600))
		return cli_usage_error(cmd, "--reserve-s must be 1 to 604800 seconds");
	if (reserve)
		sp.reserve_ms = (int64_t)u * 1000;
	if (seed && !cli_parse_u64(seed, &sp.seed))
		return cli_usage_error(cmd, "--seed must be a number");
	if (sample && !parse_frac(sample, 1e-6, 1, &sp.review_sample))
		return cli_usage_error(cmd, "--review-sample must be a fraction in (0, 1]");
	if (gold_rate && !parse_frac(gold_rate, 0, 1, &sp.gold_rate))
		return cli_usage_error(cmd, "--gold-rate must be a fraction in [0, 1]");
	if (order && strcmp(order, "id") && strcmp(order, "random"))
		return cli_usage_error(cmd, "--order must be id or random");
	sp.random_order = order && !strcmp(order, "random");
	if (status) {
		enum item_status s;
		if (!item_status_parse(status, &s))
			return cli_usage_error(cmd, "--status: '%s' is not an item status", status);
		sp.status = (int)s;
	}

	struct store *st;
	if (cli_open_store("batch", cli_data_dir(data), &st))
		return EXIT_FAIL;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct project p = {0};
	int64_t *ids = NULL;
	size_t nb = 0;
	rc = 0;
	if (project)
		rc = store_project_get(st, project, &p, &err);
	if (!rc && create) {
		sp.project_id = p.id;
		rc = store_batch_create(st, &sp, &ids, &nb, &err);
		for (size_t i = 0; i < nb && !rc; i++) {
			if (annotators)
				rc = assign_names(st, ids[i], annotators, "annotator", false, &err);
			if (!rc && reviewers)
				rc = assign_names(st, ids[i], reviewers, "reviewer", false, &err);
		}
		if (json)
			buf_adds(&out, "{\"batches\":[");
		for (size_t i = 0; i < nb && !rc; i++) {
			struct batch b;
			if ((rc = store_batch_get(st, ids[i], &b, &err)))
				break;
			if (json && i)
				buf_addch(&out, ',');
			batch_line(&out, &b, json);
			batch_release(&b);
		}
		if (json)
			buf_adds(&out, "]}\n");
	} else if (!rc && list) {
		struct list_ctx l = {&out, json, 0};
		if (json)
			buf_adds(&out, "{\"batches\":[");
		rc = store_batch_list(st, p.id, 0, list_one, &l, &err);
		if (json)
			buf_adds(&out, "]}\n");
	} else if (!rc && assign) {
		if (!annotators && !reviewers) {
			store_close(st);
			return cli_usage_error(cmd, "assign needs --annotators or --reviewers");
		}
		if (annotators)
			rc = assign_names(st, (int64_t)batch, annotators, "annotator", remove, &err);
		if (!rc && reviewers)
			rc = assign_names(st, (int64_t)batch, reviewers, "reviewer", remove, &err);
		if (!rc && json)
			buf_addf(&out, "{\"batch\":%llu,\"ok\":true}\n", (unsigned long long)batch);
	} else if (!rc && signoff) {
		rc = store_batch_signoff(st, (int64_t)batch, 0, &err);
		if (!rc)
			buf_addf(&out, json ? "{\"batch\":%llu,\"stage\":\"done\"}\n" : "batch %llu signed off\n",
				 (unsigned long long)batch);
	}
	if (rc) {
		cli_error("batch", "%s", err.data);
		rc = EXIT_FAIL;
	} else {
		fputs(out.data, stdout);
		rc = EXIT_OK;
	}
	free(ids);
	project_release(&p);
	store_close(st);
	buf_release(&err);
	buf_release(&out);
	return rc;
}
