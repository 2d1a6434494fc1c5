/*
 * test_synth.c - unit tests for src/media/synth.c: the ground truth
 * describes the pixels (masks, areas, boxes, polygons, keypoint
 * visibility), the output is byte-identical for a seed, the COCO file
 * parses with the right counts, and `cairn synth` rejects bad usage.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "geom/rle.h"
#include "media/synth.h"

#include "../tmpdir.h"
#include "base/banned.h"

/* ---- helpers ---- */

static void slurp(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)))
		buf_add(b, tmp, n);
	fclose(f);
}

static int same_file(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	slurp(a, &x);
	slurp(b, &y);
	int same = x.len == y.len && !memcmp(x.data, y.data, x.len);
	buf_release(&x);
	buf_release(&y);
	return same;
}

/* Crossing-number test of the pixel centre, written apart from the
 * renderer's scanline fill but with the same edge rule. */
static int centre_in_ring(const double *p, size_t n, double xc, double yc)
{
	int in = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = (i + 1) % n;
		double xa = p[2 * i], ya = p[2 * i + 1], xb = p[2 * j], yb = p[2 * j + 1];
		if ((ya > yc) != (yb > yc) &&
		    xc < (xb - xa) * (yc - ya) / (yb - ya) + xa)
			in = !in;
	}
	return in;
}

static uint32_t run_threads; /* 0 = automatic */

static int run_synth(const char *out, uint32_t images, uint32_t objects,
		     uint64_t seed, uint32_t w, uint32_t h, enum synth_format fmt,
		     struct synth_report *rep)
{
	struct synth_opts o;
	struct buf err = BUF_INIT;
	synth_opts_init(&o);
	o.out = out;
	o.images = images;
	o.objects = objects;
	o.seed = seed;
	o.width = w;
	o.height = h;
	o.format = fmt;
	o.force = true;
	o.threads = run_threads;
	int rc = synth_run(&o, rep, &err);
	cr_assert_eq(rc, 0, "synth_run: %s", err.data);
	buf_release(&err);
	return rc;
}

/* ---- the id map and the objects agree ---- */

