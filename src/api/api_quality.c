/*
 * api_quality.c - the quality endpoints behind the dashboards: agreement
 * (categorical and spatial, per class, per annotator pair, over time), a
 * confusion matrix between two annotators, the automated checks, progress
 * per batch, the class distribution, and starting a consensus job. The
 * numbers come from src/quality/ (project_agree.c, check.c); docs/api.md
 * and docs/quality.md give the shapes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "core/annotation.h"
#include "quality/check.h"
#include "quality/project_agree.h"
#include "workflow/jobs.h"
#include "base/banned.h"

/* Most findings one answer lists (the counts cover them all). */
#define MAX_FINDINGS 5000

static int load_project(struct http_req *req, struct http_resp *resp, struct project *p)
{
	struct buf err = BUF_INIT;
	int rc = store_project_get_id(req->st, req->project_id, p, &err);
	if (rc)
		api_store_fail(resp, rc, &err);
	buf_release(&err);
	return rc;
}

/* A number query parameter in [min, max] (def when absent). */
static int query_num(struct http_req *req, struct http_resp *resp, const char *name, double def,
		     double min, double max, double *out)
{
	const char *v = http_query(req, name);
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || *end || !isfinite(x) || x < min || x > max)
		return http_fail(resp, CAIRN_EINVAL, name,
				 "query parameter '%s' must be a number from %g to %g, got '%s'", name,
				 min, max, v);
	*out = x;
	return 0;
}

static int answer(struct http_resp *resp, int rc, struct buf *err)
{
	if (rc) {
		buf_setlen(&resp->body, 0);
		if (rc == CAIRN_EINVAL && err->len)
			http_fail(resp, rc, NULL, "%s", err->data);
		else
			api_store_fail(resp, rc, err);
	} else {
		resp->status = 200;
	}
	buf_release(err);
	return rc;
}

/* ---- agreement --------------------------------------------------------------- */

int api_quality_agreement(struct http_req *req, struct http_resp *resp)
{
	struct project_agree_opts o = {.agree = AGREE_OPTS_INIT,
				       .which = PROJECT_AGREE_CATEGORICAL | PROJECT_AGREE_SPATIAL};
	o.agree.metric = AGREE_ALPHA;
	o.agree.bootstrap = 200;
	const char *metric = http_query(req, "metric"), *level = http_query(req, "level");
	const char *weights = http_query(req, "weights");
	if (metric && !agree_metric_parse(metric, &o.agree.metric))
		return http_fail(resp, CAIRN_EINVAL, "metric", "metric must be percent, kappa, "
				 "weighted-kappa, fleiss, alpha or gwet, got '%s'", metric);
	if (level && !agree_level_parse(level, &o.agree.level))
		return http_fail(resp, CAIRN_EINVAL, "level", "level must be nominal, ordinal, "
				 "interval or ratio, got '%s'", level);
	if (level && o.agree.metric != AGREE_ALPHA)
		return http_fail(resp, CAIRN_EINVAL, "level", "level goes with metric=alpha");
	if (weights) {
		if (!agree_weights_parse(weights, &o.agree.weights) ||
		    o.agree.weights == AGREE_W_IDENTITY)
			return http_fail(resp, CAIRN_EINVAL, "weights", "weights must be linear or "
					 "quadratic, got '%s'", weights);
		if (o.agree.metric != AGREE_WKAPPA && o.agree.metric != AGREE_GWET)
			return http_fail(resp, CAIRN_EINVAL, "weights",
					 "weights go with metric=weighted-kappa or gwet");
	} else if (o.agree.metric == AGREE_WKAPPA) {
		o.agree.weights = AGREE_W_LINEAR;
	}
	int64_t boot, seed, window;
	int rc;
	if ((rc = http_query_i64(req, resp, "bootstrap", 200, 0, 5000, &boot)) ||
	    (rc = http_query_i64(req, resp, "seed", 1, 0, INT64_MAX, &seed)) ||
	    (rc = http_query_i64(req, resp, "window", 86400, 0, 100ll * 365 * 86400, &window)) ||
	    (rc = query_num(req, resp, "iou_floor", 0.1, 1e-9, 1, &o.iou_floor)))
		return rc;
	o.agree.bootstrap = (unsigned)boot;
	o.agree.seed = (uint64_t)seed;
	o.window_ms = window * 1000;
	struct project p = {0};
	if ((rc = load_project(req, resp, &p)))
		return rc;
	struct buf err = BUF_INIT;
	rc = project_agree_json(req->st, &p, &o, &resp->body, &err);
	project_release(&p);
	if (rc == CAIRN_EINVAL && !strncmp(err.data, "window:", 7)) {
		buf_setlen(&resp->body, 0);
		http_fail(resp, rc, "window", "%s", err.data);
		buf_release(&err);
		return rc;
	}
	if (rc == CAIRN_EINVAL) {
		buf_setlen(&resp->body, 0);
		http_fail(resp, rc, "metric", "%s", err.data);
		buf_release(&err);
		return rc;
	}
	return answer(resp, rc, &err);
}

