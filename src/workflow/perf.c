/*
 * perf.c - the annotator performance table: store aggregates (counts,
 * lead time, reviews), gold accuracy scored here with geom's box IoU, and
 * the most frequent rejection reasons, joined per annotator into JSON.
 */
#include "workflow/perf.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "geom/geom.h"
#include "base/banned.h"

#define TOP_REASONS 5

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
	if (!r || r->nreasons >= TOP_REASONS)
		return 0;
	if (r->nreasons++)
		buf_addch(&r->reasons, ',');
	buf_adds(&r->reasons, "{\"reason\":");
	buf_add_json_str(&r->reasons, reason ? reason : "");
	buf_addf(&r->reasons, ",\"count\":%lld}", (long long)n);
	return 0;
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
	if ((rc = store_annotator_stats(st, project_id, add_stats, &t, err)) ||
	    (rc = store_gold_pairs(st, project_id, add_gold, &t, err)) ||
	    (rc = store_rejection_reasons(st, project_id, add_reason, &t, err)))
		goto out;
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
		buf_addf(out, "},\"top_rejection_reasons\":[%s]}", r->reasons.data);
	}
	buf_adds(out, "]}");
out:
	for (size_t i = 0; i < t.n; i++) {
		free(t.v[i].name);
		buf_release(&t.v[i].reasons);
	}
	free(t.v);
	return rc;
}