Test(synth, ground_truth_matches_pixels)
{
	struct synth_image im = SYNTH_IMAGE_INIT;
	struct buf err = BUF_INIT;
	const uint32_t W = 200, H = 150;
	uint8_t *bm = malloc(W * H);
	uint64_t tiny = 0, border = 0, occluded = 0, holes = 0, kv1 = 0,
		 kv2 = 0, kv0 = 0, truncated = 0, visible = 0;
	uint64_t cats[SYNTH_NCAT + 1] = {0};
	for (uint32_t idx = 1; idx <= 8; idx++) {
		cr_assert_eq(synth_render(&im, W, H, 30, 7, idx, &err), 0, "%s", err.data);
		uint64_t owned = 0;
		for (size_t p = 0; p < (size_t)W * H; p++)
			owned += im.ids[p] != 0;
		uint64_t sum = 0;
		for (size_t k = 0; k < im.nobjs; k++) {
			const struct synth_obj *o = &im.objs[k];
			cr_assert_eq(o->id, k + 1);
			cr_assert_leq(o->area, o->drawn);
			sum += o->area;
			const double *xy = im.pts + o->pts;
			/* Rectangles and polygons: the independent per-pixel
			 * test finds the same pixels the renderer drew. */
			if (o->cat == SYNTH_RECTANGLE || o->cat == SYNTH_POLYGON) {
				uint64_t n = 0;
				for (uint32_t y = 0; y < H; y++)
					for (uint32_t x = 0; x < W; x++) {
						double xc = x + 0.5, yc = y + 0.5;
						int in = centre_in_ring(xy, o->npts, xc, yc);
						if (o->hole && centre_in_ring(im.pts + o->hpts, o->nhpts, xc, yc))
							in = 0;
						n += in;
						/* A visible pixel of o must be inside o. */
						if (im.ids[(size_t)y * W + x] == o->id)
							cr_assert(in, "obj %u pixel %u,%u", o->id, x, y);
					}
				cr_assert_eq(n, o->drawn, "obj %u cat %u: %llu vs %llu",
					     o->id, o->cat, (unsigned long long)n,
					     (unsigned long long)o->drawn);
			}
			if (o->cat == SYNTH_RECTANGLE) {
				/* Axis-aligned on whole pixels: whole ones cover
				 * exactly their box. */
				cr_assert_eq(o->npts, 4);
				cr_assert(xy[0] == xy[6] && xy[1] == xy[3] && xy[2] == xy[4] &&
					  xy[5] == xy[7] && xy[0] == floor(xy[0]) && xy[1] == floor(xy[1]));
				if (o->inside)
					cr_assert_eq(o->drawn, (uint64_t)((xy[2] - xy[0]) * (xy[5] - xy[1])));
			}
			if (o->cat == SYNTH_PERSON && o->area) {
				for (int i = 0; i < SYNTH_NKP; i++) {
					double x = xy[2 * i], y = xy[2 * i + 1];
					int outside = x < 0 || y < 0 || x >= W || y >= H;
					if (outside) {
						cr_assert_eq(o->kv[i], 0);
						kv0++;
						continue;
					}
					int mine = im.ids[(size_t)floor(y) * W + (size_t)floor(x)] == o->id;
					cr_assert_eq(o->kv[i], mine ? 2 : 1, "person %u kp %d", o->id, i);
					kv1 += !mine;
					kv2 += mine;
				}
			}
			if (!o->area)
				continue;
			visible++;
			cats[o->cat]++;
			/* The mask as RLE is exactly the pixels with this id. */
			for (size_t p = 0; p < (size_t)W * H; p++)
				bm[p] = im.ids[p] == o->id;
			struct rle want = RLE_INIT, got = RLE_INIT;
			cr_assert_eq(rle_from_bitmap_rowmajor(&want, bm, H, W), 0);
			cr_assert_eq(synth_obj_rle(&im, o, &got), 0);
			cr_assert_eq(rle_check(&got, NULL), 0);
			cr_assert(rle_equal(&want, &got), "obj %u", o->id);
			cr_assert_eq(got.n, want.n, "canonical runs for obj %u", o->id);
			cr_assert_eq(rle_area(&got), o->area);
			double bb[4];
			rle_bbox(&got, bb);
			cr_assert_eq(bb[0], o->bbox[0]);
			cr_assert_eq(bb[1], o->bbox[1]);
			cr_assert_eq(bb[2], o->bbox[2] - o->bbox[0]);
			cr_assert_eq(bb[3], o->bbox[3] - o->bbox[1]);
			rle_release(&want);
			rle_release(&got);
			tiny += bb[2] <= 8 && bb[3] <= 8;
			border += o->bbox[0] == 0 || o->bbox[1] == 0 ||
				  o->bbox[2] == W || o->bbox[3] == H;
			truncated += !o->inside;
			occluded += o->area < o->drawn;
			holes += o->hole;
		}
		cr_assert_eq(sum, owned, "every owned pixel belongs to one object");
	}
	cr_assert_gt(tiny, 0);
	cr_assert_gt(border, 0);
	cr_assert_gt(truncated, 0);
	cr_assert_gt(occluded, 0);
	cr_assert_gt(holes, 0);
	cr_assert_gt(kv0, 0);
	cr_assert_gt(kv1, 0);
	cr_assert_gt(kv2, 0);
	for (int c = 1; c <= SYNTH_NCAT; c++)
		cr_assert_gt(cats[c], 0, "category %d", c);
	cr_assert_gt(visible, 100);
	free(bm);
	synth_image_release(&im);
	buf_release(&err);
}

