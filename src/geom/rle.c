/*
 * rle.c - COCO run-length masks: bitmap conversion, area, bbox, the
 * compressed counts string, merge and IoU. The polygon rasteriser lives in
 * rle_poly.c. Everything here is defensive about counts that do not sum to
 * h*w and about zero-length runs, where pycocotools is not.
 */
#include "geom/rle.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom_int.h"
#include "base/banned.h"

void rle_release(struct rle *r)
{
	if (!r)
		return;
	free(r->counts);
	r->counts = NULL;
	r->n = 0;
	r->h = r->w = 0;
}

void rle_from_counts(struct rle *out, const uint32_t *counts, size_t n,
		     uint32_t h, uint32_t w)
{
	out->h = h;
	out->w = w;
	out->n = n;
	out->counts = n ? geom_xmalloc(n * sizeof(*counts)) : NULL;
	if (n)
		memcpy(out->counts, counts, n * sizeof(*counts));
}

void rle_copy(struct rle *out, const struct rle *r)
{
	rle_from_counts(out, r->counts, r->n, r->h, r->w);
}

int rle_check(const struct rle *r, struct buf *err)
{
	uint64_t sum = 0, want = (uint64_t)r->h * r->w;
	size_t i;

	if (r->n && !r->counts) {
		buf_setf(err, "rle: %zu counts but no array", r->n);
		return CAIRN_EINVAL;
	}
	for (i = 0; i < r->n; i++) {
		sum += r->counts[i];
		if (sum > want) {
			buf_setf(err, "rle: counts sum past h*w = %llu at run %zu",
				 (unsigned long long)want, i);
			return CAIRN_EINVAL;
		}
	}
	if (sum != want) {
		buf_setf(err, "rle: counts sum to %llu, expected h*w = %llu",
			 (unsigned long long)sum, (unsigned long long)want);
		return CAIRN_EINVAL;
	}
	return 0;
}

/* Appends one run to a growing counts array. */
struct runs {
	uint32_t *c;
	size_t n, cap;
};

static void runs_push(struct runs *r, uint32_t v)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->c = geom_xrealloc(r->c, r->cap * sizeof(*r->c));
	}
	r->c[r->n++] = v;
}

static void runs_finish(struct rle *out, struct runs *r, uint32_t h,
			uint32_t w)
{
	out->h = h;
	out->w = w;
	out->n = r->n;
	out->counts = r->c;
	if (!r->n) {
		free(r->c);
		out->counts = NULL;
	}
}

void rle_normalize(struct rle *r)
{
	size_t i, k = 0;

	/* Merge across zero-length runs: a zero run between two runs of the
	 * other colour joins them. k is the index of the last written run. */
	if (!r->n)
		return;
	for (i = 1; i < r->n; i++) {
		uint32_t c = r->counts[i];
		if (c == 0 && i + 1 < r->n) {
			r->counts[k] += r->counts[i + 1];
			i++;
			continue;
		}
		if (c == 0)
			continue;
		r->counts[++k] = c;
	}
	r->n = k + 1;
	/* A lone trailing zero count can only be the leading one. */
	if (r->n > 1 && r->counts[r->n - 1] == 0)
		r->n--;
}

int rle_equal(const struct rle *a, const struct rle *b)
{
	size_t ia = 0, ib = 0;
	uint64_t ra = 0, rb = 0;
	int va = 1, vb = 1;

	if (a->h != b->h || a->w != b->w)
		return 0;
	for (;;) {
		while (ra == 0 && ia < a->n) {
			ra = a->counts[ia++];
			va ^= 1;
		}
		while (rb == 0 && ib < b->n) {
			rb = b->counts[ib++];
			vb ^= 1;
		}
		if (ra == 0 || rb == 0)
			return ra == rb;
		if (va != vb)
			return 0;
		uint64_t c = ra < rb ? ra : rb;
		ra -= c;
		rb -= c;
	}
}

/* Detects a zero byte in a word (the classic bit trick). */
#define ONES ((uint64_t)0x0101010101010101ULL)
#define HIGHS ((uint64_t)0x8080808080808080ULL)
static inline int has_zero(uint64_t v)
{
	return ((v - ONES) & ~v & HIGHS) != 0;
}