/* ---- confusion matrix -------------------------------------------------------- */

/* A user named by id or name. */
static int query_user(struct http_req *req, struct http_resp *resp, const char *name,
		      int64_t *out)
{
	const char *v = http_query(req, name);
	if (!v || !*v)
		return http_fail(resp, CAIRN_EINVAL, name, "query parameter '%s' (an annotator's "
				 "user id or name) is required", name);
	struct buf err = BUF_INIT;
	char *end;
	long long id = strtoll(v, &end, 10);
	struct user u = {0};
	int rc = *end || end == v ? store_user_get(req->st, v, &u, NULL, &err)
				  : store_user_get_id(req->st, id, &u, &err);
	id = u.id;
	user_release(&u);
	buf_release(&err);
	if (rc || id <= 0)
		return http_fail(resp, CAIRN_ENOTFOUND, name, "%s: no user '%s'", name, v);
	*out = id;
	return 0;
}

int api_quality_confusion(struct http_req *req, struct http_resp *resp)
{
	int64_t a, b;
	double iou;
	int rc;
	if ((rc = query_user(req, resp, "a", &a)) || (rc = query_user(req, resp, "b", &b)) ||
	    (rc = query_num(req, resp, "iou", 0.5, 1e-9, 1, &iou)))
		return rc;
	if (a == b)
		return http_fail(resp, CAIRN_EINVAL, "b", "a and b must be two different annotators");
	struct project p = {0};
	if ((rc = load_project(req, resp, &p)))
		return rc;
	struct buf err = BUF_INIT;
	rc = project_confusion_json(req->st, &p, a, b, iou, &resp->body, &err);
	project_release(&p);
	return answer(resp, rc, &err);
}

/* ---- checks ------------------------------------------------------------------- */

struct find_ctx {
	struct buf *out;
	int64_t project_id;
	int64_t counts[3];
	int64_t by_rule[CHECK_RULE_COUNT_];
	int64_t n, limit;
};

static int on_finding(void *vctx, const struct check_finding *f)
{
	struct find_ctx *c = vctx;
	const struct check_rule *r = &check_rules[f->rule];
	c->counts[r->severity]++;
	c->by_rule[f->rule]++;
	if (c->n >= c->limit)
		return 0;
	if (c->n)
		buf_addch(c->out, ',');
	check_finding_json(c->out, c->project_id, f);
	c->n++;
	return 0;
}