Test(synth, ten_thousand_objects_stay_mostly_visible)
{
	struct synth_image im = SYNTH_IMAGE_INIT;
	cr_assert_eq(synth_render(&im, 640, 480, 10000, 3, 1, NULL), 0);
	cr_assert_geq(im.nobjs, 5000);
	cr_assert_leq(im.nobjs, 15000);
	size_t vis = 0;
	for (size_t k = 0; k < im.nobjs; k++)
		vis += im.objs[k].area > 0;
	cr_assert_gt(vis, im.nobjs / 2, "%zu of %zu visible", vis, im.nobjs);
	synth_image_release(&im);
}

Test(synth, render_rejects_bad_sizes)
{
	struct synth_image im = SYNTH_IMAGE_INIT;
	struct buf err = BUF_INIT;
	cr_assert_eq(synth_render(&im, 20001, 100, 8, 1, 1, &err), CAIRN_ETOOBIG);
	cr_assert(strstr(err.data, "20001x100"), "%s", err.data);
	cr_assert_eq(synth_render(&im, 8, 100, 8, 1, 1, &err), CAIRN_ETOOBIG);
	synth_image_release(&im);
	buf_release(&err);
}

/* ---- files ---- */

Test(synth, deterministic_for_a_seed)
{
	char a[64], b[64], c[64], pa[256], pb[256];
	tmpdir_make(a, sizeof(a), "synth");
	tmpdir_make(b, sizeof(b), "synth");
	tmpdir_make(c, sizeof(c), "synth");
	struct synth_report ra, rb, rc;
	/* The same with one thread or three. */
	run_threads = 1;
	run_synth(a, 5, 20, 42, 160, 120, SYNTH_JPEG, &ra);
	run_threads = 3;
	run_synth(b, 5, 20, 42, 160, 120, SYNTH_JPEG, &rb);
	run_threads = 0;
	run_synth(c, 5, 20, 43, 160, 120, SYNTH_JPEG, &rc);
	cr_assert_eq(ra.objects, rb.objects);
	snprintf(pa, sizeof(pa), "%s/annotations/instances.json", a);
	snprintf(pb, sizeof(pb), "%s/annotations/instances.json", b);
	cr_assert(same_file(pa, pb));
	for (int i = 1; i <= 5; i++) {
		snprintf(pa, sizeof(pa), "%s/images/%06d.jpg", a, i);
		snprintf(pb, sizeof(pb), "%s/images/%06d.jpg", b, i);
		cr_assert(same_file(pa, pb), "image %d", i);
	}
	snprintf(pa, sizeof(pa), "%s/annotations/instances.json", a);
	snprintf(pb, sizeof(pb), "%s/annotations/instances.json", c);
	cr_assert_not(same_file(pa, pb));
	snprintf(pa, sizeof(pa), "%s/images/000001.jpg", a);
	snprintf(pb, sizeof(pb), "%s/images/000001.jpg", c);
	cr_assert_not(same_file(pa, pb));
	/* No temporary files are left behind. */
	snprintf(pa, sizeof(pa), "%s/annotations/.annotations.tmp", a);
	cr_assert_neq(access(pa, F_OK), 0);
	tmpdir_remove(a);
	tmpdir_remove(b);
	tmpdir_remove(c);
}

static json_t *get(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert_not_null(v, "missing '%s'", k);
	return v;
}