int rle_from_bitmap(struct rle *out, const uint8_t *bitmap, uint32_t h,
		    uint32_t w)
{
	uint64_t a = (uint64_t)h * w;
	struct runs r = {0};
	size_t j = 0, start = 0;
	int p = 0;

	memset(out, 0, sizeof(*out));
	if (a > UINT32_MAX)
		return CAIRN_ETOOBIG;
	r.cap = 64;
	r.c = geom_xmalloc(r.cap * sizeof(*r.c));
	while (j < a) {
		/* Skip whole words that continue the current run. */
		if (!p) {
			while (j + 8 <= a) {
				uint64_t v;
				memcpy(&v, bitmap + j, 8);
				if (v)
					break;
				j += 8;
			}
			while (j < a && !bitmap[j])
				j++;
		} else {
			while (j + 8 <= a) {
				uint64_t v;
				memcpy(&v, bitmap + j, 8);
				if (has_zero(v))
					break;
				j += 8;
			}
			while (j < a && bitmap[j])
				j++;
		}
		runs_push(&r, (uint32_t)(j - start));
		start = j;
		p = !p;
	}
	if (a == 0)
		runs_push(&r, 0);
	runs_finish(out, &r, h, w);
	return 0;
}

int rle_from_bitmap_rowmajor(struct rle *out, const uint8_t *bitmap,
			     uint32_t h, uint32_t w)
{
	uint64_t a = (uint64_t)h * w;
	struct runs r = {0};
	uint32_t run = 0, x, y;
	int p = 0;

	memset(out, 0, sizeof(*out));
	if (a > UINT32_MAX)
		return CAIRN_ETOOBIG;
	for (x = 0; x < w; x++) {
		const uint8_t *col = bitmap + x;
		for (y = 0; y < h; y++) {
			int v = col[(size_t)y * w] != 0;
			if (v != p) {
				runs_push(&r, run);
				run = 0;
				p = v;
			}
			run++;
		}
	}
	runs_push(&r, run);
	runs_finish(out, &r, h, w);
	return 0;
}

int rle_to_bitmap(const struct rle *r, uint8_t *bitmap)
{
	size_t i, pos = 0;

	if (rle_check(r, NULL))
		return CAIRN_EINVAL;
	for (i = 0; i < r->n; i++) {
		memset(bitmap + pos, (int)(i & 1), r->counts[i]);
		pos += r->counts[i];
	}
	return 0;
}

int rle_to_bitmap_rowmajor(const struct rle *r, uint8_t *bitmap)
{
	size_t i, pos = 0;
	uint32_t h = r->h, w = r->w;

	if (rle_check(r, NULL))
		return CAIRN_EINVAL;
	for (i = 0; i < r->n; i++) {
		uint8_t v = (uint8_t)(i & 1);
		size_t end = pos + r->counts[i];
		for (; pos < end; pos++) {
			size_t x = pos / h, y = pos % h;
			bitmap[y * w + x] = v;
		}
	}
	return 0;
}

uint64_t rle_area(const struct rle *r)
{
	uint64_t a = 0;
	size_t i;

	for (i = 1; i < r->n; i += 2)
		a += r->counts[i];
	return a;
}

/* rle_bbox for masks whose positions fit in 32 bits: 32-bit divisions,
 * and one per run when the run ends in the column it starts in (most
 * runs). Same result as the general loop; -1 (bbox untouched) when the
 * counts add up past 32 bits, which only an unchecked RLE does. */
static int bbox32(const struct rle *r, double bbox[4])
{
	uint32_t pos = 0, h = r->h, xs = UINT32_MAX, xe = 0, ys = UINT32_MAX, ye = 0;

	for (size_t i = 0; i < r->n; i++) {
		uint32_t c = r->counts[i], start = pos;
		if (c > UINT32_MAX - start)
			return -1;
		pos += c;
		if (!(i & 1) || !c)
			continue;
		uint32_t x0 = start / h, y0 = start - x0 * h, x1 = x0, y1;
		if (c <= h - y0) {
			y1 = y0 + c - 1;
		} else {
			/* Spans columns: every row. */
			x1 = (pos - 1) / h;
			y0 = 0;
			y1 = h - 1;
		}
		if (x0 < xs)
			xs = x0;
		if (x1 > xe)
			xe = x1;
		if (y0 < ys)
			ys = y0;
		if (y1 > ye)
			ye = y1;
	}
	if (xs == UINT32_MAX)
		return 0;
	bbox[0] = (double)xs;
	bbox[1] = (double)ys;
	bbox[2] = (double)(xe - xs + 1);
	bbox[3] = (double)(ye - ys + 1);
	return 0;
}

