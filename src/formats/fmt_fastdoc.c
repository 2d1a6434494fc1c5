/*
 * fmt_fastdoc.c - a reader for the one shape of annotation document that
 * exports meet most: the canonical text the store keeps (ann_doc_to_json),
 * holding boxes and one-ring polygons with no attributes, parents, texts or
 * relations. It fills the same struct ann_doc that ann_doc_parse would, with
 * the same doubles, bounding boxes and areas (through geom's shape_area and
 * shape_bbox), without building a JSON tree or validating again what was
 * validated when it was saved. Anything else (another key order, escapes,
 * exponents, other shapes, attributes) returns 0 and the caller uses
 * ann_doc_parse, so the fast path can only be as right as the general one.
 */
#include "formats/fmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/schema.h"
#include "geom/geom.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

void fmt_fast_init(struct fmt_fast *f, const struct schema *sc)
{
	f->sc = sc;
	size_t cap = 16;
	while (cap < 2 * sc->nlabels + 2)
		cap *= 2;
	f->mask = cap - 1;
	f->tab = xrealloc(NULL, cap * sizeof(*f->tab));
	for (size_t i = 0; i < cap; i++)
		f->tab[i] = UINT32_MAX;
	for (size_t i = 0; i < sc->nlabels && i < UINT32_MAX; i++) {
		const char *nm = sc->labels[i].name;
		size_t k = (size_t)name_hash(nm, strlen(nm)) & f->mask;
		while (f->tab[k] != UINT32_MAX)
			k = (k + 1) & f->mask;
		f->tab[k] = (uint32_t)i;
	}
}

void fmt_fast_release(struct fmt_fast *f)
{
	free(f->tab);
	memset(f, 0, sizeof(*f));
}

static long label_of(const struct fmt_fast *f, const char *s, size_t n)
{
	size_t k = (size_t)name_hash(s, n) & f->mask;
	for (; f->tab[k] != UINT32_MAX; k = (k + 1) & f->mask) {
		const char *nm = f->sc->labels[f->tab[k]].name;
		if (!strncmp(nm, s, n) && !nm[n])
			return (long)f->tab[k];
	}
	return -1;
}

struct rd {
	const char *p, *end;
};

static bool lit(struct rd *r, const char *s, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, s, n))
		return false;
	r->p += n;
	return true;
}
#define LIT(r, s) lit(r, s, sizeof(s) - 1)

/* A string without escapes: *s, *n point into the text. */
static bool str(struct rd *r, const char **s, size_t *n)
{
	if (r->p >= r->end || *r->p != '"')
		return false;
	const char *b = ++r->p;
	while (r->p < r->end && *r->p != '"') {
		if (*r->p == '\\' || (unsigned char)*r->p < 0x20)
			return false;
		r->p++;
	}
	if (r->p >= r->end)
		return false;
	*s = b;
	*n = (size_t)(r->p - b);
	r->p++;
	return true;
}

static bool boolean(struct rd *r, bool *v)
{
	if (LIT(r, "true"))
		*v = true;
	else if (LIT(r, "false"))
		*v = false;
	else
		return false;
	return true;
}

static const double pow10_tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * A JSON number as jdom reads it: an integer token is an int64 made a
 * double, a real is strtod's correctly rounded value. Up to 15 digits with
 * no exponent the quotient m / 10^k of two exact doubles is that same
 * correctly rounded value; longer ones and exponents go to strtod.
 */
static bool number(struct rd *r, double *v, bool *is_int)
{
	const char *b = r->p;
	bool neg = false;
	if (r->p < r->end && *r->p == '-') {
		neg = true;
		r->p++;
	}
	const char *d0 = r->p;
	uint64_t m = 0;
	int digits = 0, frac = 0;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		if (digits < 19)
			m = m * 10 + (uint64_t)(*r->p - '0');
		digits++;
		r->p++;
	}
	if (r->p == d0 || (d0[0] == '0' && r->p - d0 > 1))
		return false;
	bool real = false;
	if (r->p < r->end && *r->p == '.') {
		real = true;
		r->p++;
		const char *f0 = r->p;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
			if (digits < 19)
				m = m * 10 + (uint64_t)(*r->p - '0');
			digits++;
			frac++;
			r->p++;
		}
		if (r->p == f0)
			return false;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		real = true;
		digits = 99; /* strtod below */
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		const char *e0 = r->p;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
		if (r->p == e0)
			return false;
	}
	*is_int = !real;
	if (!real) {
		if (digits > 18)
			return false;
		int64_t i = neg ? -(int64_t)m : (int64_t)m;
		*v = (double)i;
		return true;
	}
	if (digits <= 15) {
		double x = (double)m / pow10_tab[frac];
		*v = neg ? -x : x;
		return true;
	}
	char t[64];
	size_t l = (size_t)(r->p - b);
	if (l >= sizeof(t))
		return false;
	memcpy(t, b, l);
	t[l] = 0;
	*v = strtod(t, NULL);
	return isfinite(*v);
}

/* null, or an integer in [lo, hi]. */
static bool opt_int(struct rd *r, bool *has, int64_t *v, int64_t lo, int64_t hi)
{
	if (LIT(r, "null")) {
		*has = false;
		return true;
	}
	double d;
	bool is_int;
	if (!number(r, &d, &is_int) || !is_int || d < (double)lo || d > (double)hi)
		return false;
	*has = true;
	*v = (int64_t)d;
	return true;
}