Test(synth, coco_json_describes_the_pixels)
{
	char d[64], p[256];
	tmpdir_make(d, sizeof(d), "synth");
	const uint32_t W = 180, H = 140, N = 4;
	struct synth_report rep;
	run_synth(d, N, 25, 5, W, H, SYNTH_JPEG, &rep);
	cr_assert_eq(rep.images, N);
	snprintf(p, sizeof(p), "%s/annotations/instances.json", d);
	json_error_t je;
	json_t *root = json_load_file(p, 0, &je);
	cr_assert_not_null(root, "%s line %d: %s", p, je.line, je.text);

	json_t *cats = get(root, "categories");
	cr_assert_eq(json_array_size(cats), SYNTH_NCAT);
	static const char *names[] = {"rectangle", "ellipse", "polygon", "line", "person"};
	for (size_t i = 0; i < SYNTH_NCAT; i++) {
		json_t *c = json_array_get(cats, i);
		cr_assert_eq(json_integer_value(get(c, "id")), (json_int_t)i + 1);
		cr_assert_str_eq(json_string_value(get(c, "name")), names[i]);
	}
	json_t *person = json_array_get(cats, 4);
	cr_assert_eq(json_array_size(get(person, "keypoints")), 17);
	cr_assert_str_eq(json_string_value(json_array_get(get(person, "keypoints"), 16)),
			 "right_ankle");
	cr_assert_eq(json_array_size(get(person, "skeleton")), 19);

	json_t *imgs = get(root, "images");
	cr_assert_eq(json_array_size(imgs), N);
	for (size_t i = 0; i < N; i++) {
		json_t *im = json_array_get(imgs, i);
		char fn[32];
		snprintf(fn, sizeof(fn), "%06zu.jpg", i + 1);
		cr_assert_eq(json_integer_value(get(im, "id")), (json_int_t)i + 1);
		cr_assert_str_eq(json_string_value(get(im, "file_name")), fn);
		cr_assert_eq(json_integer_value(get(im, "width")), W);
		cr_assert_eq(json_integer_value(get(im, "height")), H);
		const char *bg = json_string_value(get(get(im, "attributes"), "background"));
		cr_assert(bg && (!strcmp(bg, "plain") || !strcmp(bg, "gradient") ||
				 !strcmp(bg, "noise") || !strcmp(bg, "texture")));
	}

	json_t *anns = get(root, "annotations");
	cr_assert_eq(json_array_size(anns), rep.objects);
	cr_assert_gt(rep.objects, 20);
	/* Visible regions of one image never overlap. */
	uint8_t *cover = calloc((size_t)N * W * H, 1);
	uint8_t *bm = malloc((size_t)W * H);
	size_t npoly = 0, nrle = 0;
	for (size_t i = 0; i < json_array_size(anns); i++) {
		json_t *a = json_array_get(anns, i);
		cr_assert_eq(json_integer_value(get(a, "id")), (json_int_t)i + 1);
		json_int_t img = json_integer_value(get(a, "image_id"));
		cr_assert(img >= 1 && img <= (json_int_t)N);
		json_int_t cat = json_integer_value(get(a, "category_id"));
		cr_assert(cat >= 1 && cat <= SYNTH_NCAT);
		cr_assert_eq(json_integer_value(get(a, "iscrowd")), 0);
		json_t *seg = get(a, "segmentation");
		if (json_is_object(seg)) {
			nrle++;
			json_t *sz = get(seg, "size");
			cr_assert_eq(json_integer_value(json_array_get(sz, 0)), H);
			cr_assert_eq(json_integer_value(json_array_get(sz, 1)), W);
			struct rle r = RLE_INIT;
			struct buf err = BUF_INIT;
			cr_assert_eq(rle_from_string(&r, json_string_value(get(seg, "counts")),
						     H, W, &err), 0, "%s", err.data);
			cr_assert_eq(rle_to_bitmap_rowmajor(&r, bm), 0);
			rle_release(&r);
			buf_release(&err);
		} else {
			/* A polygon: only for whole, unoccluded rectangles and
			 * polygons; its pixels are those whose centre is in. */
			npoly++;
			cr_assert(cat == SYNTH_RECTANGLE || cat == SYNTH_POLYGON);
			cr_assert_eq(json_array_size(seg), 1);
			json_t *ring = json_array_get(seg, 0);
			size_t n = json_array_size(ring) / 2;
			cr_assert_geq(n, 3);
			double *xy = malloc(2 * n * sizeof(double));
			for (size_t k = 0; k < 2 * n; k++) {
				xy[k] = json_number_value(json_array_get(ring, k));
				cr_assert(xy[k] >= 0 && xy[k] <= (k % 2 ? H : W));
			}
			for (uint32_t y = 0; y < H; y++)
				for (uint32_t x = 0; x < W; x++)
					bm[(size_t)y * W + x] = (uint8_t)centre_in_ring(xy, n, x + 0.5, y + 0.5);
			free(xy);
		}
		uint64_t area = 0;
		uint32_t x0 = W, y0 = H, x1 = 0, y1 = 0;
		uint8_t *cv = cover + (size_t)(img - 1) * W * H;
		for (uint32_t y = 0; y < H; y++)
			for (uint32_t x = 0; x < W; x++) {
				if (!bm[(size_t)y * W + x])
					continue;
				area++;
				x0 = x < x0 ? x : x0;
				y0 = y < y0 ? y : y0;
				x1 = x + 1 > x1 ? x + 1 : x1;
				y1 = y + 1 > y1 ? y + 1 : y1;
				cr_assert_eq(cv[(size_t)y * W + x], 0, "ann %zu overlaps", i + 1);
				cv[(size_t)y * W + x] = 1;
			}
		cr_assert_gt(area, 0);
		cr_assert_eq((uint64_t)json_integer_value(get(a, "area")), area, "ann %zu", i + 1);
		json_t *bb = get(a, "bbox");
		cr_assert_eq(json_integer_value(json_array_get(bb, 0)), x0);
		cr_assert_eq(json_integer_value(json_array_get(bb, 1)), y0);
		cr_assert_eq(json_integer_value(json_array_get(bb, 2)), x1 - x0);
		cr_assert_eq(json_integer_value(json_array_get(bb, 3)), y1 - y0);
		/* The demo schema's attributes. */
		json_t *at = get(a, "attributes");
		cr_assert(json_is_boolean(get(at, "occluded")));
		cr_assert(json_is_boolean(get(at, "truncated")));
		if (cat == SYNTH_PERSON) {
			const char *pose = json_string_value(get(at, "pose"));
			cr_assert(pose && (!strcmp(pose, "standing") || !strcmp(pose, "lying") ||
					   !strcmp(pose, "other")));
		} else {
			const char *col = json_string_value(get(at, "color"));
			int known = 0;
			for (int c = 0; c < SYNTH_NCOLORS; c++)
				known |= col && !strcmp(col, synth_color_name(c));
			cr_assert(known, "ann %zu color %s", i + 1, col ? col : "(none)");
		}
		if (cat == SYNTH_LINE) {
			cr_assert_geq(json_array_size(get(a, "polyline")), 4);
			json_int_t sw = json_integer_value(get(a, "stroke_width"));
			cr_assert(sw >= 1 && sw <= 3);
		}
		if (cat == SYNTH_ELLIPSE)
			cr_assert_eq(json_array_size(get(a, "ellipse")), 5);
		if (cat == SYNTH_PERSON) {
			json_t *kp = get(a, "keypoints");
			cr_assert_eq(json_array_size(kp), 51);
			int nk = 0;
			for (int k = 0; k < 17; k++) {
				double x = json_number_value(json_array_get(kp, 3 * k));
				double y = json_number_value(json_array_get(kp, 3 * k + 1));
				json_int_t v = json_integer_value(json_array_get(kp, 3 * k + 2));
				cr_assert(v >= 0 && v <= 2);
				nk += v > 0;
				if (v == 0) {
					cr_assert(x == 0 && y == 0);
					continue;
				}
				cr_assert(x >= 0 && y >= 0 && x < W && y < H);
				int set = bm[(size_t)floor(y) * W + (size_t)floor(x)];
				cr_assert_eq(set, v == 2, "ann %zu kp %d v %d", i + 1, k, (int)v);
			}
			cr_assert_eq(json_integer_value(get(a, "num_keypoints")), nk);
		}
	}
	cr_assert_gt(npoly, 0);
	cr_assert_gt(nrle, 0);
	free(cover);
	free(bm);
	json_decref(root);
	tmpdir_remove(d);
}

