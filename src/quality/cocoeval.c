/*
 * cocoeval.c - COCO AP/AR as pycocotools' COCOeval computes them (see
 * cocoeval.h). The work is organised per category: ground truth and
 * detections are sorted once by (category, image, score), each image's pair
 * of lists is matched threshold by threshold, and the category's detections
 * are sorted once by score for all area ranges and maxDets.
 */
#include "quality/cocoeval.h"

#include <float.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom.h"
#include "geom/rle.h"
#include "base/banned.h"

#define T_ COCOEVAL_T
#define R_ COCOEVAL_R
#define MAX_A 4

struct ce_img {
	int64_t id;
	uint32_t h, w;
};

struct ce_cat {
	int64_t id;
	char *name;
	double *sigmas;   /* NULL: COCO person sigmas */
	size_t nsig;
};

struct ce_obj {
	int64_t id, image_id, category_id;
	double score, area;
	box bbox;
	uint8_t crowd, ignore;
	uint32_t img, cat;  /* resolved indices (run) */
	struct rle mask;
	double *kxy;        /* nkp points x, y */
	uint8_t *kv;        /* visible (v > 0) */
	size_t nkp;
};

struct cocoeval {
	enum cocoeval_iou type;
	int max_dets[COCOEVAL_MAX_M];
	size_t M, A;
	double area_rng[MAX_A][2];
	const char *area_lbl[MAX_A];
	double iou_thrs[T_], rec_thrs[R_];
	struct ce_img *imgs;
	size_t nimgs, capimgs;
	int imgs_dirty;
	struct ce_cat *cats;
	size_t ncats, capcats;
	struct ce_obj *gts, *dts;
	size_t ngts, capgts, ndts, capdts;
	double *precision;  /* [T][R][K][A][M] as pycocotools */
	double *recall;     /* [T][K][A][M] */
	double stats[12];
	size_t nstats;
	int done;
};

/* COCOeval's sigmas are np.array([.26, ...]) / 10.0, which is not always
 * the literal .026 to the last bit. */
static const double coco_sigmas10[17] = {
	.26, .25, .25, .35, .35, .79, .79, .72, .72,
	.62, .62, 1.07, 1.07, .87, .87, .89, .89,
};

const char *cocoeval_iou_name(enum cocoeval_iou t)
{
	return t == COCOEVAL_SEGM ? "segm" : t == COCOEVAL_KEYPOINTS ? "keypoints" : "bbox";
}

int cocoeval_iou_parse(const char *s)
{
	if (!strcmp(s, "bbox"))
		return COCOEVAL_BBOX;
	if (!strcmp(s, "segm"))
		return COCOEVAL_SEGM;
	if (!strcmp(s, "keypoints"))
		return COCOEVAL_KEYPOINTS;
	return -1;
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p)
		abort();
	*cap = n;
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

struct cocoeval *cocoeval_new(enum cocoeval_iou type, const int *max_dets, size_t n)
{
	struct cocoeval *ev = xcalloc(1, sizeof(*ev));
	ev->type = type;
	if (type == COCOEVAL_KEYPOINTS) {
		static const char *lbl[] = {"all", "medium", "large"};
		static const double rng[][2] = {{0, 1e5 * 1e5}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}};
		ev->A = 3;
		for (size_t a = 0; a < 3; a++) {
			ev->area_lbl[a] = lbl[a];
			ev->area_rng[a][0] = rng[a][0];
			ev->area_rng[a][1] = rng[a][1];
		}
		ev->max_dets[0] = 20;
		ev->M = 1;
	} else {
		static const char *lbl[] = {"all", "small", "medium", "large"};
		static const double rng[][2] = {{0, 1e5 * 1e5}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e5 * 1e5}};
		ev->A = 4;
		for (size_t a = 0; a < 4; a++) {
			ev->area_lbl[a] = lbl[a];
			ev->area_rng[a][0] = rng[a][0];
			ev->area_rng[a][1] = rng[a][1];
		}
		ev->max_dets[0] = 1;
		ev->max_dets[1] = 10;
		ev->max_dets[2] = 100;
		ev->M = 3;
	}
	if (max_dets && n) {
		ev->M = n > COCOEVAL_MAX_M ? COCOEVAL_MAX_M : n;
		for (size_t m = 0; m < ev->M; m++)
			ev->max_dets[m] = max_dets[m];
	}
	/* np.linspace: i * step + start, the last one set to stop. */
	double step = (0.95 - 0.5) / 9;
	for (int t = 0; t < T_; t++)
		ev->iou_thrs[t] = t * step + 0.5;
	ev->iou_thrs[T_ - 1] = 0.95;
	step = 1.0 / 100;
	for (int r = 0; r < R_; r++)
		ev->rec_thrs[r] = r * step + 0.0;
	ev->rec_thrs[R_ - 1] = 1.0;
	return ev;
}

static void obj_release(struct ce_obj *o)
{
	rle_release(&o->mask);
	free(o->kxy);
	free(o->kv);
}

void cocoeval_free(struct cocoeval *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->ncats; i++) {
		free(ev->cats[i].name);
		free(ev->cats[i].sigmas);
	}
	for (size_t i = 0; i < ev->ngts; i++)
		obj_release(&ev->gts[i]);
	for (size_t i = 0; i < ev->ndts; i++)
		obj_release(&ev->dts[i]);
	free(ev->imgs);
	free(ev->cats);
	free(ev->gts);
	free(ev->dts);
	free(ev->precision);
	free(ev->recall);
	free(ev);
}

int cocoeval_add_image(struct cocoeval *ev, int64_t id, uint32_t h, uint32_t w,
		       struct buf *err)
{
	(void)err;
	ev->imgs = grow(ev->imgs, &ev->capimgs, ev->nimgs + 1, sizeof(*ev->imgs));
	ev->imgs[ev->nimgs++] = (struct ce_img){id, h, w};
	ev->imgs_dirty = 1;
	return 0;
}

static int cmp_img(const void *a, const void *b)
{
	int64_t x = ((const struct ce_img *)a)->id, y = ((const struct ce_img *)b)->id;
	return x < y ? -1 : x > y;
}

static int cmp_cat(const void *a, const void *b)
{
	int64_t x = ((const struct ce_cat *)a)->id, y = ((const struct ce_cat *)b)->id;
	return x < y ? -1 : x > y;
}

static int sort_images(struct cocoeval *ev, struct buf *err)
{
	if (!ev->imgs_dirty)
		return 0;
	qsort(ev->imgs, ev->nimgs, sizeof(*ev->imgs), cmp_img);
	ev->imgs_dirty = 0;
	for (size_t i = 1; i < ev->nimgs; i++)
		if (ev->imgs[i].id == ev->imgs[i - 1].id) {
			buf_setf(err, "image id %lld appears twice", (long long)ev->imgs[i].id);
			return CAIRN_EINVAL;
		}
	return 0;
}

/* Index of image id, or -1. */
static long find_image(const struct cocoeval *ev, int64_t id)
{
	size_t lo = 0, hi = ev->nimgs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ev->imgs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ev->nimgs && ev->imgs[lo].id == id ? (long)lo : -1;
}

