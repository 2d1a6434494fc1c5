/*
 * synth.c - the synthetic data generator behind `cairn synth`: shapes are
 * rasterised bbox-locally into an object-id map in z-order, the map is
 * painted over a textured background, and each object's visible pixels
 * become its COCO annotation. See synth.h and docs/synth.md.
 */
#include "media/synth.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/rle.h"
#include "media/media_image.h"

#include "media/vips_dl.h"
#include "base/banned.h"

/*
 * Pixels must not depend on the compiler fusing a*b+c into one rounding:
 * GCC in ISO C mode does not; clang would on targets with FMA.
 */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- names ---- */

static const char *const cat_names[SYNTH_NCAT + 1] = {
	NULL, "rectangle", "ellipse", "polygon", "line", "person",
};

const char *synth_cat_name(int cat)
{
	return cat >= 1 && cat <= SYNTH_NCAT ? cat_names[cat] : NULL;
}

const char *const synth_kp_names[SYNTH_NKP] = {
	"nose", "left_eye", "right_eye", "left_ear", "right_ear",
	"left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
	"left_wrist", "right_wrist", "left_hip", "right_hip",
	"left_knee", "right_knee", "left_ankle", "right_ankle",
};

const uint8_t synth_skeleton[19][2] = {
	{16, 14}, {14, 12}, {17, 15}, {15, 13}, {12, 13}, {6, 12}, {7, 13},
	{6, 7}, {6, 8}, {7, 9}, {8, 10}, {9, 11}, {2, 3}, {1, 2}, {1, 3},
	{2, 4}, {3, 5}, {4, 6}, {5, 7},
};

/* The demo schema's "color" attribute values, and the fill of each. */
static const char *const color_names[SYNTH_NCOLORS] = {
	"red", "green", "blue", "yellow", "cyan", "magenta", "orange",
	"purple", "white", "black",
};
static const uint8_t color_rgb[SYNTH_NCOLORS][3] = {
	{215, 40, 40}, {40, 165, 60}, {45, 75, 215}, {235, 215, 45},
	{45, 205, 215}, {210, 50, 195}, {240, 140, 35}, {125, 60, 175},
	{240, 240, 240}, {25, 25, 25},
};
static const char *const pose_names[] = {"standing", "lying", "other"};
static const char *const bg_names[] = {"plain", "gradient", "noise", "texture"};

const char *synth_bg_name(int b)
{
	return b >= 0 && b < 4 ? bg_names[b] : NULL;
}

const char *synth_color_name(int c)
{
	return c >= 0 && c < SYNTH_NCOLORS ? color_names[c] : NULL;
}

/* ---- randomness: xoshiro256** seeded by splitmix64, never rand() ---- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_range(struct rng *r, double a, double b)
{
	return a + (b - a) * rng_unit(r);
}

/* Uniform in [0, n), n >= 1 (Lemire's multiply; the bias is < 2^-32). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Per-pixel texture noise: a pure function of (x, y, key). */
static uint32_t hash3(uint32_t x, uint32_t y, uint32_t key)
{
	uint32_t h = x * 0x9e3779b1u ^ (y * 0x85ebca77u + key);
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	h *= 0x297a2d39u;
	h ^= h >> 15;
	return h;
}

/*
 * sin and cos from + - * only, so that no libm difference between machines
 * can move a vertex: reduction to |r| <= pi/4 and Taylor polynomials
 * (error < 1e-15 there). floor is exact in IEEE arithmetic.
 */
static void sincos_deg(double deg, double *s, double *c)
{
	const double half_pi = 1.57079632679489661923;
	double a = deg * (3.14159265358979323846 / 180.0);
	double k = floor(a / half_pi + 0.5);
	double r = a - k * half_pi;
	double r2 = r * r;
	double sr = r * (1 - r2 / 6 * (1 - r2 / 20 * (1 - r2 / 42 * (1 - r2 / 72 *
		    (1 - r2 / 110 * (1 - r2 / 156))))));
	double cr = 1 - r2 / 2 * (1 - r2 / 12 * (1 - r2 / 30 * (1 - r2 / 56 *
		    (1 - r2 / 90 * (1 - r2 / 132 * (1 - r2 / 182))))));
	long q = (long)k & 3;
	switch (q) {
	case 0: *s = sr; *c = cr; break;
	case 1: *s = cr; *c = -sr; break;
	case 2: *s = -sr; *c = -cr; break;
	default: *s = -cr; *c = sr; break;
	}
}

/* Quarter-pixel grid: exact in binary and printed exactly in the JSON. */
static double q4(double v)
{
	return floor(v * 4 + 0.5) / 4;
}

/* ---- storage ---- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return q;
}

static uint32_t pts_add(struct synth_image *im, const double *xy, size_t n)
{
	if (im->npts + 2 * n > im->cappts) {
		im->cappts = (im->npts + 2 * n) * 2 + 64;
		im->pts = xrealloc(im->pts, im->cappts * sizeof(double));
	}
	uint32_t at = (uint32_t)im->npts;
	memcpy(im->pts + im->npts, xy, 2 * n * sizeof(double));
	im->npts += 2 * n;
	return at;
}

static struct synth_obj *obj_new(struct synth_image *im)
{
	if (im->nobjs == im->capobjs) {
		im->capobjs = im->capobjs * 2 + 16;
		im->objs = xrealloc(im->objs, im->capobjs * sizeof(*im->objs));
	}
	struct synth_obj *o = &im->objs[im->nobjs++];
	memset(o, 0, sizeof(*o));
	o->id = (uint32_t)im->nobjs;
	return o;
}

void synth_image_release(struct synth_image *im)
{
	if (!im)
		return;
	free(im->rgb);
	free(im->ids);
	free(im->objs);
	free(im->pts);
	free(im->runs);
	memset(im, 0, sizeof(*im));
}

/* ---- rasterisers: set pixels of the id map, clipped, bbox-local ---- */

struct rast {
	struct synth_image *im;
	struct synth_obj *o;
	int64_t x0, y0, x1, y1; /* drawn bbox so far (half-open) */
};

static void rast_begin(struct rast *r, struct synth_image *im,
		       struct synth_obj *o)
{
	r->im = im;
	r->o = o;
	r->x0 = r->y0 = INT64_MAX;
	r->x1 = r->y1 = INT64_MIN;
}

static void rast_end(struct rast *r)
{
	struct synth_obj *o = r->o;
	if (o->drawn) {
		o->dbox[0] = (uint32_t)r->x0;
		o->dbox[1] = (uint32_t)r->y0;
		o->dbox[2] = (uint32_t)r->x1;
		o->dbox[3] = (uint32_t)r->y1;
	}
}

/* Sets pixels [xa, xb) of row y (already clipped by the caller's loops). */
static void rast_span(struct rast *r, int64_t y, int64_t xa, int64_t xb)
{
	struct synth_image *im = r->im;
	if (y < 0 || y >= im->h)
		return;
	if (xa < 0)
		xa = 0;
	if (xb > im->w)
		xb = im->w;
	if (xa >= xb)
		return;
	uint32_t id = r->o->id;
	uint32_t *row = im->ids + (size_t)y * im->w;
	uint64_t n = 0;
	for (int64_t x = xa; x < xb; x++) {
		if (row[x] != id) {
			row[x] = id;
			n++;
		}
	}
	if (!n) /* all ours already, so inside the bbox already */
		return;
	r->o->drawn += n;
	if (xa < r->x0)
		r->x0 = xa;
	if (xb > r->x1)
		r->x1 = xb;
	if (y < r->y0)
		r->y0 = y;
	if (y + 1 > r->y1)
		r->y1 = y + 1;
}