int api_quality_checks(struct http_req *req, struct http_resp *resp)
{
	struct check_opts o;
	check_opts_default(&o);
	const char *rules = http_query(req, "rules");
	if (rules && *rules) {
		struct buf e = BUF_INIT;
		int prc = check_rules_parse(rules, &o.rules, &e);
		if (prc)
			http_fail(resp, prc, "rules", "%s", e.data);
		buf_release(&e);
		if (prc)
			return prc;
	}
	int64_t limit;
	int rc = http_query_i64(req, resp, "limit", 1000, 0, MAX_FINDINGS, &limit);
	if (rc)
		return rc;
	const char *preds = http_query(req, "predictions");
	o.with_predictions = preds && !strcmp(preds, "true");
	struct find_ctx c = {.out = &resp->body, .project_id = req->project_id, .limit = limit};
	struct buf err = BUF_INIT;
	buf_addf(&resp->body, "{\"project\":%lld,\"findings\":[", (long long)req->project_id);
	rc = check_project(req->st, req->project_id, &o, on_finding, &c, &err);
	if (!rc) {
		int64_t total = c.counts[0] + c.counts[1] + c.counts[2];
		buf_addf(&resp->body, "],\"total\":%lld,\"truncated\":%s,\"counts\":{\"error\":%lld,"
			 "\"warning\":%lld,\"info\":%lld},\"rules\":[", (long long)total,
			 total > c.n ? "true" : "false", (long long)c.counts[0], (long long)c.counts[1],
			 (long long)c.counts[2]);
		bool first = true;
		for (int i = 0; i < CHECK_RULE_COUNT_; i++) {
			if (o.rules && !(o.rules & (1u << i)))
				continue;
			buf_addf(&resp->body, "%s{\"name\":\"%s\",\"severity\":\"%s\",\"findings\":%lld,"
				 "\"summary\":", first ? "" : ",", check_rules[i].name,
				 check_severity_name(check_rules[i].severity), (long long)c.by_rule[i]);
			buf_add_json_str(&resp->body, check_rules[i].summary);
			buf_addch(&resp->body, '}');
			first = false;
		}
		buf_adds(&resp->body, "]}");
	}
	return answer(resp, rc, &err);
}

/* ---- progress per batch -------------------------------------------------------- */

struct progress_ctx {
	struct http_req *req;
	struct buf *out;
	int n;
	struct buf *err;
};

/* Items of the query by status, as "by_status":{...}; *total gets their sum. */
static int status_counts(struct http_req *req, int64_t batch_id, struct buf *out,
			 int64_t *total, struct buf *err)
{
	buf_adds(out, "\"by_status\":{");
	*total = 0;
	for (int s = 0; s < ITEM_STATUS_COUNT_; s++) {
		struct item_query q = {.project_id = req->project_id, .status = s, .kind = -1,
				       .batch_id = batch_id, .limit = 1};
		int64_t n = 0;
		int rc = store_item_count(req->st, &q, &n, err);
		if (rc)
			return rc;
		buf_addf(out, "%s\"%s\":%lld", s ? "," : "", item_status_name((enum item_status)s),
			 (long long)n);
		*total += n;
	}
	buf_addch(out, '}');
	return 0;
}

struct member_count {
	int64_t annotators, reviewers;
};

static int count_member(void *ctx, int64_t user_id, const char *name, const char *role)
{
	struct member_count *m = ctx;
	(void)user_id;
	(void)name;
	if (!strcmp(role, "annotator"))
		m->annotators++;
	else if (!strcmp(role, "reviewer"))
		m->reviewers++;
	return 0;
}

