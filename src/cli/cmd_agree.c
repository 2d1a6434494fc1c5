/*
 * cmd_agree.c - `cairn agree` (inter-annotator agreement of a CSV of
 * ratings, or of a project's tags or objects) and `cairn consensus` (one
 * consensus annotation per item from its annotators' tags). The numbers
 * come from src/quality/ (agree.c, match.c, consensus.c); this file reads
 * the input, walks the project and prints.
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
#include "core/annotation.h"
#include "quality/agree.h"
#include "quality/consensus.h"
#include "quality/match.h"
#include "store/store.h"
#include "workflow/ann_service.h"
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

static void result_json(const struct agree_data *d, const struct agree_opts *o,
			const struct agree_result *r, const char *project, struct buf *out)
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
	buf_adds(out, "}\n");
}

/* ---- walking a project's manual annotations ------------------------------ */

struct ann_ref {
	int64_t id, user_id;
};

struct ann_view {
	int64_t ann_id, user_id, version;
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

static int collect_ann(void *ctx, const struct annotation *a)
{
	if (a->kind != ANN_MANUAL)
		return 0;
	struct ann_ref *x = refs_push(ctx);
	x->id = a->id;
	x->user_id = a->user_id;
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
};

/*
 * Streams the project's items a page at a time (bounded memory), and for
 * each the manual annotations, parsed with the current schema.
 */
static int walk_project(struct walk *w, walk_cb cb, void *ctx, struct buf *err)
{
	struct refs items = {.size = sizeof(struct item_ref)};
	struct refs anns = {.size = sizeof(struct ann_ref)};
	struct ann_view *views = NULL;
	size_t vcap = 0;
	int64_t after = 0;
	int rc = 0;
	for (;;) {
		items.n = 0;
		if ((rc = store_item_list(w->st, w->project_id, after, 500, collect_item, &items, err)))
			break;
		if (!items.n)
			break;
		for (size_t i = 0; i < items.n && !rc; i++) {
			const struct item_ref *it = (struct item_ref *)items.v + i;
			anns.n = 0;
			if ((rc = store_annotation_list(w->st, it->id, false, collect_ann, &anns, err)))
				break;
			if (!anns.n)
				continue;
			const struct schema_entry *se;
			if ((rc = schema_cache_get(w->st, w->project_id, 0, &se, err)))
				break;
			if (anns.n > vcap) {
				vcap = anns.n;
				views = realloc(views, vcap * sizeof(*views));
				if (!views)
					abort();
			}
			size_t nv = 0;
			for (size_t k = 0; k < anns.n && !rc; k++) {
				const struct ann_ref *ar = (struct ann_ref *)anns.v + k;
				struct annotation a = {0};
				struct buf e2 = BUF_INIT;
				if (store_annotation_get(w->st, ar->id, &a, &e2) || !a.body) {
					annotation_release(&a);
					buf_release(&e2);
					w->skipped++;
					continue;
				}
				struct ann_view *v = &views[nv];
				memset(v, 0, sizeof(*v));
				if (ann_doc_parse(&v->doc, a.body, strlen(a.body), &se->schema, 0, 0, &e2,
						  NULL)) {
					w->skipped++;
				} else {
					v->ann_id = a.id;
					v->version = a.version;
					v->user_id = a.user_id;
					nv++;
				}
				annotation_release(&a);
				buf_release(&e2);
			}
			/* Names after the parses: the cache lookups may use the store. */
			for (size_t k = 0; k < nv; k++)
				views[k].user = user_name(w->st, &w->names, views[k].user_id);
			if (!rc && nv)
				rc = cb(ctx, it, views, nv, &se->schema, err);
			for (size_t k = 0; k < nv; k++)
				ann_doc_release(&views[k].doc);
		}
		if (rc)
			break;
		after = ((struct item_ref *)items.v)[items.n - 1].id;
	}
	free(items.v);
	free(anns.v);
	free(views);
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

static int project_tags(struct walk *w, struct agree_data *d, struct buf *err)
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
	buf_adds(out, "]}\n");
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
	const char *boot = NULL, *seed = NULL, *kind = NULL, *floor_s = NULL;
	bool json = false, spatial = false, done;
	const struct cli_opt opts[] = {
		{"data", 1, &data, NULL}, {"project", 1, &project, NULL},
		{"metric", 1, &metric, NULL}, {"level", 1, &level, NULL},
		{"weights", 1, &weights, NULL}, {"bootstrap", 1, &boot, NULL},
		{"seed", 1, &seed, NULL}, {"label-kind", 1, &kind, NULL},
		{"spatial", 0, NULL, &spatial}, {"iou-floor", 1, &floor_s, NULL},
		{"json", 0, NULL, &json}, {0},
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
		struct walk w = {st, p.id, {0}, 0};
		struct spatial_ctx c = {.floor = fl};
		rc = walk_project(&w, spatial_cb, &c, &err);
		if (rc) {
			cli_error("agree", "%s", err.data);
			rc = EXIT_FAIL;
		} else {
			spatial_json(&c, p.name, w.skipped, &out);
			fputs(out.data, stdout);
			rc = EXIT_OK;
		}
		for (size_t l = 0; l < c.nclass; l++)
			free(c.class_names[l]);
		free(c.class_names);
		free(c.by_class);
		free(c.pairs);
		name_cache_release(&w.names);
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
	if (project) {
		if (open_project("agree", data, project, &st, &p)) {
			agree_data_release(&d);
			return EXIT_FAIL;
		}
		struct walk w = {st, p.id, {0}, 0};
		rc = project_tags(&w, &d, &err);
		name_cache_release(&w.names);
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
		result_json(&d, &o, &r, project ? p.name : NULL, &out);
		fputs(out.data, stdout);
		rc = EXIT_OK;
	}
	agree_data_release(&d);
	if (st) {
		project_release(&p);
		store_close(st);
		schema_cache_clear();
	}
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

/* Writes (or replaces) the item's consensus annotation with document doc. */
static int save_consensus(struct store *st, const struct project *p, int64_t item_id,
			  int32_t width, int32_t height, const char *method, const struct buf *doc,
			  int64_t user_id, int64_t *version, struct buf *err)
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
};

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
	buf_addf(dst, ",\"annotators\":%zu,\"objects\":%zu,\"dropped_objects\":%zu,\"from\":[",
		 n, nobj, c->dropped - dropped0);
	for (size_t k = 0; k < n; k++) {
		buf_addf(dst, "%s{\"annotation\":%lld,\"version\":%lld,\"annotator\":", k ? "," : "",
			 (long long)v[k].ann_id, (long long)v[k].version);
		buf_add_json_str(dst, v[k].user);
		buf_addch(dst, '}');
	}
	buf_addch(dst, ']');
	if (review)
		c->low_n++;
	/* A low tag agreement keeps the whole item for review. */
	if (!rc && !c->dry && nobj && !tag_low) {
		int64_t version = 0;
		rc = save_consensus(c->st, c->p, it->id, it->width, it->height, c->method, &doc,
				    c->uid, &version, err);
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
	buf_release(&doc);
	return rc;
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
	struct agree_data d;
	agree_data_init(&d);
	struct walk w = {st, p.id, {0}, 0};
	rc = project_tags(&w, &d, &err);
	name_cache_release(&w.names);
	int32_t *cat = NULL;
	double *share = NULL;
	struct ds_result dsr = {0};
	size_t saved = 0, low = 0, few = 0;
	if (!rc && !uid && !dry) {
		buf_setf(&err, "no user to save as: add an admin or pass --user NAME");
		rc = CAIRN_EINVAL;
	}
	if (!rc) {
		cat = calloc(d.n_items ? d.n_items : 1, sizeof(*cat));
		share = calloc(d.n_items ? d.n_items : 1, sizeof(*share));
		if (!cat || !share)
			abort();
		consensus_majority(&d, cat, share);
		if (ds && d.n) {
			rc = consensus_dawid_skene(&d, 1e-6, 500, 0.01, &dsr, &err);
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
	struct buf items_json = BUF_INIT, low_json = BUF_INIT;
	struct cons_ctx cc = {
		.st = st, .p = &p, .d = &d, .cat = cat, .share = share, .min_agree = min_agree,
		.min_ann = (size_t)min_ann, .method = method, .dry = dry, .uid = uid,
		.items = &items_json, .low = &low_json,
	};
	if (!rc) {
		struct walk w2 = {st, p.id, {0}, 0};
		rc = walk_project(&w2, cons_cb, &cc, &err);
		name_cache_release(&w2.names);
	}
	saved = cc.saved;
	low = cc.low_n;
	few = cc.few;
	if (rc) {
		cli_error("consensus", "%s", err.data);
		rc = EXIT_FAIL;
	} else if (json) {
		buf_adds(&out, "{\"project\":");
		buf_add_json_str(&out, p.name);
		buf_addf(&out, ",\"method\":\"%s\",\"min_agreement\":", method);
		json_add_double(&out, min_agree);
		buf_addf(&out, ",\"saved\":%zu,\"needs_review_count\":%zu,\"too_few_annotators\":%zu,"
			 "\"fused_objects\":%zu,\"dropped_objects\":%zu,\"skipped_annotations\":%zu,"
			 "\"dry_run\":%s", saved, low, few, cc.fused, cc.dropped, w.skipped,
			 dry ? "true" : "false");
		if (ds) {
			buf_addf(&out, ",\"dawid_skene\":{\"iterations\":%d,\"converged\":%s,"
				 "\"loglik\":", dsr.iterations, dsr.converged ? "true" : "false");
			json_add_double(&out, dsr.loglik);
			buf_adds(&out, ",\"annotators\":[");
			for (size_t j = 0; j < dsr.n_raters; j++) {
				buf_adds(&out, j ? ",{\"annotator\":" : "{\"annotator\":");
				buf_add_json_str(&out, agree_rater_name(&d, j));
				buf_adds(&out, ",\"confusion\":[");
				for (size_t k = 0; k < dsr.q; k++) {
					buf_adds(&out, k ? ",[" : "[");
					for (size_t l = 0; l < dsr.q; l++) {
						if (l)
							buf_addch(&out, ',');
						json_add_double(&out, round(dsr.confusion[(j * dsr.q + k) * dsr.q + l] * 1e6) / 1e6);
					}
					buf_addch(&out, ']');
				}
				buf_adds(&out, "]}");
			}
			buf_adds(&out, "],\"labels\":[");
			for (size_t k = 0; k < d.n_cats; k++) {
				if (k)
					buf_addch(&out, ',');
				buf_add_json_str(&out, agree_cat_name(&d, k));
			}
			buf_adds(&out, "]}");
		}
		buf_addf(&out, ",\"items\":[%s],\"needs_review\":[%s]}\n", items_json.data,
			 low_json.data);
		fputs(out.data, stdout);
		rc = EXIT_OK;
	} else {
		printf("consensus (%s) of project %s: %zu saved%s, %zu for review (agreement under %.2f), %zu with "
		       "fewer than %llu annotators\n", method, p.name, saved, dry ? " (dry run: none)" : "",
		       low, min_agree, few, (unsigned long long)min_ann);
		if (low_json.len)
			printf("needs review: [%s]\n", low_json.data);
		rc = EXIT_OK;
	}
	buf_release(&items_json);
	buf_release(&low_json);
	free(cat);
	free(share);
	ds_result_release(&dsr);
	agree_data_release(&d);
	project_release(&p);
	store_close(st);
	schema_cache_clear();
	buf_release(&err);
	buf_release(&out);
	return rc;
}
