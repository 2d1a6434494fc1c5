/*
 * test_consensus.c - unit tests for src/quality/consensus.c: majority vote,
 * Dawid-Skene recovering known confusion matrices from simulated
 * annotators, weighted box fusion, mask vote, STAPLE and keypoint means.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "quality/agree.h"
#include "quality/consensus.h"
#include "base/banned.h"

static void addi(struct agree_data *d, int item, int rater, int label)
{
	char i[16], r[16], l[16];
	snprintf(i, sizeof(i), "i%d", item);
	snprintf(r, sizeof(r), "r%d", rater);
	snprintf(l, sizeof(l), "%d", label);
	cr_assert_eq(agree_data_add(d, i, r, l, 0, NULL), 0);
}

Test(consensus, majority_with_ties_and_shares)
{
	struct agree_data d;
	agree_data_init(&d);
	addi(&d, 0, 0, 2); addi(&d, 0, 1, 2); addi(&d, 0, 2, 1);
	addi(&d, 1, 0, 3); addi(&d, 1, 1, 1);
	agree_data_add(&d, "i2", "r0", "", 0, NULL);
	agree_data_finish(&d, NULL);
	int32_t cat[3];
	double share[3];
	consensus_majority(&d, cat, share);
	cr_assert_str_eq(agree_cat_name(&d, (size_t)cat[0]), "2");
	cr_assert_float_eq(share[0], 2.0 / 3.0, 1e-12);
	/* A tie goes to the lowest category ("1" < "3"). */
	cr_assert_str_eq(agree_cat_name(&d, (size_t)cat[1]), "1");
	cr_assert_float_eq(share[1], 0.5, 1e-12);
	cr_assert_eq(cat[2], -1);
	agree_data_release(&d);
}

/* Draws from a discrete distribution. */
static int draw(uint64_t *st, const double *p, int q)
{
	double u = (double)(agree_rand(st) >> 11) / 9007199254740992.0, s = 0;
	for (int k = 0; k < q; k++) {
		s += p[k];
		if (u < s)
			return k;
	}
	return q - 1;
}

Test(consensus, dawid_skene_recovers_confusion_matrices)
{
	enum { Q = 3, J = 5, N = 3000 };
	static const double prior[Q] = {0.5, 0.3, 0.2};
	/* Annotator j, true k: the distribution of what j says. */
	static const double conf[J][Q][Q] = {
		{{0.9, 0.05, 0.05}, {0.05, 0.9, 0.05}, {0.05, 0.05, 0.9}},
		{{0.8, 0.15, 0.05}, {0.1, 0.8, 0.1}, {0.05, 0.15, 0.8}},
		{{0.7, 0.2, 0.1}, {0.3, 0.6, 0.1}, {0.1, 0.1, 0.8}},
		{{0.6, 0.3, 0.1}, {0.2, 0.7, 0.1}, {0.3, 0.1, 0.6}},
		{{0.95, 0.05, 0.0}, {0.5, 0.5, 0.0}, {0.4, 0.0, 0.6}}, /* biased to 0 */
	};
	uint64_t st = 2024;
	int truth[N];
	struct agree_data d;
	agree_data_init(&d);
	for (int i = 0; i < N; i++) {
		truth[i] = draw(&st, prior, Q);
		for (int j = 0; j < J; j++)
			addi(&d, i, j, draw(&st, conf[j][truth[i]], Q));
	}
	agree_data_finish(&d, NULL);
	/* Labels "0", "1", "2" are numbers: category c is label c. */
	struct ds_result r;
	struct buf err = BUF_INIT;
	cr_assert_eq(consensus_dawid_skene(&d, 1e-6, 200, 0.01, &r, &err), 0, "%s", err.data);
	cr_assert(r.converged);
	double worst = 0;
	for (int j = 0; j < J; j++) {
		/* Annotator names r0..r4 were interned in order. */
		cr_assert_eq(strcmp(agree_rater_name(&d, (size_t)j), (char[]){'r', (char)('0' + j), 0}), 0);
		for (int k = 0; k < Q; k++)
			for (int l = 0; l < Q; l++)
				worst = fmax(worst, fabs(r.confusion[((size_t)j * Q + k) * Q + l] - conf[j][k][l]));
	}
	cr_assert(worst < 0.05, "largest confusion error %f", worst);
	for (int k = 0; k < Q; k++)
		cr_assert(fabs(r.prior[k] - prior[k]) < 0.03, "prior %d %f", k, r.prior[k]);
	/* The posteriors beat the majority vote against the truth. */
	int32_t mv[N];
	double share[N];
	consensus_majority(&d, mv, share);
	int ok_ds = 0, ok_mv = 0;
	for (int i = 0; i < N; i++) {
		int best = 0;
		for (int k = 1; k < Q; k++)
			if (r.posterior[(size_t)i * Q + k] > r.posterior[(size_t)i * Q + best])
				best = k;
		ok_ds += best == truth[i];
		ok_mv += mv[i] == truth[i];
	}
	cr_assert(ok_ds > ok_mv, "ds %d mv %d", ok_ds, ok_mv);
	cr_assert(ok_ds > N * 0.9, "ds %d", ok_ds);
	ds_result_release(&r);
	buf_release(&err);
	agree_data_release(&d);
}