void rle_bbox(const struct rle *r, double bbox[4])
{
	uint64_t pos = 0, h = r->h;
	uint64_t xs = UINT64_MAX, xe = 0, ys = UINT64_MAX, ye = 0;
	size_t i;

	bbox[0] = bbox[1] = bbox[2] = bbox[3] = 0;
	if (!r->h || !r->w)
		return;
	if ((uint64_t)r->h * r->w <= UINT32_MAX && !bbox32(r, bbox))
		return;
	for (i = 0; i < r->n; i++) {
		uint64_t c = r->counts[i], start = pos;
		pos += c;
		if (!(i & 1) || !c)
			continue;
		uint64_t x0 = start / h, x1 = (pos - 1) / h;
		if (x0 < xs)
			xs = x0;
		if (x1 > xe)
			xe = x1;
		if (x0 < x1) {
			ys = 0;
			ye = h - 1;
		} else {
			uint64_t y0 = start % h, y1 = (pos - 1) % h;
			if (y0 < ys)
				ys = y0;
			if (y1 > ye)
				ye = y1;
		}
	}
	if (xs == UINT64_MAX)
		return;
	bbox[0] = (double)xs;
	bbox[1] = (double)ys;
	bbox[2] = (double)(xe - xs + 1);
	bbox[3] = (double)(ye - ys + 1);
}

int rle_to_string(const struct rle *r, struct buf *out)
{
	size_t i;
	int rc;

	/* At most 7 characters per count (35 bits cover a signed 33-bit
	 * delta). */
	if (r->n > (SIZE_MAX - 1) / 7)
		return CAIRN_ETOOBIG;
	rc = buf_grow(out, r->n * 7);
	if (rc)
		return rc;
	char *s = out->data + out->len;
	size_t p = 0;
	for (i = 0; i < r->n; i++) {
		int64_t x = r->counts[i];
		int more = 1;
		if (i > 2)
			x -= (int64_t)r->counts[i - 2];
		while (more) {
			int c = (int)(x & 0x1f);
			x >>= 5;
			more = (c & 0x10) ? x != -1 : x != 0;
			if (more)
				c |= 0x20;
			s[p++] = (char)(c + 48);
		}
	}
	out->len += p;
	out->data[out->len] = 0;
	return 0;
}

/* Reports where the counts of a string that passed the character checks
 * first sum past h*w (the parser checks the total only at the end). */
static void report_sum(const uint32_t *cnts, size_t m, uint64_t want,
		       struct buf *err)
{
	uint64_t sum = 0;
	size_t i;
	for (i = 0; i < m; i++) {
		sum += cnts[i];
		if (sum > want) {
			buf_setf(err, "rle: counts sum past h*w = %llu at count %zu",
				 (unsigned long long)want, i);
			return;
		}
	}
	buf_setf(err, "rle: counts sum to %llu, expected h*w = %llu",
		 (unsigned long long)sum, (unsigned long long)want);
}

/* The checked decoder of one value that may end near the end of the
 * string: *pp at its first character (already known valid, c). Returns 0,
 * or -1 for a truncated value, -2 for a bad character (at *pp), -3 for a
 * value longer than 12 characters. */
static int parse_tail(const unsigned char *u, size_t len, size_t *pp,
		      unsigned c, int64_t *out)
{
	size_t p = *pp + 1;
	int64_t x = c & 0x1f;
	unsigned k = 1;

	while (c & 0x20) {
		if (p >= len)
			return -1;
		c = (unsigned)u[p] - 48;
		if (c > 63) {
			*pp = p;
			return -2;
		}
		if (k >= 12)
			return -3;
		x |= (int64_t)(c & 0x1f) << (5 * k);
		p++;
		k++;
	}
	if (c & 0x10)
		x -= (int64_t)1 << (5 * k);
	*pp = p;
	*out = x;
	return 0;
}