static bool points(struct rd *r, struct ann_object *o)
{
	if (!LIT(r, "["))
		return false;
	size_t cap = 8, n = 0;
	double *p = xrealloc(NULL, cap * sizeof(*p));
	if (!LIT(r, "]")) {
		for (;;) {
			double d;
			bool is_int;
			if (!number(r, &d, &is_int) || !(fabs(d) <= ANN_MAX_COORD) ||
			    n >= ANN_MAX_NUMBERS)
				goto bad;
			if (n == cap)
				p = xrealloc(p, (cap *= 2) * sizeof(*p));
			p[n++] = d;
			if (LIT(r, "]"))
				break;
			if (!LIT(r, ","))
				goto bad;
		}
	}
	o->pts = p;
	o->npts = n;
	return true;
bad:
	free(p);
	return false;
}

static bool object(const struct fmt_fast *f, struct rd *r, struct ann_object *o)
{
	const char *s;
	size_t n;
	o->parent_index = SIZE_MAX;
	if (!LIT(r, "{\"id\":") || !str(r, &s, &n) || !n || n > ANN_MAX_UID)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      ch == '_' || ch == '-'))
			return false;
	}
	memcpy(o->uid, s, n);
	o->uid[n] = 0;
	if (!LIT(r, ",\"label\":") || !str(r, &s, &n))
		return false;
	long li = label_of(f, s, n);
	if (li < 0)
		return false;
	const struct schema_label *l = &f->sc->labels[li];
	o->label = (size_t)li;
	if (LIT(r, ",\"type\":\"box\",\"points\":"))
		o->type = SHAPE_BOX;
	else if (LIT(r, ",\"type\":\"polygon\",\"points\":"))
		o->type = SHAPE_POLYGON;
	else
		return false;
	if (!(l->shapes & SHAPE_BIT(o->type)) || l->nattrs || !points(r, o))
		return false;
	struct shape sh;
	memset(&sh, 0, sizeof(sh));
	const double *p = o->pts;
	if (o->type == SHAPE_BOX) {
		if (o->npts != 4 || p[2] < p[0] || p[3] < p[1])
			return false;
		sh.kind = GEOM_BOX;
		sh.u.box = (box){p[0], p[1], p[2] - p[0], p[3] - p[1]};
	} else {
		if (o->npts % 2 || o->npts < 6)
			return false;
		sh.kind = GEOM_POLYGON;
		sh.xy = p;
		sh.n = o->npts / 2;
	}
	o->area = shape_area(&sh);
	box bb = shape_bbox(&sh);
	o->x0 = bb.x;
	o->y0 = bb.y;
	o->x1 = bb.x + bb.w;
	o->y1 = bb.y + bb.h;
	bool has;
	int64_t z;
	if (!LIT(r, ",\"attributes\":{},\"occluded\":") || !boolean(r, &o->occluded) ||
	    !LIT(r, ",\"z_order\":") || !opt_int(r, &has, &z, INT32_MIN, INT32_MAX) || !has)
		return false;
	o->z_order = (int32_t)z;
	o->attrs = xstrdup("{}");
	if (!LIT(r, ",\"group\":") || !opt_int(r, &o->has_group, &o->group, 0, INT64_MAX) ||
	    !LIT(r, ",\"parent\":null,\"frame\":") ||
	    !opt_int(r, &o->has_frame, &o->frame, 0, INT64_MAX) || !LIT(r, ",\"track\":") ||
	    !opt_int(r, &o->has_track, &o->track, 0, INT64_MAX) || !LIT(r, ",\"keyframe\":") ||
	    !boolean(r, &o->keyframe) || !LIT(r, ",\"outside\":") || !boolean(r, &o->outside) ||
	    !LIT(r, ",\"score\":"))
		return false;
	if (!LIT(r, "null")) {
		bool is_int;
		if (!number(r, &o->score, &is_int) || !(o->score >= 0 && o->score <= 1))
			return false;
		o->has_score = true;
	}
	if (!o->has_track && (o->keyframe || o->outside))
		return false;
	if (o->has_track && !o->has_frame)
		return false;
	return LIT(r, ",\"text\":null,\"locked\":") && boolean(r, &o->locked) && LIT(r, "}");
}

int fmt_fast_parse(const struct fmt_fast *f, const char *body, size_t len, struct ann_doc *d)
{
	memset(d, 0, sizeof(*d));
	struct rd r = {body, body + len};
	if (!body || f->sc->nitem_attrs ||
	    !LIT(&r, "{\n  \"format\": 1,\n  \"attributes\": {},\n  \"objects\": ["))
		return 0;
	size_t cap = 0;
	if (!LIT(&r, "],\n  \"relations\": []\n}")) {
		for (;;) {
			if (!LIT(&r, "\n    "))
				goto bad;
			if (d->nobjects == cap) {
				cap = cap ? 2 * cap : 16;
				d->objects = xrealloc(d->objects, cap * sizeof(*d->objects));
			}
			if (d->nobjects >= ANN_MAX_OBJECTS)
				goto bad;
			struct ann_object *o = &d->objects[d->nobjects++];
			memset(o, 0, sizeof(*o));
			if (!object(f, &r, o))
				goto bad;
			if (LIT(&r, "\n  ],\n  \"relations\": []\n}"))
				break;
			if (!LIT(&r, ","))
				goto bad;
		}
	}
	while (r.p < r.end && (*r.p == '\n' || *r.p == ' ' || *r.p == '\t' || *r.p == '\r'))
		r.p++;
	if (r.p != r.end)
		goto bad;
	d->attrs = xstrdup("{}");
	return 1;
bad:
	ann_doc_release(d);
	return 0;
}
