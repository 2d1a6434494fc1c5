/*
 * job_check.c - the automated checks of a whole project as a background
 * job: check_project with progress (items read) and cancellation, every
 * finding written as one JSON line to DATA/exports/check-<job>.jsonl (no
 * cap), and a summary as the job's result. GET /projects/{p}/quality/
 * checks/jobs/{job} pages through the file by byte cursor; the whole file
 * is also the job's download. Started by POST .../quality/checks/jobs.
 */
#include "workflow/jobs.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "quality/check.h"
#include "store/store.h"
#include "base/banned.h"

int job_check_check(const char *params_json, struct buf *err)
{
	json_error_t je;
	json_t *p = json_loads(params_json, 0, &je);
	int rc = 0;
	const char *k;
	json_t *v;
	if (!json_is_object(p)) {
		buf_setf(err, "checks: the parameters must be a JSON object");
		rc = CAIRN_EINVAL;
		goto out;
	}
	json_object_foreach(p, k, v) {
		if (!strcmp(k, "rules")) {
			uint32_t bits;
			if (!json_is_string(v)) {
				buf_setf(err, "checks: rules must be a string of rule names separated "
					 "by commas");
				rc = CAIRN_EINVAL;
			} else {
				rc = check_rules_parse(json_string_value(v), &bits, err);
			}
		} else if (!strcmp(k, "predictions")) {
			if (!json_is_boolean(v)) {
				buf_setf(err, "checks: predictions must be true or false");
				rc = CAIRN_EINVAL;
			}
		} else {
			buf_setf(err, "checks: unknown parameter '%s' (expected rules, predictions)", k);
			rc = CAIRN_EINVAL;
		}
		if (rc)
			break;
	}
out:
	json_decref(p);
	return rc;
}

struct run {
	struct job_ctx *c;
	FILE *f;
	struct buf line;
	int64_t total;             /* items in the project, for progress */
	int64_t counts[3];
	int64_t by_rule[CHECK_RULE_COUNT_];
	int64_t n;
};

static int on_finding(void *ctx, const struct check_finding *f)
{
	struct run *r = ctx;
	r->counts[check_rules[f->rule].severity]++;
	r->by_rule[f->rule]++;
	r->n++;
	buf_reset(&r->line);
	check_finding_json(&r->line, r->c->job->project_id, f);
	buf_addch(&r->line, '\n');
	if (fwrite(r->line.data, 1, r->line.len, r->f) != r->line.len) {
		buf_setf(&r->c->error, "checks: cannot write the findings: %s", strerror(errno));
		return CAIRN_EIO;
	}
	return 0;
}

static bool on_progress(void *ctx, int64_t done)
{
	struct run *r = ctx;
	return job_progress(r->c, done, r->total > done ? r->total : done);
}

int job_check_run(struct job_ctx *c)
{
	const struct job *j = c->job;
	json_t *p = json_loads(j->params ? j->params : "{}", 0, NULL);
	struct check_opts o;
	check_opts_default(&o);
	struct run r = {.c = c, .line = BUF_INIT};
	struct buf name = BUF_INIT, tmp = BUF_INIT, final = BUF_INIT, scratch = BUF_INIT;
	int rc = check_rules_parse(json_string_value(json_object_get(p, "rules")), &o.rules,
				   &c->error);
	o.with_predictions = json_is_true(json_object_get(p, "predictions"));
	o.progress = on_progress;
	o.progress_ctx = &r;
	json_decref(p);
	struct project_stats ps;
	if (rc || (rc = store_project_stats(c->st, j->project_id, &ps, &c->error)))
		goto out;
	r.total = ps.items;
	buf_addf(&name, "check-%lld.jsonl", (long long)j->id);
	buf_addf(&tmp, "%s/exports/.%s.part", c->data_dir, name.data);
	buf_addf(&final, "%s/exports/%s", c->data_dir, name.data);
	r.f = fopen(tmp.data, "w");
	if (!r.f) {
		buf_setf(&c->error, "checks: cannot create the findings file: %s", strerror(errno));
		rc = CAIRN_EIO;
		goto out;
	}
	rc = check_project(c->st, j->project_id, &o, on_finding, &r, &scratch);
	bool stop = c->cancelled || *c->stopping;
	if (rc && !stop && !c->error.len)
		buf_setf(&c->error, "checks: %s", scratch.data);
	if (!rc && !stop && (fflush(r.f) || fsync(fileno(r.f)))) {
		buf_setf(&c->error, "checks: cannot write the findings: %s", strerror(errno));
		rc = CAIRN_EIO;
	}
	long bytes = ftell(r.f);
	fclose(r.f);
	if (rc || stop) {
		unlink(tmp.data);
		if (stop && rc == CAIRN_EINVAL)
			rc = 0; /* "cancelled": the runner records how it ended */
		goto out;
	}
	if (rename(tmp.data, final.data)) {
		buf_setf(&c->error, "checks: cannot finish the findings file: %s", strerror(errno));
		unlink(tmp.data);
		rc = CAIRN_EIO;
		goto out;
	}
	job_progress(c, r.total, r.total);
	buf_adds(&c->result, "{\"file\":");
	buf_add_json_str(&c->result, name.data);
	buf_addf(&c->result, ",\"bytes\":%ld,\"items\":%lld,\"total\":%lld,\"counts\":{\"error\":%lld,"
		 "\"warning\":%lld,\"info\":%lld},\"rules\":[", bytes, (long long)r.total,
		 (long long)r.n, (long long)r.counts[0], (long long)r.counts[1],
		 (long long)r.counts[2]);
	bool first = true;
	for (int i = 0; i < CHECK_RULE_COUNT_; i++) {
		if (o.rules && !(o.rules & (1u << i)))
			continue;
		buf_addf(&c->result, "%s{\"name\":\"%s\",\"severity\":\"%s\",\"findings\":%lld}",
			 first ? "" : ",", check_rules[i].name,
			 check_severity_name(check_rules[i].severity), (long long)r.by_rule[i]);
		first = false;
	}
	buf_adds(&c->result, "]}");
out:
	buf_release(&r.line);
	buf_release(&name);
	buf_release(&tmp);
	buf_release(&final);
	buf_release(&scratch);
	return rc;
}