int rle_from_stringn(struct rle *out, const char *s, size_t len, uint32_t h,
		     uint32_t w, struct buf *err)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t want = (uint64_t)h * w, sum = 0;
	size_t p = 0, m = 0;
	uint32_t *cnts;

	memset(out, 0, sizeof(*out));
	/* Below this the sum of the counts cannot overflow 64 bits. */
	if (len > UINT32_MAX) {
		buf_setf(err, "rle: counts string of %zu bytes is too long", len);
		return CAIRN_EINVAL;
	}
	/* Each count takes at least one character. Short strings (most
	 * masks) are decoded on the stack and copied out at their exact size,
	 * so a file of many masks leaves no holes in the heap. */
	uint32_t stack[1024];
	cnts = len <= sizeof(stack) / sizeof(stack[0]) ? stack
						       : geom_xmalloc((len ? len : 1) * sizeof(*cnts));
	while (p < len) {
		size_t at = p;
		unsigned c = (unsigned)u[p] - 48;
		int64_t x;

		if (c > 63)
			goto bad_char;
		if (len - p >= 12) {
			/* A whole value (12 characters at most) fits before
			 * the end: no end check per character. */
			unsigned sh = 5;
			x = c & 0x1f;
			p++;
			while (c & 0x20) {
				/* Check the length before reading: twelve
				 * characters are all the window holds. */
				if (sh >= 60)
					goto too_long;
				c = (unsigned)u[p] - 48;
				if (c > 63)
					goto bad_char;
				x |= (int64_t)(c & 0x1f) << sh;
				sh += 5;
				p++;
			}
			if (c & 0x10)
				x -= (int64_t)1 << sh;
		} else {
			int rc = parse_tail(u, len, &p, c, &x);
			if (rc == -1) {
				buf_setf(err, "rle: counts string ends inside "
					 "the value at offset %zu", at);
				goto fail;
			}
			if (rc == -2)
				goto bad_char;
			if (rc == -3)
				goto too_long;
		}
		if (m > 2)
			x += (int64_t)cnts[m - 2];
		/* Negative values wrap to huge ones: one comparison. */
		if ((uint64_t)x > UINT32_MAX) {
			buf_setf(err, "rle: count %zu (offset %zu) is out of "
				 "range: %lld", m, at, (long long)x);
			goto fail;
		}
		/* At most len counts below 2^32 each: sum cannot overflow. */
		sum += (uint64_t)x;
		cnts[m++] = (uint32_t)x;
		continue;
too_long:
		buf_setf(err, "rle: value at offset %zu of counts string is "
			 "too long", at);
		goto fail;
bad_char:
		buf_setf(err, "rle: bad character at offset %zu of counts "
			 "string", p);
		goto fail;
	}
	if (sum != want) {
		report_sum(cnts, m, want, err);
		goto fail;
	}
	out->h = h;
	out->w = w;
	out->n = m;
	if (!m) {
		if (cnts != stack)
			free(cnts);
		cnts = NULL;
	} else if (cnts == stack) {
		cnts = memcpy(geom_xmalloc(m * sizeof(*cnts)), stack, m * sizeof(*cnts));
	} else if (m < len) {
		/* Most counts take one or two characters: give the rest
		 * back. */
		cnts = geom_xrealloc(cnts, m * sizeof(*cnts));
	}
	out->counts = cnts;
	return 0;
fail:
	if (cnts != stack)
		free(cnts);
	return CAIRN_EINVAL;
}

int rle_from_string(struct rle *out, const char *s, uint32_t h, uint32_t w,
		    struct buf *err)
{
	return rle_from_stringn(out, s, strlen(s), h, w, err);
}

/* Walks two RLEs in step: one merge of a and b into r by op (enum rle_op);
 * the output is canonical. */
