/*
 * perf.c - the annotator performance table: store aggregates (counts,
 * lead time, reviews), gold accuracy scored here with geom's box IoU, and
 * the most frequent rejection reasons, joined per annotator into JSON.
 */
#include "workflow/perf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "geom/geom.h"
#include "quality/check.h"
#include "quality/project_agree.h"
#include "base/banned.h"

#define TOP_REASONS 5
#define TOP_ERRORS 3

struct cand {
	double iou;
	size_t g, m;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->iou != y->iou)
		return x->iou > y->iou ? -1 : 1;
	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	return x->m < y->m ? -1 : (x->m > y->m);
}

static box to_box(const struct obj_brief *o)
{
	return (box){o->x0, o->y0, o->x1 - o->x0, o->y1 - o->y0};
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : (x > y);
}

/* The sorted distinct tag labels of objs into out (room for n); returns the count. */
static size_t tag_set(const struct obj_brief *o, size_t n, int64_t *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (o[i].is_tag)
			out[k++] = o[i].label_id;
	qsort(out, k, sizeof(*out), id_cmp);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || out[u - 1] != out[i])
			out[u++] = out[i];
	return u;
}

void perf_score_gold(const struct gold_pair *p, struct gold_score *out)
{
	memset(out, 0, sizeof(*out));
	int64_t *a = malloc((p->ngold + 1) * sizeof(*a)), *b = malloc((p->nmine + 1) * sizeof(*b));
	if (!a || !b)
		abort();
	size_t na = tag_set(p->gold, p->ngold, a), nb = tag_set(p->mine, p->nmine, b);
	out->has_tags = na > 0;
	out->tags_match = na == nb && (na == 0 || !memcmp(a, b, na * sizeof(*a)));
	free(a);
	free(b);

	size_t ng = 0, nm = 0;
	for (size_t i = 0; i < p->ngold; i++)
		ng += p->gold[i].is_box;
	for (size_t i = 0; i < p->nmine; i++)
		nm += p->mine[i].is_box;
	if (!ng && !nm)
		return;
	out->has_boxes = 1;
	struct cand *c = malloc((ng * nm + 1) * sizeof(*c));
	char *gu = calloc(p->ngold + 1, 1), *mu = calloc(p->nmine + 1, 1);
	if (!c || !gu || !mu)
		abort();
	size_t nc = 0;
	for (size_t g = 0; g < p->ngold; g++) {
		if (!p->gold[g].is_box)
			continue;
		for (size_t m = 0; m < p->nmine; m++) {
			if (!p->mine[m].is_box || p->mine[m].label_id != p->gold[g].label_id)
				continue;
			double v = box_iou(to_box(&p->mine[m]), to_box(&p->gold[g]), 0);
			if (v > 0)
				c[nc++] = (struct cand){v, g, m};
		}
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	double sum = 0;
	size_t matched = 0;
	for (size_t i = 0; i < nc; i++) {
		if (gu[c[i].g] || mu[c[i].m])
			continue;
		gu[c[i].g] = mu[c[i].m] = 1;
		sum += c[i].iou;
		matched++;
	}
	out->iou = sum / (double)(ng + nm - matched);
	free(c);
	free(gu);
	free(mu);
}

struct row {
	struct annotator_stats s;
	char *name;
	int64_t gold_items, tag_items, tag_matches, box_items;
	double iou_sum;
	struct buf reasons;        /* JSON array body */
	int nreasons;
	/* Error types: review reasons (all of them) and check rules. */
	char **why;
	int64_t *why_n;
	size_t nwhy;
	int64_t rule_n[CHECK_RULE_COUNT_];
	const struct consensus_score *cons;
};

struct table {
	struct row *v;
	size_t n, cap;
};

static struct row *row_of(struct table *t, int64_t user)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].s.user_id == user)
			return &t->v[i];
	return NULL;
}

static int add_stats(void *ctx, const struct annotator_stats *s)
{
	struct table *t = ctx;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		if (!t->v)
			abort();
	}
	struct row *r = &t->v[t->n++];
	memset(r, 0, sizeof(*r));
	r->s = *s;
	r->name = strdup(s->name ? s->name : "");
	if (!r->name)
		abort();
	r->s.name = r->name;
	r->reasons = (struct buf)BUF_INIT;
	return 0;
}

static int add_gold(void *ctx, const struct gold_pair *p)
{
	struct row *r = row_of(ctx, p->user_id);
	if (!r)
		return 0;
	struct gold_score sc;
	perf_score_gold(p, &sc);
	r->gold_items++;
	if (sc.has_tags) {
		r->tag_items++;
		r->tag_matches += sc.tags_match;
	}
	if (sc.has_boxes) {
		r->box_items++;
		r->iou_sum += sc.iou;
	}
	return 0;
}