/* Clamped pixel row/column range whose centres may lie in [lo, hi]. */
static int clamp_range(double lo, double hi, uint32_t n, int64_t *a,
		       int64_t *b)
{
	double fa = floor(lo - 0.5), fb = floor(hi - 0.5) + 2;
	if (fa < 0)
		fa = 0;
	if (fb > n)
		fb = n;
	if (fa >= fb)
		return 0;
	*a = (int64_t)fa;
	*b = (int64_t)fb;
	return 1;
}

/*
 * Even-odd scanline fill of up to two rings (outer and hole). A pixel is in
 * when its centre has an odd number of edge crossings to its right, edges
 * taken half-open in y: the rule of the classic crossing-number test.
 */
static void rast_rings(struct rast *r, const double *ra, size_t na,
		       const double *rb, size_t nb)
{
	double miny = INFINITY, maxy = -INFINITY;
	for (size_t i = 0; i < na; i++) {
		miny = fmin(miny, ra[2 * i + 1]);
		maxy = fmax(maxy, ra[2 * i + 1]);
	}
	int64_t y0, y1;
	if (!clamp_range(miny, maxy, r->im->h, &y0, &y1))
		return;
	double xs[64];
	for (int64_t y = y0; y < y1; y++) {
		double yc = (double)y + 0.5;
		size_t nx = 0;
		for (int ring = 0; ring < 2; ring++) {
			const double *p = ring ? rb : ra;
			size_t n = ring ? nb : na;
			for (size_t i = 0; i < n && nx < 64; i++) {
				size_t j = (i + 1) % n;
				double xa = p[2 * i], ya = p[2 * i + 1];
				double xb = p[2 * j], yb = p[2 * j + 1];
				if ((ya > yc) != (yb > yc))
					xs[nx++] = (xb - xa) * (yc - ya) / (yb - ya) + xa;
			}
		}
		for (size_t i = 1; i < nx; i++) {
			double v = xs[i];
			size_t k = i;
			for (; k > 0 && xs[k - 1] > v; k--)
				xs[k] = xs[k - 1];
			xs[k] = v;
		}
		/* Centre xc is in when xs[2k] <= xc < xs[2k+1]. */
		for (size_t i = 0; i + 1 < nx; i += 2) {
			double a = ceil(xs[i] - 0.5), b = ceil(xs[i + 1] - 0.5);
			if (a < 0)
				a = 0;
			if (b > r->im->w)
				b = r->im->w;
			if (a < b)
				rast_span(r, y, (int64_t)a, (int64_t)b);
		}
	}
}

static void ellipse_extent(double rx, double ry, double c, double s,
			   double *ex, double *ey)
{
	*ex = sqrt(rx * rx * c * c + ry * ry * s * s);
	*ey = sqrt(rx * rx * s * s + ry * ry * c * c);
}

static void rast_ellipse(struct rast *r, double cx, double cy, double rx,
			 double ry, double deg)
{
	double s, c, ex, ey;
	sincos_deg(deg, &s, &c);
	ellipse_extent(rx, ry, c, s, &ex, &ey);
	int64_t x0, x1, y0, y1;
	if (!clamp_range(cx - ex, cx + ex, r->im->w, &x0, &x1) ||
	    !clamp_range(cy - ey, cy + ey, r->im->h, &y0, &y1))
		return;
	double rx2 = rx * rx, ry2 = ry * ry, lim = rx2 * ry2;
	for (int64_t y = y0; y < y1; y++) {
		double dy = (double)y + 0.5 - cy;
		int64_t run = -1;
		for (int64_t x = x0; x <= x1; x++) {
			int in = 0;
			if (x < x1) {
				double dx = (double)x + 0.5 - cx;
				double u = dx * c + dy * s, v = dy * c - dx * s;
				in = u * u * ry2 + v * v * rx2 <= lim;
			}
			if (in && run < 0)
				run = x;
			else if (!in && run >= 0) {
				rast_span(r, y, run, x);
				run = -1;
			}
		}
	}
}

/* Pixels whose centre is within radius of segment a-b (a round capsule). */
static void rast_capsule(struct rast *r, double ax, double ay, double bx,
			 double by, double radius)
{
	int64_t x0, x1, y0, y1;
	if (!clamp_range(fmin(ax, bx) - radius, fmax(ax, bx) + radius,
			 r->im->w, &x0, &x1) ||
	    !clamp_range(fmin(ay, by) - radius, fmax(ay, by) + radius,
			 r->im->h, &y0, &y1))
		return;
	double vx = bx - ax, vy = by - ay, len2 = vx * vx + vy * vy;
	double rr = radius * radius;
	for (int64_t y = y0; y < y1; y++) {
		double py = (double)y + 0.5;
		int64_t run = -1;
		for (int64_t x = x0; x <= x1; x++) {
			int in = 0;
			if (x < x1) {
				double px = (double)x + 0.5;
				double t = len2 > 0 ? ((px - ax) * vx + (py - ay) * vy) / len2 : 0;
				if (t < 0)
					t = 0;
				else if (t > 1)
					t = 1;
				double dx = px - (ax + t * vx), dy = py - (ay + t * vy);
				in = dx * dx + dy * dy <= rr;
			}
			if (in && run < 0)
				run = x;
			else if (!in && run >= 0) {
				rast_span(r, y, run, x);
				run = -1;
			}
		}
	}
}

/* ---- object generators ---- */

struct gen {
	struct rng *rng;
	struct synth_image *im;
	double smax; /* largest characteristic size for this density */
};

static int pts_inside(const struct synth_image *im, const double *xy,
		      size_t n, double margin)
{
	for (size_t i = 0; i < n; i++)
		if (xy[2 * i] - margin < 0 || xy[2 * i + 1] - margin < 0 ||
		    xy[2 * i] + margin > im->w || xy[2 * i + 1] + margin > im->h)
			return 0;
	return 1;
}

static void gen_rectangle(struct gen *g, struct synth_obj *o, double cx,
			  double cy, double s)
{
	struct rng *R = g->rng;
	double w = s * rng_range(R, 0.5, 1.5), h = s * rng_range(R, 0.5, 1.5);
	/* Axis-aligned on whole pixels, as the demo schema's "box" label
	 * says; rotated quadrilaterals come as polygons. */
	double x0 = floor(cx - w / 2 + 0.5), y0 = floor(cy - h / 2 + 0.5);
	double x1 = x0 + fmax(1, floor(w + 0.5));
	double y1 = y0 + fmax(1, floor(h + 0.5));
	double xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
	o->pts = pts_add(g->im, xy, 4);
	o->npts = 4;
	o->inside = pts_inside(g->im, xy, 4, 0);
	struct rast r;
	rast_begin(&r, g->im, o);
	rast_rings(&r, xy, 4, NULL, 0);
	rast_end(&r);
}