static long find_cat(const struct cocoeval *ev, int64_t id)
{
	size_t lo = 0, hi = ev->ncats;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ev->cats[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ev->ncats && ev->cats[lo].id == id ? (long)lo : -1;
}

int cocoeval_add_category(struct cocoeval *ev, int64_t id, const char *name,
			  const double *sigmas, size_t nsigmas, struct buf *err)
{
	(void)err;
	ev->cats = grow(ev->cats, &ev->capcats, ev->ncats + 1, sizeof(*ev->cats));
	struct ce_cat *c = &ev->cats[ev->ncats++];
	c->id = id;
	c->name = strdup(name ? name : "");
	if (!c->name)
		abort();
	c->sigmas = NULL;
	c->nsig = 0;
	if (sigmas && nsigmas) {
		c->sigmas = xcalloc(nsigmas, sizeof(double));
		memcpy(c->sigmas, sigmas, nsigmas * sizeof(double));
		c->nsig = nsigmas;
	}
	return 0;
}

/* defer: a ground-truth segm object whose mask is filled in later (the
 * loader rasterises polygons once every image size is known). */
static int add_obj(struct cocoeval *ev, const struct cocoeval_obj *o, int gt, int defer,
		   struct rle *take, struct buf *err)
{
	struct ce_obj x = {0};
	x.id = o->id;
	x.image_id = o->image_id;
	x.category_id = o->category_id;
	x.score = o->score;
	x.area = o->area;
	x.bbox = (box){o->bbox[0], o->bbox[1], o->bbox[2], o->bbox[3]};
	x.crowd = o->iscrowd != 0;
	if (ev->type == COCOEVAL_SEGM && !defer) {
		if (!o->mask) {
			buf_setf(err, "segm evaluation needs a mask");
			return CAIRN_EINVAL;
		}
		/* A mask the loaders hand over was made by the RLE decoder or
		 * the rasteriser, which check it already. */
		if (!(take && take == o->mask) && rle_check(o->mask, err))
			return CAIRN_EINVAL;
		/* The loaders hand their mask over instead of copying it. */
		if (take && take == o->mask) {
			x.mask = *take;
			*take = (struct rle)RLE_INIT;
		} else {
			rle_copy(&x.mask, o->mask);
		}
	}
	if (ev->type == COCOEVAL_KEYPOINTS) {
		if (!o->kp && o->nkp) {
			buf_setf(err, "keypoints evaluation needs keypoints");
			return CAIRN_EINVAL;
		}
		int vis = 0;
		x.nkp = o->nkp;
		x.kxy = xcalloc(o->nkp * 2, sizeof(double));
		x.kv = xcalloc(o->nkp, 1);
		for (size_t i = 0; i < o->nkp; i++) {
			x.kxy[2 * i] = o->kp[3 * i];
			x.kxy[2 * i + 1] = o->kp[3 * i + 1];
			x.kv[i] = o->kp[3 * i + 2] > 0;
			vis += x.kv[i];
		}
		/* COCOeval: ignore = (num_keypoints == 0) or iscrowd. */
		int nk = o->num_keypoints >= 0 ? o->num_keypoints : vis;
		x.ignore = gt && nk == 0;
	}
	/* COCOeval overwrites any `ignore` field with iscrowd. */
	x.ignore = x.ignore || x.crowd;
	if (gt) {
		ev->gts = grow(ev->gts, &ev->capgts, ev->ngts + 1, sizeof(x));
		ev->gts[ev->ngts++] = x;
	} else {
		x.id = (int64_t)ev->ndts + 1;
		x.ignore = 0;
		ev->dts = grow(ev->dts, &ev->capdts, ev->ndts + 1, sizeof(x));
		ev->dts[ev->ndts++] = x;
	}
	return 0;
}

int cocoeval_add_gt(struct cocoeval *ev, const struct cocoeval_obj *o, struct buf *err)
{
	return add_obj(ev, o, 1, 0, NULL, err);
}

int cocoeval_add_dt(struct cocoeval *ev, const struct cocoeval_obj *o, struct buf *err)
{
	return add_obj(ev, o, 0, 0, NULL, err);
}

/* ---- evaluation ---------------------------------------------------------- */

struct key {
	uint32_t cat, img;
	double neg_score;
	uint32_t idx;
};

static int cmp_key(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	if (a->cat != b->cat)
		return a->cat < b->cat ? -1 : 1;
	if (a->img != b->img)
		return a->img < b->img ? -1 : 1;
	if (a->neg_score != b->neg_score)
		return a->neg_score < b->neg_score ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* A detection of one category, in COCOeval's concatenation order. */
struct cdet {
	double neg_score;
	uint32_t rank;  /* position among its image's detections, by score */
	uint32_t pos;   /* position in the concatenation */
};

static int cmp_cdet(const void *pa, const void *pb)
{
	const struct cdet *a = pa, *b = pb;
	if (a->neg_score != b->neg_score)
		return a->neg_score < b->neg_score ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

enum { F_TP = 1, F_FP = 2 };

struct scratch {
	double *ious;
	size_t capious;
	box *gb, *db;
	struct rle *gr, *dr;
	size_t capg, capd;
	uint8_t *gtig, *gtm, *crowd;
	size_t *gind;
	int64_t *dtm;
	uint8_t *dtig;
	/* per category */
	struct cdet *cd;
	uint8_t *flags; /* [pos][A][T] */
	size_t capcd, capflags;
	double *rc, *pr;
	size_t capr;
	uint8_t *fl;    /* accumulate: one area range's flags, [t][rank order] */
	size_t capfl;
	uint8_t *dout;  /* evaluate: detection i outside the area range */
	size_t capdout;
};

static void scratch_release(struct scratch *s)
{
	free(s->ious);
	free(s->gb);
	free(s->db);
	free(s->gr);
	free(s->dr);
	free(s->gtig);
	free(s->gtm);
	free(s->crowd);
	free(s->gind);
	free(s->dtm);
	free(s->dtig);
	free(s->cd);
	free(s->flags);
	free(s->rc);
	free(s->pr);
	free(s->fl);
	free(s->dout);
}

static int compute_ious(struct cocoeval *ev, struct scratch *s, const struct key *gk,
			size_t G, const struct key *dk, size_t D, struct buf *err)
{
	size_t need = D * G;
	s->ious = grow(s->ious, &s->capious, need ? need : 1, sizeof(double));
	if (G > s->capg) {
		size_t c = G * 2;
		s->gb = realloc(s->gb, c * sizeof(box));
		s->gr = realloc(s->gr, c * sizeof(struct rle));
		s->crowd = realloc(s->crowd, c);
		s->gtig = realloc(s->gtig, c);
		s->gtm = realloc(s->gtm, c);
		s->gind = realloc(s->gind, c * sizeof(size_t));
		if (!s->gb || !s->gr || !s->crowd || !s->gtig || !s->gtm || !s->gind)
			abort();
		s->capg = c;
	}
	if (D > s->capd) {
		size_t c = D * 2;
		s->db = realloc(s->db, c * sizeof(box));
		s->dr = realloc(s->dr, c * sizeof(struct rle));
		s->dtm = realloc(s->dtm, c * sizeof(int64_t));
		s->dtig = realloc(s->dtig, c);
		if (!s->db || !s->dr || !s->dtm || !s->dtig)
			abort();
		s->capd = c;
	}
	if (!D || !G)
		return 0;
	for (size_t j = 0; j < G; j++)
		s->crowd[j] = ev->gts[gk[j].idx].crowd;
	if (ev->type == COCOEVAL_BBOX) {
		for (size_t j = 0; j < G; j++)
			s->gb[j] = ev->gts[gk[j].idx].bbox;
		for (size_t i = 0; i < D; i++)
			s->db[i] = ev->dts[dk[i].idx].bbox;
		box_iou_matrix(s->db, D, s->gb, G, s->crowd, s->ious);
	} else if (ev->type == COCOEVAL_SEGM) {
		for (size_t j = 0; j < G; j++)
			s->gr[j] = ev->gts[gk[j].idx].mask;
		for (size_t i = 0; i < D; i++)
			s->dr[i] = ev->dts[dk[i].idx].mask;
		rle_iou_matrix(s->dr, D, s->gr, G, s->crowd, s->ious);
	} else {
		const struct ce_cat *c = &ev->cats[gk[0].cat];
		double sig[64];
		const double *sigmas = sig;
		size_t k = c->sigmas ? c->nsig : 17;
		if (c->sigmas)
			sigmas = c->sigmas;
		else
			for (size_t i = 0; i < 17; i++)
				sig[i] = coco_sigmas10[i] / 10.0;
		for (size_t j = 0; j < G; j++) {
			const struct ce_obj *g = &ev->gts[gk[j].idx];
			if (g->nkp != k) {
				buf_setf(err, "image %lld category %lld: ground truth %lld has %zu keypoints, the category's sigmas %zu",
					 (long long)g->image_id, (long long)g->category_id,
					 (long long)g->id, g->nkp, k);
				return CAIRN_EINVAL;
			}
			for (size_t i = 0; i < D; i++) {
				const struct ce_obj *d = &ev->dts[dk[i].idx];
				if (d->nkp != k) {
					buf_setf(err, "image %lld category %lld: detection %lld has %zu keypoints, the category's sigmas %zu",
						 (long long)d->image_id, (long long)d->category_id,
						 (long long)d->id - 1, d->nkp, k);
					return CAIRN_EINVAL;
				}
				s->ious[i * G + j] = keypoints_oks(g->kxy, g->kv, d->kxy, k, sigmas,
								   g->area, g->bbox);
			}
		}
	}
	return 0;
}

/* COCOeval.evaluateImg for one image and category at every area range and
 * threshold: writes F_TP / F_FP flags for the first D detections into
 * flags[i][a][t] and adds the non-ignored ground truth to npig[a]. */
static void evaluate_img(struct cocoeval *ev, struct scratch *s, const struct key *gk,
			 size_t G, const struct key *dk, size_t D, uint8_t *flags,
			 size_t *npig)
{
	size_t A = ev->A;
	for (size_t a = 0; a < A; a++) {
		double lo = ev->area_rng[a][0], hi = ev->area_rng[a][1];
		size_t n = 0;
		/* Stable sort by _ignore: the not-ignored first, in order. */
		for (int pass = 0; pass < 2; pass++)
			for (size_t j = 0; j < G; j++) {
				const struct ce_obj *g = &ev->gts[gk[j].idx];
				int ig = g->ignore || g->area < lo || g->area > hi;
				if (ig == pass) {
					s->gind[n] = j;
					s->gtig[n++] = (uint8_t)ig;
				}
			}
		for (size_t j = 0; j < G; j++)
			npig[a] += !s->gtig[j];
		/* Which detections fall outside the range: once, not per
		 * threshold. */
		s->dout = grow(s->dout, &s->capdout, D ? D : 1, 1);
		for (size_t i = 0; i < D; i++) {
			const struct ce_obj *d = &ev->dts[dk[i].idx];
			s->dout[i] = d->area < lo || d->area > hi;
		}
		for (size_t t = 0; t < T_; t++) {
			memset(s->gtm, 0, G);
			for (size_t i = 0; i < D; i++) {
				double iou = fmin(ev->iou_thrs[t], 1 - 1e-10);
				long m = -1;
				const double *row = s->ious + i * G;
				for (size_t j = 0; j < G; j++) {
					size_t gj = s->gind[j];
					if (s->gtm[j] && !s->crowd[gj])
						continue;
					if (m > -1 && !s->gtig[m] && s->gtig[j])
						break;
					if (row[gj] < iou)
						continue;
					iou = row[gj];
					m = (long)j;
				}
				s->dtm[i] = 0;
				s->dtig[i] = 0;
				if (m == -1)
					continue;
				s->dtig[i] = s->gtig[m];
				s->dtm[i] = ev->gts[gk[s->gind[m]].idx].id;
				s->gtm[m] = 1;
			}
			for (size_t i = 0; i < D; i++) {
				int ig = s->dtig[i] || (!s->dtm[i] && s->dout[i]);
				uint8_t f = ig ? 0 : s->dtm[i] ? F_TP : F_FP;
				flags[(i * A + a) * T_ + t] = f;
			}
		}
	}
}

static size_t pidx(const struct cocoeval *ev, size_t t, size_t r, size_t k, size_t a, size_t m)
{
	return (((t * R_ + r) * ev->ncats + k) * ev->A + a) * ev->M + m;
}

static size_t ridx(const struct cocoeval *ev, size_t t, size_t k, size_t a, size_t m)
{
	return ((t * ev->ncats + k) * ev->A + a) * ev->M + m;
}

/* COCOeval.accumulate for one category. */
static void accumulate_cat(struct cocoeval *ev, struct scratch *s, size_t k, size_t n,
			   const size_t *npig)
{
	struct cdet *cd = s->cd;
	size_t A = ev->A;
	if (n)
		qsort(cd, n, sizeof(*cd), cmp_cdet);
	s->rc = grow(s->rc, &s->capr, n ? n : 1, sizeof(double));
	size_t capr = 0;
	s->pr = grow(s->pr, &capr, s->capr, sizeof(double));
	s->fl = grow(s->fl, &s->capfl, n ? n * T_ : 1, 1);
	for (size_t a = 0; a < A; a++) {
		if (!npig[a])
			continue;
		/* This range's flags in score order, one row per threshold, so
		 * the passes below read them in sequence. */
		for (size_t i = 0; i < n; i++) {
			const uint8_t *f = s->flags + ((size_t)cd[i].pos * A + a) * T_;
			for (size_t t = 0; t < T_; t++)
				s->fl[t * n + i] = f[t];
		}
		for (size_t m = 0; m < ev->M; m++) {
			uint32_t md = ev->max_dets[m] < 0 ? 0 : (uint32_t)ev->max_dets[m];
			for (size_t t = 0; t < T_; t++) {
				double tp = 0, fp = 0;
				size_t nd = 0;
				const uint8_t *fl = s->fl + t * n;
				for (size_t i = 0; i < n; i++) {
					if (cd[i].rank >= md)
						continue;
					uint8_t f = fl[i];
					tp += f == F_TP;
					fp += f == F_FP;
					s->rc[nd] = tp / (double)npig[a];
					s->pr[nd] = tp / (fp + tp + DBL_EPSILON);
					nd++;
				}
				ev->recall[ridx(ev, t, k, a, m)] = nd ? s->rc[nd - 1] : 0;
				for (size_t i = nd; i-- > 1;)
					if (s->pr[i] > s->pr[i - 1])
						s->pr[i - 1] = s->pr[i];
				size_t i = 0, r;
				for (r = 0; r < R_; r++) {
					while (i < nd && s->rc[i] < ev->rec_thrs[r])
						i++;
					if (i >= nd)
						break;
					ev->precision[pidx(ev, t, r, k, a, m)] = s->pr[i];
				}
				for (; r < R_; r++)
					ev->precision[pidx(ev, t, r, k, a, m)] = 0;
			}
		}
	}
}

/* COCOeval.summarize's _summarize over categories [k0, k1). */
static double summarize(const struct cocoeval *ev, int ap, int thr, const char *area,
			int max_det, size_t k0, size_t k1)
{
	size_t a, m;
	for (a = 0; a < ev->A && strcmp(ev->area_lbl[a], area); a++)
		;
	for (m = 0; m < ev->M && ev->max_dets[m] != max_det; m++)
		;
	if (a == ev->A || m == ev->M)
		return -1;
	size_t t0 = 0, t1 = T_;
	if (thr >= 0) {
		t0 = (size_t)thr;
		t1 = t0 + 1;
	}
	double sum = 0;
	size_t cnt = 0;
	for (size_t t = t0; t < t1; t++) {
		if (ap) {
			for (size_t r = 0; r < R_; r++)
				for (size_t k = k0; k < k1; k++) {
					double v = ev->precision[pidx(ev, t, r, k, a, m)];
					if (v > -1) {
						sum += v;
						cnt++;
					}
				}
		} else {
			for (size_t k = k0; k < k1; k++) {
				double v = ev->recall[ridx(ev, t, k, a, m)];
				if (v > -1) {
					sum += v;
					cnt++;
				}
			}
		}
	}
	return cnt ? sum / (double)cnt : -1;
}

struct sumrow {
	int ap, thr; /* thr: -1 for .50:.95, else the index (0 = .50, 5 = .75) */
	const char *area;
	int max_det; /* >= 0 literal, < 0: max_dets[-max_det - 1] */
};

static const struct sumrow det_rows[12] = {
	{1, -1, "all", 100}, {1, 0, "all", -3}, {1, 5, "all", -3},
	{1, -1, "small", -3}, {1, -1, "medium", -3}, {1, -1, "large", -3},
	{0, -1, "all", -1}, {0, -1, "all", -2}, {0, -1, "all", -3},
	{0, -1, "small", -3}, {0, -1, "medium", -3}, {0, -1, "large", -3},
};

static const struct sumrow kp_rows[10] = {
	{1, -1, "all", 20}, {1, 0, "all", 20}, {1, 5, "all", 20},
	{1, -1, "medium", 20}, {1, -1, "large", 20},
	{0, -1, "all", 20}, {0, 0, "all", 20}, {0, 5, "all", 20},
	{0, -1, "medium", 20}, {0, -1, "large", 20},
};

static const struct sumrow *rows_of(const struct cocoeval *ev, size_t *n)
{
	*n = ev->type == COCOEVAL_KEYPOINTS ? 10 : 12;
	return ev->type == COCOEVAL_KEYPOINTS ? kp_rows : det_rows;
}

static int row_max_det(const struct cocoeval *ev, const struct sumrow *row)
{
	if (row->max_det >= 0)
		return row->max_det;
	size_t i = (size_t)(-row->max_det - 1);
	/* pycocotools indexes maxDets[i]; a shorter list has no such value. */
	return i < ev->M ? ev->max_dets[i] : -1;
}

static void summarize_all(const struct cocoeval *ev, size_t k0, size_t k1, double *out)
{
	size_t n;
	const struct sumrow *rows = rows_of(ev, &n);
	for (size_t i = 0; i < n; i++)
		out[i] = summarize(ev, rows[i].ap, rows[i].thr, rows[i].area,
				   row_max_det(ev, &rows[i]), k0, k1);
}

static int resolve(struct cocoeval *ev, struct key **gkeys, size_t *ng, struct key **dkeys,
		   size_t *nd, struct buf *err)
{
	if (sort_images(ev, err))
		return CAIRN_EINVAL;
	qsort(ev->cats, ev->ncats, sizeof(*ev->cats), cmp_cat);
	for (size_t i = 1; i < ev->ncats; i++)
		if (ev->cats[i].id == ev->cats[i - 1].id) {
			buf_setf(err, "category id %lld appears twice", (long long)ev->cats[i].id);
			return CAIRN_EINVAL;
		}
	struct key *g = xcalloc(ev->ngts, sizeof(*g)), *d = xcalloc(ev->ndts, sizeof(*d));
	size_t n = 0;
	/* As getAnnIds(imgIds, catIds): annotations of unknown images or
	 * categories are not evaluated. */
	for (size_t i = 0; i < ev->ngts; i++) {
		long im = find_image(ev, ev->gts[i].image_id), c = find_cat(ev, ev->gts[i].category_id);
		if (im < 0 || c < 0)
			continue;
		g[n++] = (struct key){(uint32_t)c, (uint32_t)im, 0, (uint32_t)i};
	}
	*ng = n;
	n = 0;
	for (size_t i = 0; i < ev->ndts; i++) {
		long im = find_image(ev, ev->dts[i].image_id), c = find_cat(ev, ev->dts[i].category_id);
		if (im < 0) {
			buf_setf(err, "detection %zu: image_id %lld is not in the ground truth", i,
				 (long long)ev->dts[i].image_id);
			free(g);
			free(d);
			return CAIRN_EINVAL;
		}
		if (c < 0)
			continue;
		d[n++] = (struct key){(uint32_t)c, (uint32_t)im, -ev->dts[i].score, (uint32_t)i};
	}
	*nd = n;
	qsort(g, *ng, sizeof(*g), cmp_key);
	qsort(d, *nd, sizeof(*d), cmp_key);
	*gkeys = g;
	*dkeys = d;
	return 0;
}

int cocoeval_run(struct cocoeval *ev, struct buf *err)
{
	struct key *gk, *dk;
	size_t ng, nd;
	if (ev->ngts > UINT32_MAX || ev->ndts > UINT32_MAX) {
		buf_setf(err, "too many annotations");
		return CAIRN_ETOOBIG;
	}
	int rc = resolve(ev, &gk, &ng, &dk, &nd, err);
	if (rc)
		return rc;
	size_t K = ev->ncats, A = ev->A, M = ev->M;
	free(ev->precision);
	free(ev->recall);
	ev->precision = xcalloc((size_t)T_ * R_ * K * A * M, sizeof(double));
	ev->recall = xcalloc((size_t)T_ * K * A * M, sizeof(double));
	for (size_t i = 0; i < (size_t)T_ * R_ * K * A * M; i++)
		ev->precision[i] = -1;
	for (size_t i = 0; i < (size_t)T_ * K * A * M; i++)
		ev->recall[i] = -1;
	/* COCOeval keeps the first maxDets[-1] detections per image. */
	uint32_t maxdet = ev->max_dets[M - 1] < 0 ? 0 : (uint32_t)ev->max_dets[M - 1];

	struct scratch s = {0};
	size_t gi = 0, di = 0;
	rc = 0;
	for (size_t k = 0; k < K && !rc; k++) {
		size_t npig[MAX_A] = {0}, n = 0;
		int has_e = 0;
		while (!rc && ((gi < ng && gk[gi].cat == k) || (di < nd && dk[di].cat == k))) {
			uint32_t img = UINT32_MAX;
			if (gi < ng && gk[gi].cat == k)
				img = gk[gi].img;
			if (di < nd && dk[di].cat == k && dk[di].img < img)
				img = dk[di].img;
			size_t g1 = gi, d1 = di;
			while (g1 < ng && gk[g1].cat == k && gk[g1].img == img)
				g1++;
			while (d1 < nd && dk[d1].cat == k && dk[d1].img == img)
				d1++;
			size_t G = g1 - gi, D = d1 - di;
			if (D > maxdet)
				D = maxdet;
			has_e = 1;
			rc = compute_ious(ev, &s, gk + gi, G, dk + di, D, err);
			if (!rc) {
				s.cd = grow(s.cd, &s.capcd, n + D, sizeof(*s.cd));
				s.flags = grow(s.flags, &s.capflags, (n + D) * A * T_, 1);
				if (G && D) {
					evaluate_img(ev, &s, gk + gi, G, dk + di, D,
						     s.flags + n * A * T_, npig);
				} else {
					/* Nothing to match: every detection is a false
					 * positive unless outside the area range. */
					for (size_t a = 0; a < A; a++) {
						double lo = ev->area_rng[a][0], hi = ev->area_rng[a][1];
						for (size_t j = 0; j < G; j++) {
							const struct ce_obj *g = &ev->gts[gk[gi + j].idx];
							npig[a] += !(g->ignore || g->area < lo || g->area > hi);
						}
						for (size_t i = 0; i < D; i++) {
							const struct ce_obj *d = &ev->dts[dk[di + i].idx];
							int out = d->area < lo || d->area > hi;
							memset(s.flags + ((n + i) * A + a) * T_, out ? 0 : F_FP, T_);
						}
					}
				}
				for (size_t i = 0; i < D; i++)
					s.cd[n + i] = (struct cdet){dk[di + i].neg_score, (uint32_t)i,
								    (uint32_t)(n + i)};
				n += D;
			}
			gi = g1;
			di = d1;
		}
		if (!rc && has_e)
			accumulate_cat(ev, &s, k, n, npig);
	}
	scratch_release(&s);
	free(gk);
	free(dk);
	if (rc)
		return rc;
	summarize_all(ev, 0, K, ev->stats);
	rows_of(ev, &ev->nstats);
	ev->done = 1;
	return 0;
}

const double *cocoeval_stats(const struct cocoeval *ev, size_t *n)
{
	*n = ev->done ? ev->nstats : 0;
	return ev->stats;
}

size_t cocoeval_ncats(const struct cocoeval *ev)
{
	return ev->ncats;
}

double cocoeval_precision(const struct cocoeval *ev, size_t t, size_t r, size_t k, size_t a,
			  size_t m)
{
	return ev->precision[pidx(ev, t, r, k, a, m)];
}

double cocoeval_recall(const struct cocoeval *ev, size_t t, size_t k, size_t a, size_t m)
{
	return ev->recall[ridx(ev, t, k, a, m)];
}

/* ---- output -------------------------------------------------------------- */

static void row_label(const struct cocoeval *ev, const struct sumrow *row, char *iou, size_t n)
{
	if (row->thr < 0)
		snprintf(iou, n, "%0.2f:%0.2f", ev->iou_thrs[0], ev->iou_thrs[T_ - 1]);
	else
		snprintf(iou, n, "%0.2f", row->thr ? 0.75 : 0.5);
}

void cocoeval_write_summary(const struct cocoeval *ev, int per_class, struct buf *out)
{
	size_t n;
	const struct sumrow *rows = rows_of(ev, &n);
	for (size_t i = 0; i < n; i++) {
		char iou[32];
		row_label(ev, &rows[i], iou, sizeof(iou));
		buf_addf(out, " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
			 rows[i].ap ? "Average Precision" : "Average Recall",
			 rows[i].ap ? "(AP)" : "(AR)", iou, rows[i].area,
			 row_max_det(ev, &rows[i]), ev->stats[i]);
	}
	if (!per_class)
		return;
	buf_addf(out, "\n%-24s %8s %8s %8s %8s\n", "category", "AP", "AP50", "AP75", "AR");
	for (size_t k = 0; k < ev->ncats; k++) {
		double st[12];
		summarize_all(ev, k, k + 1, st);
		size_t ar = ev->type == COCOEVAL_KEYPOINTS ? 5 : 8;
		buf_addf(out, "%-24.24s %8.3f %8.3f %8.3f %8.3f\n", ev->cats[k].name, st[0], st[1],
			 st[2], st[ar]);
	}
}

/* The shortest of %.15g, %.16g and %.17g that reads back to v, as Python
 * prints floats: exact, and 0.55 rather than 0.55000000000000004. */
static void add_num(struct buf *out, double v)
{
	char tmp[40];
	if (!isfinite(v)) {
		buf_adds(out, "null");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (prec == 17 || strtod(tmp, NULL) == v)
			break;
	}
	buf_adds(out, tmp);
}

static void add_nums(struct buf *out, const double *v, size_t n)
{
	buf_addch(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_addch(out, ',');
		add_num(out, v[i]);
	}
	buf_addch(out, ']');
}

void cocoeval_write_json(const struct cocoeval *ev, struct buf *out)
{
	size_t n;
	const struct sumrow *rows = rows_of(ev, &n);
	buf_addf(out, "{\"iou_type\":\"%s\",\"images\":%zu,\"categories\":%zu,\"gt\":%zu,\"dt\":%zu,",
		 cocoeval_iou_name(ev->type), ev->nimgs, ev->ncats, ev->ngts, ev->ndts);
	buf_adds(out, "\"params\":{\"iou_thrs\":");
	add_nums(out, ev->iou_thrs, T_);
	buf_adds(out, ",\"rec_thrs\":");
	add_nums(out, ev->rec_thrs, R_);
	buf_adds(out, ",\"max_dets\":[");
	for (size_t m = 0; m < ev->M; m++)
		buf_addf(out, "%s%d", m ? "," : "", ev->max_dets[m]);
	buf_adds(out, "],\"area_rng\":{");
	for (size_t a = 0; a < ev->A; a++) {
		buf_addf(out, "%s\"%s\":", a ? "," : "", ev->area_lbl[a]);
		add_nums(out, ev->area_rng[a], 2);
	}
	buf_adds(out, "}},\"stats\":");
	add_nums(out, ev->stats, ev->nstats);
	buf_adds(out, ",\"summary\":[");
	for (size_t i = 0; i < n; i++) {
		char iou[32];
		row_label(ev, &rows[i], iou, sizeof(iou));
		buf_addf(out, "%s{\"metric\":\"%s\",\"iou\":\"%s\",\"area\":\"%s\",\"max_dets\":%d,\"value\":",
			 i ? "," : "", rows[i].ap ? "AP" : "AR", iou, rows[i].area,
			 row_max_det(ev, &rows[i]));
		add_num(out, ev->stats[i]);
		buf_addch(out, '}');
	}
	buf_adds(out, "],\"per_class\":[");
	size_t mlast = ev->M ? ev->M - 1 : 0;
	for (size_t k = 0; k < ev->ncats; k++) {
		double st[12], v[R_];
		summarize_all(ev, k, k + 1, st);
		buf_addf(out, "%s{\"category_id\":%lld,\"name\":", k ? "," : "",
			 (long long)ev->cats[k].id);
		buf_add_json_str(out, ev->cats[k].name);
		buf_adds(out, ",\"stats\":");
		add_nums(out, st, n);
		if (!ev->M) {
			buf_adds(out, "}");
			continue;
		}
		buf_adds(out, ",\"recall\":");
		for (size_t t = 0; t < T_; t++)
			v[t] = ev->recall[ridx(ev, t, k, 0, mlast)];
		add_nums(out, v, T_);
		buf_adds(out, ",\"precision\":[");
		for (size_t t = 0; t < T_; t++) {
			for (size_t r = 0; r < R_; r++)
				v[r] = ev->precision[pidx(ev, t, r, k, 0, mlast)];
			if (t)
				buf_addch(out, ',');
			add_nums(out, v, R_);
		}
		buf_adds(out, "]}");
	}
	buf_adds(out, "]}\n");
}

/* ---- COCO JSON, streamed ---------------------------------------------------
 *
 * yajl events are folded into one record (an image, a category, an
 * annotation or a detection) at a time; at the record's end it is checked
 * and added. Ground-truth masks are rasterised after the whole file, since
 * "annotations" may come before "images". */

struct dvec {
	double *v;
	size_t n, cap;
};

static void dvec_push(struct dvec *d, double x)
{
	d->v = grow(d->v, &d->cap, d->n + 1, sizeof(double));
	d->v[d->n++] = x;
}

/* A segmentation as read: polygons (or boxes), or an RLE. */
struct segraw {
	int kind;          /* 0 none, 1 polygons, 2 RLE object, 3 not one of these */
	struct dvec pts;   /* polygons: all numbers, one polygon after another */
	struct dvec lens;  /* polygons: numbers per polygon */
	struct dvec size;  /* RLE: [h, w] */
	struct dvec counts;
	struct buf str;    /* RLE: compressed counts */
	int counts_kind;   /* 0 none, 1 string, 2 array */
	struct buf why;    /* first problem found while reading */
};

static void segraw_reset(struct segraw *g)
{
	g->kind = 0;
	g->pts.n = g->lens.n = g->size.n = g->counts.n = 0;
	buf_reset(&g->str);
	buf_reset(&g->why);
	g->counts_kind = 0;
}

/* Frees g's arrays and leaves it empty; safe twice. */
static void segraw_release(struct segraw *g)
{
	free(g->pts.v);
	free(g->lens.v);
	free(g->size.v);
	free(g->counts.v);
	buf_release(&g->str);
	buf_release(&g->why);
	g->pts = g->lens = g->size = g->counts = (struct dvec){0};
}

enum field {
	F_OTHER, F_ID, F_IMAGE_ID, F_CATEGORY_ID, F_AREA, F_ISCROWD, F_SCORE, F_NUM_KEYPOINTS,
	F_WIDTH, F_HEIGHT, F_NAME, F_BBOX, F_SEGMENTATION, F_KEYPOINTS, F_SIGMAS, F_COUNT_
};

static const char *const field_names[F_COUNT_] = {
	"", "id", "image_id", "category_id", "area", "iscrowd", "score", "num_keypoints",
	"width", "height", "name", "bbox", "segmentation", "keypoints", "sigmas",
};

/* Field state: 0 absent, 1 a usable value, 2 present but not the right type. */
struct rec {
	uint8_t st[F_COUNT_];
	double num[F_COUNT_];
	struct buf name;
	struct dvec bbox, kp, sig;
	int bbox_array;    /* the bbox was an array (possibly empty) */
	struct segraw seg;
};

enum section { SEC_NONE, SEC_IMAGES, SEC_ANNS, SEC_CATS, SEC_OTHER };

/* A ground-truth mask to rasterise at the end. */
struct pending {
	size_t gt;         /* index into ev->gts */
	size_t rec;        /* index in $.annotations */
	int64_t image_id;
	int kind, counts_kind;
	/* offsets into the pools of struct sp: one allocation for all */
	size_t pts, npts, lens, nlens, size, nsize, counts, ncounts, str, nstr;
};

struct sp {
	struct cocoeval *ev;
	const char *name;
	struct buf *err;
	int dt;
	int depth;                 /* open containers */
	int rec_depth;             /* depth inside a record's object */
	enum section sec;
	int seen[4];               /* images, annotations, categories arrays */
	size_t idx[4];             /* records read per section (dt: [0]) */
	int in_rec;
	enum field field;          /* the record key being read */
	int seg_key;               /* inside an RLE object: 1 size, 2 counts, 0 other */
	struct rec r;
	int failed;
	int branch;                /* detections: -1 undecided, else enum dt_branch */
	int saw_root;              /* detections: the top-level array was opened */
	struct pending *pend;
	size_t npend, cappend;
	struct dvec pool;          /* pending masks' numbers */
	struct buf spool;          /* pending masks' compressed counts */
	struct buf why;
};

enum dt_branch { DT_BBOX, DT_SEGM, DT_KP };

static const char *sec_name(const struct sp *p)
{
	return p->dt ? "" : p->sec == SEC_IMAGES ? "images" : p->sec == SEC_ANNS ? "annotations"
								   : "categories";
}

static size_t *sec_idx(struct sp *p)
{
	return &p->idx[p->dt ? 0 : p->sec - 1];
}

static int fail(struct sp *p, const char *field, const char *what)
{
	buf_setf(p->err, "%s: $%s%s[%zu]%s%s: %s", p->name, p->dt ? "" : ".", sec_name(p),
		 *sec_idx(p) - 1, field ? "." : "", field ? field : "", what);
	p->failed = 1;
	return 0;
}

static void rec_reset(struct rec *r)
{
	memset(r->st, 0, sizeof(r->st));
	buf_reset(&r->name);
	r->bbox.n = r->kp.n = r->sig.n = 0;
	r->bbox_array = 0;
	segraw_reset(&r->seg);
}

static void rec_release(struct rec *r)
{
	buf_release(&r->name);
	free(r->bbox.v);
	free(r->kp.v);
	free(r->sig.v);
	segraw_release(&r->seg);
}

/* An integer id, as COCO writes them (an integral number is accepted). */
static int rec_id(const struct rec *r, enum field f, int64_t *out)
{
	double d = r->num[f];
	if (r->st[f] != 1 || d != floor(d) || fabs(d) > 9e15)
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int rec_num(const struct rec *r, enum field f, double *out)
{
	if (r->st[f] != 1)
		return -1;
	*out = r->num[f];
	return 0;
}

/* The rel-th level inside the current record: 0 its keys and scalar values,
 * 1 inside a field's array or object, 2 one level deeper. */
static int rel(const struct sp *p)
{
	return p->depth - p->rec_depth;
}

static void seg_bad(struct segraw *g, const char *fmt, size_t a, size_t b)
{
	if (!g->why.len)
		buf_addf(&g->why, fmt, a, b);
}

/* A scalar value: number (with its value), or another kind (bad = 1). */
static void on_value(struct sp *p, int is_num, double v)
{
	struct rec *r = &p->r;
	int lv = rel(p);
	enum field f = p->field;
	if (lv == 0) {
		if (f == F_BBOX || f == F_KEYPOINTS || f == F_SIGMAS)
			r->st[f] = 2;
		else if (f == F_SEGMENTATION) {
			r->st[f] = 2;
			r->seg.kind = 3;
		} else if (f != F_OTHER && f != F_NAME)
			r->st[f] = is_num ? 1 : 2, r->num[f] = v;
		return;
	}
	if (lv == 1) {
		struct dvec *d = f == F_BBOX ? &r->bbox : f == F_KEYPOINTS ? &r->kp
							    : f == F_SIGMAS ? &r->sig : NULL;
		if (d) {
			if (is_num)
				dvec_push(d, v);
			else
				r->st[f] = 2;
		} else if (f == F_SEGMENTATION && r->seg.kind == 1) {
			seg_bad(&r->seg, "polygon %zu: expected an array of numbers", r->seg.lens.n, 0);
		} else if (f == F_SEGMENTATION && r->seg.kind == 2 && p->seg_key == 2) {
			r->seg.counts_kind = 3; /* neither a string nor an array */
		} else if (f == F_SEGMENTATION && r->seg.kind == 2 && p->seg_key == 1) {
			seg_bad(&r->seg, "size: expected [height, width]", 0, 0);
		}
		return;
	}
	if (lv == 2 && f == F_SEGMENTATION) {
		struct segraw *g = &r->seg;
		if (g->kind == 1 && g->lens.n) {
			if (is_num) {
				dvec_push(&g->pts, v);
				g->lens.v[g->lens.n - 1] += 1;
			} else {
				seg_bad(g, "polygon %zu: value %zu is not a number", g->lens.n - 1,
					(size_t)g->lens.v[g->lens.n - 1]);
			}
		} else if (g->kind == 2 && p->seg_key == 1) {
			if (is_num)
				dvec_push(&g->size, v);
			else
				seg_bad(g, "size: expected [height, width]", 0, 0);
		} else if (g->kind == 2 && p->seg_key == 2) {
			if (is_num && v >= 0 && v <= UINT32_MAX && v == floor(v))
				dvec_push(&g->counts, v);
			else
				seg_bad(g, "counts[%zu]: expected a count", g->counts.n, 0);
		}
		return;
	}
	/* Deeper inside a field: only a malformed value gets here. */
	if (f == F_BBOX || f == F_KEYPOINTS || f == F_SIGMAS)
		r->st[f] = 2;
	else if (f == F_SEGMENTATION)
		seg_bad(&r->seg, "expected polygons or an RLE object", 0, 0);
}

static int y_null(void *ctx)
{
	struct sp *p = ctx;
	if (p->in_rec)
		on_value(p, 0, 0);
	else if (p->depth <= (p->dt ? 1 : 2) && (p->dt || p->sec != SEC_OTHER)) {
		if (p->depth == 0 || (!p->dt && p->depth == 1))
			return 1; /* a null section is caught at the end */
		*sec_idx(p) += 1;
		return fail(p, NULL, "expected an object");
	}
	return 1;
}

static int y_bool(void *ctx, int b)
{
	struct sp *p = ctx;
	if (p->in_rec) {
		on_value(p, 1, b); /* COCO writers put true for iscrowd */
		return 1;
	}
	return y_null(ctx);
}

/* Exact powers of ten: 10^k for k <= 22 is a double without rounding. */
static const double pow10_exact[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* The common JSON number "-123.45" (at most 15 digits, no exponent) as
 * strtod reads it: the digits as an integer are exact below 2^53 and so is
 * 10^k, so one IEEE division rounds correctly, which is strtod's answer
 * (Clinger's fast path). false for anything else, left to strtod. */
static bool fast_number(const char *s, size_t len, double *out)
{
	size_t i = 0, digits = 0, frac = 0;
	uint64_t m = 0;
	bool neg = false, dot = false;
	if (i < len && s[i] == '-') {
		neg = true;
		i++;
	}
	for (; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			m = m * 10 + (uint64_t)(c - '0');
			digits++;
			frac += dot;
		} else if (c == '.' && !dot) {
			dot = true;
		} else {
			return false;
		}
	}
	if (!digits || digits > 15)
		return false;
	double v = (double)m / pow10_exact[frac];
	/* -0.0 as strtod gives it. */
	*out = neg ? -v : v;
	return true;
}

static int y_number(void *ctx, const char *s, size_t len)
{
	struct sp *p = ctx;
	if (!p->in_rec)
		return y_null(ctx);
	char tmp[64];
	double v;
	if (fast_number(s, len, &v)) {
		/* v is strtod's value. */
	} else if (len < sizeof(tmp)) {
		memcpy(tmp, s, len);
		tmp[len] = 0;
		v = strtod(tmp, NULL);
	} else {
		struct buf b = BUF_INIT;
		buf_add(&b, s, len);
		v = strtod(b.data, NULL);
		buf_release(&b);
	}
	on_value(p, isfinite(v), v);
	return 1;
}

static int y_string(void *ctx, const unsigned char *s, size_t len)
{
	struct sp *p = ctx;
	if (!p->in_rec)
		return y_null(ctx);
	struct rec *r = &p->r;
	if (rel(p) == 0 && p->field == F_NAME) {
		buf_reset(&r->name);
		buf_add(&r->name, s, len);
		r->st[F_NAME] = 1;
		return 1;
	}
	if (rel(p) == 1 && p->field == F_SEGMENTATION && r->seg.kind == 2 && p->seg_key == 2) {
		buf_reset(&r->seg.str);
		buf_add(&r->seg.str, s, len);
		r->seg.counts_kind = 1;
		return 1;
	}
	on_value(p, 0, 0);
	return 1;
}

static enum field field_of(const unsigned char *k, size_t len)
{
	for (int f = 1; f < F_COUNT_; f++)
		if (strlen(field_names[f]) == len && !memcmp(field_names[f], k, len))
			return (enum field)f;
	return F_OTHER;
}

static int y_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct sp *p = ctx;
	if (!p->dt && p->depth == 1) {
		p->sec = SEC_OTHER;
		if (len == 6 && !memcmp(k, "images", 6))
			p->sec = SEC_IMAGES;
		else if (len == 11 && !memcmp(k, "annotations", 11))
			p->sec = SEC_ANNS;
		else if (len == 10 && !memcmp(k, "categories", 10))
			p->sec = SEC_CATS;
		return 1;
	}
	if (!p->in_rec)
		return 1;
	if (rel(p) == 0)
		p->field = field_of(k, len);
	else if (rel(p) == 1 && p->field == F_SEGMENTATION && p->r.seg.kind == 2)
		p->seg_key = len == 4 && !memcmp(k, "size", 4) ? 1
			     : len == 6 && !memcmp(k, "counts", 6) ? 2 : 0;
	return 1;
}

static int finish_record(struct sp *p);

static int y_start_map(void *ctx)
{
	struct sp *p = ctx;
	if (p->depth == 0 && !p->dt) {
		p->depth++;
		return 1;
	}
	if (p->depth == 0 && p->dt) {
		buf_setf(p->err, "%s: $: expected an array of detections", p->name);
		p->failed = 1;
		return 0;
	}
	if (!p->in_rec && p->depth == (p->dt ? 1 : 2) && (p->dt || p->sec != SEC_OTHER)) {
		p->depth++;
		p->in_rec = 1;
		p->rec_depth = p->depth;
		p->field = F_OTHER;
		*sec_idx(p) += 1;
		rec_reset(&p->r);
		return 1;
	}
	p->depth++;
	if (p->in_rec && rel(p) == 1) {
		if (p->field == F_SEGMENTATION) {
			p->r.seg.kind = 2;
			p->r.st[F_SEGMENTATION] = 1;
			p->seg_key = 0;
		} else if (p->field == F_BBOX || p->field == F_KEYPOINTS || p->field == F_SIGMAS) {
			p->r.st[p->field] = 2;
		} else if (p->field != F_OTHER) {
			p->r.st[p->field] = 2;
		}
	} else if (p->in_rec && rel(p) == 2 && p->field == F_SEGMENTATION) {
		if (p->r.seg.kind == 1)
			seg_bad(&p->r.seg, "polygon %zu: expected an array of numbers", p->r.seg.lens.n, 0);
		else
			seg_bad(&p->r.seg, "expected polygons or an RLE object", 0, 0);
	}
	return 1;
}

static int y_end_map(void *ctx)
{
	struct sp *p = ctx;
	if (p->in_rec && p->depth == p->rec_depth) {
		p->depth--;
		p->in_rec = 0;
		return finish_record(p);
	}
	p->depth--;
	return 1;
}

static int y_start_array(void *ctx)
{
	struct sp *p = ctx;
	if (p->depth == 0) {
		if (!p->dt) {
			buf_setf(p->err, "%s: $: expected a COCO dataset object", p->name);
			p->failed = 1;
			return 0;
		}
		p->depth++;
		p->saw_root = 1;
		return 1;
	}
	if (!p->dt && p->depth == 1 && p->sec != SEC_OTHER) {
		p->seen[p->sec - 1] = 1;
		p->depth++;
		return 1;
	}
	if (!p->in_rec && p->depth == (p->dt ? 1 : 2) && (p->dt || p->sec != SEC_OTHER)) {
		*sec_idx(p) += 1;
		return fail(p, NULL, "expected an object");
	}
	p->depth++;
	if (!p->in_rec)
		return 1;
	struct rec *r = &p->r;
	if (rel(p) == 1) {
		if (p->field == F_BBOX) {
			r->bbox_array = 1;
			if (r->st[F_BBOX] != 2)
				r->st[F_BBOX] = 1;
		} else if (p->field == F_KEYPOINTS || p->field == F_SIGMAS) {
			if (r->st[p->field] != 2)
				r->st[p->field] = 1;
		} else if (p->field == F_SEGMENTATION) {
			r->seg.kind = 1;
			r->st[F_SEGMENTATION] = 1;
		} else if (p->field != F_OTHER) {
			r->st[p->field] = 2;
		}
	} else if (rel(p) == 2) {
		if (p->field == F_SEGMENTATION && r->seg.kind == 1)
			dvec_push(&r->seg.lens, 0);
		else if (p->field == F_SEGMENTATION && r->seg.kind == 2 && p->seg_key == 2)
			r->seg.counts_kind = 2;
		else if (p->field == F_SEGMENTATION && r->seg.kind == 2 && p->seg_key == 1)
			;
		else if (p->field == F_BBOX || p->field == F_KEYPOINTS || p->field == F_SIGMAS)
			r->st[p->field] = 2;
	} else if (p->field == F_SEGMENTATION) {
		seg_bad(&r->seg, "expected polygons or an RLE object", 0, 0);
	}
	return 1;
}

static int y_end_array(void *ctx)
{
	struct sp *p = ctx;
	p->depth--;
	return 1;
}

static const yajl_callbacks sp_callbacks = {y_null, y_bool, NULL, NULL, y_number, y_string,
					    y_start_map, y_map_key, y_end_map, y_start_array,
					    y_end_array};

/* A read segmentation -> RLE for an image of h x w, as COCO.annToRLE. */
static int seg_to_rle(const struct segraw *g, uint32_t h, uint32_t w, struct rle *out,
		      struct buf *why)
{
	if (g->why.len) {
		buf_setf(why, "%s", g->why.data);
		return -1;
	}
	if (g->kind == 1) {
		size_t np = g->lens.n;
		if (!np) {
			size_t cells = (size_t)h * w;
			if (cells > UINT32_MAX) {
				buf_setf(why, "image too large");
				return -1;
			}
			uint32_t c = (uint32_t)cells;
			rle_from_counts(out, &c, 1, h, w);
			return 0;
		}
		const double **polys = xcalloc(np, sizeof(double *));
		size_t *npts = xcalloc(np, sizeof(size_t));
		size_t off = 0;
		/* frPyObjects treats lists whose first entry has four numbers
		 * as boxes. */
		int boxes = (size_t)g->lens.v[0] == 4, rc = 0;
		for (size_t i = 0; i < np; i++) {
			size_t len = (size_t)g->lens.v[i];
			polys[i] = g->pts.v + off;
			npts[i] = len / 2;
			off += len;
			if (boxes && len != 4 && !rc) {
				buf_setf(why, "box %zu: expected 4 numbers", i);
				rc = -1;
			}
		}
		if (!rc && !boxes) {
			if (rle_from_polys(out, polys, npts, np, h, w, why))
				rc = -1;
		} else if (!rc) {
			struct rle *rs = xcalloc(np, sizeof(*rs));
			for (size_t i = 0; i < np && !rc; i++)
				if (rle_from_bbox(&rs[i], polys[i], h, w, why))
					rc = -1;
			if (!rc && rle_merge(out, rs, np, 0, why))
				rc = -1;
			for (size_t i = 0; i < np; i++)
				rle_release(&rs[i]);
			free(rs);
		}
		free(polys);
		free(npts);
		return rc;
	}
	if (g->kind != 2) {
		buf_setf(why, "expected polygons or an RLE object");
		return -1;
	}
	if (g->size.n != 2 || g->size.v[0] < 0 || g->size.v[1] < 0 || g->size.v[0] > UINT32_MAX ||
	    g->size.v[1] > UINT32_MAX) {
		buf_setf(why, "size: expected [height, width]");
		return -1;
	}
	uint32_t rh = (uint32_t)g->size.v[0], rw = (uint32_t)g->size.v[1];
	if (g->counts_kind == 1)
		return rle_from_stringn(out, g->str.data, g->str.len, rh, rw, why) ? -1 : 0;
	if (g->counts_kind != 2) {
		buf_setf(why, "counts: expected a string or an array");
		return -1;
	}
	uint32_t *c = xcalloc(g->counts.n, sizeof(uint32_t));
	for (size_t i = 0; i < g->counts.n; i++)
		c[i] = (uint32_t)g->counts.v[i];
	rle_from_counts(out, c, g->counts.n, rh, rw);
	free(c);
	if (rle_check(out, why)) {
		rle_release(out);
		return -1;
	}
	return 0;
}

static size_t pool_add(struct dvec *pool, const struct dvec *d)
{
	size_t off = pool->n;
	if (d->n) {
		pool->v = grow(pool->v, &pool->cap, pool->n + d->n, sizeof(double));
		memcpy(pool->v + pool->n, d->v, d->n * sizeof(double));
		pool->n += d->n;
	}
	return off;
}

/* Keeps a ground-truth segmentation for after the file. */
static void pend_add(struct sp *p, size_t gt, size_t rec, int64_t image_id, const struct segraw *g)
{
	p->pend = grow(p->pend, &p->cappend, p->npend + 1, sizeof(*p->pend));
	struct pending *q = &p->pend[p->npend++];
	*q = (struct pending){.gt = gt, .rec = rec, .image_id = image_id, .kind = g->kind,
			      .counts_kind = g->counts_kind};
	q->pts = pool_add(&p->pool, &g->pts);
	q->npts = g->pts.n;
	q->lens = pool_add(&p->pool, &g->lens);
	q->nlens = g->lens.n;
	q->size = pool_add(&p->pool, &g->size);
	q->nsize = g->size.n;
	q->counts = pool_add(&p->pool, &g->counts);
	q->ncounts = g->counts.n;
	q->str = p->spool.len;
	q->nstr = g->str.len;
	buf_add(&p->spool, g->str.data, g->str.len);
}

/* A borrowed segraw view of a pending segmentation. */
static void pend_view(const struct sp *p, const struct pending *q, struct segraw *g)
{
	memset(g, 0, sizeof(*g));
	g->kind = q->kind;
	g->counts_kind = q->counts_kind;
	g->pts = (struct dvec){p->pool.v + q->pts, q->npts, 0};
	g->lens = (struct dvec){p->pool.v + q->lens, q->nlens, 0};
	g->size = (struct dvec){p->pool.v + q->size, q->nsize, 0};
	g->counts = (struct dvec){p->pool.v + q->counts, q->ncounts, 0};
	g->str = (struct buf){p->spool.data + q->str, q->nstr, 0, 0};
	g->why = (struct buf)BUF_INIT;
}

static int finish_image(struct sp *p)
{
	const struct rec *r = &p->r;
	int64_t id;
	double h = 0, w = 0;
	if (rec_id(r, F_ID, &id))
		return fail(p, "id", "expected an integer id");
	if ((r->st[F_HEIGHT] && (rec_num(r, F_HEIGHT, &h) || h < 0 || h > UINT32_MAX)) ||
	    (r->st[F_WIDTH] && (rec_num(r, F_WIDTH, &w) || w < 0 || w > UINT32_MAX)))
		return fail(p, "height", "expected height and width in pixels");
	cocoeval_add_image(p->ev, id, (uint32_t)h, (uint32_t)w, NULL);
	return 1;
}

static int finish_category(struct sp *p)
{
	const struct rec *r = &p->r;
	int64_t id;
	if (rec_id(r, F_ID, &id))
		return fail(p, "id", "expected an integer id");
	if (r->st[F_SIGMAS]) {
		if (r->st[F_SIGMAS] != 1 || !r->sig.n || r->sig.n > 64)
			return fail(p, "sigmas", "expected 1 to 64 numbers");
		for (size_t j = 0; j < r->sig.n; j++)
			if (!(r->sig.v[j] > 0))
				return fail(p, "sigmas", "expected positive numbers");
	}
	cocoeval_add_category(p->ev, id, r->st[F_NAME] == 1 ? r->name.data : "",
			      r->st[F_SIGMAS] ? r->sig.v : NULL, r->st[F_SIGMAS] ? r->sig.n : 0,
			      NULL);
	return 1;
}

static int rec_keypoints(struct sp *p, struct cocoeval_obj *o)
{
	const struct rec *r = &p->r;
	if (r->st[F_KEYPOINTS] != 1 || r->kp.n % 3)
		return fail(p, "keypoints", "expected x, y, v triples");
	o->kp = r->kp.v;
	o->nkp = r->kp.n / 3;
	return 1;
}

static int finish_gt(struct sp *p)
{
	struct cocoeval *ev = p->ev;
	struct rec *r = &p->r;
	struct cocoeval_obj o = {0};
	double crowd = 0;
	if (rec_id(r, F_ID, &o.id))
		return fail(p, "id", "expected an integer id");
	if (rec_id(r, F_IMAGE_ID, &o.image_id))
		return fail(p, "image_id", "expected an integer id");
	if (rec_id(r, F_CATEGORY_ID, &o.category_id))
		return fail(p, "category_id", "expected an integer id");
	if (rec_num(r, F_AREA, &o.area))
		return fail(p, "area", "expected a number (COCOeval's area ranges read it)");
	if (r->st[F_ISCROWD] && rec_num(r, F_ISCROWD, &crowd))
		return fail(p, "iscrowd", "expected 0 or 1");
	o.iscrowd = crowd != 0;
	o.num_keypoints = -1;
	if ((ev->type != COCOEVAL_SEGM || r->st[F_BBOX]) &&
	    (r->st[F_BBOX] != 1 || r->bbox.n != 4))
		return fail(p, "bbox", "expected 4 numbers");
	if (r->bbox.n == 4)
		memcpy(o.bbox, r->bbox.v, sizeof(o.bbox));
	if (ev->type == COCOEVAL_SEGM && (!r->st[F_SEGMENTATION] || r->seg.kind == 3))
		return fail(p, "segmentation", "expected polygons or RLE");
	if (ev->type == COCOEVAL_SEGM && r->seg.why.len)
		return fail(p, "segmentation", r->seg.why.data);
	if (ev->type == COCOEVAL_KEYPOINTS) {
		if (!rec_keypoints(p, &o))
			return 0;
		if (r->st[F_NUM_KEYPOINTS]) {
			double nk;
			if (rec_num(r, F_NUM_KEYPOINTS, &nk) || nk < 0)
				return fail(p, "num_keypoints", "expected a count");
			o.num_keypoints = (int)fmin(nk, 1e9);
		}
	}
	buf_reset(&p->why);
	if (add_obj(ev, &o, 1, ev->type == COCOEVAL_SEGM, NULL, &p->why))
		return fail(p, NULL, p->why.data);
	if (ev->type == COCOEVAL_SEGM)
		pend_add(p, ev->ngts - 1, *sec_idx(p) - 1, o.image_id, &r->seg);
	return 1;
}

static int finish_dt(struct sp *p)
{
	struct cocoeval *ev = p->ev;
	struct rec *r = &p->r;
	struct cocoeval_obj o = {0};
	struct rle mask = RLE_INIT;
	if (p->branch < 0) {
		/* pycocotools' loadRes picks one reading from the first entry. */
		if (r->st[F_BBOX] && !(r->bbox_array && r->st[F_BBOX] == 1 && r->bbox.n == 0))
			p->branch = DT_BBOX;
		else if (r->st[F_SEGMENTATION])
			p->branch = DT_SEGM;
		else if (r->st[F_KEYPOINTS])
			p->branch = DT_KP;
		else
			return fail(p, NULL, "expected bbox, segmentation or keypoints");
	}
	if (rec_id(r, F_IMAGE_ID, &o.image_id))
		return fail(p, "image_id", "expected an integer id");
	if (rec_id(r, F_CATEGORY_ID, &o.category_id))
		return fail(p, "category_id", "expected an integer id");
	if (rec_num(r, F_SCORE, &o.score))
		return fail(p, "score", "expected a number");
	long im = find_image(ev, o.image_id);
	if (im < 0)
		return fail(p, "image_id", "not an image of the ground truth");
	uint32_t h = ev->imgs[im].h, w = ev->imgs[im].w;
	buf_reset(&p->why);
	if (p->branch == DT_BBOX) {
		if (r->st[F_BBOX] != 1 || r->bbox.n != 4)
			return fail(p, "bbox", "expected 4 numbers");
		memcpy(o.bbox, r->bbox.v, sizeof(o.bbox));
		o.area = o.bbox[2] * o.bbox[3];
		if (ev->type == COCOEVAL_SEGM) {
			if (r->st[F_SEGMENTATION]) {
				if (seg_to_rle(&r->seg, h, w, &mask, &p->why))
					return fail(p, "segmentation", p->why.data);
			} else {
				/* loadRes makes the box a polygon. */
				double x1 = o.bbox[0], x2 = o.bbox[0] + o.bbox[2];
				double y1 = o.bbox[1], y2 = o.bbox[1] + o.bbox[3];
				double poly[8] = {x1, y1, x1, y2, x2, y2, x2, y1};
				if (rle_from_poly(&mask, poly, 4, h, w, &p->why))
					return fail(p, "bbox", p->why.data);
			}
			o.mask = &mask;
		}
	} else if (p->branch == DT_SEGM) {
		if (!r->st[F_SEGMENTATION] || seg_to_rle(&r->seg, h, w, &mask, &p->why))
			return fail(p, "segmentation", p->why.len ? p->why.data : "missing");
		o.area = (double)rle_area(&mask);
		if (ev->type != COCOEVAL_SEGM) /* the box is only read by bbox IoU */
			rle_bbox(&mask, o.bbox);
		o.mask = &mask;
	}
	if (ev->type == COCOEVAL_KEYPOINTS || p->branch == DT_KP) {
		if (!rec_keypoints(p, &o)) {
			rle_release(&mask);
			return 0;
		}
		if (p->branch == DT_KP) {
			double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
			for (size_t j = 0; j < o.nkp; j++) {
				x0 = fmin(x0, o.kp[3 * j]);
				x1 = fmax(x1, o.kp[3 * j]);
				y0 = fmin(y0, o.kp[3 * j + 1]);
				y1 = fmax(y1, o.kp[3 * j + 1]);
			}
			if (!o.nkp)
				x0 = x1 = y0 = y1 = 0;
			o.area = (x1 - x0) * (y1 - y0);
			o.bbox[0] = x0;
			o.bbox[1] = y0;
			o.bbox[2] = x1 - x0;
			o.bbox[3] = y1 - y0;
		}
	}
	if (ev->type == COCOEVAL_SEGM && !o.mask)
		return fail(p, "segmentation", "missing");
	int rc = add_obj(ev, &o, 0, 0, &mask, &p->why);
	rle_release(&mask);
	if (rc)
		return fail(p, NULL, p->why.data);
	return 1;
}

static int finish_record(struct sp *p)
{
	if (p->dt)
		return finish_dt(p);
	if (p->sec == SEC_IMAGES)
		return finish_image(p);
	if (p->sec == SEC_CATS)
		return finish_category(p);
	return finish_gt(p);
}

static size_t count_lines(const unsigned char *s, size_t n)
{
	size_t k = 0;
	for (const unsigned char *e = s + n; (s = memchr(s, '\n', (size_t)(e - s))); s++)
		k++;
	return k;
}

/* Feeds yajl from f in 64 KiB chunks (bounded memory), or from json. */
static int parse(struct sp *p, FILE *f, const char *json, size_t len)
{
	yajl_handle h = yajl_alloc(&sp_callbacks, NULL, p);
	unsigned char *chunk = f ? malloc(1 << 16) : NULL;
	if (!h || (f && !chunk))
		abort();
	size_t line = 1, used = 0;
	yajl_status st = yajl_status_ok;
	int rc = 0;
	for (;;) {
		const unsigned char *cur;
		size_t n;
		if (f) {
			n = fread(chunk, 1, 1 << 16, f);
			cur = chunk;
			if (!n) {
				if (ferror(f)) {
					buf_setf(p->err, "%s: cannot read the file", p->name);
					rc = CAIRN_EIO;
				}
				break;
			}
		} else {
			if (used == len)
				break;
			n = len - used > (1 << 16) ? (1 << 16) : len - used;
			cur = (const unsigned char *)json + used;
			used += n;
		}
		st = yajl_parse(h, cur, n);
		if (st != yajl_status_ok) {
			size_t at = yajl_get_bytes_consumed(h);
			line += count_lines(cur, at < n ? at : n);
			break;
		}
		line += count_lines(cur, n);
	}
	if (!rc && st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (!rc && st != yajl_status_ok && !p->failed) {
		/* yajl's message without its excerpt. */
		unsigned char *m = yajl_get_error(h, 0, NULL, 0);
		buf_setf(p->err, "%s:%zu: %s", p->name, line, m ? (const char *)m : "invalid JSON");
		char *nl = strchr(p->err->data, '\n');
		if (nl)
			buf_setlen(p->err, (size_t)(nl - p->err->data));
		if (m)
			yajl_free_error(h, m);
		rc = CAIRN_EINVAL;
	} else if (!rc && p->failed) {
		rc = CAIRN_EINVAL;
	}
	free(chunk);
	yajl_free(h);
	return rc;
}

static void sp_release(struct sp *p)
{
	free(p->pend);
	free(p->pool.v);
	buf_release(&p->spool);
	rec_release(&p->r);
	buf_release(&p->why);
}

static int load_gt(struct cocoeval *ev, FILE *f, const char *json, size_t len, const char *name,
		   struct buf *err)
{
	struct sp p = {.ev = ev, .name = name, .err = err, .dt = 0, .branch = -1};
	p.spool = (struct buf)BUF_INIT;
	p.why = (struct buf)BUF_INIT;
	p.r.name = (struct buf)BUF_INIT;
	p.r.seg.str = (struct buf)BUF_INIT;
	p.r.seg.why = (struct buf)BUF_INIT;
	int rc = parse(&p, f, json, len);
	if (!rc && (!p.seen[0] || !p.seen[1] || !p.seen[2])) {
		buf_setf(err, "%s: $: expected arrays images, annotations and categories", name);
		rc = CAIRN_EINVAL;
	}
	if (!rc && sort_images(ev, &p.why)) {
		buf_setf(err, "%s: $.images: %s", name, p.why.data);
		rc = CAIRN_EINVAL;
	}
	for (size_t i = 0; i < p.npend && !rc; i++) {
		struct pending *q = &p.pend[i];
		long im = find_image(ev, q->image_id);
		if (im < 0)
			continue; /* not evaluated: its image is not listed */
		struct segraw g;
		pend_view(&p, q, &g);
		buf_reset(&p.why);
		if (seg_to_rle(&g, ev->imgs[im].h, ev->imgs[im].w, &ev->gts[q->gt].mask, &p.why)) {
			buf_setf(err, "%s: $.annotations[%zu].segmentation: %s", name, q->rec,
				 p.why.data);
			rc = CAIRN_EINVAL;
		}
	}
	sp_release(&p);
	return rc;
}

static int load_dt(struct cocoeval *ev, FILE *f, const char *json, size_t len, const char *name,
		   struct buf *err)
{
	struct sp p = {.ev = ev, .name = name, .err = err, .dt = 1, .branch = -1};
	p.spool = (struct buf)BUF_INIT;
	p.why = (struct buf)BUF_INIT;
	p.r.name = (struct buf)BUF_INIT;
	p.r.seg.str = (struct buf)BUF_INIT;
	p.r.seg.why = (struct buf)BUF_INIT;
	if (sort_images(ev, &p.why)) {
		buf_setf(err, "%s", p.why.data);
		buf_release(&p.why);
		return CAIRN_EINVAL;
	}
	int rc = parse(&p, f, json, len);
	if (!rc && !p.saw_root) {
		buf_setf(err, "%s: $: expected an array of detections", name);
		rc = CAIRN_EINVAL;
	}
	sp_release(&p);
	return rc;
}

int cocoeval_load_gt(struct cocoeval *ev, const char *json, size_t len, const char *name,
		     struct buf *err)
{
	return load_gt(ev, NULL, json, len, name, err);
}

int cocoeval_load_dt(struct cocoeval *ev, const char *json, size_t len, const char *name,
		     struct buf *err)
{
	return load_dt(ev, NULL, json, len, name, err);
}

static int load_file(struct cocoeval *ev, const char *path, int dt, struct buf *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_setf(err, "cannot open '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	int rc = dt ? load_dt(ev, f, NULL, 0, path, err) : load_gt(ev, f, NULL, 0, path, err);
	fclose(f);
	return rc;
}

int cocoeval_load_gt_file(struct cocoeval *ev, const char *path, struct buf *err)
{
	return load_file(ev, path, 0, err);
}

int cocoeval_load_dt_file(struct cocoeval *ev, const char *path, struct buf *err)
{
	return load_file(ev, path, 1, err);
}
