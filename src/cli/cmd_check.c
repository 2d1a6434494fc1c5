/*
 * cmd_check.c - `cairn check --project NAME`: the automated quality checks
 * (src/quality/check.c) over a project's annotations, printed as lines or
 * one JSON document. Exits 0 when no error-severity finding fires, 1
 * otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "core/model.h"
#include "quality/check.h"
#include "store/store.h"
#include "base/banned.h"

struct out_ctx {
	struct buf *out;
	bool json;
	int64_t counts[3];
	int64_t by_rule[CHECK_RULE_COUNT_];
	int64_t n;
};

static int on_finding(void *vctx, const struct check_finding *f)
{
	struct out_ctx *c = vctx;
	const struct check_rule *r = &check_rules[f->rule];
	c->counts[r->severity]++;
	c->by_rule[f->rule]++;
	if (c->json) {
		buf_addf(c->out, "%s{\"rule\":\"%s\",\"severity\":\"%s\",\"item_id\":%lld,"
			 "\"annotation_id\":%lld,\"object\":",
			 c->n ? "," : "", r->name, check_severity_name(r->severity),
			 (long long)f->item_id, (long long)f->annotation_id);
		buf_add_json_str(c->out, f->object);
		buf_adds(c->out, ",\"group\":");
		buf_add_json_str(c->out, f->group);
		buf_addf(c->out, ",\"user_id\":%lld", (long long)f->user_id);
		buf_adds(c->out, ",\"link\":");
		if (f->item_id) {
			struct buf l = BUF_INIT;
			buf_addf(&l, "/items/%lld", (long long)f->item_id);
			if (*f->object)
				buf_addf(&l, "#object=%s", f->object);
			buf_add_json_str(c->out, l.data);
			buf_release(&l);
		} else {
			buf_adds(c->out, "null");
		}
		buf_adds(c->out, ",\"message\":");
		buf_add_json_str(c->out, f->message);
		buf_addch(c->out, '}');
	} else {
		buf_addf(c->out, "%-7s %-18s ", check_severity_name(r->severity), r->name);
		if (f->item_id)
			buf_addf(c->out, "item %lld", (long long)f->item_id);
		else if (f->user_id && !*f->group)
			buf_addf(c->out, "annotator %lld", (long long)f->user_id);
		else
			buf_addf(c->out, "%s", f->group);
		if (*f->object)
			buf_addf(c->out, " object %s", f->object);
		buf_addf(c->out, ": %s\n", f->message);
	}
	c->n++;
	return 0;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	*out = strtod(s, &end);
	return *s && !*end;
}

int cmd_check(int argc, char **argv)
{
	const char *data = NULL, *project = NULL, *rules = NULL, *min_size = NULL, *dup_iou = NULL,
		   *z = NULL, *p = NULL, *near = NULL, *match_iou = NULL, *bias_ratio = NULL,
		   *bias_min = NULL, *window = NULL, *drop = NULL;
	bool json = false, preds = false, list = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL},
		{"project", 1, &project, NULL},
		{"rule", 1, &rules, NULL},
		{"min-size", 1, &min_size, NULL},
		{"dup-iou", 1, &dup_iou, NULL},
		{"z-max", 1, &z, NULL},
		{"p-max", 1, &p, NULL},
		{"near-threshold", 1, &near, NULL},
		{"match-iou", 1, &match_iou, NULL},
		{"bias-ratio", 1, &bias_ratio, NULL},
		{"bias-min", 1, &bias_min, NULL},
		{"window-hours", 1, &window, NULL},
		{"drift-drop", 1, &drop, NULL},
		{"predictions", 0, NULL, &preds},
		{"list-rules", 0, NULL, &list},
		{"json", 0, NULL, &json},
		{0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("check");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
	if (list) {
		for (int i = 0; i < CHECK_RULE_COUNT_; i++)
			printf("%-29s %-8s %s\n", check_rules[i].name,
			       check_severity_name(check_rules[i].severity), check_rules[i].summary);
		return EXIT_OK;
	}
	if (!project)
		return cli_usage_error(cmd, "missing --project NAME");
	struct check_opts o;
	check_opts_default(&o);
	o.with_predictions = preds;
	if (rules) {
		/* --rule a,b,c */
		const char *s = rules;
		while (*s) {
			const char *e = strchr(s, ',');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			char name[64];
			if (len >= sizeof(name))
				return cli_usage_error(cmd, "--rule: unknown rule '%.*s'", (int)len, s);
			memcpy(name, s, len);
			name[len] = 0;
			int r = check_rule_find(name);
			if (r < 0)
				return cli_usage_error(cmd, "--rule: unknown rule '%s' (see --list-rules)", name);
			o.rules |= 1u << r;
			s = e ? e + 1 : s + len;
		}
	}
	double v;
	if (min_size && (!parse_double(min_size, &v) || v < 0))
		return cli_usage_error(cmd, "--min-size: expected pixels, not '%s'", min_size);
	if (min_size)
		o.min_size = v;
	if (dup_iou && (!parse_double(dup_iou, &v) || v < 0 || v > 1))
		return cli_usage_error(cmd, "--dup-iou: expected 0 to 1, not '%s'", dup_iou);
	if (dup_iou)
		o.dup_iou = v;
	if (z && (!parse_double(z, &v) || v <= 0))
		return cli_usage_error(cmd, "--z-max: expected a positive number, not '%s'", z);
	if (z)
		o.z_max = v;
	if (p && (!parse_double(p, &v) || v <= 0 || v >= 1))
		return cli_usage_error(cmd, "--p-max: expected 0 < p < 1, not '%s'", p);
	if (p)
		o.p_max = v;
	if (match_iou && (!parse_double(match_iou, &v) || v <= 0 || v > 1))
		return cli_usage_error(cmd, "--match-iou: expected 0 < IoU <= 1, not '%s'", match_iou);
	if (match_iou)
		o.match_iou = v;
	if (bias_ratio && (!parse_double(bias_ratio, &v) || v < 1 || v > 1e6))
		return cli_usage_error(cmd, "--bias-ratio: expected a ratio of at least 1, not '%s'",
				       bias_ratio);
	if (bias_ratio)
		o.bias_ratio = v;
	if (bias_min) {
		uint64_t u;
		if (!cli_parse_u64(bias_min, &u) || u < 1 || u > 1000000000)
			return cli_usage_error(cmd, "--bias-min: expected a count of at least 1, not '%s'",
					       bias_min);
		o.bias_min = (size_t)u;
	}
	if (window && (!parse_double(window, &v) || !(v >= 1.0 / 60) || v > 24.0 * 366 * 100))
		return cli_usage_error(cmd, "--window-hours: expected hours (at least 1/60), not '%s'",
				       window);
	if (window)
		o.window_ms = (int64_t)(v * 3600000 + 0.5);
	if (drop && (!parse_double(drop, &v) || v < 0 || v > 1))
		return cli_usage_error(cmd, "--drift-drop: expected 0 to 1, not '%s'", drop);
	if (drop)
		o.drift_drop = v;
	if (near) {
		uint64_t u;
		if (!cli_parse_u64(near, &u) || u > 63)
			return cli_usage_error(cmd, "--near-threshold must be 0 to 63, not '%s'", near);
		o.near_threshold = (int)u;
	}
	struct store *st;
	if (cli_open_store("check", cli_data_dir(data), &st))
		return EXIT_FAIL;
	struct buf err = BUF_INIT, out = BUF_INIT;
	struct project pr = {0};
	struct out_ctx c = {&out, json, {0}, {0}, 0};
	rc = EXIT_FAIL;
	if (json) {
		buf_adds(&out, "{\"project\":");
		buf_add_json_str(&out, project);
		buf_adds(&out, ",\"findings\":[");
	}
	if (store_project_get(st, project, &pr, &err) ||
	    check_project(st, pr.id, &o, on_finding, &c, &err)) {
		cli_error("check", "%s", err.data);
	} else {
		if (json) {
			buf_addf(&out, "],\"counts\":{\"error\":%lld,\"warning\":%lld,\"info\":%lld},\"rules\":{",
				 (long long)c.counts[0], (long long)c.counts[1], (long long)c.counts[2]);
			bool first = true;
			for (int i = 0; i < CHECK_RULE_COUNT_; i++) {
				if (o.rules && !(o.rules & (1u << i)))
					continue;
				buf_addf(&out, "%s\"%s\":%lld", first ? "" : ",", check_rules[i].name,
					 (long long)c.by_rule[i]);
				first = false;
			}
			buf_adds(&out, "}}\n");
		} else {
			buf_addf(&out, "%lld errors, %lld warnings, %lld info\n", (long long)c.counts[0],
				 (long long)c.counts[1], (long long)c.counts[2]);
		}
		fwrite(out.data, 1, out.len, stdout);
		rc = c.counts[CHECK_ERROR] ? EXIT_FAIL : EXIT_OK;
	}
	project_release(&pr);
	store_close(st);
	buf_release(&err);
	buf_release(&out);
	return rc;
}