/*
 * A star-shaped ring around (cx, cy): n vertices at jittered angles (gaps
 * under pi) and radii in [rlo, rhi], quantised. Star-shaped about the
 * centre means simple; the check after quantisation keeps it so (every
 * edge must turn positively about the centre). Returns 0 if it failed.
 */
static int star_ring(struct rng *R, double cx, double cy, size_t n,
		     double rlo, double rhi, double *xy)
{
	double phase = rng_range(R, 0, 360);
	for (size_t k = 0; k < n; k++) {
		double a = phase + 360.0 * ((double)k + rng_range(R, -0.3, 0.3)) / (double)n;
		double rad = rng_range(R, rlo, rhi), s, c;
		sincos_deg(a, &s, &c);
		xy[2 * k] = q4(cx + rad * c);
		xy[2 * k + 1] = q4(cy + rad * s);
	}
	for (size_t k = 0; k < n; k++) {
		size_t j = (k + 1) % n;
		double ax = xy[2 * k] - cx, ay = xy[2 * k + 1] - cy;
		double bx = xy[2 * j] - cx, by = xy[2 * j + 1] - cy;
		if (ax * by - ay * bx <= 0)
			return 0;
	}
	return 1;
}

static void gen_polygon(struct gen *g, struct synth_obj *o, double cx,
			double cy, double s)
{
	struct rng *R = g->rng;
	double rad = fmax(s / 2, 4);
	double xy[24], hxy[16];
	size_t n = 0, m = 0;
	cx = q4(cx);
	cy = q4(cy);
	for (int tries = 0; tries < 16 && !n; tries++) {
		size_t k = 3 + rng_below(R, 10);
		if (star_ring(R, cx, cy, k, 0.45 * rad, rad, xy))
			n = k;
	}
	if (!n) { /* cannot happen at these sizes; keep a valid object */
		double v[8] = {cx - 2, cy - 2, cx + 2, cy - 2, cx + 2, cy + 2, cx - 2, cy + 2};
		memcpy(xy, v, sizeof(v));
		n = 4;
	}
	/* With 5 or more vertices the outer ring holds the disc of radius
	 * 0.45 rad cos(gap/2) >= 0.24 rad; a hole within 0.18 rad stays
	 * strictly inside. */
	if (n >= 5 && rad >= 24 && rng_unit(R) < 0.35) {
		for (int tries = 0; tries < 16 && !m; tries++) {
			size_t k = 4 + rng_below(R, 5);
			if (star_ring(R, cx, cy, k, 0.09 * rad, 0.18 * rad, hxy))
				m = k;
		}
	}
	o->pts = pts_add(g->im, xy, n);
	o->npts = (uint32_t)n;
	if (m) {
		o->hole = true;
		o->hpts = pts_add(g->im, hxy, m);
		o->nhpts = (uint32_t)m;
	}
	o->inside = pts_inside(g->im, xy, n, 0);
	struct rast r;
	rast_begin(&r, g->im, o);
	rast_rings(&r, xy, n, m ? hxy : NULL, m);
	rast_end(&r);
}

static void gen_ellipse(struct gen *g, struct synth_obj *o, double cx,
			double cy, double s)
{
	struct rng *R = g->rng;
	double rx = fmax(0.75, q4(s / 2 * rng_range(R, 0.5, 1.3)));
	double ry = fmax(0.75, q4(s / 2 * rng_range(R, 0.5, 1.3)));
	double deg = rng_unit(R) < 0.4 ? 0 : (double)rng_below(R, 180);
	cx = q4(cx);
	cy = q4(cy);
	double p[5] = {cx, cy, rx, ry, deg};
	memcpy(o->param, p, sizeof(p));
	double sn, cs, ex, ey;
	sincos_deg(deg, &sn, &cs);
	ellipse_extent(rx, ry, cs, sn, &ex, &ey);
	o->inside = cx - ex >= 0 && cy - ey >= 0 && cx + ex <= g->im->w &&
		    cy + ey <= g->im->h;
	struct rast r;
	rast_begin(&r, g->im, o);
	rast_ellipse(&r, cx, cy, rx, ry, deg);
	rast_end(&r);
}

static void gen_line(struct gen *g, struct synth_obj *o, double cx,
		     double cy, double s)
{
	struct rng *R = g->rng;
	size_t n = 2 + rng_below(R, 4);
	double width = 1 + rng_below(R, 3);
	double xy[10];
	double dir = rng_range(R, 0, 360);
	double step = fmax(2, s) / (double)(n - 1) * 1.4;
	double x = cx, y = cy;
	for (size_t i = 0; i < n; i++) {
		xy[2 * i] = q4(x);
		xy[2 * i + 1] = q4(y);
		double sn, cs;
		sincos_deg(dir, &sn, &cs);
		double len = step * rng_range(R, 0.6, 1.2);
		x += len * cs;
		y += len * sn;
		dir += rng_range(R, -70, 70);
	}
	o->pts = pts_add(g->im, xy, n);
	o->npts = (uint32_t)n;
	o->param[0] = width;
	o->inside = pts_inside(g->im, xy, n, width / 2);
	struct rast r;
	rast_begin(&r, g->im, o);
	for (size_t i = 0; i + 1 < n; i++)
		rast_capsule(&r, xy[2 * i], xy[2 * i + 1], xy[2 * i + 2],
			     xy[2 * i + 3], width / 2);
	rast_end(&r);
}

/* Rotates (x, y) by an angle given as sin/cos, then places it at (cx, cy). */
static void place(double *xy, double x, double y, double sn, double cs,
		  double cx, double cy)
{
	xy[0] = q4(cx + x * cs - y * sn);
	xy[1] = q4(cy + x * sn + y * cs);
}

/*
 * A stick figure: 17 COCO keypoints in a random plausible pose, every
 * skeleton edge drawn as a capsule of radius >= 1 px and the head as a
 * disc. Every keypoint is an edge endpoint, so the pixel holding it (whose
 * centre is within 0.71 px) is drawn: v = 2 exactly when it is still this
 * figure's pixel after later objects are drawn.
 */