static void merge2(struct runs *r, const uint32_t *a, size_t na,
		   const uint32_t *b, size_t nb, int op)
{
	size_t ia = 0, ib = 0;
	uint64_t ra = 0, rb = 0, cur = 0;
	int va = 1, vb = 1, v = 0;

	r->n = 0;
	for (;;) {
		while (ra == 0 && ia < na) {
			ra = a[ia++];
			va ^= 1;
		}
		while (rb == 0 && ib < nb) {
			rb = b[ib++];
			vb ^= 1;
		}
		if (ra == 0 || rb == 0)
			break;
		uint64_t c = ra < rb ? ra : rb;
		int nv = op == RLE_INTERSECT ? (va & vb)
			 : op == RLE_XOR      ? (va ^ vb)
			 : op == RLE_SUBTRACT ? (va & !vb)
					      : (va | vb);
		if (nv != v) {
			runs_push(r, (uint32_t)cur);
			cur = 0;
			v = nv;
		}
		cur += c;
		ra -= c;
		rb -= c;
	}
	runs_push(r, (uint32_t)cur);
}

/* Union or intersection of a canonical a with any valid b, canonical out.
 * Only b's foreground span [lo, hi) is merged run by run; a's runs before
 * and after it are found by summing and copied whole (union) or become
 * one background run (intersection), so merging a small object into a
 * large accumulator costs a scan of additions and a memcpy, not a merge
 * step per run. */
static void merge_span(struct runs *r, const uint32_t *a, size_t na,
		       const uint32_t *b, size_t nb, int intersect,
		       uint64_t total)
{
	size_t jf = 0, jl = 0, j, ia = 0, ib;
	uint64_t lo = 0, hi = 0, pos = 0, p = 0, cur, ra = 0, rb;
	int v, va, vb = 0;

	for (j = 0; j < nb; j++) {
		if ((j & 1) && b[j]) {
			if (!jf) {
				jf = j;
				lo = p;
			}
			jl = j;
			hi = p + b[j];
		}
		p += b[j];
	}
	if (r->cap < na + nb + 4) {
		r->cap = na + nb + 4;
		r->c = geom_xrealloc(r->c, r->cap * sizeof(*r->c));
	}
	r->n = 0;
	if (!jf) {
		/* b is empty. */
		if (intersect) {
			r->c[r->n++] = (uint32_t)total;
		} else {
			memcpy(r->c, a, na * sizeof(*a));
			r->n = na;
		}
		return;
	}
	while (ia < na && pos + a[ia] <= lo)
		pos += a[ia++];
	if (intersect) {
		cur = pos;
		v = 0;
	} else if (ia == 0) {
		cur = 0;
		v = 0;
	} else {
		/* a[ia - 1] stays open: the merge may extend it. */
		memcpy(r->c, a, (ia - 1) * sizeof(*a));
		r->n = ia - 1;
		cur = a[ia - 1];
		v = (int)((ia - 1) & 1);
	}
	/* From pos on: a from its run ia, b from the background before its
	 * first foreground run. */
	va = !(ia & 1);
	rb = lo - pos;
	ib = jf;
	for (;;) {
		while (ra == 0 && ia < na) {
			ra = a[ia++];
			va ^= 1;
		}
		while (rb == 0 && ib <= jl) {
			rb = b[ib++];
			vb ^= 1;
		}
		if (rb == 0 || ra == 0)
			break;
		uint64_t c = ra < rb ? ra : rb;
		int nv = intersect ? (va & vb) : (va | vb);
		if (nv != v) {
			r->c[r->n++] = (uint32_t)cur;
			cur = 0;
			v = nv;
		}
		cur += c;
		ra -= c;
		rb -= c;
	}
	/* Past hi, b is background. */
	if (intersect) {
		uint64_t rest = total - hi;
		if (rest) {
			if (v) {
				r->c[r->n++] = (uint32_t)cur;
				cur = 0;
				v = 0;
			}
			cur += rest;
		}
		r->c[r->n++] = (uint32_t)cur;
		return;
	}
	if (ra) {
		if (va != v) {
			r->c[r->n++] = (uint32_t)cur;
			cur = 0;
			v = va;
		}
		cur += ra;
	}
	if (ia < na) {
		if ((int)(ia & 1) != v) {
			r->c[r->n++] = (uint32_t)cur;
			cur = 0;
		}
		cur += a[ia++];
	}
	r->c[r->n++] = (uint32_t)cur;
	memcpy(r->c + r->n, a + ia, (na - ia) * sizeof(*a));
	r->n += na - ia;
}

/* Balanced-tree merge of n >= 1 inputs into out: each run is walked
 * O(log n) times. */
