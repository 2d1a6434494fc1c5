/*
 * consensus.c - majority vote, Dawid-Skene, weighted box fusion, mask vote
 * and STAPLE, keypoint means. Masks are never decoded to bitmaps: a sweep
 * walks the run-length codes of all masks together, so memory and time go
 * with the number of runs, not of pixels.
 */
#include "quality/consensus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/banned.h"

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		abort();
	return p;
}

/* ---- categories ----------------------------------------------------------- */

void consensus_majority(const struct agree_data *d, int32_t *cat, double *share)
{
	double *cnt = xcalloc(d->n_cats, sizeof(double));
	for (size_t i = 0; i < d->n_items; i++) {
		size_t lo = d->item_off[i], hi = d->item_off[i + 1];
		cat[i] = -1;
		share[i] = 0;
		if (lo == hi)
			continue;
		for (size_t k = lo; k < hi; k++)
			cnt[d->r[k].cat]++;
		int32_t best = -1;
		for (size_t k = lo; k < hi; k++) {
			int32_t c = (int32_t)d->r[k].cat;
			if (best < 0 || cnt[c] > cnt[best] || (cnt[c] == cnt[best] && c < best))
				best = c;
		}
		cat[i] = best;
		share[i] = cnt[best] / (double)(hi - lo);
		for (size_t k = lo; k < hi; k++)
			cnt[d->r[k].cat] = 0;
	}
	free(cnt);
}

void ds_result_release(struct ds_result *r)
{
	if (!r)
		return;
	free(r->posterior);
	free(r->confusion);
	free(r->prior);
	memset(r, 0, sizeof(*r));
}

int consensus_dawid_skene(const struct agree_data *d, double tol, int max_iter, double smoothing,
			  struct ds_result *out, struct buf *err)
{
	memset(out, 0, sizeof(*out));
	size_t I = d->n_items, J = d->n_raters, q = d->n_cats;
	if (!d->n || !q) {
		buf_setf(err, "dawid-skene: no ratings");
		return CAIRN_EINVAL;
	}
	if ((double)J * (double)q * (double)q > CONSENSUS_DS_MAX_CELLS) {
		buf_setf(err, "dawid-skene: %zu annotators x %zu labels^2 is over %d cells", J, q,
			 CONSENSUS_DS_MAX_CELLS);
		return CAIRN_ETOOBIG;
	}
	out->n_items = I;
	out->n_raters = J;
	out->q = q;
	double *T = out->posterior = xcalloc(I * q, sizeof(double));
	double *pi = out->confusion = xcalloc(J * q * q, sizeof(double));
	double *prior = out->prior = xcalloc(q, sizeof(double));
	double *logpi = xcalloc(J * q * q, sizeof(double));
	double *lp = xcalloc(q, sizeof(double));
	size_t rated = 0;
	/* Start from the vote shares (soft majority vote). */
	for (size_t i = 0; i < I; i++) {
		size_t lo = d->item_off[i], hi = d->item_off[i + 1];
		if (lo == hi)
			continue;
		rated++;
		for (size_t k = lo; k < hi; k++)
			T[i * q + d->r[k].cat] += 1.0 / (double)(hi - lo);
	}
	int it;
	for (it = 1; it <= max_iter; it++) {
		/* M-step: prior and confusion matrices from the posteriors. */
		memset(prior, 0, q * sizeof(double));
		for (size_t x = 0; x < J * q * q; x++)
			pi[x] = smoothing;
		for (size_t i = 0; i < I; i++) {
			size_t lo = d->item_off[i], hi = d->item_off[i + 1];
			if (lo == hi)
				continue;
			for (size_t k = 0; k < q; k++)
				prior[k] += T[i * q + k];
			for (size_t r = lo; r < hi; r++) {
				const struct agree_rating *g = &d->r[r];
				for (size_t k = 0; k < q; k++)
					pi[((size_t)g->rater * q + k) * q + g->cat] += T[i * q + k];
			}
		}
		for (size_t k = 0; k < q; k++)
			prior[k] = (prior[k] + smoothing) / ((double)rated + smoothing * (double)q);
		for (size_t j = 0; j < J; j++)
			for (size_t k = 0; k < q; k++) {
				double *row = &pi[(j * q + k) * q], s = 0;
				for (size_t l = 0; l < q; l++)
					s += row[l];
				for (size_t l = 0; l < q; l++) {
					row[l] /= s;
					logpi[(j * q + k) * q + l] = log(row[l]);
				}
			}
		/* E-step: posteriors from the prior and the matrices. */
		double change = 0, ll = 0;
		for (size_t i = 0; i < I; i++) {
			size_t lo = d->item_off[i], hi = d->item_off[i + 1];
			double *t = &T[i * q];
			if (lo == hi) {
				memcpy(t, prior, q * sizeof(double));
				continue;
			}
			for (size_t k = 0; k < q; k++)
				lp[k] = log(prior[k]);
			for (size_t r = lo; r < hi; r++) {
				const struct agree_rating *g = &d->r[r];
				for (size_t k = 0; k < q; k++)
					lp[k] += logpi[((size_t)g->rater * q + k) * q + g->cat];
			}
			double mx = -INFINITY, s = 0;
			for (size_t k = 0; k < q; k++)
				mx = fmax(mx, lp[k]);
			for (size_t k = 0; k < q; k++)
				s += exp(lp[k] - mx);
			ll += mx + log(s);
			for (size_t k = 0; k < q; k++) {
				double nv = exp(lp[k] - mx) / s;
				change = fmax(change, fabs(nv - t[k]));
				t[k] = nv;
			}
		}
		out->loglik = ll;
		out->iterations = it;
		if (change < tol) {
			out->converged = true;
			break;
		}
	}
	free(logpi);
	free(lp);
	return 0;
}