static int add_progress(void *vctx, const struct batch *b)
{
	struct progress_ctx *c = vctx;
	struct buf *out = c->out;
	struct member_count mc = {0};
	int rc = store_batch_members(c->req->st, b->id, count_member, &mc, c->err);
	if (rc)
		return rc;
	/* Annotations the batch wants: every annotator labels every item of a
	 * calibration batch; a normal batch wants `overlap` per item. */
	int64_t needed = b->calibration ? b->items * mc.annotators : b->items * b->overlap;
	buf_addf(out, "%s{\"id\":%lld,\"name\":", c->n++ ? "," : "", (long long)b->id);
	buf_add_json_str(out, b->name ? b->name : "");
	buf_addf(out, ",\"kind\":\"%s\",\"stage\":\"%s\",\"items\":%lld,\"overlap\":%lld,"
		 "\"annotators\":%lld,\"reviewers\":%lld,\"needed\":%lld,\"submitted\":%lld,"
		 "\"reserved\":%lld,\"progress\":", b->calibration ? "calibration" : "normal",
		 b->stage, (long long)b->items, (long long)b->overlap, (long long)mc.annotators,
		 (long long)mc.reviewers, (long long)needed, (long long)b->submitted,
		 (long long)b->reserved);
	if (needed > 0)
		json_add_double(out, round(fmin(1.0, (double)b->submitted / (double)needed) * 1e6) / 1e6);
	else
		buf_adds(out, "null");
	buf_addf(out, ",\"signed_off\":%s,", b->signed_off_by ? "true" : "false");
	int64_t total;
	if ((rc = status_counts(c->req, b->id, out, &total, c->err)))
		return rc;
	buf_addch(out, '}');
	return 0;
}

int api_quality_progress(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct progress_ctx c = {req, &resp->body, 0, &err};
	buf_adds(&resp->body, "{\"batches\":[");
	/* Annotators see the batches they are members of, as in GET batches. */
	int rc = store_batch_list(req->st, req->project_id, req->item_restricted ? req->user_id : 0,
				  add_progress, &c, &err);
	if (!rc && !req->item_restricted) {
		buf_adds(&resp->body, "],\"project\":{");
		int64_t total;
		rc = status_counts(req, 0, &resp->body, &total, &err);
		buf_addf(&resp->body, ",\"items\":%lld}}", (long long)total);
	} else if (!rc) {
		buf_adds(&resp->body, "],\"project\":null}");
	}
	return answer(resp, rc, &err);
}

/* ---- class distribution -------------------------------------------------------- */

struct class_ctx {
	struct http_req *req;
	struct buf *out;
	int n;
	int64_t total;
	struct buf *err;
};

static int add_class(void *vctx, int64_t label_id, const char *name, int64_t objects)
{
	struct class_ctx *c = vctx;
	struct item_query q = {.project_id = c->req->project_id, .status = -1, .kind = -1,
			       .label_id = label_id, .limit = 1};
	int64_t items = 0;
	int rc = store_item_count(c->req->st, &q, &items, c->err);
	if (rc)
		return rc;
	buf_addf(c->out, "%s{\"id\":%lld,\"name\":", c->n++ ? "," : "", (long long)label_id);
	buf_add_json_str(c->out, name ? name : "");
	buf_addf(c->out, ",\"objects\":%lld,\"items\":%lld}", (long long)objects, (long long)items);
	c->total += objects;
	return 0;
}

int api_quality_classes(struct http_req *req, struct http_resp *resp)
{
	struct buf err = BUF_INIT;
	struct class_ctx c = {req, &resp->body, 0, 0, &err};
	buf_adds(&resp->body, "{\"labels\":[");
	int rc = store_label_counts(req->st, req->project_id, add_class, &c, &err);
	buf_addf(&resp->body, "],\"objects\":%lld}", (long long)c.total);
	return answer(resp, rc, &err);
}

/* ---- consensus ----------------------------------------------------------------- */

int api_quality_consensus(struct http_req *req, struct http_resp *resp)
{
	return api_job_start(req, resp, "consensus", job_consensus_check, "consensus.start");
}

/* POST /projects/{p}/quality/checks/jobs: every check over the whole
 * project as a background job; its findings are paged by the GET below. */
int api_quality_checks_start(struct http_req *req, struct http_resp *resp)
{
	return api_job_start(req, resp, "check", job_check_check, "check.start");
}

/* Most findings one page lists. */
#define MAX_PAGE 1000

/*
 * GET /projects/{p}/quality/checks/jobs/{job}?cursor=&limit=: the job's
 * state and progress, its summary once done, and one page of its findings
 * read from the findings file at byte offset `cursor` (0: the first);
 * `next` is the cursor of the following page, null at the end.
 */