static void tree_merge(struct runs *out, const struct rle *rles, size_t n,
		       enum rle_op op)
{
	size_t m = (n + 1) / 2, i;
	struct runs *lvl = geom_xcalloc(m, sizeof(*lvl)), tmp = {0};

	for (i = 0; i < m; i++) {
		if (2 * i + 1 < n) {
			merge2(&lvl[i], rles[2 * i].counts, rles[2 * i].n,
			       rles[2 * i + 1].counts, rles[2 * i + 1].n, op);
		} else {
			/* Pass the odd one through a merge with itself, which
			 * also makes it canonical. */
			merge2(&lvl[i], rles[2 * i].counts, rles[2 * i].n,
			       rles[2 * i].counts, rles[2 * i].n, RLE_UNION);
		}
	}
	while (m > 1) {
		size_t k = (m + 1) / 2;
		for (i = 0; i < k; i++) {
			if (2 * i + 1 < m) {
				merge2(&tmp, lvl[2 * i].c, lvl[2 * i].n,
				       lvl[2 * i + 1].c, lvl[2 * i + 1].n, op);
				free(lvl[2 * i].c);
				free(lvl[2 * i + 1].c);
				lvl[i] = tmp;
				memset(&tmp, 0, sizeof(tmp));
			} else {
				lvl[i] = lvl[2 * i];
			}
		}
		m = k;
	}
	*out = lvl[0];
	free(lvl);
}

int rle_merge(struct rle *out, const struct rle *rles, size_t n, int intersect,
	      struct buf *err)
{
	struct runs acc = {0}, tmp = {0};
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (rles[i].h != rles[0].h || rles[i].w != rles[0].w) {
			buf_setf(err, "rle: merge of masks of different sizes "
				 "(%ux%u and %ux%u at %zu)", rles[0].h,
				 rles[0].w, rles[i].h, rles[i].w, i);
			return CAIRN_EINVAL;
		}
		if (rle_check(&rles[i], err))
			return CAIRN_EINVAL;
	}
	if (n == 1) {
		rle_copy(out, &rles[0]);
		rle_normalize(out);
		return 0;
	}
	/* pycocotools merges one mask at a time into an accumulator, which
	 * costs the accumulator's size per mask: cheap while the union stays
	 * simple (overlapping objects), quadratic when it grows (many
	 * disjoint objects). Do the same, reusing two buffers, and switch to
	 * a balanced tree for the rest once the accumulator outgrows the
	 * inputs. */
	enum rle_op op = intersect ? RLE_INTERSECT : RLE_UNION;
	uint64_t total = (uint64_t)rles[0].h * rles[0].w;
	size_t rest = 0;
	for (i = 2; i < n; i++)
		rest += rles[i].n;
	merge2(&acc, rles[0].counts, rles[0].n, rles[1].counts, rles[1].n, op);
	for (i = 2; i < n; i++) {
		size_t avg = rest / (n - i) + 1;
		if (acc.n > 4096 && acc.n > 32 * avg) {
			struct runs t = {0};
			tree_merge(&t, rles + i, n - i, op);
			merge2(&tmp, acc.c, acc.n, t.c, t.n, op);
			free(t.c);
			free(acc.c);
			acc = tmp;
			memset(&tmp, 0, sizeof(tmp));
			break;
		}
		struct runs sw;
		merge_span(&tmp, acc.c, acc.n, rles[i].counts, rles[i].n,
			   intersect, total);
		rest -= rles[i].n;
		sw = acc;
		acc = tmp;
		tmp = sw;
	}
	free(tmp.c);
	runs_finish(out, &acc, rles[0].h, rles[0].w);
	return 0;
}

int rle_combine(struct rle *out, const struct rle *a, const struct rle *b,
		enum rle_op op, struct buf *err)
{
	struct runs acc = {0};

	memset(out, 0, sizeof(*out));
	if (a->h != b->h || a->w != b->w) {
		buf_setf(err, "rle: combining masks of different sizes "
			 "(%ux%u and %ux%u)", a->h, a->w, b->h, b->w);
		return CAIRN_EINVAL;
	}
	if (rle_check(a, err) || rle_check(b, err))
		return CAIRN_EINVAL;
	merge2(&acc, a->counts, a->n, b->counts, b->n, op);
	runs_finish(out, &acc, a->h, a->w);
	return 0;
}