static void gen_person(struct gen *g, struct synth_obj *o, double cx,
		       double cy, double s)
{
	struct rng *R = g->rng;
	double H = fmax(40, s * 1.6);
	double kp[2 * SYNTH_NKP];
	double loc[2 * SYNTH_NKP];
	double rh = 0.08 * H, hx = 0, hy = -0.41 * H;
#define KP(i, X, Y) (loc[2 * (i)] = (X), loc[2 * (i) + 1] = (Y))
	KP(0, hx, hy + 0.2 * rh);
	KP(1, hx + 0.35 * rh, hy - 0.15 * rh);
	KP(2, hx - 0.35 * rh, hy - 0.15 * rh);
	KP(3, hx + 0.7 * rh, hy);
	KP(4, hx - 0.7 * rh, hy);
	KP(5, 0.11 * H, -0.28 * H);
	KP(6, -0.11 * H, -0.28 * H);
	KP(11, 0.07 * H, 0);
	KP(12, -0.07 * H, 0);
	double bend = 0; /* the most a leg leaves the vertical */
	bool straight = rng_unit(R) < 0.5;
	for (int side = 0; side < 2; side++) {
		double sg = side ? -1 : 1, sn, cs;
		int sh = 5 + side, el = 7 + side, wr = 9 + side;
		int hp = 11 + side, kn = 13 + side, an = 15 + side;
		/* Angles from straight down, positive away from the body. */
		double a1 = rng_range(R, -20, 160), a2 = a1 + rng_range(R, -10, 120);
		sincos_deg(a1, &sn, &cs);
		KP(el, loc[2 * sh] + sg * 0.16 * H * sn, loc[2 * sh + 1] + 0.16 * H * cs);
		sincos_deg(a2, &sn, &cs);
		KP(wr, loc[2 * el] + sg * 0.14 * H * sn, loc[2 * el + 1] + 0.14 * H * cs);
		double l1 = straight ? rng_range(R, -5, 15) : rng_range(R, -10, 45);
		double l2 = l1 + (straight ? rng_range(R, -10, 5) : rng_range(R, -60, 10));
		bend = fmax(bend, fmax(fabs(l1), fabs(l2)));
		sincos_deg(l1, &sn, &cs);
		KP(kn, loc[2 * hp] + sg * 0.24 * H * sn, loc[2 * hp + 1] + 0.24 * H * cs);
		sincos_deg(l2, &sn, &cs);
		KP(an, loc[2 * kn] + sg * 0.24 * H * sn, loc[2 * kn + 1] + 0.24 * H * cs);
	}
#undef KP
	double rot, u = rng_unit(R);
	if (u < 0.7)
		rot = rng_range(R, -15, 15);
	else if (u < 0.85)
		rot = rng_range(R, -45, 45);
	else
		rot = (rng_unit(R) < 0.5 ? 90 : -90) + rng_range(R, -15, 15);
	/* Standing: upright with straight legs; lying: tipped past 45. */
	o->pose = fabs(rot) > 45 ? 1 : fabs(rot) <= 15 && bend <= 20 ? 0 : 2;
	double sn, cs;
	sincos_deg(rot, &sn, &cs);
	/* (cx, cy) is the body's middle: the hips sit a little below it. */
	for (int i = 0; i < SYNTH_NKP; i++)
		place(kp + 2 * i, loc[2 * i], loc[2 * i + 1] + 0.05 * H, sn, cs, cx, cy);
	double head[2];
	place(head, hx, hy + 0.05 * H, sn, cs, cx, cy);
	rh = q4(rh);
	double limb = fmax(1, q4(H / 40));
	double p[5] = {H, limb, head[0], head[1], rh};
	memcpy(o->param, p, sizeof(p));
	o->pts = pts_add(g->im, kp, SYNTH_NKP);
	o->npts = SYNTH_NKP;
	o->inside = pts_inside(g->im, kp, SYNTH_NKP, limb) &&
		    pts_inside(g->im, head, 1, rh);
	struct rast r;
	rast_begin(&r, g->im, o);
	rast_capsule(&r, head[0], head[1], head[0], head[1], rh);
	for (int e = 0; e < 19; e++) {
		int a = synth_skeleton[e][0] - 1, b = synth_skeleton[e][1] - 1;
		rast_capsule(&r, kp[2 * a], kp[2 * a + 1], kp[2 * b],
			     kp[2 * b + 1], limb);
	}
	rast_end(&r);
}

/* ---- painting ---- */

static uint8_t clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v;
}

struct bg {
	int c0[3], c1[3];
	int gx;          /* gradient weight of x out of 256 */
	int sdx, sdy;    /* stripe direction */
	int period, amp; /* stripes */
	int namp;        /* coarse noise amplitude */
	uint32_t key;
};

static void bg_init(struct bg *b, struct rng *R, int kind)
{
	for (int i = 0; i < 3; i++) {
		b->c0[i] = 40 + (int)rng_below(R, 176);
		b->c1[i] = 40 + (int)rng_below(R, 176);
	}
	b->gx = (int)rng_below(R, 257);
	do {
		b->sdx = (int)rng_below(R, 7) - 3;
		b->sdy = (int)rng_below(R, 7) - 3;
	} while (!b->sdx && !b->sdy);
	b->period = 4 + (int)rng_below(R, 40);
	b->amp = (int)rng_below(R, 24);
	b->namp = 8 + (int)rng_below(R, 32);
	b->key = (uint32_t)rng_next(R);
	/* Every kind keeps its grain; the others drop parts. */
	if (kind == 0 || kind == 2)
		memcpy(b->c1, b->c0, sizeof(b->c1));
	if (kind != 3)
		b->amp = 0;
	if (kind == 0 || kind == 1)
		b->namp = 0;
	if (kind == 2)
		b->namp = 40 + (int)rng_below(R, 40);
}

/*
 * The background: a two-colour gradient, stripes, value noise on a 16 px
 * lattice (bilinear) and per-pixel grain, all in integers. Objects get
 * their colour with grain and a faint checker, so no fill is flat.
 */
static void paint(struct synth_image *im, struct rng *R)
{
	struct bg b;
	im->background = (uint8_t)rng_below(R, 4);
	bg_init(&b, R, im->background);
	uint32_t w = im->w, h = im->h;
	size_t ncell = (w >> 4) + 2;
	int *tx = xrealloc(NULL, (w + 2 * ncell) * sizeof(int));
	int *top = tx + w, *col = top + ncell;
	for (uint32_t x = 0; x < w; x++)
		tx[x] = (int)((uint64_t)x * 256 / w) * b.gx;
	long period2 = 2L * b.period;
	for (uint32_t y = 0; y < h; y++) {
		const uint32_t *row = im->ids + (size_t)y * w;
		uint8_t *px = im->rgb + (size_t)y * w * 3;
		int ty = (int)((uint64_t)y * 256 / h) * (256 - b.gx);
		uint32_t gy = y >> 4;
		int fy = (int)(y & 15);
		for (size_t i = 0; i < ncell; i++) {
			if (fy == 0 || y == 0)
				top[i] = (int)(hash3((uint32_t)i, gy, b.key) & 255);
			int bot = (int)(hash3((uint32_t)i, gy + 1, b.key) & 255);
			col[i] = top[i] * (16 - fy) + bot * fy;
		}
		long sp = ((long)y * b.sdy) % period2;
		if (sp < 0)
			sp += period2;
		for (uint32_t x = 0; x < w; x++, px += 3) {
			uint32_t id = row[x];
			uint32_t hz = hash3(x, y, b.key ^ id);
			int fine = (int)(hz & 15) - 8;
			/* Stripes advance by sdx per column (|sdx| < period2). */
			long cur = sp;
			sp += b.sdx;
			if (sp >= period2)
				sp -= period2;
			else if (sp < 0)
				sp += period2;
			if (id) {
				const uint8_t *c = im->objs[id - 1].rgb;
				int chk = (((x >> 2) ^ (y >> 2)) & 1) ? 6 : -6;
				px[0] = clamp8(c[0] + fine + chk);
				px[1] = clamp8(c[1] + fine + chk);
				px[2] = clamp8(c[2] + fine + chk);
				continue;
			}
			uint32_t i = x >> 4;
			int fx = (int)(x & 15);
			int v = (col[i] * (16 - fx) + col[i + 1] * fx) >> 8; /* 0..255 */
			int cn = (v - 128) * b.namp / 128;
			int t = (tx[x] + ty) >> 8;
			int stripe = cur < b.period ? b.amp : -b.amp;
			int add = stripe + cn + fine;
			for (int k = 0; k < 3; k++)
				px[k] = clamp8(b.c0[k] + (b.c1[k] - b.c0[k]) * t / 256 + add);
		}
	}
	free(tx);
}

