/*
 * project_agree.c - agreement, confusion matrices and consensus over a
 * project's manual annotations, for `cairn agree --project`, `cairn
 * consensus` and the quality API. The numbers come from agree.c, match.c
 * and consensus.c; this file walks the project (a page of items at a
 * time, so memory is bounded by the largest item) and writes JSON.
 */
#include "quality/project_agree.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/annotation.h"
#include "quality/consensus.h"
#include "quality/match.h"
#include "store/store.h"
#include "workflow/ann_service.h"
#include "workflow/schema_cache.h"
#include "base/banned.h"

static void add_num(struct buf *out, const char *key, double v)
{
	buf_addf(out, ",\"%s\":", key);
	json_add_double(out, v);
}

/* Rounds to 1e-12 so printed figures do not carry float noise. */
static double tidy(double v)
{
	return isnan(v) ? v : round(v * 1e12) / 1e12;
}

void project_agree_result_json(const struct agree_data *d, const struct agree_opts *o,
			       const struct agree_result *r, const char *project,
			       struct buf *out)
{
	bool weighted = o->metric == AGREE_WKAPPA ||
			(o->metric == AGREE_GWET && o->weights != AGREE_W_IDENTITY);
	const char *level = o->metric == AGREE_ALPHA ? agree_level_name(o->level)
			    : weighted ? "ordinal" : "nominal";
	buf_adds(out, "{\"metric\":");
	buf_add_json_str(out, agree_metric_name(o->metric));
	if (o->metric == AGREE_GWET)
		buf_addf(out, ",\"coefficient\":\"%s\"", weighted ? "AC2" : "AC1");
	buf_addf(out, ",\"level\":\"%s\"", level);
	if (weighted)
		buf_addf(out, ",\"weights\":\"%s\"", agree_weights_name(o->weights));
	buf_adds(out, ",\"value\":");
	json_add_double(out, tidy(r->value));
	buf_adds(out, ",\"ci95\":[");
	json_add_double(out, tidy(r->ci_lo));
	buf_addch(out, ',');
	json_add_double(out, tidy(r->ci_hi));
	buf_addf(out, "],\"n_items\":%zu,\"n_annotators\":%zu,\"n_ratings\":%zu,\"n_missing\":%zu,"
		 "\"n_categories\":%zu,\"n_items_used\":%zu",
		 d->n_items, d->n_raters, d->n, d->n_missing, d->n_cats, r->n_used);
	add_num(out, o->metric == AGREE_ALPHA ? "observed_disagreement" : "observed_agreement",
		tidy(r->observed));
	add_num(out, o->metric == AGREE_ALPHA ? "expected_disagreement" : "expected_agreement",
		tidy(r->expected));
	buf_addf(out, ",\"bootstrap\":%u,\"bootstrap_defined\":%u,\"seed\":%llu", o->bootstrap,
		 r->n_boot, (unsigned long long)o->seed);
	if (project) {
		buf_adds(out, ",\"project\":");
		buf_add_json_str(out, project);
	}
	/* Breakdowns: per category (Fleiss' per-category kappa) and per pair
	 * of annotators (Cohen's kappa over the items both rated). */
	double *kc = calloc(d->n_cats ? d->n_cats : 1, sizeof(double));
	double *sc = calloc(d->n_cats ? d->n_cats : 1, sizeof(double));
	if (!kc || !sc)
		abort();
	agree_categories(d, kc, sc);
	buf_adds(out, ",\"by_category\":[");
	for (size_t c = 0; c < d->n_cats; c++) {
		buf_adds(out, c ? ",{\"label\":" : "{\"label\":");
		buf_add_json_str(out, agree_cat_name(d, c));
		buf_adds(out, ",\"share\":");
		json_add_double(out, tidy(sc[c]));
		buf_adds(out, ",\"kappa\":");
		json_add_double(out, tidy(kc[c]));
		buf_addch(out, '}');
	}
	free(kc);
	free(sc);
	struct agree_pair *pairs;
	size_t np;
	if (agree_pairs(d, &pairs, &np, NULL) == 0) {
		buf_adds(out, "],\"by_pair\":[");
		for (size_t i = 0; i < np; i++) {
			buf_adds(out, i ? ",{\"a\":" : "{\"a\":");
			buf_add_json_str(out, agree_rater_name(d, pairs[i].a));
			buf_adds(out, ",\"b\":");
			buf_add_json_str(out, agree_rater_name(d, pairs[i].b));
			buf_addf(out, ",\"n_items\":%zu,\"percent\":", pairs[i].n);
			json_add_double(out, tidy(pairs[i].percent));
			buf_adds(out, ",\"kappa\":");
			json_add_double(out, tidy(pairs[i].kappa));
			buf_addch(out, '}');
		}
		buf_addch(out, ']');
		free(pairs);
	} else {
		buf_adds(out, "],\"by_pair\":null");
	}
	buf_addch(out, '}');
}

/* ---- walking a project's manual annotations ------------------------------ */

struct ann_view {
	int64_t ann_id, user_id, version;
	int kind;                  /* enum annotation_kind */
	int64_t saved_at;          /* when the current version was saved (ms) */
	const char *user;          /* borrowed from the name cache */
	struct ann_doc doc;
};

struct item_ref {
	int64_t id;
	int32_t width, height;
};

struct name_cache {
	int64_t *ids;
	char **names;
	size_t n, cap;
};

static const char *user_name(struct store *st, struct name_cache *c, int64_t id)
{
	/* A project has few annotators: a short list is enough. */
	for (size_t i = 0; i < c->n; i++)
		if (c->ids[i] == id)
			return c->names[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->ids = realloc(c->ids, c->cap * sizeof(*c->ids));
		c->names = realloc(c->names, c->cap * sizeof(*c->names));
		if (!c->ids || !c->names)
			abort();
	}
	struct user u = {0};
	struct buf name = BUF_INIT;
	if (store_user_get_id(st, id, &u, NULL) == 0 && u.name)
		buf_adds(&name, u.name);
	else
		buf_addf(&name, "user%lld", (long long)id);
	user_release(&u);
	c->ids[c->n] = id;
	c->names[c->n] = buf_detach(&name, NULL);
	return c->names[c->n++];
}

static void name_cache_release(struct name_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->ids);
	free(c->names);
}

struct refs {
	void *v;
	size_t n, cap, size;
};

static void *refs_push(struct refs *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = realloc(r->v, r->cap * r->size);
		if (!r->v)
			abort();
	}
	return (char *)r->v + r->size * r->n++;
}

static int collect_item(void *ctx, const struct item *it)
{
	struct item_ref *x = refs_push(ctx);
	x->id = it->id;
	x->width = it->width;
	x->height = it->height;
	return 0;
}

/* Called with one item's parsed manual annotations (current schema). */
typedef int (*walk_cb)(void *ctx, const struct item_ref *it, struct ann_view *v, size_t n,
		       const struct schema *sc, struct buf *err);

struct walk {
	struct store *st;
	int64_t project_id;
	struct name_cache names;
	size_t skipped;            /* annotations that no longer parse */
	project_progress_fn progress;   /* may be NULL */
	void *pctx;
	int64_t done, total;
	unsigned kinds;            /* annotation kinds to read (0: manual) */
};

/* One page of items with their manual annotations, parsed. The callback
 * runs after the page's query has ended (it may write to the store). */
struct walk_page {
	struct walk *w;
	const struct item_ref *items;
	size_t n, next;            /* items of the page; the next to reach */
	struct ann_view *views;    /* the page's parsed annotations, by item */
	size_t *item_of;           /* views[k] belongs to items[item_of[k]] */
	size_t nv, vcap;
	const struct schema_entry *se;
};

static int walk_ann(void *ctx, const struct store_ann_doc *a)
{
	struct walk_page *p = ctx;
	while (p->next < p->n && p->items[p->next].id < a->item_id)
		p->next++;
	if (p->next == p->n || p->items[p->next].id != a->item_id)
		return 0;
	if (!a->body) {
		p->w->skipped++;
		return 0;
	}
	if (p->nv == p->vcap) {
		p->vcap = p->vcap ? 2 * p->vcap : 64;
		p->views = realloc(p->views, p->vcap * sizeof(*p->views));
		p->item_of = realloc(p->item_of, p->vcap * sizeof(*p->item_of));
		if (!p->views || !p->item_of)
			abort();
	}
	struct ann_view *v = &p->views[p->nv];
	memset(v, 0, sizeof(*v));
	struct buf e2 = BUF_INIT;
	if (ann_doc_parse(&v->doc, a->body, a->body_len, &p->se->schema, 0, 0, &e2, NULL)) {
		p->w->skipped++;
	} else {
		v->ann_id = a->id;
		v->version = a->version;
		v->saved_at = a->updated_at;
		v->user_id = a->user_id;
		v->kind = (int)a->kind;
		p->item_of[p->nv++] = p->next;
	}
	buf_release(&e2);
	return 0;
}