/* Intersection pixel count of two same-size valid RLEs. */
static uint64_t inter_count(const uint32_t *a, size_t na, const uint32_t *b,
			    size_t nb)
{
	size_t ia = 0, ib = 0;
	uint64_t pa = 0, pb = 0, inter = 0;

	/* Work in absolute positions: [pa, pa + a[ia]) is a's current run.
	 * Only foreground runs of both can intersect. */
	if (na < 2 || nb < 2)
		return 0;
	pa = a[0];
	pb = b[0];
	ia = 1;
	ib = 1;
	while (ia < na && ib < nb) {
		uint64_t ea = pa + a[ia], eb = pb + b[ib];
		uint64_t lo = pa > pb ? pa : pb, hi = ea < eb ? ea : eb;
		if (hi > lo)
			inter += hi - lo;
		/* Advance whichever foreground run ends first, skipping the
		 * background run after it. */
		if (ea <= eb) {
			pa = ea + (ia + 1 < na ? a[ia + 1] : 0);
			ia += 2;
		} else {
			pb = eb + (ib + 1 < nb ? b[ib + 1] : 0);
			ib += 2;
		}
	}
	return inter;
}

int rle_inter_union(const struct rle *a, const struct rle *b, uint64_t *inter,
		    uint64_t *uni)
{
	if (a->h != b->h || a->w != b->w)
		return CAIRN_EINVAL;
	uint64_t i = inter_count(a->counts, a->n, b->counts, b->n);
	if (inter)
		*inter = i;
	if (uni)
		*uni = rle_area(a) + rle_area(b) - i;
	return 0;
}

static double iou_from(uint64_t i, uint64_t area_dt, uint64_t area_gt,
		       int crowd)
{
	uint64_t u;
	if (i == 0)
		return 0;
	u = crowd ? area_dt : area_dt + area_gt - i;
	return (double)i / (double)u;
}

double rle_iou(const struct rle *dt, const struct rle *gt, int gt_crowd)
{
	if (dt->h != gt->h || dt->w != gt->w)
		return -1;
	return iou_from(inter_count(dt->counts, dt->n, gt->counts, gt->n),
			rle_area(dt), rle_area(gt), gt_crowd);
}

struct iou_ctx {
	const struct rle *dt, *gt;
	const uint64_t *adt, *agt;
	const uint8_t *crowd;
	size_t ngt;
	double *out;
};

static void iou_pair(void *arg, size_t i, size_t j)
{
	struct iou_ctx *c = arg;
	const struct rle *d = &c->dt[i], *g = &c->gt[j];
	int crowd = c->crowd && c->crowd[j];

	if (d->h != g->h || d->w != g->w) {
		c->out[i * c->ngt + j] = -1;
		return;
	}
	c->out[i * c->ngt + j] = iou_from(inter_count(d->counts, d->n,
						      g->counts, g->n),
					  c->adt[i], c->agt[j], crowd);
}

void rle_iou_matrix(const struct rle *dt, size_t ndt, const struct rle *gt,
		    size_t ngt, const uint8_t *crowd, double *out)
{
	struct iou_ctx c;
	double *bd, *bg;
	uint64_t *adt, *agt;
	size_t i;

	if (!ndt || !ngt)
		return;
	memset(out, 0, ndt * ngt * sizeof(*out));
	bd = geom_xmalloc(ndt * 4 * sizeof(*bd));
	bg = geom_xmalloc(ngt * 4 * sizeof(*bg));
	adt = geom_xmalloc(ndt * sizeof(*adt));
	agt = geom_xmalloc(ngt * sizeof(*agt));
	for (i = 0; i < ndt; i++) {
		rle_bbox(&dt[i], bd + 4 * i);
		adt[i] = rle_area(&dt[i]);
	}
	for (i = 0; i < ngt; i++) {
		rle_bbox(&gt[i], bg + 4 * i);
		agt[i] = rle_area(&gt[i]);
	}
	c.dt = dt;
	c.gt = gt;
	c.adt = adt;
	c.agt = agt;
	c.crowd = crowd;
	c.ngt = ngt;
	c.out = out;
	geom_box_sweep(bd, ndt, bg, ngt, iou_pair, &c);
	free(bd);
	free(bg);
	free(adt);
	free(agt);
}