static int add_reason(void *ctx, int64_t user, const char *reason, int64_t n)
{
	struct row *r = row_of(ctx, user);
	if (!r)
		return 0;
	r->why = realloc(r->why, (r->nwhy + 1) * sizeof(*r->why));
	r->why_n = realloc(r->why_n, (r->nwhy + 1) * sizeof(*r->why_n));
	if (!r->why || !r->why_n)
		abort();
	r->why[r->nwhy] = strdup(reason ? reason : "");
	if (!r->why[r->nwhy])
		abort();
	r->why_n[r->nwhy++] = n;
	if (r->nreasons >= TOP_REASONS)
		return 0;
	if (r->nreasons++)
		buf_addch(&r->reasons, ',');
	buf_adds(&r->reasons, "{\"reason\":");
	buf_add_json_str(&r->reasons, reason ? reason : "");
	buf_addf(&r->reasons, ",\"count\":%lld}", (long long)n);
	return 0;
}

/* Check findings on annotations, to be attributed to their annotators. */
struct hit {
	int64_t ann;
	int rule;
};

struct hits {
	struct table *t;
	struct hit *v;
	size_t n, cap;
};

static int add_finding(void *ctx, const struct check_finding *f)
{
	struct hits *h = ctx;
	if (f->user_id) {
		struct row *r = row_of(h->t, f->user_id);
		if (r)
			r->rule_n[f->rule]++;
		return 0;
	}
	if (!f->annotation_id)
		return 0;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 256;
		h->v = realloc(h->v, h->cap * sizeof(*h->v));
		if (!h->v)
			abort();
	}
	h->v[h->n++] = (struct hit){f->annotation_id, (int)f->rule};
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	return x->ann < y->ann ? -1 : (x->ann > y->ann);
}

/* Runs the rules that point at an annotation or an annotator, and counts
 * each manual annotation's findings for its annotator (one owner lookup
 * per annotation with findings). */
static int add_checks(struct store *st, int64_t project_id, struct table *t, struct buf *err)
{
	struct check_opts o;
	check_opts_default(&o);
	for (int i = 0; i < CHECK_RULE_COUNT_; i++)
		if (i != CHECK_CLASS_SHIFT && i != CHECK_LEAKAGE && i != CHECK_DRIFT &&
		    i != CHECK_UNLABELLED)
			o.rules |= 1u << i;
	struct hits h = {.t = t};
	int rc = check_project(st, project_id, &o, add_finding, &h, err);
	if (!rc && h.n)
		qsort(h.v, h.n, sizeof(*h.v), hit_cmp);
	struct row *r = NULL;
	for (size_t i = 0; !rc && i < h.n; i++) {
		if (!i || h.v[i].ann != h.v[i - 1].ann) {
			int64_t item, user;
			enum annotation_kind kind;
			int orc = store_annotation_owner(st, h.v[i].ann, &item, &kind, &user, err);
			if (orc && orc != CAIRN_ENOTFOUND)
				rc = orc;
			r = !orc && kind == ANN_MANUAL ? row_of(t, user) : NULL;
		}
		if (r)
			r->rule_n[h.v[i].rule]++;
	}
	free(h.v);
	return rc;
}

/* The TOP_ERRORS most frequent error types of r: review reasons and
 * check rules together, by count, then review first, then name. */
static void top_errors(const struct row *r, struct buf *out)
{
	bool used_rule[CHECK_RULE_COUNT_] = {0};
	bool *used_why = calloc(r->nwhy + 1, 1);
	if (!used_why)
		abort();
	buf_adds(out, ",\"top_errors\":[");
	for (int k = 0; k < TOP_ERRORS; k++) {
		int64_t best = 0;
		long bw = -1, br = -1;
		for (size_t i = 0; i < r->nwhy; i++)
			if (!used_why[i] && (r->why_n[i] > best ||
					     (r->why_n[i] == best && best && bw >= 0 &&
					      strcmp(r->why[i], r->why[bw]) < 0))) {
				best = r->why_n[i];
				bw = (long)i;
			}
		for (int i = 0; i < CHECK_RULE_COUNT_; i++)
			if (!used_rule[i] && r->rule_n[i] > best) {
				best = r->rule_n[i];
				br = i;
				bw = -1;
			}
		if (!best)
			break;
		if (k)
			buf_addch(out, ',');
		if (br >= 0) {
			used_rule[br] = true;
			buf_addf(out, "{\"source\":\"check\",\"type\":\"%s\",\"count\":%lld}",
				 check_rules[br].name, (long long)best);
		} else {
			used_why[bw] = true;
			buf_adds(out, "{\"source\":\"review\",\"type\":");
			buf_add_json_str(out, r->why[bw]);
			buf_addf(out, ",\"count\":%lld}", (long long)best);
		}
	}
	buf_addch(out, ']');
	free(used_why);
}

