/*
 * test_shape.c - unit tests for src/geom/shape.c: the ops table has a row
 * per kind, and each row's validate/area/bbox give the known values.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "geom/geom.h"
#include "base/banned.h"

Test(shape, table_complete)
{
	for (int k = 0; k < GEOM_KIND_COUNT; k++) {
		const struct shape_ops *o = shape_ops_of(k);
		cr_assert_not_null(o);
		cr_assert_eq((int)o->kind, k);
		cr_assert_eq(shape_ops_find(o->name), o);
		cr_assert_not_null(o->validate);
		cr_assert_not_null(o->area);
		cr_assert_not_null(o->bbox);
	}
	cr_assert_null(shape_ops_of(GEOM_KIND_COUNT));
	cr_assert_null(shape_ops_find("blob"));
}

Test(shape, areas_and_boxes)
{
	struct shape e = {.kind = GEOM_ELLIPSE, .u.rbox = {10, 10, 4, 2, 90}};
	cr_assert_float_eq(shape_area(&e), M_PI * 2, 1e-12);
	box b = shape_bbox(&e);
	cr_assert_float_eq(b.x, 9, 1e-12);
	cr_assert_float_eq(b.y, 8, 1e-12);
	cr_assert_float_eq(b.w, 2, 1e-12);
	cr_assert_float_eq(b.h, 4, 1e-12);
	double cub[] = {0, 0, 4, 0, 4, 4, 0, 4, 1, 1, 5, 1, 5, 5, 1, 5};
	struct shape c = {.kind = GEOM_CUBOID, .xy = cub, .n = 8};
	cr_assert_eq(shape_validate(&c, NULL), 0);
	cr_assert_float_eq(shape_area(&c), 24, 1e-12);
	struct shape iv = {.kind = GEOM_INTERVAL, .u.iv = {3, 7.5}};
	cr_assert_eq(shape_area(&iv), 4.5);
	struct shape b3 = {.kind = GEOM_BOX3D, .u.box3d = {0, 0, 0, 4, 2, 3, 0}};
	cr_assert_eq(shape_area(&b3), 24);
	double kp[] = {1, 2, 100, 100, 3, 5};
	uint8_t vis[] = {2, 0, 1};
	struct shape k = {.kind = GEOM_KEYPOINTS, .xy = kp, .n = 3, .vis = vis};
	b = shape_bbox(&k);
	cr_assert_eq(b.x, 1);
	cr_assert_eq(b.w, 2);
	cr_assert_eq(b.h, 3);
}

Test(shape, validation_messages)
{
	struct buf err = BUF_INIT;
	struct shape b = {.kind = GEOM_BOX, .u.box = {0, NAN, 1, 1}};
	cr_assert_eq(shape_validate(&b, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "box: y is NaN");
	b.u.box = (box){0, 0, 0, 1};
	cr_assert_eq(shape_validate(&b, &err), CAIRN_EINVAL);
	double pl[] = {0, 0, INFINITY, 1};
	struct shape l = {.kind = GEOM_POLYLINE, .xy = pl, .n = 2};
	cr_assert_eq(shape_validate(&l, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "polyline: vertex 1 is infinite");
	uint8_t vis[] = {3};
	double kp[] = {0, 0};
	struct shape k = {.kind = GEOM_KEYPOINTS, .xy = kp, .n = 1, .vis = vis};
	cr_assert_eq(shape_validate(&k, &err), CAIRN_EINVAL);
	struct shape iv = {.kind = GEOM_INTERVAL, .u.iv = {5, 4}};
	cr_assert_eq(shape_validate(&iv, &err), CAIRN_EINVAL);
	uint32_t c[] = {3, 4};
	struct rle r;
	rle_from_counts(&r, c, 2, 2, 3);
	struct shape m = {.kind = GEOM_MASK, .mask = &r};
	cr_assert_eq(shape_validate(&m, &err), CAIRN_EINVAL);
	rle_release(&r);
	buf_release(&err);
}