Test(consensus, wbf_fuses_and_clusters)
{
	box b[4] = {{0, 0, 10, 10}, {2, 0, 10, 10}, {100, 100, 5, 5}, {1, 1, 10, 10}};
	double s[4] = {1, 3, 1, 1};
	uint32_t lab[4] = {0, 0, 0, 1};
	box f;
	double fs;
	consensus_wbf(b, s, 2, 3, &f, &fs);
	cr_assert_float_eq(f.x, 1.5, 1e-12);
	cr_assert_float_eq(f.w, 10, 1e-12);
	cr_assert_float_eq(fs, 2.0 * 2 / 3, 1e-12);
	size_t cl[4];
	size_t nc = consensus_wbf_cluster(b, lab, s, 4, 0.55, cl);
	cr_assert_eq(nc, 3);
	cr_assert_eq(cl[0], cl[1]);
	cr_assert_neq(cl[2], cl[0]);
	cr_assert_neq(cl[3], cl[0]); /* other label */
}

static void mask_from(struct rle *m, const char *bits, uint32_t h, uint32_t w)
{
	uint8_t bm[64];
	for (uint32_t i = 0; i < h * w; i++)
		bm[i] = bits[i] == '1';
	cr_assert_eq(rle_from_bitmap(m, bm, h, w), 0);
}

Test(consensus, mask_vote_and_staple)
{
	struct rle m[3] = {RLE_INIT, RLE_INIT, RLE_INIT}, out = RLE_INIT, want = RLE_INIT;
	mask_from(&m[0], "011110000", 3, 3);
	mask_from(&m[1], "001111000", 3, 3);
	mask_from(&m[2], "111100001", 3, 3);
	cr_assert_eq(consensus_mask_vote(m, 3, 2, &out, NULL), 0);
	mask_from(&want, "011110000", 3, 3);
	cr_assert(rle_equal(&out, &want));
	rle_release(&out);
	cr_assert_eq(consensus_mask_vote(m, 3, 1, &out, NULL), 0);
	rle_release(&want);
	mask_from(&want, "111111001", 3, 3);
	cr_assert(rle_equal(&out, &want));
	rle_release(&out);
	double sens[3], spec[3];
	cr_assert_eq(consensus_staple(m, 3, 1e-8, 100, &out, sens, spec, NULL), 0);
	/* The pixels all three or two agree on are in; the lone ones out. */
	uint8_t bm[9];
	rle_to_bitmap(&out, bm);
	cr_assert(bm[2] && bm[3]);
	cr_assert(!bm[8] && !bm[6]);
	for (int j = 0; j < 3; j++)
		cr_assert(sens[j] > 0 && sens[j] < 1 && spec[j] > 0 && spec[j] < 1);
	rle_release(&out);
	rle_release(&want);
	/* Sizes must agree. */
	struct rle odd = RLE_INIT;
	mask_from(&odd, "0110", 2, 2);
	struct rle two[2] = {m[0], odd};
	struct buf err = BUF_INIT;
	cr_assert_neq(consensus_mask_vote(two, 2, 1, &out, &err), 0);
	cr_assert(strstr(err.data, "mask 1 is 2x2"), "%s", err.data);
	buf_release(&err);
	rle_release(&odd);
	for (int j = 0; j < 3; j++)
		rle_release(&m[j]);
}

Test(consensus, staple_large_mask_by_patterns)
{
	/* 1000x1000 masks: the sweep never makes a bitmap. */
	struct rle m[2] = {RLE_INIT, RLE_INIT}, out = RLE_INIT;
	uint32_t c1[3] = {100000, 500000, 400000}, c2[3] = {100010, 500000, 399990};
	rle_from_counts(&m[0], c1, 3, 1000, 1000);
	rle_from_counts(&m[1], c2, 3, 1000, 1000);
	cr_assert_eq(consensus_staple(m, 2, 1e-9, 100, &out, NULL, NULL, NULL), 0);
	uint64_t a = rle_area(&out);
	cr_assert(a >= 499990 && a <= 500010, "%llu", (unsigned long long)a);
	rle_release(&out);
	rle_release(&m[0]);
	rle_release(&m[1]);
}

Test(consensus, keypoints_mean_of_visible)
{
	double a[4] = {0, 0, 10, 10}, b[4] = {2, 2, 99, 99}, c[4] = {4, 4, 0, 0};
	uint8_t va[2] = {2, 2}, vb[2] = {1, 0}, vc[2] = {2, 0};
	const double *xy[3] = {a, b, c};
	const uint8_t *v[3] = {va, vb, vc};
	double out[4];
	uint8_t ov[2];
	consensus_keypoints(xy, v, 3, 2, out, ov);
	cr_assert_float_eq(out[0], 2, 1e-12);
	cr_assert_float_eq(out[2], 10, 1e-12);
	cr_assert_eq(ov[0], 2);
	cr_assert_eq(ov[1], 2);
}