/*
 * Streams the project's items a page at a time (bounded memory) with their
 * manual annotations, parsed with the current schema: two queries a page
 * (store_item_list, store_ann_docs), none per item.
 */
static int walk_project(struct walk *w, walk_cb cb, void *ctx, struct buf *err)
{
	struct refs items = {.size = sizeof(struct item_ref)};
	struct walk_page p = {.w = w};
	int64_t after = 0;
	int rc = 0;
	for (;;) {
		items.n = 0;
		if ((rc = store_item_list(w->st, w->project_id, after, 500, collect_item, &items, err)))
			break;
		if (!items.n)
			break;
		if ((rc = schema_cache_get(w->st, w->project_id, 0, &p.se, err)))
			break;
		p.items = items.v;
		p.n = items.n;
		p.next = 0;
		p.nv = 0;
		const struct item_ref *first = items.v, *last = first + items.n - 1;
		rc = store_ann_docs(w->st, w->project_id, w->kinds ? w->kinds : 1u << ANN_MANUAL,
				    first->id, last->id, walk_ann, &p, err);
		/* Names after the parses: the cache lookups use the store. */
		for (size_t k = 0; k < p.nv; k++)
			p.views[k].user = user_name(w->st, &w->names, p.views[k].user_id);
		size_t k = 0;
		for (size_t i = 0; i < p.n && !rc; i++) {
			size_t k0 = k;
			while (k < p.nv && p.item_of[k] == i)
				k++;
			if (k > k0)
				rc = cb(ctx, &p.items[i], p.views + k0, k - k0, &p.se->schema, err);
			w->done++;
			if (!rc && w->progress && w->progress(w->pctx, w->done, w->total)) {
				buf_setf(err, "cancelled");
				rc = CAIRN_EINVAL;
			}
		}
		for (size_t j = 0; j < p.nv; j++)
			ann_doc_release(&p.views[j].doc);
		if (rc)
			break;
		after = last->id;
	}
	free(items.v);
	free(p.views);
	free(p.item_of);
	return rc;
}

/* The tag label of an annotation: one tag's label, several tags' labels
 * sorted and joined with '|', or "" (missing) without a tag. */