Test(synth, png_holds_the_rendered_pixels)
{
	char d[64], p[256];
	tmpdir_make(d, sizeof(d), "synth");
	run_synth(d, 2, 12, 9, 96, 64, SYNTH_PNG, NULL);
	struct synth_image im = SYNTH_IMAGE_INIT;
	cr_assert_eq(synth_render(&im, 96, 64, 12, 9, 2, NULL), 0);
	snprintf(p, sizeof(p), "%s/images/000002.png", d);
	VipsImage *v = vips_image_new_from_file(p, NULL);
	cr_assert_not_null(v);
	cr_assert_eq(vips_image_get_width(v), 96);
	cr_assert_eq(vips_image_get_bands(v), 3);
	size_t len = 0;
	void *px = vips_image_write_to_memory(v, &len);
	cr_assert_eq(len, (size_t)96 * 64 * 3);
	cr_assert_eq(memcmp(px, im.rgb, len), 0);
	g_free(px);
	g_object_unref(v);
	synth_image_release(&im);
	tmpdir_remove(d);
}

/* ---- the command ---- */

static int run_cmd(const char *const *args)
{
	char *argv[16];
	int argc = 0;
	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	return cmd_synth(argc, argv);
}

Test(synth, usage_errors)
{
	char d[64], p[128];
	tmpdir_make(d, sizeof(d), "synth");
	snprintf(p, sizeof(p), "%s/out", d);
	const char *no_images[] = {"synth", p, NULL};
	const char *zero[] = {"synth", p, "--images", "0", NULL};
	const char *bad_size[] = {"synth", p, "--images", "1", "--size", "abc", NULL};
	const char *half_size[] = {"synth", p, "--images", "1", "--size", "640x", NULL};
	const char *huge[] = {"synth", p, "--images", "1", "--size", "20001x10", NULL};
	const char *neg[] = {"synth", p, "--images", "-3", NULL};
	const char *no_out[] = {"synth", "--images", "1", NULL};
	const char *two_out[] = {"synth", p, d, "--images", "1", NULL};
	const char *bad_fmt[] = {"synth", p, "--images", "1", "--format", "gif", NULL};
	const char *unknown[] = {"synth", p, "--images", "1", "--colour", NULL};
	cr_assert_eq(run_cmd(no_images), EXIT_USAGE);
	cr_assert_eq(run_cmd(zero), EXIT_USAGE);
	cr_assert_eq(run_cmd(bad_size), EXIT_USAGE);
	cr_assert_eq(run_cmd(half_size), EXIT_USAGE);
	cr_assert_eq(run_cmd(huge), EXIT_USAGE);
	cr_assert_eq(run_cmd(neg), EXIT_USAGE);
	cr_assert_eq(run_cmd(no_out), EXIT_USAGE);
	cr_assert_eq(run_cmd(two_out), EXIT_USAGE);
	cr_assert_eq(run_cmd(bad_fmt), EXIT_USAGE);
	cr_assert_eq(run_cmd(unknown), EXIT_USAGE);
	cr_assert_neq(access(p, F_OK), 0, "nothing written on usage errors");

	const char *ok[] = {"synth", p, "--images", "2", "--size", "64x48", "--seed", "3", NULL};
	cr_assert_eq(run_cmd(ok), EXIT_OK);
	/* Not into a non-empty directory, unless --force. */
	cr_assert_eq(run_cmd(ok), EXIT_FAIL);
	const char *force[] = {"synth", p, "--images", "1", "--size", "64x48", "--force", "--json", NULL};
	cr_assert_eq(run_cmd(force), EXIT_OK);
	/* --force removed the stale second image. */
	snprintf(p, sizeof(p), "%s/out/images/000002.jpg", d);
	cr_assert_neq(access(p, F_OK), 0);
	tmpdir_remove(d);
}
