/*
 * test_perf.c - gold scoring of the annotator performance table: tags
 * that match as sets, boxes matched one to one per label by IoU, misses
 * and extras counted in the mean.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "workflow/perf.h"
#include "base/banned.h"

static struct obj_brief bx(int64_t label, double x0, double y0, double x1, double y1)
{
	return (struct obj_brief){label, true, false, x0, y0, x1, y1};
}

static struct obj_brief tag(int64_t label)
{
	return (struct obj_brief){label, false, true, 0, 0, 0, 0};
}

Test(perf, identical_boxes_score_one)
{
	struct obj_brief g[2] = {bx(1, 0, 0, 10, 10), bx(2, 20, 20, 30, 40)};
	struct gold_pair p = {1, 1, g, 2, g, 2};
	struct gold_score s;
	perf_score_gold(&p, &s);
	cr_assert(s.has_boxes);
	cr_assert_float_eq(s.iou, 1.0, 1e-12);
	cr_assert(!s.has_tags);
}

Test(perf, half_overlap_miss_and_extra)
{
	/* Gold: two boxes. Mine: one shifted by half (IoU 1/3), one of another label. */
	struct obj_brief g[2] = {bx(1, 0, 0, 10, 10), bx(1, 50, 50, 60, 60)};
	struct obj_brief m[2] = {bx(1, 5, 0, 15, 10), bx(2, 50, 50, 60, 60)};
	struct gold_pair p = {1, 1, m, 2, g, 2};
	struct gold_score s;
	perf_score_gold(&p, &s);
	/* One match of IoU 50/150; one gold miss and one extra: 1/3 over 3. */
	cr_assert_float_eq(s.iou, (1.0 / 3.0) / 3.0, 1e-12);
}

Test(perf, one_to_one_prefers_the_best_pair)
{
	struct obj_brief g[2] = {bx(1, 0, 0, 10, 10), bx(1, 2, 0, 12, 10)};
	struct obj_brief m[1] = {bx(1, 0, 0, 10, 10)};
	struct gold_pair p = {1, 1, m, 1, g, 2};
	struct gold_score s;
	perf_score_gold(&p, &s);
	cr_assert_float_eq(s.iou, 1.0 / 2.0, 1e-12);
}

Test(perf, tags_match_as_sets)
{
	struct obj_brief g[2] = {tag(3), tag(1)};
	struct obj_brief m[3] = {tag(1), tag(3), tag(1)};
	struct gold_pair p = {1, 1, m, 3, g, 2};
	struct gold_score s;
	perf_score_gold(&p, &s);
	cr_assert(s.has_tags);
	cr_assert(s.tags_match);
	cr_assert(!s.has_boxes);
	struct obj_brief m2[1] = {tag(1)};
	struct gold_pair q = {1, 1, m2, 1, g, 2};
	perf_score_gold(&q, &s);
	cr_assert(!s.tags_match);
}

Test(perf, nothing_on_either_side)
{
	struct gold_pair p = {1, 1, NULL, 0, NULL, 0};
	struct gold_score s;
	perf_score_gold(&p, &s);
	cr_assert(!s.has_boxes);
	cr_assert(!s.has_tags);
}
