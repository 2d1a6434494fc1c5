/*
 * job_consensus.c - the consensus job: one consensus annotation per item
 * of the job's project from its annotators' labels (project_agree.c, as
 * `cairn consensus` does), saved as the user who started the job. Started
 * by POST /projects/{p}/quality/consensus; its result is the same JSON
 * object `cairn consensus --json` prints.
 */
#include "workflow/jobs.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "base/err.h"
#include "quality/project_agree.h"
#include "store/store.h"
#include "base/banned.h"

int job_consensus_check(const char *params_json, struct buf *err)
{
	json_error_t je;
	json_t *p = json_loads(params_json, 0, &je);
	int rc = 0;
	const char *k;
	json_t *v;
	if (!json_is_object(p)) {
		buf_setf(err, "consensus: the parameters must be a JSON object");
		rc = CAIRN_EINVAL;
		goto out;
	}
	json_object_foreach(p, k, v) {
		if (!strcmp(k, "method")) {
			const char *m = json_string_value(v);
			if (!m || (strcmp(m, "majority") && strcmp(m, "dawid-skene"))) {
				buf_setf(err, "consensus: method must be \"majority\" or \"dawid-skene\"");
				rc = CAIRN_EINVAL;
			}
		} else if (!strcmp(k, "min_agreement")) {
			double x = json_number_value(v);
			if (!json_is_number(v) || !(x >= 0 && x <= 1)) {
				buf_setf(err, "consensus: min_agreement must be a number from 0 to 1");
				rc = CAIRN_EINVAL;
			}
		} else if (!strcmp(k, "review_f1") || !strcmp(k, "review_label_share")) {
			double x = json_number_value(v);
			if (!json_is_number(v) || !(x >= 0 && x <= 1)) {
				buf_setf(err, "consensus: %s must be a number from 0 to 1", k);
				rc = CAIRN_EINVAL;
			}
		} else if (!strcmp(k, "min_annotators")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 1000) {
				buf_setf(err, "consensus: min_annotators must be an integer from 1 to 1000");
				rc = CAIRN_EINVAL;
			}
		} else if (!strcmp(k, "dry_run")) {
			if (!json_is_boolean(v)) {
				buf_setf(err, "consensus: dry_run must be true or false");
				rc = CAIRN_EINVAL;
			}
		} else {
			buf_setf(err, "consensus: unknown parameter '%s' (expected method, min_agreement, "
				 "min_annotators, review_f1, review_label_share, dry_run)", k);
			rc = CAIRN_EINVAL;
		}
		if (rc)
			break;
	}
out:
	json_decref(p);
	return rc;
}

static bool on_progress(void *ctx, int64_t done, int64_t total)
{
	return job_progress(ctx, done, total);
}

int job_consensus_run(struct job_ctx *c)
{
	json_t *p = json_loads(c->job->params ? c->job->params : "{}", 0, NULL);
	struct project pr = {0};
	int rc = store_project_get_id(c->st, c->job->project_id, &pr, &c->error);
	if (!rc) {
		json_t *ma = json_object_get(p, "min_agreement");
		json_t *mn = json_object_get(p, "min_annotators");
		json_t *rf = json_object_get(p, "review_f1");
		json_t *rt = json_object_get(p, "review_label_share");
		struct project_consensus_opts o = {
			.method = json_string_value(json_object_get(p, "method")),
			.min_agree = ma ? json_number_value(ma) : 0.5,
			.min_ann = mn ? (size_t)json_integer_value(mn) : 2,
			.review_f1 = rf ? json_number_value(rf) : PROJECT_REVIEW_F1,
			.review_tags = rt ? json_number_value(rt) : PROJECT_REVIEW_TAGS,
			.dry_run = json_is_true(json_object_get(p, "dry_run")),
			.user_id = c->job->user_id,
			.progress = on_progress,
			.progress_ctx = c,
		};
		rc = project_consensus(c->st, &pr, &o, &c->result, NULL, &c->error);
	}
	project_release(&pr);
	json_decref(p);
	return rc;
}
