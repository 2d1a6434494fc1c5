/*
 * geom_util.c - allocation helpers and the sort-and-sweep box prefilter
 * shared by the IoU matrices (see geom_int.h).
 */
#include "geom/geom_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/banned.h"

static void oom(void)
{
	fputs("cairn: out of memory\n", stderr);
	abort();
}

void *geom_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *geom_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

void *geom_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

struct sweep_ent {
	double x0, x1, y0, y1;
	size_t idx;
};

static int ent_cmp(const void *pa, const void *pb)
{
	const struct sweep_ent *a = pa, *b = pb;
	if (a->x0 < b->x0)
		return -1;
	if (a->x0 > b->x0)
		return 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static size_t load(struct sweep_ent *e, const double *box, size_t n)
{
	size_t i, k = 0;
	for (i = 0; i < n; i++) {
		const double *b = box + 4 * i;
		/* Written so that NaN fails the test. */
		if (!(b[2] > 0) || !(b[3] > 0))
			continue;
		e[k].x0 = b[0];
		e[k].x1 = b[0] + b[2];
		e[k].y0 = b[1];
		e[k].y1 = b[1] + b[3];
		e[k].idx = i;
		k++;
	}
	qsort(e, k, sizeof(*e), ent_cmp);
	return k;
}

/* Same arithmetic as pycocotools' bbIou, so that "overlap" means the same. */
static int overlap(const struct sweep_ent *p, const struct sweep_ent *q)
{
	double w = (p->x1 < q->x1 ? p->x1 : q->x1) - (p->x0 > q->x0 ? p->x0 : q->x0);
	if (!(w > 0))
		return 0;
	double h = (p->y1 < q->y1 ? p->y1 : q->y1) - (p->y0 > q->y0 ? p->y0 : q->y0);
	return h > 0;
}

/* Compares the new entry e against the active list of the other side,
 * dropping entries that end before e starts. */
static size_t visit(const struct sweep_ent *e, const struct sweep_ent **act,
		    size_t nact, int e_is_a,
		    void (*pair)(void *, size_t, size_t), void *arg)
{
	size_t i, k = 0;
	for (i = 0; i < nact; i++) {
		const struct sweep_ent *o = act[i];
		if (o->x1 <= e->x0)
			continue;
		act[k++] = o;
		if (overlap(e, o)) {
			if (e_is_a)
				pair(arg, e->idx, o->idx);
			else
				pair(arg, o->idx, e->idx);
		}
	}
	return k;
}

void geom_box_sweep(const double *a, size_t na, const double *b, size_t nb,
		    void (*pair)(void *arg, size_t i, size_t j), void *arg)
{
	struct sweep_ent *ea, *eb;
	const struct sweep_ent **acta, **actb;
	size_t ka, kb, ia = 0, ib = 0, nacta = 0, nactb = 0;

	if (!na || !nb)
		return;
	ea = geom_xmalloc(na * sizeof(*ea));
	eb = geom_xmalloc(nb * sizeof(*eb));
	ka = load(ea, a, na);
	kb = load(eb, b, nb);
	acta = geom_xmalloc((ka ? ka : 1) * sizeof(*acta));
	actb = geom_xmalloc((kb ? kb : 1) * sizeof(*actb));
	while (ia < ka && ib < kb) {
		if (ea[ia].x0 <= eb[ib].x0) {
			nactb = visit(&ea[ia], actb, nactb, 1, pair, arg);
			acta[nacta++] = &ea[ia++];
		} else {
			nacta = visit(&eb[ib], acta, nacta, 0, pair, arg);
			actb[nactb++] = &eb[ib++];
		}
	}
	/* One side is exhausted: the rest of the other side only meets the
	 * active entries. */
	while (ia < ka && nactb)
		nactb = visit(&ea[ia++], actb, nactb, 1, pair, arg);
	while (ib < kb && nacta)
		nacta = visit(&eb[ib++], acta, nacta, 0, pair, arg);
	free(ea);
	free(eb);
	free(acta);
	free(actb);
}