static void tag_label(const struct ann_doc *doc, const struct schema *sc, struct buf *out)
{
	buf_reset(out);
	size_t n = 0;
	const char **names = NULL;
	for (size_t i = 0; i < doc->nobjects; i++)
		if (doc->objects[i].type == SHAPE_TAG && doc->objects[i].label < sc->nlabels)
			n++;
	if (!n)
		return;
	names = calloc(n, sizeof(*names));
	if (!names)
		abort();
	n = 0;
	for (size_t i = 0; i < doc->nobjects; i++)
		if (doc->objects[i].type == SHAPE_TAG && doc->objects[i].label < sc->nlabels)
			names[n++] = sc->labels[doc->objects[i].label].name;
	/* Insertion sort: an item carries a handful of tags. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(names[i], names[i - 1]))
			continue;
		if (out->len)
			buf_addch(out, '|');
		buf_adds(out, names[i]);
	}
	free(names);
}

struct tag_ctx {
	struct agree_data *d;
	struct buf label;
};

static int tags_cb(void *ctx, const struct item_ref *it, struct ann_view *v, size_t n,
		   const struct schema *sc, struct buf *err)
{
	struct tag_ctx *c = ctx;
	char item[32];
	snprintf(item, sizeof(item), "%lld", (long long)it->id);
	for (size_t k = 0; k < n; k++) {
		tag_label(&v[k].doc, sc, &c->label);
		int rc = agree_data_add(c->d, item, v[k].user, c->label.data, 0, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int walk_tags(struct walk *w, struct agree_data *d, struct buf *err)
{
	struct tag_ctx c = {d, BUF_INIT};
	int rc = walk_project(w, tags_cb, &c, err);
	buf_release(&c.label);
	if (!rc)
		rc = agree_data_finish(d, err);
	return rc;
}

/* ---- spatial agreement ---------------------------------------------------- */

struct pair_stat {
	int64_t a, b;              /* user ids, a < b */
	const char *na, *nb;
	struct match_counts c;
};

struct spatial_ctx {
	double floor;
	struct match_counts fam[MATCH_FAMILY_COUNT_];
	struct match_counts *by_class;  /* per schema label */
	size_t nclass;
	const struct schema *sc;        /* for the class names at the end */
	char **class_names;
	struct pair_stat *pairs;
	size_t npairs, pcap;
	size_t items;                   /* items with two or more annotations */
	size_t unsupported;             /* objects without a similarity */
	/* The current item's time window, when windows are asked for. */
	struct match_counts *cur;
	size_t *cur_items;
};

/* One annotation's objects as match_obj; keypoints get their own xy and
 * visibility arrays (owned by *xy, *vis). */
static size_t to_match(const struct ann_doc *doc, struct match_obj **out, double **xy,
		       uint8_t **vis, size_t *unsupported)
{
	size_t n = 0, nkp = 0;
	for (size_t i = 0; i < doc->nobjects; i++)
		if (doc->objects[i].type == SHAPE_KEYPOINTS)
			nkp += doc->objects[i].npts / 3;
	*out = calloc(doc->nobjects ? doc->nobjects : 1, sizeof(**out));
	*xy = calloc(nkp ? 2 * nkp : 1, sizeof(double));
	*vis = calloc(nkp ? nkp : 1, 1);
	if (!*out || !*xy || !*vis)
		abort();
	size_t kp = 0;
	for (size_t i = 0; i < doc->nobjects; i++) {
		const struct ann_object *o = &doc->objects[i];
		struct match_obj *m = &(*out)[n];
		const double *p = o->pts;
		memset(m, 0, sizeof(*m));
		m->label = (uint32_t)o->label;
		switch (o->type) {
		case SHAPE_BOX:
			m->shape.kind = GEOM_BOX;
			m->shape.u.box = (box){p[0], p[1], p[2] - p[0], p[3] - p[1]};
			break;
		case SHAPE_ROTATED_BOX:
		case SHAPE_ELLIPSE: {
			bool ell = o->type == SHAPE_ELLIPSE;
			m->shape.kind = ell ? GEOM_ELLIPSE : GEOM_RBOX;
			m->shape.u.rbox = (rbox){p[0], p[1], ell ? 2 * p[2] : p[2], ell ? 2 * p[3] : p[3],
						 p[4]};
			break;
		}
		case SHAPE_POLYGON:
			m->shape.kind = GEOM_POLYGON;
			m->shape.xy = p;
			m->shape.n = o->npts / 2;
			m->shape.rings = o->rings;
			m->shape.nrings = o->nrings;
			break;
		case SHAPE_CUBOID:
			m->shape.kind = GEOM_CUBOID;
			m->shape.xy = p;
			m->shape.n = 8;
			break;
		case SHAPE_MASK:
			m->shape.kind = GEOM_MASK;
			m->shape.mask = &o->mask;
			break;
		case SHAPE_SPAN:
		case SHAPE_SEGMENT:
			m->shape.kind = GEOM_INTERVAL;
			m->shape.u.iv = (interval){p[0], p[1]};
			break;
		case SHAPE_KEYPOINTS: {
			size_t k = o->npts / 3;
			m->shape.kind = GEOM_KEYPOINTS;
			m->shape.xy = *xy + 2 * kp;
			m->shape.vis = *vis + kp;
			m->shape.n = k;
			for (size_t j = 0; j < k; j++) {
				(*xy)[2 * (kp + j)] = p[3 * j];
				(*xy)[2 * (kp + j) + 1] = p[3 * j + 1];
				(*vis)[kp + j] = (uint8_t)p[3 * j + 2];
			}
			kp += k;
			break;
		}
		case SHAPE_TAG:
			continue; /* tags are categorical agreement's business */
		default:
			(*unsupported)++;
			continue;
		}
		n++;
	}
	return n;
}

static struct pair_stat *pair_of(struct spatial_ctx *c, const struct ann_view *x,
				 const struct ann_view *y)
{
	const struct ann_view *lo = x->user_id < y->user_id ? x : y, *hi = lo == x ? y : x;
	/* Annotator pairs are few (k annotators give k(k-1)/2). */
	for (size_t i = 0; i < c->npairs; i++)
		if (c->pairs[i].a == lo->user_id && c->pairs[i].b == hi->user_id)
			return &c->pairs[i];
	if (c->npairs == c->pcap) {
		c->pcap = c->pcap ? c->pcap * 2 : 16;
		c->pairs = realloc(c->pairs, c->pcap * sizeof(*c->pairs));
		if (!c->pairs)
			abort();
	}
	struct pair_stat *p = &c->pairs[c->npairs++];
	memset(p, 0, sizeof(*p));
	p->a = lo->user_id;
	p->b = hi->user_id;
	p->na = lo->user;
	p->nb = hi->user;
	return p;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int spatial_cb(void *ctx, const struct item_ref *it, struct ann_view *v, size_t n,
		      const struct schema *sc, struct buf *err)
{
	struct spatial_ctx *c = ctx;
	if (n < 2)
		return 0;
	c->items++;
	if (c->cur_items)
		(*c->cur_items)++;
	if (sc->nlabels > c->nclass) {
		c->by_class = realloc(c->by_class, sc->nlabels * sizeof(*c->by_class));
		c->class_names = realloc(c->class_names, sc->nlabels * sizeof(char *));
		if (!c->by_class || !c->class_names)
			abort();
		for (size_t k = c->nclass; k < sc->nlabels; k++) {
			memset(&c->by_class[k], 0, sizeof(c->by_class[k]));
			c->class_names[k] = NULL;
		}
		c->nclass = sc->nlabels;
	}
	for (size_t k = 0; k < sc->nlabels; k++)
		if (!c->class_names[k]) {
			size_t len = strlen(sc->labels[k].name);
			c->class_names[k] = malloc(len + 1);
			if (!c->class_names[k])
				abort();
			memcpy(c->class_names[k], sc->labels[k].name, len + 1);
		}
	struct match_obj **objs = calloc(n, sizeof(*objs));
	double **xy = calloc(n, sizeof(*xy));
	uint8_t **vis = calloc(n, sizeof(*vis));
	size_t *cnt = calloc(n, sizeof(*cnt));
	if (!objs || !xy || !vis || !cnt)
		abort();
	for (size_t k = 0; k < n; k++)
		cnt[k] = to_match(&v[k].doc, &objs[k], &xy[k], &vis[k], &c->unsupported);
	int rc = 0;
	struct match_obj *fa = calloc(1, sizeof(*fa)), *fb = calloc(1, sizeof(*fb));
	size_t fcap = 1;
	for (size_t i = 0; i < n && !rc; i++)
		for (size_t j = i + 1; j < n && !rc; j++) {
			struct match_counts fam[MATCH_FAMILY_COUNT_];
			memset(fam, 0, sizeof(fam));
			rc = match_objects(objs[i], cnt[i], objs[j], cnt[j], c->floor, 0,
					   (uint32_t)it->height, (uint32_t)it->width, fam, err);
			struct pair_stat *ps = pair_of(c, &v[i], &v[j]);
			for (int f = 0; f < MATCH_FAMILY_COUNT_; f++) {
				match_counts_add(&c->fam[f], &fam[f]);
				match_counts_add(&ps->c, &fam[f]);
				if (c->cur)
					match_counts_add(c->cur, &fam[f]);
			}
			/* Per class: only objects of that class, on each side. */
			size_t need = cnt[i] > cnt[j] ? cnt[i] : cnt[j];
			if (need > fcap) {
				fcap = need;
				fa = realloc(fa, fcap * sizeof(*fa));
				fb = realloc(fb, fcap * sizeof(*fb));
				if (!fa || !fb)
					abort();
			}
			/* The labels present on either side, each once. */
			size_t nl = 0;
			uint32_t *ls = calloc(cnt[i] + cnt[j] + 1, sizeof(uint32_t));
			if (!ls)
				abort();
			for (size_t x = 0; x < cnt[i]; x++)
				ls[nl++] = objs[i][x].label;
			for (size_t x = 0; x < cnt[j]; x++)
				ls[nl++] = objs[j][x].label;
			qsort(ls, nl, sizeof(*ls), cmp_u32);
			for (size_t li = 0; li < nl && !rc; li++) {
				uint32_t l = ls[li];
				if (li && ls[li - 1] == l)
					continue;
				size_t ka = 0, kb = 0;
				for (size_t x = 0; x < cnt[i]; x++)
					if (objs[i][x].label == l)
						fa[ka++] = objs[i][x];
				for (size_t x = 0; x < cnt[j]; x++)
					if (objs[j][x].label == l)
						fb[kb++] = objs[j][x];
				if (!ka && !kb)
					continue;
				memset(fam, 0, sizeof(fam));
				rc = match_objects(fa, ka, fb, kb, c->floor, 1, (uint32_t)it->height,
						   (uint32_t)it->width, fam, err);
				for (int f = 0; f < MATCH_FAMILY_COUNT_; f++)
					match_counts_add(&c->by_class[l], &fam[f]);
			}
			free(ls);
		}
	free(fa);
	free(fb);
	for (size_t k = 0; k < n; k++) {
		free(objs[k]);
		free(xy[k]);
		free(vis[k]);
	}
	free(objs);
	free(xy);
	free(vis);
	free(cnt);
	return rc;
}

static void spatial_json(const struct spatial_ctx *c, const char *project, size_t skipped,
			 struct buf *out)
{
	struct match_counts all = {0};
	for (int f = 0; f < MATCH_FAMILY_COUNT_; f++)
		match_counts_add(&all, &c->fam[f]);
	buf_adds(out, "{\"project\":");
	buf_add_json_str(out, project);
	buf_addf(out, ",\"iou_floor\":");
	json_add_double(out, c->floor);
	buf_addf(out, ",\"items\":%zu,\"annotator_pairs\":%zu,\"unsupported_objects\":%zu,"
		 "\"skipped_annotations\":%zu,\"overall\":", c->items, c->npairs, c->unsupported,
		 skipped);
	match_counts_json(&all, out);
	buf_adds(out, ",\"by_kind\":{");
	bool first = true;
	for (int f = 0; f < MATCH_FAMILY_COUNT_; f++) {
		if (!c->fam[f].n_a && !c->fam[f].n_b)
			continue;
		buf_addf(out, "%s\"%s\":", first ? "" : ",", match_family_name((enum match_family)f));
		match_counts_json(&c->fam[f], out);
		first = false;
	}
	buf_adds(out, "},\"by_class\":{");
	first = true;
	for (size_t l = 0; l < c->nclass; l++) {
		if (!c->by_class[l].n_a && !c->by_class[l].n_b)
			continue;
		if (!first)
			buf_addch(out, ',');
		buf_add_json_str(out, c->class_names[l]);
		buf_addch(out, ':');
		match_counts_json(&c->by_class[l], out);
		first = false;
	}
	buf_adds(out, "},\"by_pair\":[");
	for (size_t i = 0; i < c->npairs; i++) {
		buf_adds(out, i ? ",{\"a\":" : "{\"a\":");
		buf_add_json_str(out, c->pairs[i].na);
		buf_adds(out, ",\"b\":");
		buf_add_json_str(out, c->pairs[i].nb);
		buf_adds(out, ",\"agreement\":");
		match_counts_json(&c->pairs[i].c, out);
		buf_addch(out, '}');
	}
	buf_addch(out, ']');
}


/* Writes (or replaces) the item's consensus annotation with document doc. */
static int save_consensus(struct store *st, const struct project *p, int64_t item_id,
			  int32_t width, int32_t height, const char *method, const struct buf *doc,
			  const char *detail, int64_t user_id, int64_t *version, struct buf *err)
{
	struct annotation_key key = {item_id, ANN_CONSENSUS, 0, method};
	struct annotation cur = {0};
	int64_t expected = 0;
	if (store_annotation_find(st, &key, &cur, NULL) == 0)
		expected = cur.version;
	annotation_release(&cur);
	struct ann_save in = {
		.project_id = p->id, .item_id = item_id, .width = width, .height = height,
		.key = key, .expected_version = expected, .json = doc->data, .len = doc->len,
		.status = "submitted", .user_id = user_id, .audit_action = "consensus.save",
		.audit_detail = detail,
	};
	struct ann_saved out;
	int rc = ann_service_save(st, &in, &out, err);
	if (!rc)
		*version = out.version;
	ann_saved_release(&out);
	return rc;
}

/* One object of some annotator, for the object consensus. */
struct cobj {
	const struct ann_object *o;
	size_t who;                /* index of its annotation in the item's views */
};

struct cons_ctx {
	struct store *st;
	const struct project *p;
	const struct agree_data *d;
	const int32_t *cat;
	const double *share;
	double min_agree;
	size_t min_ann;
	const char *method;
	bool dry;
	int64_t uid;
	struct buf *items, *low;
	size_t next;               /* the next item of d, in walk order */
	size_t saved, low_n, few, fused, dropped;
	const double *mshare;      /* the majority label's share per item */
	double review_f1, review_tags;
	struct buf *queue;         /* items put first for review (JSON) */
	size_t queued;
};

/* Pairwise F1 at IoU 0.5 of an item's objects, pooled over annotator
 * pairs (NaN when no annotator drew an object that can be matched). */
static int item_f1(const struct item_ref *it, struct ann_view *v, size_t n, double *f1,
		   struct buf *err)
{
	struct match_obj **objs = calloc(n, sizeof(*objs));
	double **xy = calloc(n, sizeof(*xy));
	uint8_t **vis = calloc(n, sizeof(*vis));
	size_t *cnt = calloc(n, sizeof(*cnt));
	if (!objs || !xy || !vis || !cnt)
		abort();
	size_t unsupported = 0;
	for (size_t k = 0; k < n; k++)
		cnt[k] = to_match(&v[k].doc, &objs[k], &xy[k], &vis[k], &unsupported);
	struct match_counts sum;
	memset(&sum, 0, sizeof(sum));
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		for (size_t j = i + 1; j < n && !rc; j++) {
			struct match_counts fam[MATCH_FAMILY_COUNT_];
			memset(fam, 0, sizeof(fam));
			rc = match_objects(objs[i], cnt[i], objs[j], cnt[j], 0.5, 0,
					   (uint32_t)it->height, (uint32_t)it->width, fam, err);
			for (int f = 0; f < MATCH_FAMILY_COUNT_; f++)
				match_counts_add(&sum, &fam[f]);
		}
	struct match_figures fig;
	match_figures_of(&sum, &fig);
	*f1 = fig.f1_50;
	for (size_t k = 0; k < n; k++) {
		free(objs[k]);
		free(xy[k]);
		free(vis[k]);
	}
	free(objs);
	free(xy);
	free(vis);
	free(cnt);
	return rc;
}

/* How many distinct annotators a cluster has (members sorted by who). */
static size_t support(const struct cobj *const *m, size_t n, size_t nviews)
{
	bool *seen = calloc(nviews ? nviews : 1, 1);
	if (!seen)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!seen[m[i]->who]) {
			seen[m[i]->who] = true;
			k++;
		}
	free(seen);
	return k;
}

static void obj_head(struct buf *doc, size_t *nobj, const struct schema *sc,
		     const struct ann_object *o, const char *type)
{
	buf_addf(doc, "%s{\"id\":\"c%zu\",\"label\":", *nobj ? "," : "", *nobj + 1);
	buf_add_json_str(doc, sc->labels[o->label].name);
	buf_addf(doc, ",\"type\":\"%s\",\"attributes\":%s", type, o->attrs ? o->attrs : "{}");
	(*nobj)++;
}

/*
 * The consensus objects of one item: boxes by weighted box fusion, masks by
 * STAPLE (per-pixel vote past 16 masks), keypoints by the mean of the
 * visible; a cluster needs min_agree of the annotators. Clusters are made
 * per label: WBF's own clustering for boxes, and for masks and keypoints
 * the first cluster whose first member is similar enough (IoU, OKS > 0.5).
 */
static int object_consensus(struct cons_ctx *c, struct ann_view *v, size_t n,
			    const struct schema *sc, struct buf *doc, size_t *nobj,
			    struct buf *err)
{
	size_t total = 0;
	for (size_t k = 0; k < n; k++)
		total += v[k].doc.nobjects;
	if (!total)
		return 0;
	struct cobj *all = calloc(total, sizeof(*all));
	const struct cobj **mem = calloc(total, sizeof(*mem));
	size_t *cl = calloc(total, sizeof(size_t));
	box *bx = calloc(total, sizeof(box));
	uint32_t *lab = calloc(total, sizeof(uint32_t));
	if (!all || !mem || !cl || !bx || !lab)
		abort();
	int rc = 0;
	static const enum shape_kind kinds[3] = {SHAPE_BOX, SHAPE_MASK, SHAPE_KEYPOINTS};
	for (int t = 0; t < 3 && !rc; t++) {
		size_t m = 0;
		for (size_t k = 0; k < n; k++)
			for (size_t i = 0; i < v[k].doc.nobjects; i++)
				if (v[k].doc.objects[i].type == kinds[t])
					all[m++] = (struct cobj){&v[k].doc.objects[i], k};
		if (!m)
			continue;
		size_t nc = 0;
		if (kinds[t] == SHAPE_BOX) {
			for (size_t i = 0; i < m; i++) {
				const double *q = all[i].o->pts;
				bx[i] = (box){q[0], q[1], q[2] - q[0], q[3] - q[1]};
				lab[i] = (uint32_t)all[i].o->label;
			}
			nc = consensus_wbf_cluster(bx, lab, NULL, m, 0.55, cl);
		} else {
			/* First member of each cluster, to compare with. */
			size_t *first = calloc(m, sizeof(size_t));
			if (!first)
				abort();
			for (size_t i = 0; i < m; i++) {
				size_t k;
				for (k = 0; k < nc; k++) {
					const struct ann_object *a = all[first[k]].o, *b = all[i].o;
					if (a->label != b->label)
						continue;
					double sim;
					if (kinds[t] == SHAPE_MASK) {
						sim = rle_iou(&a->mask, &b->mask, 0);
					} else {
						double *xy = calloc(a->npts + b->npts + 2, sizeof(double));
						uint8_t *vv = calloc(a->npts + b->npts + 2, 1);
						if (!xy || !vv)
							abort();
						struct match_obj ma = {0}, mb = {0};
						size_t ka = a->npts / 3, kb = b->npts / 3;
						for (size_t j = 0; j < ka; j++) {
							xy[2 * j] = a->pts[3 * j];
							xy[2 * j + 1] = a->pts[3 * j + 1];
							vv[j] = (uint8_t)a->pts[3 * j + 2];
						}
						for (size_t j = 0; j < kb; j++) {
							xy[2 * ka + 2 * j] = b->pts[3 * j];
							xy[2 * ka + 2 * j + 1] = b->pts[3 * j + 1];
							vv[ka + j] = (uint8_t)b->pts[3 * j + 2];
						}
						ma.shape.kind = mb.shape.kind = GEOM_KEYPOINTS;
						ma.shape.xy = xy;
						ma.shape.vis = vv;
						ma.shape.n = ka;
						mb.shape.xy = xy + 2 * ka;
						mb.shape.vis = vv + ka;
						mb.shape.n = kb;
						sim = match_oks(&ma, &mb);
						free(xy);
						free(vv);
					}
					if (sim > 0.5)
						break;
				}
				if (k == nc)
					first[nc++] = i;
				cl[i] = k;
			}
			free(first);
		}
		for (size_t k = 0; k < nc && !rc; k++) {
			size_t nm = 0;
			for (size_t i = 0; i < m; i++)
				if (cl[i] == k)
					mem[nm++] = &all[i];
			if ((double)support(mem, nm, n) < c->min_agree * (double)n) {
				c->dropped++;
				continue;
			}
			const struct ann_object *o0 = mem[0]->o;
			if (kinds[t] == SHAPE_BOX) {
				box *b = calloc(nm, sizeof(box));
				if (!b)
					abort();
				for (size_t i = 0; i < nm; i++) {
					const double *q = mem[i]->o->pts;
					b[i] = (box){q[0], q[1], q[2] - q[0], q[3] - q[1]};
				}
				box f;
				double fs;
				consensus_wbf(b, NULL, nm, n, &f, &fs);
				free(b);
				obj_head(doc, nobj, sc, o0, "box");
				buf_adds(doc, ",\"points\":[");
				double pts[4] = {f.x, f.y, f.x + f.w, f.y + f.h};
				for (int j = 0; j < 4; j++) {
					if (j)
						buf_addch(doc, ',');
					json_add_double(doc, round(pts[j] * 1e6) / 1e6);
				}
				buf_adds(doc, "]}");
			} else if (kinds[t] == SHAPE_MASK) {
				struct rle *ms = calloc(nm, sizeof(struct rle)), out = RLE_INIT;
				if (!ms)
					abort();
				for (size_t i = 0; i < nm; i++)
					ms[i] = mem[i]->o->mask; /* borrowed */
				rc = nm <= CONSENSUS_STAPLE_MAX
					? consensus_staple(ms, nm, 1e-6, 100, &out, NULL, NULL, err)
					: consensus_mask_vote(ms, nm, nm / 2 + 1, &out, err);
				free(ms);
				if (!rc) {
					obj_head(doc, nobj, sc, o0, "mask");
					buf_addf(doc, ",\"rle\":{\"size\":[%u,%u],\"counts\":", out.h, out.w);
					struct buf cs = BUF_INIT;
					rle_to_string(&out, &cs);
					buf_add_json_str(doc, cs.data);
					buf_release(&cs);
					buf_adds(doc, "}}");
				}
				rle_release(&out);
			} else {
				size_t kp = o0->npts / 3;
				const double **xy = calloc(nm, sizeof(*xy));
				const uint8_t **vs = calloc(nm, sizeof(*vs));
				double *flat = calloc(nm * 2 * kp + 1, sizeof(double));
				uint8_t *fv = calloc(nm * kp + 1, 1);
				double *oxy = calloc(2 * kp + 1, sizeof(double));
				uint8_t *ov = calloc(kp + 1, 1);
				if (!xy || !vs || !flat || !fv || !oxy || !ov)
					abort();
				size_t used = 0;
				for (size_t i = 0; i < nm; i++) {
					if (mem[i]->o->npts / 3 != kp)
						continue;
					for (size_t j = 0; j < kp; j++) {
						flat[used * 2 * kp + 2 * j] = mem[i]->o->pts[3 * j];
						flat[used * 2 * kp + 2 * j + 1] = mem[i]->o->pts[3 * j + 1];
						fv[used * kp + j] = (uint8_t)mem[i]->o->pts[3 * j + 2];
					}
					xy[used] = flat + used * 2 * kp;
					vs[used] = fv + used * kp;
					used++;
				}
				consensus_keypoints(xy, vs, used, kp, oxy, ov);
				obj_head(doc, nobj, sc, o0, "keypoints");
				buf_adds(doc, ",\"points\":[");
				for (size_t j = 0; j < kp; j++) {
					if (j)
						buf_addch(doc, ',');
					json_add_double(doc, round(oxy[2 * j] * 1e6) / 1e6);
					buf_addch(doc, ',');
					json_add_double(doc, round(oxy[2 * j + 1] * 1e6) / 1e6);
					buf_addf(doc, ",%u", ov[j]);
				}
				buf_adds(doc, "]}");
				free(xy);
				free(vs);
				free(flat);
				free(fv);
				free(oxy);
				free(ov);
			}
			c->fused++;
		}
	}
	free(all);
	free(mem);
	free(cl);
	free(bx);
	free(lab);
	return rc;
}

static int cons_cb(void *ctx, const struct item_ref *it, struct ann_view *v, size_t n,
		   const struct schema *sc, struct buf *err)
{
	struct cons_ctx *c = ctx;
	const struct agree_data *d = c->d;
	char name[32];
	snprintf(name, sizeof(name), "%lld", (long long)it->id);
	/* Items come in the order of the first pass; find this one. */
	while (c->next < d->n_items && strcmp(agree_item_name(d, c->next), name) &&
	       strtoll(agree_item_name(d, c->next), NULL, 10) < it->id)
		c->next++;
	size_t i = c->next;
	bool have = i < d->n_items && !strcmp(agree_item_name(d, i), name);
	size_t m = have ? d->item_off[i + 1] - d->item_off[i] : 0;
	if (n < c->min_ann) {
		c->few++;
		return 0;
	}
	struct buf doc = BUF_INIT;
	size_t nobj = 0;
	size_t dropped0 = c->dropped;
	buf_adds(&doc, "{\"format\":1,\"objects\":[");
	bool tag_low = false;
	const char *label = NULL;
	if (m >= c->min_ann) {
		label = agree_cat_name(d, (size_t)c->cat[i]);
		if (c->share[i] < c->min_agree) {
			tag_low = true;
		} else {
			/* A joined label ("a|b") is several tags. */
			const char *s = label;
			while (*s) {
				const char *e = strchr(s, '|');
				size_t len = e ? (size_t)(e - s) : strlen(s);
				buf_addf(&doc, "%s{\"id\":\"c%zu\",\"label\":", nobj ? "," : "", nobj + 1);
				buf_add_json_strn(&doc, s, len);
				buf_adds(&doc, ",\"type\":\"tag\"}");
				nobj++;
				s += len + (e ? 1 : 0);
			}
		}
	}
	int rc = object_consensus(c, v, n, sc, &doc, &nobj, err);
	buf_adds(&doc, "]}");
	bool review = tag_low || c->dropped > dropped0;
	struct buf *dst = review ? c->low : c->items;
	if (dst->len)
		buf_addch(dst, ',');
	buf_addf(dst, "{\"item\":%lld", (long long)it->id);
	if (label) {
		buf_adds(dst, ",\"label\":");
		buf_add_json_str(dst, label);
		buf_adds(dst, ",\"agreement\":");
		json_add_double(dst, tidy(c->share[i]));
	}
	buf_addf(dst, ",\"annotators\":%zu,\"objects\":%zu,\"dropped_objects\":%zu,\"from\":",
		 n, nobj, c->dropped - dropped0);
	/* What the consensus is built from: each annotation at its version. The
	 * saved annotation's audit row keeps the same list. */
	struct buf from = BUF_INIT;
	buf_addch(&from, '[');
	for (size_t k = 0; k < n; k++) {
		buf_addf(&from, "%s{\"annotation\":%lld,\"version\":%lld,\"annotator\":",
			 k ? "," : "", (long long)v[k].ann_id, (long long)v[k].version);
		buf_add_json_str(&from, v[k].user);
		buf_addch(&from, '}');
	}
	buf_addch(&from, ']');
	buf_add(dst, from.data, from.len);
	if (review)
		c->low_n++;
	/* A low tag agreement keeps the whole item for review. */
	if (!rc && !c->dry && nobj && !tag_low) {
		int64_t version = 0;
		struct buf detail = BUF_INIT;
		buf_addf(&detail, "{\"method\":\"%s\",\"from\":%s}", c->method, from.data);
		rc = save_consensus(c->st, c->p, it->id, it->width, it->height, c->method, &doc,
				    detail.data, c->uid, &version, err);
		buf_release(&detail);
		if (rc) {
			struct buf e2 = BUF_INIT;
			buf_addf(&e2, "item %lld: %s", (long long)it->id, err->data);
			buf_setf(err, "%s", e2.data);
			buf_release(&e2);
		} else {
			c->saved++;
			buf_addf(dst, ",\"version\":%lld", (long long)version);
		}
	}
	buf_addch(dst, '}');
	/* Disagreement puts the item first in its batch's review sample. */
	double f1 = NAN;
	if (!rc && c->review_f1 > 0 && n >= 2)
		rc = item_f1(it, v, n, &f1, err);
	double tags = m >= c->min_ann ? c->mshare[i] : NAN;
	bool f1_low = isfinite(f1) && f1 < c->review_f1;
	bool tags_low = isfinite(tags) && c->review_tags > 0 && tags < c->review_tags;
	if (!rc && (review || f1_low || tags_low)) {
		double score = 1;
		if (isfinite(f1) && f1 < score)
			score = f1;
		if (isfinite(tags) && tags < score)
			score = tags;
		if (label && c->share[i] < score)
			score = c->share[i];
		if (!(score >= 0))
			score = 0;
		if (!c->dry)
			rc = store_item_review_first(c->st, it->id, score, c->uid, err);
		if (!rc) {
			buf_addf(c->queue, "%s{\"item\":%lld,\"score\":", c->queued ? "," : "",
				 (long long)it->id);
			json_add_double(c->queue, tidy(score));
			buf_adds(c->queue, ",\"f1_50\":");
			if (isfinite(f1))
				json_add_double(c->queue, tidy(f1));
			else
				buf_adds(c->queue, "null");
			buf_adds(c->queue, ",\"label_share\":");
			if (isfinite(tags))
				json_add_double(c->queue, tidy(tags));
			else
				buf_adds(c->queue, "null");
			buf_addf(c->queue, ",\"needs_review\":%s}", review ? "true" : "false");
			c->queued++;
		}
	}
	buf_release(&doc);
	buf_release(&from);
	return rc;
}


int project_agree_tags(struct store *st, int64_t project_id, struct agree_data *d,
		       size_t *skipped, struct buf *err)
{
	struct walk w = {.st = st, .project_id = project_id};
	int rc = walk_tags(&w, d, err);
	name_cache_release(&w.names);
	if (skipped)
		*skipped = w.skipped;
	return rc;
}

/* ---- time windows ------------------------------------------------------------ */

/* One window: its start (ms) and the spatial counts of its items. */
struct win_stat {
	int64_t start;
	struct match_counts sp;
	size_t sp_items;
};

struct item_win {
	int64_t item_id, start;
};

struct windows {
	int64_t ms;
	size_t max;                /* at most PROJECT_AGREE_MAX_WINDOWS */
	struct win_stat *w;        /* sorted by start; at most PROJECT_AGREE_MAX_WINDOWS */
	size_t n;
	struct item_win *items;    /* walk order, that is by item id */
	size_t nitems, icap;
};

/* Floor division, so saves before 1970 still fall into whole windows. */
static int64_t window_start(int64_t t, int64_t ms)
{
	int64_t q = t / ms;
	if (t % ms < 0)
		q--;
	return q * ms;
}

static size_t win_lower(const struct windows *ws, int64_t start)
{
	size_t lo = 0, hi = ws->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ws->w[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The window of an item saved last at time t (ms): records the item and
 * returns the window's index in *out. The window table is capped, so the
 * insertion's memmove is bounded. */
static int windows_add_item(struct windows *ws, int64_t item_id, int64_t t, size_t *out,
			    struct buf *err)
{
	int64_t start = window_start(t, ws->ms);
	size_t i = win_lower(ws, start);
	if (i == ws->n || ws->w[i].start != start) {
		if (ws->n == ws->max) {
			buf_setf(err, "window: more than %zu windows of %lld s; choose a longer window",
				 ws->max, (long long)(ws->ms / 1000));
			return CAIRN_EINVAL;
		}
		if (!ws->w) {
			ws->w = calloc(PROJECT_AGREE_MAX_WINDOWS, sizeof(*ws->w));
			if (!ws->w)
				abort();
		}
		memmove(&ws->w[i + 1], &ws->w[i], (ws->n - i) * sizeof(*ws->w));
		memset(&ws->w[i], 0, sizeof(ws->w[i]));
		ws->w[i].start = start;
		ws->n++;
	}
	if (ws->nitems == ws->icap) {
		ws->icap = ws->icap ? ws->icap * 2 : 256;
		ws->items = realloc(ws->items, ws->icap * sizeof(*ws->items));
		if (!ws->items)
			abort();
	}
	ws->items[ws->nitems++] = (struct item_win){item_id, start};
	*out = i;
	return 0;
}

static void windows_release(struct windows *ws)
{
	free(ws->w);
	free(ws->items);
}

struct id_idx {
	int64_t id;
	uint32_t idx;
};

static int cmp_id_idx(const void *a, const void *b)
{
	const struct id_idx *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Appends "by_window": the metric over the items of each window (no
 * interval: a window is a slice of the project, the overall value has
 * the bootstrap). Items are matched to the ratings' item indexes through
 * their names, which are their ids.
 */
static void categorical_windows_json(const struct agree_data *d, const struct agree_opts *o,
				     const struct windows *ws, struct buf *out)
{
	struct id_idx *ids = calloc(d->n_items ? d->n_items : 1, sizeof(*ids));
	struct id_idx *sel = calloc(ws->nitems ? ws->nitems : 1, sizeof(*sel));
	uint32_t *pick = calloc(ws->nitems ? ws->nitems : 1, sizeof(*pick));
	if (!ids || !sel || !pick)
		abort();
	for (size_t i = 0; i < d->n_items; i++)
		ids[i] = (struct id_idx){strtoll(agree_item_name(d, i), NULL, 10), (uint32_t)i};
	qsort(ids, d->n_items, sizeof(*ids), cmp_id_idx);
	/* (window index, item index) for every item that has ratings. */
	size_t ns = 0;
	for (size_t k = 0; k < ws->nitems; k++) {
		struct id_idx key = {ws->items[k].item_id, 0};
		struct id_idx *hit = bsearch(&key, ids, d->n_items, sizeof(*ids), cmp_id_idx);
		if (hit)
			sel[ns++] = (struct id_idx){(int64_t)win_lower(ws, ws->items[k].start), hit->idx};
	}
	qsort(sel, ns, sizeof(*sel), cmp_id_idx);
	buf_adds(out, ",\"by_window\":[");
	size_t k = 0, nw = 0;
	while (k < ns) {
		size_t e = k, np = 0;
		while (e < ns && sel[e].id == sel[k].id)
			pick[np++] = sel[e++].idx;
		double obs, exp;
		size_t used = 0;
		double v = agree_value(d, o, pick, np, &obs, &exp, &used);
		int64_t start = ws->w[sel[k].id].start;
		buf_addf(out, "%s{\"start\":%lld,\"end\":%lld,\"n_items\":%zu,\"n_items_used\":%zu,"
			 "\"value\":", nw++ ? "," : "", (long long)start, (long long)(start + ws->ms),
			 np, used);
		json_add_double(out, tidy(v));
		buf_addch(out, '}');
		k = e;
	}
	buf_addch(out, ']');
	free(ids);
	free(sel);
	free(pick);
}

static void spatial_windows_json(const struct windows *ws, struct buf *out)
{
	buf_adds(out, ",\"by_window\":[");
	size_t nw = 0;
	for (size_t i = 0; i < ws->n; i++) {
		if (!ws->w[i].sp_items)
			continue;
		buf_addf(out, "%s{\"start\":%lld,\"end\":%lld,\"items\":%zu,\"agreement\":",
			 nw++ ? "," : "", (long long)ws->w[i].start,
			 (long long)(ws->w[i].start + ws->ms), ws->w[i].sp_items);
		match_counts_json(&ws->w[i].sp, out);
		buf_addch(out, '}');
	}
	buf_addch(out, ']');
}

/* ---- both halves in one walk ------------------------------------------------- */

struct all_ctx {
	struct tag_ctx *tags;      /* or NULL */
	struct spatial_ctx *sp;    /* or NULL */
	struct windows *ws;        /* or NULL */
};

static int all_cb(void *ctx, const struct item_ref *it, struct ann_view *v, size_t n,
		  const struct schema *sc, struct buf *err)
{
	struct all_ctx *c = ctx;
	int rc;
	size_t wi = 0;
	if (c->ws) {
		int64_t t = v[0].saved_at;
		for (size_t k = 1; k < n; k++)
			if (v[k].saved_at > t)
				t = v[k].saved_at;
		if ((rc = windows_add_item(c->ws, it->id, t, &wi, err)))
			return rc;
	}
	if (c->tags && (rc = tags_cb(c->tags, it, v, n, sc, err)))
		return rc;
	if (c->sp) {
		c->sp->cur = c->ws ? &c->ws->w[wi].sp : NULL;
		c->sp->cur_items = c->ws ? &c->ws->w[wi].sp_items : NULL;
		if ((rc = spatial_cb(c->sp, it, v, n, sc, err)))
			return rc;
	}
	return 0;
}

int project_agree_json(struct store *st, const struct project *p,
		       const struct project_agree_opts *o, struct buf *out, struct buf *err)
{
	bool cat = o->which & PROJECT_AGREE_CATEGORICAL, spa = o->which & PROJECT_AGREE_SPATIAL;
	struct agree_data d;
	agree_data_init(&d);
	struct tag_ctx tc = {&d, BUF_INIT};
	struct spatial_ctx sc = {.floor = o->iou_floor > 0 ? o->iou_floor : 0.1};
	struct windows ws = {.ms = o->window_ms, .max = PROJECT_AGREE_MAX_WINDOWS};
	if (o->max_windows && o->max_windows < ws.max)
		ws.max = o->max_windows;
	struct all_ctx ac = {cat ? &tc : NULL, spa ? &sc : NULL, o->window_ms > 0 ? &ws : NULL};
	struct walk w = {.st = st, .project_id = p->id};
	int rc = walk_project(&w, all_cb, &ac, err);
	buf_release(&tc.label);
	if (!rc && cat)
		rc = agree_data_finish(&d, err);
	struct agree_result r;
	bool have_cat = cat && !rc && (d.n_cats > 0 || !spa);
	if (have_cat)
		rc = agree_compute(&d, &o->agree, &r, err);
	if (!rc) {
		if (cat && spa) {
			buf_adds(out, "{\"project\":");
			buf_add_json_str(out, p->name);
			buf_addf(out, ",\"window_s\":%lld,\"categorical\":", (long long)(o->window_ms / 1000));
		}
		if (cat && !have_cat && spa) {
			buf_adds(out, "null");
		} else if (cat) {
			project_agree_result_json(&d, &o->agree, &r, p->name, out);
			if (ac.ws) {
				buf_setlen(out, out->len - 1); /* reopen the object */
				categorical_windows_json(&d, &o->agree, &ws, out);
				buf_addch(out, '}');
			}
		}
		if (cat && spa)
			buf_adds(out, ",\"spatial\":");
		if (spa) {
			spatial_json(&sc, p->name, w.skipped, out);
			if (ac.ws)
				spatial_windows_json(&ws, out);
			buf_addch(out, '}');
		}
		if (cat && spa)
			buf_addch(out, '}');
	}
	for (size_t l = 0; l < sc.nclass; l++)
		free(sc.class_names[l]);
	free(sc.class_names);
	free(sc.by_class);
	free(sc.pairs);
	windows_release(&ws);
	name_cache_release(&w.names);
	agree_data_release(&d);
	return rc;
}

/* ---- confusion between two annotators ---------------------------------------- */

/* Label names of one matrix; index 0 is null (no label, or no match). */
struct conf_side {
	char *names[PROJECT_CONFUSION_MAX_LABELS + 1];
	size_t n;                  /* names used, null included */
	uint32_t *m;               /* (MAX + 1)^2 counts, row = a, column = b */
};

#define CONF_DIM (PROJECT_CONFUSION_MAX_LABELS + 1)

/* The index of name (NULL or "": 0); a short table, looked up in order. */
static int conf_index(struct conf_side *s, const char *name, size_t *out, struct buf *err)
{
	if (!name || !*name) {
		*out = 0;
		return 0;
	}
	for (size_t i = 1; i < s->n; i++)
		if (!strcmp(s->names[i], name)) {
			*out = i;
			return 0;
		}
	if (s->n == CONF_DIM) {
		buf_setf(err, "more than %d distinct labels: too many for a confusion matrix",
			 PROJECT_CONFUSION_MAX_LABELS);
		return CAIRN_ETOOBIG;
	}
	size_t len = strlen(name);
	s->names[s->n] = malloc(len + 1);
	if (!s->names[s->n])
		abort();
	memcpy(s->names[s->n], name, len + 1);
	*out = s->n++;
	return 0;
}

static int conf_add(struct conf_side *s, const char *a, const char *b, struct buf *err)
{
	size_t i, j;
	int rc = conf_index(s, a, &i, err);
	if (!rc)
		rc = conf_index(s, b, &j, err);
	if (!rc)
		s->m[i * CONF_DIM + j]++;
	return rc;
}

struct conf_ctx {
	int64_t a, b;
	double iou;
	struct conf_side tags, objs;
	struct buf la, lb;
	size_t items;              /* items both annotated */
	size_t matched, a_only, b_only;
	size_t unsupported;
};

static const char *label_name(const struct schema *sc, uint32_t l)
{
	return l < sc->nlabels ? sc->labels[l].name : "";
}

/* Matches a's region objects with b's by IoU (one to one, maximum total
 * IoU, pairs under c->iou never match) and counts the label pairs. */
static int conf_objects(struct conf_ctx *c, const struct item_ref *it, const struct ann_view *va,
			const struct ann_view *vb, const struct schema *sc, struct buf *err)
{
	struct match_obj *oa, *ob;
	double *xa, *xb;
	uint8_t *sa, *sb;
	size_t na = to_match(&va->doc, &oa, &xa, &sa, &c->unsupported);
	size_t nb = to_match(&vb->doc, &ob, &xb, &sb, &c->unsupported);
	/* Keep the region family: IoU compares those. */
	size_t ka = 0, kb = 0;
	for (size_t i = 0; i < na; i++)
		if (match_family_of(oa[i].shape.kind) == MATCH_REGION)
			oa[ka++] = oa[i];
	for (size_t i = 0; i < nb; i++)
		if (match_family_of(ob[i].shape.kind) == MATCH_REGION)
			ob[kb++] = ob[i];
	struct shape *sha = calloc(ka ? ka : 1, sizeof(*sha)), *shb = calloc(kb ? kb : 1, sizeof(*shb));
	double *w = calloc(ka && kb ? ka * kb : 1, sizeof(double));
	long *r2c = calloc(ka ? ka : 1, sizeof(long));
	bool *used = calloc(kb ? kb : 1, sizeof(bool));
	if (!sha || !shb || !w || !r2c || !used)
		abort();
	for (size_t i = 0; i < ka; i++)
		sha[i] = oa[i].shape;
	for (size_t j = 0; j < kb; j++)
		shb[j] = ob[j].shape;
	int rc = 0;
	for (size_t i = 0; i < ka; i++)
		r2c[i] = -1;
	if (ka && kb) {
		rc = shape_iou_matrix(sha, ka, shb, kb, NULL, (uint32_t)it->height,
				      (uint32_t)it->width, w, err);
		if (!rc)
			match_assign(w, ka, kb, c->iou, r2c);
	}
	for (size_t i = 0; i < ka && !rc; i++) {
		const char *la = label_name(sc, oa[i].label);
		if (r2c[i] >= 0) {
			used[r2c[i]] = true;
			c->matched++;
			rc = conf_add(&c->objs, la, label_name(sc, ob[r2c[i]].label), err);
		} else {
			c->a_only++;
			rc = conf_add(&c->objs, la, NULL, err);
		}
	}
	for (size_t j = 0; j < kb && !rc; j++)
		if (!used[j]) {
			c->b_only++;
			rc = conf_add(&c->objs, NULL, label_name(sc, ob[j].label), err);
		}
	free(sha);
	free(shb);
	free(w);
	free(r2c);
	free(used);
	free(oa);
	free(ob);
	free(xa);
	free(xb);
	free(sa);
	free(sb);
	return rc;
}

static int conf_cb(void *ctx, const struct item_ref *it, struct ann_view *v, size_t n,
		   const struct schema *sc, struct buf *err)
{
	struct conf_ctx *c = ctx;
	const struct ann_view *va = NULL, *vb = NULL;
	for (size_t k = 0; k < n; k++) {
		if (v[k].user_id == c->a)
			va = &v[k];
		else if (v[k].user_id == c->b)
			vb = &v[k];
	}
	if (!va || !vb)
		return 0;
	c->items++;
	tag_label(&va->doc, sc, &c->la);
	tag_label(&vb->doc, sc, &c->lb);
	int rc = conf_add(&c->tags, c->la.data, c->lb.data, err);
	if (!rc)
		rc = conf_objects(c, it, va, vb, sc, err);
	return rc;
}

/* Appends {"labels": [null, names sorted...], "matrix": [[...]...]}'s body
 * (without braces): names in byte order after null. */
static void conf_matrix_json(const struct conf_side *s, struct buf *out)
{
	size_t order[CONF_DIM];
	order[0] = 0;
	for (size_t i = 1; i < s->n; i++)
		order[i] = i;
	/* Insertion sort by name: at most a few hundred labels. */
	for (size_t i = 2; i < s->n; i++)
		for (size_t j = i; j > 1 && strcmp(s->names[order[j - 1]], s->names[order[j]]) > 0; j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	buf_adds(out, "\"labels\":[null");
	for (size_t i = 1; i < s->n; i++) {
		buf_addch(out, ',');
		buf_add_json_str(out, s->names[order[i]]);
	}
	buf_adds(out, "],\"matrix\":[");
	for (size_t i = 0; i < s->n; i++) {
		buf_adds(out, i ? ",[" : "[");
		for (size_t j = 0; j < s->n; j++)
			buf_addf(out, "%s%u", j ? "," : "", s->m[order[i] * CONF_DIM + order[j]]);
		buf_addch(out, ']');
	}
	buf_addch(out, ']');
}

static void conf_user_json(struct store *st, int64_t id, struct buf *out)
{
	struct user u = {0};
	buf_addf(out, "{\"id\":%lld,\"name\":", (long long)id);
	if (store_user_get_id(st, id, &u, NULL) == 0 && u.name)
		buf_add_json_str(out, u.name);
	else
		buf_adds(out, "null");
	user_release(&u);
	buf_addch(out, '}');
}

int project_confusion_json(struct store *st, const struct project *p, int64_t a, int64_t b,
			   double iou, struct buf *out, struct buf *err)
{
	struct conf_ctx c = {.a = a, .b = b, .iou = iou, .la = BUF_INIT, .lb = BUF_INIT};
	c.tags.n = c.objs.n = 1;
	c.tags.m = calloc((size_t)CONF_DIM * CONF_DIM, sizeof(uint32_t));
	c.objs.m = calloc((size_t)CONF_DIM * CONF_DIM, sizeof(uint32_t));
	if (!c.tags.m || !c.objs.m)
		abort();
	struct walk w = {.st = st, .project_id = p->id};
	int rc = walk_project(&w, conf_cb, &c, err);
	if (!rc) {
		/* Agreement among items both labelled: the diagonal past null. */
		size_t both = 0, same = 0;
		for (size_t i = 1; i < c.tags.n; i++)
			for (size_t j = 1; j < c.tags.n; j++) {
				both += c.tags.m[i * CONF_DIM + j];
				if (i == j)
					same += c.tags.m[i * CONF_DIM + j];
			}
		size_t agree_objs = 0;
		for (size_t i = 1; i < c.objs.n; i++)
			agree_objs += c.objs.m[i * CONF_DIM + i];
		buf_adds(out, "{\"project\":");
		buf_add_json_str(out, p->name);
		buf_adds(out, ",\"a\":");
		conf_user_json(st, a, out);
		buf_adds(out, ",\"b\":");
		conf_user_json(st, b, out);
		buf_adds(out, ",\"iou\":");
		json_add_double(out, iou);
		buf_addf(out, ",\"items\":%zu,\"skipped_annotations\":%zu,\"item_labels\":{"
			 "\"items_labelled_by_both\":%zu,\"agreement\":", c.items, w.skipped, both);
		json_add_double(out, both ? tidy((double)same / (double)both) : NAN);
		buf_addch(out, ',');
		conf_matrix_json(&c.tags, out);
		buf_addf(out, "},\"objects\":{\"matched\":%zu,\"a_only\":%zu,\"b_only\":%zu,"
			 "\"same_label\":%zu,\"unsupported\":%zu,", c.matched, c.a_only, c.b_only,
			 agree_objs, c.unsupported);
		conf_matrix_json(&c.objs, out);
		buf_adds(out, "}}");
	}
	for (size_t i = 1; i < c.tags.n; i++)
		free(c.tags.names[i]);
	for (size_t i = 1; i < c.objs.n; i++)
		free(c.objs.names[i]);
	free(c.tags.m);
	free(c.objs.m);
	buf_release(&c.la);
	buf_release(&c.lb);
	name_cache_release(&w.names);
	return rc;
}

/* ---- consensus ------------------------------------------------------------- */

static int count_items(struct store *st, int64_t project_id, int64_t *total)
{
	struct project_stats ps;
	struct buf e = BUF_INIT;
	int rc = store_project_stats(st, project_id, &ps, &e);
	buf_release(&e);
	*total = rc ? 0 : ps.items;
	return 0;
}

int project_consensus(struct store *st, const struct project *p,
		      const struct project_consensus_opts *o, struct buf *out,
		      struct project_consensus_counts *counts, struct buf *err)
{
	const char *method = o->method ? o->method : "majority";
	bool ds = !strcmp(method, "dawid-skene");
	if (!ds && strcmp(method, "majority")) {
		buf_setf(err, "method must be majority or dawid-skene, got '%s'", method);
		return CAIRN_EINVAL;
	}
	if (!(o->min_agree >= 0 && o->min_agree <= 1)) {
		buf_setf(err, "min_agreement must be a number in [0, 1]");
		return CAIRN_EINVAL;
	}
	if (!(o->review_f1 >= 0 && o->review_f1 <= 1) || !(o->review_tags >= 0 && o->review_tags <= 1)) {
		buf_setf(err, "review_f1 and review_label_share must be numbers in [0, 1]");
		return CAIRN_EINVAL;
	}
	if (!o->user_id && !o->dry_run) {
		buf_setf(err, "no user to save as: add an admin or pass --user NAME");
		return CAIRN_EINVAL;
	}
	size_t min_ann = o->min_ann ? o->min_ann : 2;
	struct agree_data d;
	agree_data_init(&d);
	/* Two walks: the item labels first (majority and Dawid-Skene need all
	 * of them), then the objects and the saves. Progress covers both. */
	int64_t total = 0;
	count_items(st, p->id, &total);
	struct walk w = {.st = st, .project_id = p->id, .progress = o->progress,
			 .pctx = o->progress_ctx, .total = 2 * total};
	int rc = walk_tags(&w, &d, err);
	name_cache_release(&w.names);
	int32_t *cat = NULL;
	double *share = NULL, *mshare = NULL;
	struct ds_result dsr = {0};
	if (!rc) {
		cat = calloc(d.n_items ? d.n_items : 1, sizeof(*cat));
		share = calloc(d.n_items ? d.n_items : 1, sizeof(*share));
		if (!cat || !share)
			abort();
		consensus_majority(&d, cat, share);
		mshare = calloc(d.n_items ? d.n_items : 1, sizeof(*mshare));
		if (!mshare)
			abort();
		memcpy(mshare, share, d.n_items * sizeof(*mshare));
		if (ds && d.n) {
			rc = consensus_dawid_skene(&d, 1e-6, 500, 0.01, &dsr, err);
			for (size_t i = 0; !rc && i < d.n_items; i++) {
				if (d.item_off[i + 1] == d.item_off[i])
					continue;
				size_t best = 0;
				for (size_t k = 1; k < d.n_cats; k++)
					if (dsr.posterior[i * d.n_cats + k] > dsr.posterior[i * d.n_cats + best])
						best = k;
				cat[i] = (int32_t)best;
				share[i] = dsr.posterior[i * d.n_cats + best];
			}
		}
	}
	struct buf items_json = BUF_INIT, low_json = BUF_INIT, queue_json = BUF_INIT;
	struct cons_ctx cc = {
		.st = st, .p = p, .d = &d, .cat = cat, .share = share, .min_agree = o->min_agree,
		.min_ann = min_ann, .method = method, .dry = o->dry_run, .uid = o->user_id,
		.items = &items_json, .low = &low_json, .mshare = mshare,
		.review_f1 = o->review_f1, .review_tags = o->review_tags, .queue = &queue_json,
	};
	struct walk w2 = {.st = st, .project_id = p->id, .progress = o->progress,
			  .pctx = o->progress_ctx, .done = w.done, .total = 2 * total};
	if (!rc)
		rc = walk_project(&w2, cons_cb, &cc, err);
	name_cache_release(&w2.names);
	if (!rc) {
		buf_adds(out, "{\"project\":");
		buf_add_json_str(out, p->name);
		buf_addf(out, ",\"method\":\"%s\",\"min_agreement\":", method);
		json_add_double(out, o->min_agree);
		buf_addf(out, ",\"saved\":%zu,\"needs_review_count\":%zu,\"too_few_annotators\":%zu,"
			 "\"fused_objects\":%zu,\"dropped_objects\":%zu,\"skipped_annotations\":%zu,"
			 "\"dry_run\":%s", cc.saved, cc.low_n, cc.few, cc.fused, cc.dropped, w.skipped,
			 o->dry_run ? "true" : "false");
		if (ds) {
			buf_addf(out, ",\"dawid_skene\":{\"iterations\":%d,\"converged\":%s,"
				 "\"loglik\":", dsr.iterations, dsr.converged ? "true" : "false");
			json_add_double(out, dsr.loglik);
			buf_adds(out, ",\"annotators\":[");
			for (size_t j = 0; j < dsr.n_raters; j++) {
				buf_adds(out, j ? ",{\"annotator\":" : "{\"annotator\":");
				buf_add_json_str(out, agree_rater_name(&d, j));
				buf_adds(out, ",\"confusion\":[");
				for (size_t k = 0; k < dsr.q; k++) {
					buf_adds(out, k ? ",[" : "[");
					for (size_t l = 0; l < dsr.q; l++) {
						if (l)
							buf_addch(out, ',');
						json_add_double(out, round(dsr.confusion[(j * dsr.q + k) * dsr.q + l] * 1e6) / 1e6);
					}
					buf_addch(out, ']');
				}
				buf_adds(out, "]}");
			}
			buf_adds(out, "],\"labels\":[");
			for (size_t k = 0; k < d.n_cats; k++) {
				if (k)
					buf_addch(out, ',');
				buf_add_json_str(out, agree_cat_name(&d, k));
			}
			buf_adds(out, "]}");
		}
		buf_addf(out, ",\"items\":[%s],\"needs_review\":[%s]", items_json.data,
			 low_json.data);
		buf_adds(out, ",\"review_f1\":");
		json_add_double(out, o->review_f1);
		buf_adds(out, ",\"review_label_share\":");
		json_add_double(out, o->review_tags);
		buf_addf(out, ",\"review_first_count\":%zu,\"review_first\":[%s]}", cc.queued,
			 queue_json.data);
	}
	if (!rc && o->progress)
		o->progress(o->progress_ctx, 2 * total, 2 * total);
	if (counts)
		*counts = (struct project_consensus_counts){cc.saved, cc.low_n, cc.few, cc.queued};
	buf_release(&items_json);
	buf_release(&queue_json);
	free(mshare);
	buf_release(&low_json);
	free(cat);
	free(share);
	ds_result_release(&dsr);
	agree_data_release(&d);
	return rc;
}

/* ---- each annotator against the consensus -------------------------------- */

struct cscore_ctx {
	struct consensus_score *v;
	size_t n, cap;
	struct buf a, b;           /* tag labels */
};

static struct consensus_score *cscore_of(struct cscore_ctx *c, int64_t user)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].user_id == user)
			return &c->v[i];
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		if (!c->v)
			abort();
	}
	struct consensus_score *x = &c->v[c->n++];
	memset(x, 0, sizeof(*x));
	x->user_id = user;
	return x;
}

static int cscore_cb(void *ctx, const struct item_ref *it, struct ann_view *v, size_t n,
		     const struct schema *sc, struct buf *err)
{
	struct cscore_ctx *c = ctx;
	const struct ann_view *cons = NULL;
	for (size_t k = 0; k < n; k++)
		if (v[k].kind == ANN_CONSENSUS)
			cons = &v[k];
	if (!cons)
		return 0;
	struct match_obj *co, *mo;
	double *cxy, *mxy;
	uint8_t *cvis, *mvis;
	size_t unsupported = 0;
	size_t nc = to_match(&cons->doc, &co, &cxy, &cvis, &unsupported);
	tag_label(&cons->doc, sc, &c->b);
	int rc = 0;
	for (size_t k = 0; k < n && !rc; k++) {
		if (v[k].kind != ANN_MANUAL)
			continue;
		struct consensus_score *x = cscore_of(c, v[k].user_id);
		x->items++;
		if (c->b.len) {
			tag_label(&v[k].doc, sc, &c->a);
			x->tag_items++;
			x->tag_matches += !strcmp(c->a.data ? c->a.data : "", c->b.data);
		}
		size_t nm = to_match(&v[k].doc, &mo, &mxy, &mvis, &unsupported);
		if (nm || nc) {
			struct match_counts fam[MATCH_FAMILY_COUNT_];
			memset(fam, 0, sizeof(fam));
			rc = match_objects(mo, nm, co, nc, 0.5, 0, (uint32_t)it->height,
					   (uint32_t)it->width, fam, err);
			for (int f = 0; f < MATCH_FAMILY_COUNT_; f++)
				match_counts_add(&x->objects, &fam[f]);
			x->object_items++;
		}
		free(mo);
		free(mxy);
		free(mvis);
	}
	free(co);
	free(cxy);
	free(cvis);
	return rc;
}

int project_consensus_scores(struct store *st, int64_t project_id, struct consensus_score **out,
			     size_t *n, struct buf *err)
{
	struct cscore_ctx c = {.a = BUF_INIT, .b = BUF_INIT};
	struct walk w = {.st = st, .project_id = project_id,
			 .kinds = (1u << ANN_MANUAL) | (1u << ANN_CONSENSUS)};
	int rc = walk_project(&w, cscore_cb, &c, err);
	name_cache_release(&w.names);
	buf_release(&c.a);
	buf_release(&c.b);
	if (rc) {
		free(c.v);
		c.v = NULL;
		c.n = 0;
	}
	*out = c.v;
	*n = c.n;
	return rc;
}