/* ---- boxes ---------------------------------------------------------------- */

void consensus_wbf(const box *b, const double *score, size_t n, size_t n_raters, box *out,
		   double *out_score)
{
	double sw = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
	for (size_t i = 0; i < n; i++) {
		double s = score ? score[i] : 1;
		sw += s;
		x0 += s * b[i].x;
		y0 += s * b[i].y;
		x1 += s * (b[i].x + b[i].w);
		y1 += s * (b[i].y + b[i].h);
	}
	if (!n || sw <= 0) {
		*out = n ? b[0] : (box){0, 0, 0, 0};
		*out_score = 0;
		return;
	}
	*out = (box){x0 / sw, y0 / sw, (x1 - x0) / sw, (y1 - y0) / sw};
	double nr = (double)(n_raters ? n_raters : n);
	*out_score = sw / (double)n * fmin((double)n, nr) / nr;
}

struct by_score {
	double s;
	size_t i;
};

static int cmp_score(const void *a, const void *b)
{
	const struct by_score *x = a, *y = b;
	if (x->s != y->s)
		return x->s > y->s ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

size_t consensus_wbf_cluster(const box *b, const uint32_t *label, const double *score, size_t n,
			     double iou_thr, size_t *cluster)
{
	struct by_score *ord = xcalloc(n, sizeof(*ord));
	for (size_t i = 0; i < n; i++)
		ord[i] = (struct by_score){score ? score[i] : 1, i};
	qsort(ord, n, sizeof(*ord), cmp_score);
	/* Running fused box per cluster: score-weighted sums. */
	double *acc = xcalloc(n * 5, sizeof(double));
	uint32_t *clabel = xcalloc(n, sizeof(uint32_t));
	size_t nc = 0;
	for (size_t t = 0; t < n; t++) {
		size_t i = ord[t].i;
		double s = ord[t].s > 0 ? ord[t].s : 1e-12;
		size_t c = nc;
		/* Boxes per item are few; clusters are checked in order. */
		for (size_t k = 0; k < nc; k++) {
			if (clabel[k] != label[i])
				continue;
			double *a = &acc[k * 5];
			box f = {a[0] / a[4], a[1] / a[4], (a[2] - a[0]) / a[4], (a[3] - a[1]) / a[4]};
			if (box_iou(b[i], f, 0) > iou_thr) {
				c = k;
				break;
			}
		}
		if (c == nc)
			clabel[nc++] = label[i];
		double *a = &acc[c * 5];
		a[0] += s * b[i].x;
		a[1] += s * b[i].y;
		a[2] += s * (b[i].x + b[i].w);
		a[3] += s * (b[i].y + b[i].h);
		a[4] += s;
		cluster[i] = c;
	}
	free(ord);
	free(acc);
	free(clabel);
	return nc;
}

/* ---- masks ---------------------------------------------------------------- */

/* Walks n masks' runs together: cb gets each stretch of pixels whose
 * pattern of masks (bit j: mask j has it) and count stay the same. */
typedef void (*sweep_cb)(void *ctx, uint32_t pattern, size_t count, uint64_t len);

static int sweep(const struct rle *m, size_t n, sweep_cb cb, void *ctx, struct buf *err)
{
	if (!n) {
		buf_setf(err, "no masks");
		return CAIRN_EINVAL;
	}
	for (size_t j = 0; j < n; j++)
		if (m[j].h != m[0].h || m[j].w != m[0].w) {
			buf_setf(err, "mask %zu is %ux%u, mask 0 is %ux%u", j, m[j].h, m[j].w, m[0].h,
				 m[0].w);
			return CAIRN_EINVAL;
		}
	uint64_t total = (uint64_t)m[0].h * m[0].w;
	size_t *run = xcalloc(n, sizeof(size_t));
	uint64_t *left = xcalloc(n, sizeof(uint64_t));
	for (size_t j = 0; j < n; j++) {
		while (run[j] < m[j].n && m[j].counts[run[j]] == 0)
			run[j]++;
		left[j] = run[j] < m[j].n ? m[j].counts[run[j]] : UINT64_MAX;
	}
	uint64_t done = 0;
	while (done < total) {
		uint64_t step = total - done;
		uint32_t pat = 0;
		size_t cnt = 0;
		for (size_t j = 0; j < n; j++) {
			bool fg = run[j] < m[j].n && (run[j] & 1);
			if (fg) {
				cnt++;
				if (j < 32)
					pat |= 1u << j;
			}
			if (left[j] < step)
				step = left[j];
		}
		cb(ctx, pat, cnt, step);
		done += step;
		for (size_t j = 0; j < n; j++) {
			if (left[j] == UINT64_MAX)
				continue;
			left[j] -= step;
			while (left[j] == 0) {
				run[j]++;
				left[j] = run[j] < m[j].n ? m[j].counts[run[j]] : UINT64_MAX;
			}
		}
	}
	free(run);
	free(left);
	return 0;
}

/* Builds an RLE from a sequence of (value, length) stretches. */
struct rle_build {
	uint32_t *counts;
	size_t n, cap;
	bool cur;               /* value of the open run */
	uint64_t len;
};

static void rb_push(struct rle_build *b, bool v, uint64_t len)
{
	if (v != b->cur) {
		if (b->n == b->cap) {
			b->cap = b->cap ? b->cap * 2 : 64;
			b->counts = realloc(b->counts, b->cap * sizeof(uint32_t));
			if (!b->counts)
				abort();
		}
		b->counts[b->n++] = (uint32_t)b->len;
		b->cur = v;
		b->len = 0;
	}
	b->len += len;
}

static void rb_finish(struct rle_build *b, uint32_t h, uint32_t w, struct rle *out)
{
	rb_push(b, !b->cur, 0);
	rle_from_counts(out, b->counts, b->n, h, w);
	rle_normalize(out);
	free(b->counts);
}

struct vote_ctx {
	struct rle_build b;
	size_t min_votes;
};

static void vote_cb(void *ctx, uint32_t pattern, size_t count, uint64_t len)
{
	(void)pattern;
	struct vote_ctx *c = ctx;
	rb_push(&c->b, count >= c->min_votes, len);
}

int consensus_mask_vote(const struct rle *m, size_t n, size_t min_votes, struct rle *out,
			struct buf *err)
{
	struct vote_ctx c = {{0}, min_votes ? min_votes : 1};
	int rc = sweep(m, n, vote_cb, &c, err);
	if (rc) {
		free(c.b.counts);
		return rc;
	}
	rb_finish(&c.b, m[0].h, m[0].w, out);
	return 0;
}

static void hist_cb(void *ctx, uint32_t pattern, size_t count, uint64_t len)
{
	(void)count;
	double *hist = ctx;
	hist[pattern] += (double)len;
}

struct staple_out {
	struct rle_build b;
	const double *w;
};

static void staple_cb(void *ctx, uint32_t pattern, size_t count, uint64_t len)
{
	(void)count;
	struct staple_out *c = ctx;
	rb_push(&c->b, c->w[pattern] >= 0.5, len);
}

int consensus_staple(const struct rle *m, size_t n, double tol, int max_iter, struct rle *out,
		     double *sens, double *spec, struct buf *err)
{
	if (n > CONSENSUS_STAPLE_MAX) {
		buf_setf(err, "staple: %zu masks, at most %d", n, CONSENSUS_STAPLE_MAX);
		return CAIRN_EINVAL;
	}
	size_t np = (size_t)1 << n;
	double *hist = xcalloc(np, sizeof(double)), *W = xcalloc(np, sizeof(double));
	int rc = sweep(m, n, hist_cb, hist, err);
	if (rc) {
		free(hist);
		free(W);
		return rc;
	}
	double *p = xcalloc(n, sizeof(double)), *q = xcalloc(n, sizeof(double));
	/* The prior: the mean foreground share over the annotators. */
	double total = 0, fgsum = 0;
	for (size_t pat = 0; pat < np; pat++) {
		total += hist[pat];
		fgsum += hist[pat] * __builtin_popcountll((unsigned long long)pat);
	}
	double f = total > 0 ? fgsum / (total * (double)n) : 0.5;
	f = fmin(fmax(f, 1e-9), 1 - 1e-9);
	for (size_t j = 0; j < n; j++)
		p[j] = q[j] = 0.99;
	for (int it = 0; it < max_iter; it++) {
		/* E-step: W = P(true foreground | pattern). */
		for (size_t pat = 0; pat < np; pat++) {
			double a = log(f), b = log(1 - f);
			for (size_t j = 0; j < n; j++) {
				bool d = pat >> j & 1;
				a += log(d ? p[j] : 1 - p[j]);
				b += log(d ? 1 - q[j] : q[j]);
			}
			double mx = fmax(a, b);
			W[pat] = exp(a - mx) / (exp(a - mx) + exp(b - mx));
		}
		/* M-step: sensitivity and specificity of each annotator. */
		double change = 0, sw = 0, sb = 0;
		for (size_t pat = 0; pat < np; pat++) {
			sw += hist[pat] * W[pat];
			sb += hist[pat] * (1 - W[pat]);
		}
		for (size_t j = 0; j < n; j++) {
			double tp = 0, tn = 0;
			for (size_t pat = 0; pat < np; pat++) {
				if (pat >> j & 1)
					tp += hist[pat] * W[pat];
				else
					tn += hist[pat] * (1 - W[pat]);
			}
			double np_ = sw > 0 ? tp / sw : p[j], nq = sb > 0 ? tn / sb : q[j];
			np_ = fmin(fmax(np_, 1e-9), 1 - 1e-9);
			nq = fmin(fmax(nq, 1e-9), 1 - 1e-9);
			change = fmax(change, fmax(fabs(np_ - p[j]), fabs(nq - q[j])));
			p[j] = np_;
			q[j] = nq;
		}
		if (change < tol)
			break;
	}
	/* Final posteriors with the last estimates. */
	for (size_t pat = 0; pat < np; pat++) {
		double a = log(f), b = log(1 - f);
		for (size_t j = 0; j < n; j++) {
			bool d = pat >> j & 1;
			a += log(d ? p[j] : 1 - p[j]);
			b += log(d ? 1 - q[j] : q[j]);
		}
		double mx = fmax(a, b);
		W[pat] = exp(a - mx) / (exp(a - mx) + exp(b - mx));
	}
	struct staple_out so = {{0}, W};
	sweep(m, n, staple_cb, &so, err);
	rb_finish(&so.b, m[0].h, m[0].w, out);
	for (size_t j = 0; j < n; j++) {
		if (sens)
			sens[j] = p[j];
		if (spec)
			spec[j] = q[j];
	}
	free(p);
	free(q);
	free(hist);
	free(W);
	return 0;
}

/* ---- keypoints ------------------------------------------------------------ */

void consensus_keypoints(const double *const *xy, const uint8_t *const *v, size_t n, size_t k,
			 double *out_xy, uint8_t *out_v)
{
	for (size_t p = 0; p < k; p++) {
		double sx = 0, sy = 0;
		size_t c = 0;
		uint8_t best = 0;
		for (size_t i = 0; i < n; i++) {
			if (!v[i][p])
				continue;
			sx += xy[i][2 * p];
			sy += xy[i][2 * p + 1];
			c++;
			if (v[i][p] > best)
				best = v[i][p];
		}
		out_xy[2 * p] = c ? sx / (double)c : 0;
		out_xy[2 * p + 1] = c ? sy / (double)c : 0;
		out_v[p] = best;
	}
}
