/*
 * test_rle.c - unit tests for src/geom/rle.c: known values (the Datumaro
 * fixture, COCO strings), round trips, defensive parsing and merge/IoU
 * properties on random masks.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/rle.h"
#include "base/banned.h"

static uint64_t rng_state = 88172645463325252ULL;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

/* A random blobby column-major bitmap. */
static void random_bitmap(uint8_t *m, uint32_t h, uint32_t w)
{
	uint32_t x, y, nb = 1 + rnd() % 4, k;
	memset(m, 0, (size_t)h * w);
	for (k = 0; k < nb; k++) {
		uint32_t x0 = rnd() % w, y0 = rnd() % h;
		uint32_t x1 = x0 + rnd() % (w - x0 + 1), y1 = y0 + rnd() % (h - y0 + 1);
		for (x = x0; x < x1; x++)
			for (y = y0; y < y1; y++)
				m[(size_t)x * h + y] = (uint8_t)(rnd() % 8 != 0);
	}
}

Test(rle, datumaro_fixture)
{
	uint32_t c[] = {0, 20, 30};
	struct rle r;
	double bb[4];
	rle_from_counts(&r, c, 3, 10, 5);
	cr_assert_eq(rle_check(&r, NULL), 0);
	cr_assert_eq(rle_area(&r), 20);
	rle_bbox(&r, bb);
	cr_assert_eq(bb[0], 0);
	cr_assert_eq(bb[1], 0);
	cr_assert_eq(bb[2], 2);
	cr_assert_eq(bb[3], 10);
	uint8_t m[50];
	cr_assert_eq(rle_to_bitmap(&r, m), 0);
	for (int i = 0; i < 50; i++)
		cr_assert_eq(m[i], i < 20);
	rle_release(&r);
}

Test(rle, from_bitmap_starts_with_background)
{
	uint8_t m[6] = {1, 1, 0, 0, 1, 0};
	struct rle r;
	cr_assert_eq(rle_from_bitmap(&r, m, 3, 2), 0);
	cr_assert_eq(r.n, 5);
	uint32_t want[] = {0, 2, 2, 1, 1};
	cr_assert_arr_eq(r.counts, want, sizeof(want));
	rle_release(&r);
}

Test(rle, rowmajor_matches_colmajor)
{
	uint32_t h = 13, w = 17;
	uint8_t cm[13 * 17], rm[13 * 17];
	for (int it = 0; it < 50; it++) {
		random_bitmap(cm, h, w);
		for (uint32_t x = 0; x < w; x++)
			for (uint32_t y = 0; y < h; y++)
				rm[y * w + x] = cm[x * h + y];
		struct rle a, b;
		rle_from_bitmap(&a, cm, h, w);
		rle_from_bitmap_rowmajor(&b, rm, h, w);
		cr_assert_eq(a.n, b.n);
		cr_assert_arr_eq(a.counts, b.counts, a.n * 4);
		uint8_t back[13 * 17];
		cr_assert_eq(rle_to_bitmap_rowmajor(&a, back), 0);
		cr_assert_arr_eq(back, rm, sizeof(rm));
		rle_release(&a);
		rle_release(&b);
	}
}

Test(rle, string_known_value)
{
	/* pycocotools: encode of a 4x4 mask with the centre 2x2 set. */
	uint8_t m[16] = {0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0};
	struct rle r, back;
	struct buf s = BUF_INIT;
	rle_from_bitmap(&r, m, 4, 4);
	cr_assert_eq(rle_to_string(&r, &s), 0);
	cr_assert_str_eq(s.data, "52203");
	cr_assert_eq(rle_from_string(&back, s.data, 4, 4, NULL), 0);
	cr_assert(rle_equal(&r, &back));
	cr_assert_eq(back.n, r.n);
	buf_release(&s);
	rle_release(&r);
	rle_release(&back);
}