/* ---- one image ---- */

int synth_render(struct synth_image *im, uint32_t w, uint32_t h,
		 uint32_t objects, uint64_t seed, uint32_t index,
		 struct buf *err)
{
	if (w < SYNTH_MIN_SIDE || h < SYNTH_MIN_SIDE || w > SYNTH_MAX_SIDE ||
	    h > SYNTH_MAX_SIDE) {
		buf_setf(err, "synth: size %ux%u is outside %ux%u..%ux%u", w, h,
			 SYNTH_MIN_SIDE, SYNTH_MIN_SIDE, SYNTH_MAX_SIDE, SYNTH_MAX_SIDE);
		return CAIRN_ETOOBIG;
	}
	if (objects > SYNTH_MAX_OBJECTS) {
		buf_setf(err, "synth: %u objects per image is over the limit of %u",
			 objects, SYNTH_MAX_OBJECTS);
		return CAIRN_ETOOBIG;
	}
	size_t npx = (size_t)w * h;
	if (im->w != w || im->h != h || !im->ids) {
		free(im->rgb);
		free(im->ids);
		im->rgb = xrealloc(NULL, npx * 3);
		im->ids = xrealloc(NULL, npx * sizeof(uint32_t));
		im->w = w;
		im->h = h;
	}
	memset(im->ids, 0, npx * sizeof(uint32_t));
	im->nobjs = 0;
	im->npts = 0;

	struct rng R;
	rng_seed(&R, seed, index);
	uint32_t d = objects / 2;
	uint32_t n = objects - d + rng_below(&R, 2 * d + 1);
	/* Sizes shrink with density so that most of K objects stay visible:
	 * a tenth of the image's side at most at 8 objects per 640x480. */
	double side = w < h ? w : h;
	double dens = 3 * sqrt((double)npx / (objects ? objects : 1));
	double smax = fmax(10, fmin(0.5 * side, dens));
	struct gen g = {&R, im, smax};
	for (uint32_t i = 0; i < n; i++) {
		struct synth_obj *o = obj_new(im);
		double u = rng_unit(&R);
		int cat = u < 0.25 ? SYNTH_RECTANGLE : u < 0.5 ? SYNTH_ELLIPSE :
			  u < 0.7 ? SYNTH_POLYGON : u < 0.85 ? SYNTH_LINE : SYNTH_PERSON;
		double s;
		if (rng_unit(&R) < 0.15)
			s = rng_range(&R, 2, 8); /* tiny */
		else {
			double t = rng_unit(&R);
			s = 8 + (g.smax - 8) * t * t * t; /* skewed to small */
		}
		double cx, cy;
		if (rng_unit(&R) < 0.12) {
			/* On the border: half in, half out. */
			uint32_t e = rng_below(&R, 4);
			cx = e == 0 ? 0 : e == 1 ? w : rng_range(&R, 0, w);
			cy = e == 2 ? 0 : e == 3 ? h : rng_range(&R, 0, h);
		} else {
			cx = rng_range(&R, -s / 4, w + s / 4);
			cy = rng_range(&R, -s / 4, h + s / 4);
		}
		o->cat = (uint8_t)cat;
		o->color = (uint8_t)rng_below(&R, SYNTH_NCOLORS);
		for (int k = 0; k < 3; k++) {
			int c = color_rgb[o->color][k] + (int)rng_below(&R, 21) - 10;
			o->rgb[k] = (uint8_t)(c < 0 ? 0 : c > 255 ? 255 : c);
		}
		switch (cat) {
		case SYNTH_RECTANGLE: gen_rectangle(&g, o, cx, cy, s); break;
		case SYNTH_ELLIPSE: gen_ellipse(&g, o, cx, cy, s); break;
		case SYNTH_POLYGON: gen_polygon(&g, o, cx, cy, s); break;
		case SYNTH_LINE: gen_line(&g, o, cx, cy, s); break;
		default: gen_person(&g, o, cx, cy, s); break;
		}
	}

	/* What is left of each object after the later ones were drawn. */
	for (size_t i = 0; i < im->nobjs; i++) {
		struct synth_obj *o = &im->objs[i];
		if (!o->drawn)
			continue;
		uint32_t bx0 = UINT32_MAX, by0 = UINT32_MAX, bx1 = 0, by1 = 0;
		uint64_t area = 0;
		for (uint32_t y = o->dbox[1]; y < o->dbox[3]; y++) {
			const uint32_t *row = im->ids + (size_t)y * w;
			for (uint32_t x = o->dbox[0]; x < o->dbox[2]; x++) {
				if (row[x] != o->id)
					continue;
				area++;
				if (x < bx0)
					bx0 = x;
				if (x >= bx1)
					bx1 = x + 1;
				if (y < by0)
					by0 = y;
				by1 = y + 1;
			}
		}
		o->area = area;
		if (area) {
			o->bbox[0] = bx0;
			o->bbox[1] = by0;
			o->bbox[2] = bx1;
			o->bbox[3] = by1;
		}
		if (o->cat == SYNTH_PERSON) {
			const double *kp = im->pts + o->pts;
			for (int k = 0; k < SYNTH_NKP; k++) {
				double x = kp[2 * k], y = kp[2 * k + 1];
				if (x < 0 || y < 0 || x >= w || y >= h)
					o->kv[k] = 0;
				else
					o->kv[k] = im->ids[(size_t)y * w + (size_t)x] == o->id ? 2 : 1;
			}
		}
	}
	paint(im, &R);
	return 0;
}

int synth_obj_rle(struct synth_image *im, const struct synth_obj *o,
		  struct rle *out)
{
	uint32_t h = im->h, w = im->w;
	if ((uint64_t)h * w > UINT32_MAX)
		return CAIRN_ETOOBIG;
	size_t n = 0;
	uint32_t prev_end = 0, start = 0, end = 0;
	int have = 0;
#define PUSH(v) do { \
		if (n == im->capruns) { \
			im->capruns = im->capruns * 2 + 64; \
			im->runs = xrealloc(im->runs, im->capruns * sizeof(uint32_t)); \
		} \
		im->runs[n++] = (v); \
	} while (0)
	if (o->area) {
		for (uint32_t x = o->bbox[0]; x < o->bbox[2]; x++) {
			for (uint32_t y = o->bbox[1]; y < o->bbox[3]; y++) {
				if (im->ids[(size_t)y * w + x] != o->id)
					continue;
				uint32_t at = x * h + y;
				if (have && at == end) {
					end++;
					continue;
				}
				if (have) {
					PUSH(start - prev_end);
					PUSH(end - start);
					prev_end = end;
				}
				start = at;
				end = at + 1;
				have = 1;
			}
		}
	}
	if (have) {
		PUSH(start - prev_end);
		PUSH(end - start);
		if (end < h * w)
			PUSH(h * w - end);
	} else {
		PUSH(h * w);
	}
#undef PUSH
	rle_from_counts(out, im->runs, n, h, w);
	return 0;
}

/* ---- JSON ---- */