static void num_or_null(struct buf *out, const char *key, bool have, double v)
{
	buf_addf(out, ",\"%s\":", key);
	if (have)
		buf_addf(out, "%.6g", v);
	else
		buf_adds(out, "null");
}

int perf_annotators_json(struct store *st, int64_t project_id, struct buf *out, struct buf *err)
{
	return perf_annotators_json_for(st, project_id, 0, out, err);
}

int perf_annotators_json_for(struct store *st, int64_t project_id, int64_t only_user,
			     struct buf *out, struct buf *err)
{
	struct table t = {0};
	int rc;
	struct consensus_score *cs = NULL;
	size_t ncs = 0;
	if ((rc = store_annotator_stats(st, project_id, add_stats, &t, err)) ||
	    (rc = store_gold_pairs(st, project_id, add_gold, &t, err)) ||
	    (rc = store_rejection_reasons(st, project_id, add_reason, &t, err)) ||
	    (rc = project_consensus_scores(st, project_id, &cs, &ncs, err)) ||
	    (rc = add_checks(st, project_id, &t, err)))
		goto out;
	for (size_t i = 0; i < ncs; i++) {
		struct row *r = row_of(&t, cs[i].user_id);
		if (r)
			r->cons = &cs[i];
	}
	buf_adds(out, "{\"annotators\":[");
	bool first = true;
	for (size_t i = 0; i < t.n; i++) {
		struct row *r = &t.v[i];
		if (only_user && r->s.user_id != only_user)
			continue;
		double hours = (double)r->s.active_ms / 3600000.0;
		buf_addf(out, "%s{\"user\":%lld,\"name\":", first ? "" : ",", (long long)r->s.user_id);
		first = false;
		buf_add_json_str(out, r->name);
		buf_addf(out, ",\"items\":%lld,\"objects\":%lld,\"active_ms\":%lld,\"skipped\":%lld",
			 (long long)r->s.items, (long long)r->s.objects, (long long)r->s.active_ms,
			 (long long)r->s.skipped);
		num_or_null(out, "items_per_hour", hours > 0, hours > 0 ? (double)r->s.items / hours : 0);
		num_or_null(out, "objects_per_hour", hours > 0,
			    hours > 0 ? (double)r->s.objects / hours : 0);
		buf_addf(out, ",\"reviewed\":%lld,\"rejected\":%lld", (long long)r->s.reviewed,
			 (long long)r->s.rejected);
		num_or_null(out, "rejection_rate", r->s.reviewed > 0,
			    r->s.reviewed ? (double)r->s.rejected / (double)r->s.reviewed : 0);
		buf_addf(out, ",\"gold\":{\"items\":%lld,\"tag_items\":%lld", (long long)r->gold_items,
			 (long long)r->tag_items);
		num_or_null(out, "tag_accuracy", r->tag_items > 0,
			    r->tag_items ? (double)r->tag_matches / (double)r->tag_items : 0);
		buf_addf(out, ",\"box_items\":%lld", (long long)r->box_items);
		num_or_null(out, "mean_iou", r->box_items > 0,
			    r->box_items ? r->iou_sum / (double)r->box_items : 0);
		buf_addf(out, "},\"top_rejection_reasons\":[%s]", r->reasons.data ? r->reasons.data : "");
		/* Agreement with the consensus. */
		const struct consensus_score *c = r->cons;
		struct match_figures fig;
		if (c)
			match_figures_of(&c->objects, &fig);
		buf_addf(out, ",\"consensus\":{\"items\":%lld,\"tag_items\":%lld",
			 (long long)(c ? c->items : 0), (long long)(c ? c->tag_items : 0));
		num_or_null(out, "tag_agreement", c && c->tag_items,
			    c && c->tag_items ? (double)c->tag_matches / (double)c->tag_items : 0);
		buf_addf(out, ",\"object_items\":%lld", (long long)(c ? c->object_items : 0));
		num_or_null(out, "f1_50", c && c->object_items && isfinite(fig.f1_50),
			    c ? fig.f1_50 : 0);
		num_or_null(out, "mean_iou", c && c->object_items && isfinite(fig.mean_sim),
			    c ? fig.mean_sim : 0);
		num_or_null(out, "label_agreement", c && c->object_items && isfinite(fig.label_agreement),
			    c ? fig.label_agreement : 0);
		buf_addch(out, '}');
		top_errors(r, out);
		buf_addch(out, '}');
	}
	buf_adds(out, "]}");
out:
	for (size_t i = 0; i < t.n; i++) {
		free(t.v[i].name);
		buf_release(&t.v[i].reasons);
		for (size_t k = 0; k < t.v[i].nwhy; k++)
			free(t.v[i].why[k]);
		free(t.v[i].why);
		free(t.v[i].why_n);
	}
	free(t.v);
	free(cs);
	return rc;
}