Test(rle, string_round_trip_random)
{
	struct buf s = BUF_INIT;
	for (int it = 0; it < 300; it++) {
		uint32_t n = 1 + rnd() % 40, i;
		uint32_t c[41];
		uint64_t sum = 0;
		for (i = 0; i < n; i++) {
			/* Large and small counts, to exercise negative deltas. */
			c[i] = (rnd() & 1) ? rnd() % 5 : rnd() % 100000000;
			sum += c[i];
		}
		/* Pick h, w with h*w = sum is not always possible; put the
		 * remainder in a final run over a 1-row mask. */
		if (sum > UINT32_MAX)
			continue;
		struct rle r, back;
		rle_from_counts(&r, c, n, 1, (uint32_t)sum);
		buf_reset(&s);
		cr_assert_eq(rle_to_string(&r, &s), 0);
		cr_assert_eq(rle_from_string(&back, s.data, 1, (uint32_t)sum, NULL), 0);
		cr_assert_eq(back.n, n);
		cr_assert_arr_eq(back.counts, c, n * 4);
		rle_release(&r);
		rle_release(&back);
	}
	buf_release(&s);
}

Test(rle, string_rejects_bad_input)
{
	struct rle r;
	struct buf err = BUF_INIT;
	cr_assert_eq(rle_from_string(&r, "52203", 4, 3, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "past h*w") || strstr(err.data, "sum"));
	cr_assert_eq(rle_from_string(&r, "5220", 4, 4, &err), CAIRN_EINVAL);
	cr_assert_eq(rle_from_string(&r, "52 03", 4, 4, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "offset 2"));
	cr_assert_eq(rle_from_string(&r, "5P", 4, 4, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "ends inside"));
	cr_assert_eq(rle_from_string(&r, "oooooooooooooooo1", 4, 4, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "rle: value at offset 0 of counts string is too long");
	/* The same errors near the end of a string (the checked tail) and far
	 * from it (the fast path). */
	cr_assert_eq(rle_from_string(&r, "oooooooooooo1", 4, 4, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "rle: value at offset 0 of counts string is too long");
	cr_assert_eq(rle_from_string(&r, "0000000000000000oooooooooooo1", 4, 4, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "rle: value at offset 16 of counts string is too long");
	cr_assert_eq(rle_from_string(&r, "1\1770000000000000000", 4, 4, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "rle: bad character at offset 1 of counts string");
	cr_assert_eq(rle_from_string(&r, "1P\177000000000000000", 4, 4, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "rle: bad character at offset 2 of counts string");
	cr_assert_eq(rle_from_string(&r, "100000000000000000P", 4, 4, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "ends inside the value at offset 18"), "%s", err.data);
	/* Sum errors name the count where the total passes h*w. */
	cr_assert_eq(rle_from_string(&r, "4404", 3, 4, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "rle: counts sum past h*w = 12 at count 3");
	cr_assert_eq(rle_from_string(&r, "44", 3, 4, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "rle: counts sum to 8, expected h*w = 12");
	/* A value of 12 characters in the fast path parses. */
	cr_assert_eq(rle_from_string(&r, "00000000000000", 0, 0, &err), 0);
	cr_assert_eq(r.n, 14);
	rle_release(&r);
	/* A negative first count. */
	cr_assert_eq(rle_from_string(&r, "_", 4, 4, &err), CAIRN_EINVAL);
	cr_assert_eq(r.counts, NULL);
	cr_assert_eq(rle_from_string(&r, "", 0, 0, &err), 0);
	cr_assert_eq(r.n, 0);
	buf_release(&err);
}

Test(rle, bbox_zero_length_runs)
{
	/* Leading zero-length runs and zero runs in the middle. */
	uint32_t c[] = {0, 0, 3, 0, 0, 2, 5, 0, 10};
	struct rle r;
	double bb[4];
	rle_from_counts(&r, c, 9, 5, 4);
	cr_assert_eq(rle_check(&r, NULL), 0);
	rle_bbox(&r, bb);
	/* Foreground pixels 3..4 of column 0. */
	cr_assert_eq(bb[0], 0);
	cr_assert_eq(bb[1], 3);
	cr_assert_eq(bb[2], 1);
	cr_assert_eq(bb[3], 2);
	cr_assert_eq(rle_area(&r), 2);
	rle_normalize(&r);
	uint32_t want[] = {3, 2, 15};
	cr_assert_eq(r.n, 3);
	cr_assert_arr_eq(r.counts, want, sizeof(want));
	rle_release(&r);
}

Test(rle, check_rejects_overlong_counts)
{
	uint32_t c[] = {10, 20, 30};
	struct rle r;
	struct buf err = BUF_INIT;
	rle_from_counts(&r, c, 3, 5, 10);
	cr_assert_eq(rle_check(&r, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "past"));
	uint8_t m[50];
	cr_assert_eq(rle_to_bitmap(&r, m), CAIRN_EINVAL);
	rle_release(&r);
	buf_release(&err);
}

Test(rle, merge_and_iou_properties)
{
	uint32_t h = 23, w = 31;
	uint8_t a[23 * 31], b[23 * 31], u[23 * 31], in[23 * 31];
	for (int it = 0; it < 200; it++) {
		random_bitmap(a, h, w);
		random_bitmap(b, h, w);
		for (size_t i = 0; i < sizeof(a); i++) {
			u[i] = a[i] || b[i];
			in[i] = a[i] && b[i];
		}
		struct rle ra, rb, ru, ri, eu, ei, pair[2];
		rle_from_bitmap(&ra, a, h, w);
		rle_from_bitmap(&rb, b, h, w);
		rle_from_bitmap(&eu, u, h, w);
		rle_from_bitmap(&ei, in, h, w);
		pair[0] = ra;
		pair[1] = rb;
		cr_assert_eq(rle_merge(&ru, pair, 2, 0, NULL), 0);
		cr_assert_eq(rle_merge(&ri, pair, 2, 1, NULL), 0);
		cr_assert_eq(ru.n, eu.n);
		cr_assert_arr_eq(ru.counts, eu.counts, eu.n * 4);
		cr_assert_eq(ri.n, ei.n);
		cr_assert_arr_eq(ri.counts, ei.counts, ei.n * 4);
		cr_assert_eq(rle_area(&ru), rle_area(&ra) + rle_area(&rb) - rle_area(&ri));
		double iab = rle_iou(&ra, &rb, 0), iba = rle_iou(&rb, &ra, 0);
		cr_assert_eq(iab, iba);
		cr_assert(iab >= 0 && iab <= 1);
		if (rle_area(&ra))
			cr_assert_eq(rle_iou(&ra, &ra, 0), 1.0);
		double want = rle_area(&ri) ? (double)rle_area(&ri) / (double)rle_area(&ru) : 0;
		cr_assert_eq(iab, want);
		/* The matrix agrees with the pair function, crowd or not. */
		double mtx[4];
		uint8_t crowd[2] = {0, 1};
		rle_iou_matrix(pair, 2, pair, 2, crowd, mtx);
		cr_assert_eq(mtx[1], rle_iou(&ra, &rb, 1));
		cr_assert_eq(mtx[2], iba);
		rle_release(&ra);
		rle_release(&rb);
		rle_release(&ru);
		rle_release(&ri);
		rle_release(&eu);
		rle_release(&ei);
	}
}

Test(rle, merge_rejects_size_mismatch)
{
	uint32_t c1[] = {6}, c2[] = {8};
	struct rle r[2], out;
	struct buf err = BUF_INIT;
	rle_from_counts(&r[0], c1, 1, 2, 3);
	rle_from_counts(&r[1], c2, 1, 2, 4);
	cr_assert_eq(rle_merge(&out, r, 2, 0, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "different sizes"));
	cr_assert_eq(rle_iou(&r[0], &r[1], 0), -1);
	rle_release(&r[0]);
	rle_release(&r[1]);
	buf_release(&err);
}

/* Many-way merges (the accumulator path that copies runs outside each
 * object's span) against a pixel-by-pixel union and intersection: small
 * objects, empty masks, full masks and zero-length runs in the inputs. */
Test(rle, merge_many_matches_pixels)
{
	enum { H = 17, W = 29, N = 9 };
	static uint8_t bm[N][H * W];
	uint8_t u[H * W], in[H * W];
	uint64_t s = 12345;
	for (int it = 0; it < 300; it++) {
		size_t n = 3 + (size_t)(it % (N - 2));
		struct rle r[N], got, want;
		memset(u, 0, sizeof(u));
		memset(in, 1, sizeof(in));
		for (size_t k = 0; k < n; k++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			int kind = (int)(s >> 60) % 4;
			uint32_t x0 = (uint32_t)(s >> 20) % W, y0 = (uint32_t)(s >> 30) % H;
			uint32_t bw = 1 + (uint32_t)(s >> 40) % 6, bh = 1 + (uint32_t)(s >> 50) % 6;
			for (uint32_t x = 0; x < W; x++)
				for (uint32_t y = 0; y < H; y++)
					bm[k][x * H + y] = kind == 0 ? 0 : kind == 1 ? 1 :
						(x >= x0 && x < x0 + bw && y >= y0 && y < y0 + bh &&
						 (kind == 2 || (x + y) % 3));
			for (size_t i = 0; i < H * W; i++) {
				u[i] |= bm[k][i];
				in[i] &= bm[k][i];
			}
			rle_from_bitmap(&r[k], bm[k], H, W);
			if (k % 2 && r[k].n >= 2) {
				/* Split a run with a zero-length pair. */
				uint32_t *c = malloc((r[k].n + 2) * sizeof(*c));
				c[0] = r[k].counts[0];
				c[1] = 0;
				c[2] = 0;
				memcpy(c + 3, r[k].counts + 1, (r[k].n - 1) * sizeof(*c));
				free(r[k].counts);
				r[k].counts = c;
				r[k].n += 2;
			}
		}
		for (int inter = 0; inter < 2; inter++) {
			cr_assert_eq(rle_merge(&got, r, n, inter, NULL), 0);
			rle_from_bitmap(&want, inter ? in : u, H, W);
			cr_assert_eq(got.n, want.n, "it %d inter %d", it, inter);
			cr_assert_arr_eq(got.counts, want.counts, want.n * 4);
			rle_release(&got);
			rle_release(&want);
		}
		for (size_t k = 0; k < n; k++)
			rle_release(&r[k]);
	}
}

Test(rle, bbox_runs_across_columns_and_unchecked_counts)
{
	/* h = 4, w = 5: a run from (x 0, y 3) to (x 2, y 0) spans columns,
	 * so every row is in the box; a run inside column 4 adds nothing. */
	uint32_t c[] = {3, 6, 7, 2, 2};
	struct rle r;
	double bb[4];
	rle_from_counts(&r, c, 5, 4, 5);
	cr_assert_eq(rle_check(&r, NULL), 0);
	rle_bbox(&r, bb);
	cr_assert_eq(bb[0], 0);
	cr_assert_eq(bb[1], 0);
	cr_assert_eq(bb[2], 5);
	cr_assert_eq(bb[3], 4);
	rle_release(&r);
	/* Counts that add up past 32 bits (an RLE nobody checked): the
	 * 64-bit reading, not a wrapped one. */
	uint32_t big[] = {UINT32_MAX - 1, 1, UINT32_MAX, 3};
	rle_from_counts(&r, big, 4, 1u << 16, 1u << 15);
	rle_bbox(&r, bb);
	cr_assert_eq(bb[0], (double)((UINT32_MAX - 1) >> 16));
	cr_assert_eq(bb[2], (double)(((uint64_t)UINT32_MAX * 2 + 2) >> 16) - bb[0] + 1);
	rle_release(&r);
}