/* A quarter-pixel value, printed exactly and shortest. */
static void add_q(struct buf *b, double v)
{
	long long q = (long long)floor(v * 4 + 0.5);
	const char *sign = q < 0 ? "-" : "";
	unsigned long long a = q < 0 ? (unsigned long long)-q : (unsigned long long)q;
	static const char *const frac[4] = {"", ".25", ".5", ".75"};
	buf_addf(b, "%s%llu%s", sign, a / 4, frac[a % 4]);
}

static void add_pts(struct buf *b, const double *xy, size_t n)
{
	buf_addch(b, '[');
	for (size_t i = 0; i < 2 * n; i++) {
		if (i)
			buf_addch(b, ',');
		add_q(b, xy[i]);
	}
	buf_addch(b, ']');
}

int synth_obj_json(struct synth_image *im, const struct synth_obj *o,
		   uint64_t image_id, struct buf *out)
{
	const double *xy = im->pts + o->pts;
	bool occluded = o->area < o->drawn;
	bool polyseg = (o->cat == SYNTH_RECTANGLE || o->cat == SYNTH_POLYGON) &&
		       !o->hole && o->inside && !occluded;
	buf_addf(out, "\"image_id\":%llu,\"category_id\":%u,\"bbox\":[%u,%u,%u,%u],"
		 "\"area\":%llu,\"iscrowd\":0,\"segmentation\":",
		 (unsigned long long)image_id, o->cat, o->bbox[0], o->bbox[1],
		 o->bbox[2] - o->bbox[0], o->bbox[3] - o->bbox[1],
		 (unsigned long long)o->area);
	if (polyseg) {
		buf_addch(out, '[');
		add_pts(out, xy, o->npts);
		buf_addch(out, ']');
	} else {
		struct rle r = RLE_INIT;
		int rc = synth_obj_rle(im, o, &r);
		if (rc)
			return rc;
		/* COCO's counts alphabet includes the backslash: escape. */
		struct buf cs = BUF_INIT;
		rc = rle_to_string(&r, &cs);
		rle_release(&r);
		if (!rc) {
			buf_addf(out, "{\"size\":[%u,%u],\"counts\":", im->h, im->w);
			rc = buf_add_json_strn(out, cs.data, cs.len);
			buf_addch(out, '}');
		}
		buf_release(&cs);
		if (rc)
			return rc;
		if (o->cat == SYNTH_RECTANGLE || o->cat == SYNTH_POLYGON) {
			buf_adds(out, ",\"polygon\":");
			add_pts(out, xy, o->npts);
			if (o->hole) {
				buf_adds(out, ",\"holes\":[");
				add_pts(out, im->pts + o->hpts, o->nhpts);
				buf_addch(out, ']');
			}
		}
	}
	switch (o->cat) {
	case SYNTH_ELLIPSE:
		buf_adds(out, ",\"ellipse\":[");
		for (int i = 0; i < 4; i++) {
			add_q(out, o->param[i]);
			buf_addch(out, ',');
		}
		buf_addf(out, "%d]", (int)o->param[4]);
		break;
	case SYNTH_LINE:
		buf_adds(out, ",\"polyline\":");
		add_pts(out, xy, o->npts);
		buf_addf(out, ",\"stroke_width\":%d", (int)o->param[0]);
		break;
	case SYNTH_PERSON: {
		int nk = 0;
		buf_adds(out, ",\"keypoints\":[");
		for (int k = 0; k < SYNTH_NKP; k++) {
			if (k)
				buf_addch(out, ',');
			if (o->kv[k]) {
				add_q(out, xy[2 * k]);
				buf_addch(out, ',');
				add_q(out, xy[2 * k + 1]);
				nk++;
			} else {
				buf_adds(out, "0,0");
			}
			buf_addf(out, ",%u", o->kv[k]);
		}
		buf_addf(out, "],\"num_keypoints\":%d", nk);
		break;
	}
	default:
		break;
	}
	/* The demo schema's attributes: occluded means more than a quarter
	 * hidden; truncated, cut by the border. */
	bool hidden = (o->drawn - o->area) * 4 > o->drawn;
	buf_addf(out, ",\"attributes\":{\"occluded\":%s,\"truncated\":%s,",
		 hidden ? "true" : "false", o->inside ? "false" : "true");
	if (o->cat == SYNTH_PERSON)
		buf_addf(out, "\"pose\":\"%s\"}}", pose_names[o->pose]);
	else
		buf_addf(out, "\"color\":\"%s\"}}", color_names[o->color]);
	return 0;
}

/* ---- the whole set ---- */

