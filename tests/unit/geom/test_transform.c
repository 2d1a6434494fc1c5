/*
 * test_transform.c - unit tests for src/geom/transform.c: affine maps of
 * points and boxes, and mask flips / quarter turns against the matching
 * coordinate transforms.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "base/buf.h"
#include "geom/geom.h"
#include "base/banned.h"

Test(transform, boxes)
{
	box b = {1, 2, 3, 4};
	box f = box_transform(b, affine_flip_h(10));
	cr_assert_eq(f.x, 6);
	cr_assert_eq(f.y, 2);
	box r = box_transform(b, affine_rot90(1, 10, 20));
	/* (x, y) -> (20 - y, x): the box spans x 14..18, y 1..4. */
	cr_assert_eq(r.x, 14);
	cr_assert_eq(r.y, 1);
	cr_assert_eq(r.w, 4);
	cr_assert_eq(r.h, 3);
	box back = box_transform(r, affine_rot90(3, 20, 10));
	cr_assert_eq(memcmp(&back, &b, sizeof(b)), 0);
	box s = box_transform(b, affine_scale(2, 0.5));
	cr_assert_eq(s.x, 2);
	cr_assert_eq(s.h, 2);
	rbox rb = {5, 5, 4, 2, 30};
	rbox rf = rbox_transform(rb, affine_flip_h(10));
	cr_assert_float_eq(rf.cx, 5, 1e-12);
	/* The mirror image of a 30 degree box is a 150 (= -30) degree box. */
	cr_assert_float_eq(rf.angle, 150, 1e-9);
	cr_assert_float_eq(rf.w, 4, 1e-12);
	rbox rr = rbox_transform(rb, affine_rot90(1, 10, 10));
	cr_assert_float_eq(rr.angle, 120, 1e-9);
}

Test(transform, mask_flip_and_rot)
{
	uint32_t h = 5, w = 7;
	uint8_t m[35] = {0}, back[35];
	m[0 * h + 1] = 1; /* pixel x=0, y=1 */
	m[3 * h + 4] = 1; /* x=3, y=4 */
	struct rle r, o;
	rle_from_bitmap(&r, m, h, w);
	cr_assert_eq(rle_flip(&o, &r, 1), 0);
	rle_to_bitmap(&o, back);
	cr_assert_eq(back[6 * h + 1], 1);
	cr_assert_eq(back[3 * h + 4], 1);
	cr_assert_eq(rle_area(&o), 2);
	rle_release(&o);
	cr_assert_eq(rle_rot90(&o, &r, 1), 0);
	cr_assert_eq(o.h, 7);
	cr_assert_eq(o.w, 5);
	rle_to_bitmap(&o, back);
	/* (x, y) -> (h - 1 - y, x): (0,1) -> (3,0); (3,4) -> (0,3). */
	cr_assert_eq(back[3 * 7 + 0], 1);
	cr_assert_eq(back[0 * 7 + 3], 1);
	struct rle o4;
	cr_assert_eq(rle_rot90(&o4, &r, 4), 0);
	cr_assert(rle_equal(&o4, &r));
	rle_release(&o4);
	rle_release(&o);
	rle_release(&r);
}