int api_quality_checks_job(struct http_req *req, struct http_resp *resp)
{
	int64_t cursor, limit;
	int rc;
	if ((rc = http_query_i64(req, resp, "cursor", 0, 0, INT64_MAX, &cursor)) ||
	    (rc = http_query_i64(req, resp, "limit", 100, 1, MAX_PAGE, &limit)))
		return rc;
	struct job j;
	struct buf err = BUF_INIT, path = BUF_INIT;
	if ((rc = store_job_get(req->st, req->args[1], &j, &err))) {
		api_store_fail(resp, rc, &err);
		buf_release(&err);
		return rc;
	}
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	json_t *res = NULL;
	if (j.project_id != req->project_id || !j.kind || strcmp(j.kind, "check")) {
		rc = http_fail(resp, CAIRN_ENOTFOUND, NULL, "no check job %lld in this project",
			       (long long)req->args[1]);
		goto out;
	}
	buf_addf(&resp->body, "{\"job\":{\"id\":%lld,\"state\":\"%s\",\"progress\":{\"done\":%lld,"
		 "\"total\":%lld},\"error\":", (long long)j.id, job_state_name(j.state),
		 (long long)j.done, (long long)j.total);
	if (j.error)
		buf_add_json_str(&resp->body, j.error);
	else
		buf_adds(&resp->body, "null");
	buf_addf(&resp->body, "},\"summary\":%s,\"cursor\":%lld,\"findings\":[",
		 j.state == JOB_DONE && j.result ? j.result : "null", (long long)cursor);
	int64_t next = -1;
	if (j.state == JOB_DONE && j.result) {
		res = json_loads(j.result, 0, NULL);
		const char *file = json_string_value(json_object_get(res, "file"));
		if (!file || strchr(file, '/') || file[0] == '.') {
			buf_setlen(&resp->body, 0);
			rc = http_fail(resp, CAIRN_ENOTFOUND, NULL, "job %lld has no findings file",
				       (long long)j.id);
			goto out;
		}
		buf_addf(&path, "%s/exports/%s", server_data_dir(req->srv), file);
		f = fopen(path.data, "r");
		int64_t size = -1;
		if (f && !fseeko(f, 0, SEEK_END))
			size = (int64_t)ftello(f);
		if (size < 0) {
			buf_setlen(&resp->body, 0);
			rc = http_fail(resp, CAIRN_ENOTFOUND, NULL, "the findings of job %lld are gone",
				       (long long)j.id);
			goto out;
		}
		/* A cursor is the start of a line: 0, or just after a newline. */
		bool ok = cursor <= size;
		if (ok && cursor > 0)
			ok = !fseeko(f, (off_t)cursor - 1, SEEK_SET) && fgetc(f) == '\n';
		if (!ok) {
			buf_setlen(&resp->body, 0);
			rc = http_fail(resp, CAIRN_EINVAL, "cursor", "cursor %lld is not a cursor of "
				       "job %lld (use 0 or a 'next' it gave)", (long long)cursor,
				       (long long)j.id);
			goto out;
		}
		if (!cursor)
			fseeko(f, 0, SEEK_SET);
		int64_t n = 0, at = cursor;
		ssize_t len;
		while (n < limit && (len = getline(&line, &cap, f)) > 0) {
			if (line[len - 1] == '\n')
				len--;
			if (n++)
				buf_addch(&resp->body, ',');
			buf_add(&resp->body, line, (size_t)len);
			at = (int64_t)ftello(f);
		}
		next = at < size ? at : -1;
	}
	if (next >= 0)
		buf_addf(&resp->body, "],\"next\":%lld}", (long long)next);
	else
		buf_adds(&resp->body, "],\"next\":null}");
	resp->status = 200;
out:
	if (f)
		fclose(f);
	free(line);
	json_decref(res);
	job_release(&j);
	buf_release(&err);
	buf_release(&path);
	return rc;
}