void synth_opts_init(struct synth_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->objects = 8;
	o->seed = 1;
	o->width = 640;
	o->height = 480;
	o->format = SYNTH_JPEG;
	o->quality = 90;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int mkdir_p(const char *path, struct buf *err)
{
	struct buf p = BUF_INIT;
	buf_adds(&p, path);
	for (size_t i = 1; i <= p.len; i++) {
		if (i < p.len && p.data[i] != '/')
			continue;
		char c = p.data[i];
		p.data[i] = 0;
		if (mkdir(p.data, 0777) && errno != EEXIST) {
			buf_setf(err, "synth: cannot create '%s': %s", p.data, strerror(errno));
			buf_release(&p);
			return CAIRN_EIO;
		}
		p.data[i] = c;
	}
	struct stat st;
	int ok = !stat(path, &st) && S_ISDIR(st.st_mode);
	if (!ok)
		buf_setf(err, "synth: '%s' is not a directory", path);
	buf_release(&p);
	return ok ? 0 : CAIRN_EIO;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return 1;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/* Under --force: drops images of an earlier run so none is left stale. */
static void remove_old_images(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	struct buf p = BUF_INIT;
	while ((e = readdir(d))) {
		const char *s = e->d_name;
		size_t k = strspn(s, "0123456789");
		if (!k || (strcmp(s + k, ".jpg") && strcmp(s + k, ".png")))
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir, s);
		unlink(p.data);
	}
	buf_release(&p);
	closedir(d);
}

static int check_opts(const struct synth_opts *o, struct buf *err)
{
	if (!o->out || !*o->out) {
		buf_setf(err, "synth: no output directory");
		return CAIRN_EINVAL;
	}
	if (o->images < 1 || o->images > SYNTH_MAX_IMAGES) {
		buf_setf(err, "synth: --images %u is outside 1..%u", o->images,
			 SYNTH_MAX_IMAGES);
		return CAIRN_EINVAL;
	}
	if (o->objects > SYNTH_MAX_OBJECTS) {
		buf_setf(err, "synth: --objects %u is over the limit of %u",
			 o->objects, SYNTH_MAX_OBJECTS);
		return CAIRN_EINVAL;
	}
	if (o->width < SYNTH_MIN_SIDE || o->height < SYNTH_MIN_SIDE ||
	    o->width > SYNTH_MAX_SIDE || o->height > SYNTH_MAX_SIDE) {
		buf_setf(err, "synth: --size %ux%u is outside %ux%u..%ux%u",
			 o->width, o->height, SYNTH_MIN_SIDE, SYNTH_MIN_SIDE,
			 SYNTH_MAX_SIDE, SYNTH_MAX_SIDE);
		return CAIRN_EINVAL;
	}
	if (o->quality < 1 || o->quality > 100) {
		buf_setf(err, "synth: --quality %d is outside 1..100", o->quality);
		return CAIRN_EINVAL;
	}
	return 0;
}

static void add_header(struct buf *b, const struct synth_opts *o)
{
	buf_addf(b, "{\"info\":{\"description\":\"Cairn synthetic shapes\","
		 "\"version\":\"1\",\"contributor\":\"cairn synth\","
		 "\"url\":\"\",\"year\":2025,\"date_created\":\"\","
		 "\"synth\":{\"seed\":%llu,\"images\":%u,\"objects\":%u,"
		 "\"width\":%u,\"height\":%u}},\n",
		 (unsigned long long)o->seed, o->images, o->objects, o->width,
		 o->height);
	buf_adds(b, "\"licenses\":[{\"id\":1,\"name\":\"CC0 1.0\","
		 "\"url\":\"https://creativecommons.org/publicdomain/zero/1.0/\"}],\n");
	buf_adds(b, "\"categories\":[");
	for (int c = 1; c <= SYNTH_NCAT; c++) {
		buf_addf(b, "%s{\"id\":%d,\"name\":", c > 1 ? "," : "", c);
		buf_add_json_str(b, cat_names[c]);
		buf_adds(b, ",\"supercategory\":\"shape\"");
		if (c == SYNTH_PERSON) {
			buf_adds(b, ",\"keypoints\":[");
			for (int k = 0; k < SYNTH_NKP; k++) {
				if (k)
					buf_addch(b, ',');
				buf_add_json_str(b, synth_kp_names[k]);
			}
			buf_adds(b, "],\"skeleton\":[");
			for (int e = 0; e < 19; e++)
				buf_addf(b, "%s[%u,%u]", e ? "," : "",
					 synth_skeleton[e][0], synth_skeleton[e][1]);
			buf_addch(b, ']');
		}
		buf_addch(b, '}');
	}
	buf_adds(b, "],\n\"images\":[\n");
}

static int write_all(FILE *f, const struct buf *b, const char *path,
		     struct buf *err)
{
	if (b->len && fwrite(b->data, 1, b->len, f) != b->len) {
		buf_setf(err, "synth: cannot write '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	return 0;
}

static int save_image(const struct synth_image *im, const struct synth_opts *o,
		      const char *path, struct buf *err)
{
	VipsImage *v = vips_image_new_from_memory(im->rgb, (size_t)im->w * im->h * 3,
						  (int)im->w, (int)im->h, 3,
						  VIPS_FORMAT_UCHAR);
	if (!v) {
		buf_setf(err, "synth: vips: %s", vips_error_buffer());
		vips_error_clear();
		return CAIRN_EIO;
	}
	int rc = o->format == SYNTH_PNG ?
		 vips_pngsave(v, path, "compression", 6, "strip", TRUE, NULL) :
		 vips_jpegsave(v, path, "Q", o->quality, "strip", TRUE, NULL);
	g_object_unref(v);
	if (rc) {
		buf_setf(err, "synth: cannot write '%s': %s", path, vips_error_buffer());
		vips_error_clear();
		return CAIRN_EIO;
	}
	return 0;
}

/*
 * One image in flight: rendered, saved and turned into annotation bodies by
 * a worker, then written in image order by synth_run's thread, which alone
 * numbers annotations. The COCO text of an annotation is everything after
 * `"id":N,`, so workers need not know N.
 */
struct slot {
	struct synth_image im;
	struct buf json;          /* annotation bodies, back to back */
	size_t *ends;             /* end offset of each body in json */
	size_t nends, capends;
	struct synth_report rep;  /* this image's counts */
	struct buf err;
	int rc;
	uint32_t index;
	int state;                /* SLOT_FREE, SLOT_BUSY, SLOT_READY */
};

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY };

static int produce(const struct synth_opts *o, struct slot *s, uint32_t i)
{
	struct buf path = BUF_INIT;
	const char *ext = o->format == SYNTH_PNG ? "png" : "jpg";
	s->index = i;
	s->nends = 0;
	buf_reset(&s->json);
	memset(&s->rep, 0, sizeof(s->rep));
	int rc = synth_render(&s->im, o->width, o->height, o->objects, o->seed,
			      i, &s->err);
	if (!rc) {
		buf_addf(&path, "%s/images/%06u.%s", o->out, i, ext);
		rc = save_image(&s->im, o, path.data, &s->err);
	}
	for (size_t k = 0; !rc && k < s->im.nobjs; k++) {
		const struct synth_obj *ob = &s->im.objs[k];
		if (!ob->area)
			continue;
		if ((rc = synth_obj_json(&s->im, ob, i, &s->json))) {
			buf_setf(&s->err, "synth: image %u: cannot encode object %u", i, ob->id);
			break;
		}
		if (s->nends == s->capends) {
			s->capends = s->capends * 2 + 64;
			s->ends = xrealloc(s->ends, s->capends * sizeof(size_t));
		}
		s->ends[s->nends++] = s->json.len;
		s->rep.objects++;
		s->rep.per_cat[ob->cat]++;
		s->rep.occluded += ob->area < ob->drawn;
		s->rep.truncated += !ob->inside;
		s->rep.tiny += ob->bbox[2] - ob->bbox[0] <= 8 ||
			       ob->bbox[3] - ob->bbox[1] <= 8;
	}
	buf_release(&path);
	s->rc = rc;
	return rc;
}

struct pool {
	const struct synth_opts *o;
	struct slot *slots;
	uint32_t nslots;
	uint32_t next;     /* next image index to hand out */
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		if (p->stop || p->next > p->o->images) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		uint32_t i = p->next++;
		struct slot *s = &p->slots[(i - 1) % p->nslots];
		while (s->state != SLOT_FREE && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		produce(p->o, s, i);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_READY;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

static uint32_t pick_threads(const struct synth_opts *o)
{
	if (o->threads)
		return o->threads;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	/* Each thread holds a whole image (7 bytes a pixel): stay serial for
	 * huge ones, and past 8 threads JPEG and the disk are the limit. */
	if (n < 1 || (uint64_t)o->width * o->height > 16000000u)
		n = 1;
	if (n > 8)
		n = 8;
	if (n > (long)o->images)
		n = (long)o->images;
	return (uint32_t)n;
}

/* Appends one image's entry and annotations to the two files. */
static int consume(const struct synth_opts *o, struct slot *s, FILE *jf,
		   const char *jpath, FILE *af, const char *apath,
		   uint64_t *ann_id, struct synth_report *rep, struct buf *chunk,
		   struct buf *err)
{
	uint32_t i = s->index;
	const char *ext = o->format == SYNTH_PNG ? "png" : "jpg";
	int rc;
	buf_reset(chunk);
	buf_addf(chunk, "%s{\"id\":%u,\"file_name\":\"%06u.%s\",\"width\":%u,"
		 "\"height\":%u,\"license\":1,\"attributes\":{\"background\":\"%s\"}}",
		 i > 1 ? ",\n" : "", i, i, ext, o->width, o->height,
		 synth_bg_name(s->im.background));
	if ((rc = write_all(jf, chunk, jpath, err)))
		return rc;
	buf_reset(chunk);
	size_t start = 0;
	for (size_t k = 0; k < s->nends; k++) {
		++*ann_id;
		buf_addf(chunk, "%s{\"id\":%llu,", *ann_id > 1 ? ",\n" : "",
			 (unsigned long long)*ann_id);
		buf_add(chunk, s->json.data + start, s->ends[k] - start);
		start = s->ends[k];
		if (chunk->len > (1u << 20)) {
			if ((rc = write_all(af, chunk, apath, err)))
				return rc;
			buf_reset(chunk);
		}
	}
	if ((rc = write_all(af, chunk, apath, err)))
		return rc;
	rep->images = i;
	rep->objects += s->rep.objects;
	for (int c = 0; c <= SYNTH_NCAT; c++)
		rep->per_cat[c] += s->rep.per_cat[c];
	rep->occluded += s->rep.occluded;
	rep->truncated += s->rep.truncated;
	rep->tiny += s->rep.tiny;
	if (o->progress)
		o->progress(o->progress_ctx, i, o->images);
	return 0;
}

int synth_run(const struct synth_opts *o, struct synth_report *rep,
	      struct buf *err)
{
	struct synth_report local;
	if (!rep)
		rep = &local;
	memset(rep, 0, sizeof(*rep));
	double t0 = now_s();
	int rc = check_opts(o, err);
	if (rc)
		return rc;
	if ((rc = media_image_init(err)))
		return rc;
	if (!o->force && !dir_is_empty(o->out)) {
		buf_setf(err, "synth: '%s' is not empty (--force writes into it)", o->out);
		return CAIRN_EEXIST;
	}

	struct buf path = BUF_INIT, jpath = BUF_INIT, apath = BUF_INIT;
	struct buf chunk = BUF_INIT, body = BUF_INIT;
	FILE *jf = NULL, *af = NULL;
	uint32_t nthreads = pick_threads(o), nstarted = 0;
	struct pool pool = {o, NULL, nthreads > 1 ? nthreads + 1 : 1, 1, false,
			    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
	pthread_t *threads = NULL;
	pool.slots = xrealloc(NULL, pool.nslots * sizeof(struct slot));
	for (uint32_t k = 0; k < pool.nslots; k++) {
		struct slot *s = &pool.slots[k];
		memset(s, 0, sizeof(*s));
		s->json = (struct buf)BUF_INIT;
		s->err = (struct buf)BUF_INIT;
	}

	buf_addf(&path, "%s/images", o->out);
	if ((rc = mkdir_p(path.data, err)))
		goto out;
	if (o->force)
		remove_old_images(path.data);
	buf_reset(&path);
	buf_addf(&path, "%s/annotations", o->out);
	if ((rc = mkdir_p(path.data, err)))
		goto out;
	buf_addf(&jpath, "%s/annotations/.instances.json.tmp", o->out);
	buf_addf(&apath, "%s/annotations/.annotations.tmp", o->out);
	jf = fopen(jpath.data, "wb");
	af = jf ? fopen(apath.data, "w+b") : NULL;
	if (!jf || !af) {
		buf_setf(err, "synth: cannot create '%s': %s",
			 jf ? apath.data : jpath.data, strerror(errno));
		rc = CAIRN_EIO;
		goto out;
	}
	add_header(&chunk, o);
	if ((rc = write_all(jf, &chunk, jpath.data, err)))
		goto out;

	uint64_t ann_id = 0;
	if (nthreads > 1) {
		threads = xrealloc(NULL, nthreads * sizeof(pthread_t));
		for (; nstarted < nthreads; nstarted++)
			if (pthread_create(&threads[nstarted], NULL, worker, &pool))
				break;
		if (!nstarted) {
			buf_setf(err, "synth: cannot start a thread");
			rc = CAIRN_EIO;
			goto out;
		}
	}
	for (uint32_t i = 1; i <= o->images; i++) {
		struct slot *s = &pool.slots[(i - 1) % pool.nslots];
		if (nstarted) {
			pthread_mutex_lock(&pool.mu);
			while (!(s->state == SLOT_READY && s->index == i))
				pthread_cond_wait(&pool.cv, &pool.mu);
			pthread_mutex_unlock(&pool.mu);
		} else {
			produce(o, s, i);
		}
		if ((rc = s->rc)) {
			buf_setf(err, "%s", s->err.data);
			goto out;
		}
		rc = consume(o, s, jf, jpath.data, af, apath.data, &ann_id, rep,
			     &chunk, err);
		if (rc)
			goto out;
		if (nstarted) {
			pthread_mutex_lock(&pool.mu);
			s->state = SLOT_FREE;
			pthread_cond_broadcast(&pool.cv);
			pthread_mutex_unlock(&pool.mu);
		}
	}

	/* images[] is done: append annotations[] from the side file. */
	buf_reset(&chunk);
	buf_adds(&chunk, "\n],\n\"annotations\":[\n");
	if ((rc = write_all(jf, &chunk, jpath.data, err)))
		goto out;
	if (fflush(af) || fseek(af, 0, SEEK_SET)) {
		buf_setf(err, "synth: cannot read back '%s': %s", apath.data, strerror(errno));
		rc = CAIRN_EIO;
		goto out;
	}
	buf_grow(&body, 1 << 16);
	for (;;) {
		size_t got = fread(body.data, 1, 1 << 16, af);
		if (got && fwrite(body.data, 1, got, jf) != got) {
			buf_setf(err, "synth: cannot write '%s': %s", jpath.data, strerror(errno));
			rc = CAIRN_EIO;
			goto out;
		}
		if (got < (1 << 16))
			break;
	}
	if (ferror(af)) {
		buf_setf(err, "synth: cannot read back '%s'", apath.data);
		rc = CAIRN_EIO;
		goto out;
	}
	buf_reset(&chunk);
	buf_adds(&chunk, "\n]}\n");
	if ((rc = write_all(jf, &chunk, jpath.data, err)))
		goto out;
	int cerr = fclose(jf);
	jf = NULL;
	if (cerr) {
		buf_setf(err, "synth: cannot write '%s': %s", jpath.data, strerror(errno));
		rc = CAIRN_EIO;
		goto out;
	}
	buf_reset(&path);
	buf_addf(&path, "%s/annotations/instances.json", o->out);
	if (rename(jpath.data, path.data)) {
		buf_setf(err, "synth: cannot rename '%s' to '%s': %s", jpath.data,
			 path.data, strerror(errno));
		rc = CAIRN_EIO;
		goto out;
	}
	rep->seconds = now_s() - t0;
out:
	if (nstarted) {
		pthread_mutex_lock(&pool.mu);
		pool.stop = true;
		pthread_cond_broadcast(&pool.cv);
		pthread_mutex_unlock(&pool.mu);
		for (uint32_t k = 0; k < nstarted; k++)
			pthread_join(threads[k], NULL);
	}
	free(threads);
	for (uint32_t k = 0; k < pool.nslots; k++) {
		synth_image_release(&pool.slots[k].im);
		buf_release(&pool.slots[k].json);
		buf_release(&pool.slots[k].err);
		free(pool.slots[k].ends);
	}
	free(pool.slots);
	pthread_mutex_destroy(&pool.mu);
	pthread_cond_destroy(&pool.cv);
	if (jf) {
		fclose(jf);
		unlink(jpath.data);
	}
	if (af) {
		fclose(af);
		unlink(apath.data);
	}
	buf_release(&path);
	buf_release(&jpath);
	buf_release(&apath);
	buf_release(&chunk);
	buf_release(&body);
	return rc;
}
