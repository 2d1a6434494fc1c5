/*
 * test_cocoeval.c - unit tests for src/quality/cocoeval.c on cases small
 * enough to compute by hand: a perfect detection, a false positive ranked
 * first, crowd regions, score ties across images, the IoU threshold edge,
 * keypoints, polygons, and the loaders' error messages.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "base/buf.h"
#include "quality/cocoeval.h"
#include "base/banned.h"

static const char *GT2 =
	"{\"images\":[{\"id\":1,\"width\":100,\"height\":100},{\"id\":2,\"width\":100,\"height\":100}],"
	"\"categories\":[{\"id\":1,\"name\":\"a\"}],\"annotations\":[%s]}";

static struct cocoeval *run(enum cocoeval_iou type, const char *anns, const char *dets)
{
	struct buf gt = BUF_INIT, err = BUF_INIT;
	buf_addf(&gt, GT2, anns);
	struct cocoeval *ev = cocoeval_new(type, NULL, 0);
	cr_assert_eq(cocoeval_load_gt(ev, gt.data, gt.len, "gt.json", &err), 0, "%s", err.data);
	cr_assert_eq(cocoeval_load_dt(ev, dets, strlen(dets), "dt.json", &err), 0, "%s", err.data);
	cr_assert_eq(cocoeval_run(ev, &err), 0, "%s", err.data);
	buf_release(&gt);
	buf_release(&err);
	return ev;
}

/* Precision is tp / (tp + fp + eps) as in COCOeval: "1" is 1 - 2.2e-16. */
#define NEAR(a, b) cr_assert(fabs((a) - (b)) < 1e-12, "%s = %.17g, want %g", #a, (double)(a), (double)(b))

Test(cocoeval, perfect_detection)
{
	struct cocoeval *ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}",
		"[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9}]");
	size_t n;
	const double *s = cocoeval_stats(ev, &n);
	cr_assert_eq(n, 12);
	double want[12] = {1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1};
	for (size_t i = 0; i < 12; i++)
		cr_assert(fabs(s[i] - want[i]) < 1e-12, "stats[%zu] = %.17g", i, s[i]);
	cocoeval_free(ev);
}

Test(cocoeval, false_positive_ranked_first)
{
	/* FP (score .9) then TP (score .8): precision [0, .5] -> envelope .5
	 * at every recall level; AR@1 sees only the FP. */
	struct cocoeval *ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}",
		"[{\"image_id\":1,\"category_id\":1,\"bbox\":[50,50,10,10],\"score\":0.9},"
		" {\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.8}]");
	size_t n;
	const double *s = cocoeval_stats(ev, &n);
	NEAR(s[0], 0.5);
	NEAR(s[6], 0);
	NEAR(s[7], 1);
	NEAR(cocoeval_precision(ev, 0, 100, 0, 0, 2), 0.5);
	cocoeval_free(ev);
}

Test(cocoeval, crowd_region_absorbs_detections)
{
	/* Two detections inside the crowd region are ignored, not false
	 * positives; the real object is found: AP 1. */
	struct cocoeval *ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0},"
		"{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[40,40,60,60],\"area\":3600,\"iscrowd\":1}",
		"[{\"image_id\":1,\"category_id\":1,\"bbox\":[50,50,10,10],\"score\":0.95},"
		" {\"image_id\":1,\"category_id\":1,\"bbox\":[70,70,10,10],\"score\":0.9},"
		" {\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.8}]");
	size_t n;
	const double *s = cocoeval_stats(ev, &n);
	NEAR(s[0], 1);
	NEAR(s[8], 1);
	cocoeval_free(ev);
}

Test(cocoeval, score_ties_follow_image_order)
{
	/* Equal scores: COCOeval's stable sort keeps image 1's detection
	 * first. FP on image 1 then TP on image 2 gives .5 ... */
	struct cocoeval *ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}",
		"[{\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5},"
		" {\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5}]");
	size_t n;
	NEAR(cocoeval_stats(ev, &n)[0], 0.5);
	cocoeval_free(ev);
	/* ... and the TP on image 1 first gives 1. */
	ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}",
		"[{\"image_id\":2,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5},"
		" {\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5}]");
	NEAR(cocoeval_stats(ev, &n)[0], 1);
	cocoeval_free(ev);
}

Test(cocoeval, iou_threshold_edge)
{
	/* IoU exactly .5 matches at .50 only: AP .1, AP50 1, AP75 0. */
	struct cocoeval *ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}",
		"[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,5],\"score\":0.5}]");
	size_t n;
	const double *s = cocoeval_stats(ev, &n);
	NEAR(s[0], 0.1);
	NEAR(s[1], 1);
	NEAR(s[2], 0);
	cocoeval_free(ev);
}

Test(cocoeval, no_detections_and_no_ground_truth)
{
	/* A category with ground truth and no detection scores 0; without
	 * ground truth it is absent (-1). */
	struct cocoeval *ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}",
		"[]");
	size_t n;
	NEAR(cocoeval_stats(ev, &n)[0], 0);
	cocoeval_free(ev);
	ev = run(COCOEVAL_BBOX, "",
		 "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5}]");
	NEAR(cocoeval_stats(ev, &n)[0], -1);
	cocoeval_free(ev);
}

Test(cocoeval, polygons_against_rle)
{
	/* A 10x10 square polygon and the same square as a box polygon. */
	struct cocoeval *ev = run(COCOEVAL_SEGM,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"segmentation\":[[0,0,10,0,10,10,0,10]],"
		"\"area\":100,\"iscrowd\":0}",
		"[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.5}]");
	size_t n;
	NEAR(cocoeval_stats(ev, &n)[0], 1);
	cocoeval_free(ev);
}

Test(cocoeval, keypoints_perfect_and_ten_stats)
{
	struct buf kp = BUF_INIT, a = BUF_INIT, d = BUF_INIT;
	for (int i = 0; i < 17; i++)
		buf_addf(&kp, "%s%d,%d,2", i ? "," : "", 20 + 3 * i, 30 + 2 * i);
	buf_addf(&a, "{\"id\":1,\"image_id\":1,\"category_id\":1,\"keypoints\":[%s],\"num_keypoints\":17,"
		 "\"bbox\":[10,10,80,80],\"area\":5000,\"iscrowd\":0}", kp.data);
	buf_addf(&d, "[{\"image_id\":1,\"category_id\":1,\"keypoints\":[%s],\"score\":1}]", kp.data);
	struct cocoeval *ev = run(COCOEVAL_KEYPOINTS, a.data, d.data);
	size_t n;
	const double *s = cocoeval_stats(ev, &n);
	cr_assert_eq(n, 10);
	NEAR(s[0], 1);
	NEAR(s[3], 1);  /* medium: 5000 px */
	NEAR(s[4], -1); /* large: no ground truth */
	struct buf out = BUF_INIT;
	cocoeval_write_summary(ev, 0, &out);
	cr_assert(strstr(out.data, " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets= 20 ] = 1.000\n"),
		  "%s", out.data);
	cocoeval_free(ev);
	buf_release(&kp);
	buf_release(&a);
	buf_release(&d);
	buf_release(&out);
}

Test(cocoeval, summary_and_json_shape)
{
	struct cocoeval *ev = run(COCOEVAL_BBOX,
		"{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"area\":100,\"iscrowd\":0}",
		"[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,10,10],\"score\":0.9}]");
	struct buf out = BUF_INIT;
	cocoeval_write_summary(ev, 0, &out);
	cr_assert(strstr(out.data,
			 " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n"),
		  "%s", out.data);
	buf_reset(&out);
	cocoeval_write_json(ev, &out);
	cr_assert(strstr(out.data, "\"iou_thrs\":[0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.8999999999999999,0.95]"),
		  "%s", out.data);
	cr_assert(strstr(out.data, ",-1,-1,1,1,1,1,-1,-1],\"summary\":"), "%s", out.data);
	cr_assert(strstr(out.data, "\"per_class\":[{\"category_id\":1,\"name\":\"a\""), "%s", out.data);
	cocoeval_free(ev);
	buf_release(&out);
}

static void expect_error(const char *gt, const char *dt, const char *want)
{
	struct buf err = BUF_INIT;
	struct cocoeval *ev = cocoeval_new(COCOEVAL_BBOX, NULL, 0);
	int rc = cocoeval_load_gt(ev, gt, strlen(gt), "gt.json", &err);
	if (!rc && dt)
		rc = cocoeval_load_dt(ev, dt, strlen(dt), "dt.json", &err);
	cr_assert_neq(rc, 0);
	cr_assert(strstr(err.data, want), "got '%s', want '%s'", err.data, want);
	cocoeval_free(ev);
	buf_release(&err);
}

Test(cocoeval, errors_name_file_and_path)
{
	const char *ok = "{\"images\":[{\"id\":1,\"width\":9,\"height\":9}],\"categories\":[{\"id\":1}],"
			 "\"annotations\":[]}";
	expect_error("{\"images\":[{\"id\":1}],\"categories\":[],\"annotations\":[{\"id\":1,\"image_id\":1,"
		     "\"category_id\":1,\"bbox\":[1,2,3],\"area\":1}]}",
		     NULL, "gt.json: $.annotations[0].bbox: expected 4 numbers");
	expect_error("{\"images\":[]", NULL, "gt.json:1:");
	expect_error("[]", NULL, "gt.json: $: expected a COCO dataset object");
	expect_error(ok, "[{\"image_id\":5,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1}]",
		     "dt.json: $[0].image_id: not an image of the ground truth");
	expect_error(ok, "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]}]",
		     "dt.json: $[0].score: expected a number");
	expect_error(ok, "[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1],\"score\":1},"
			 "{\"image_id\":1,\"category_id\":1,\"score\":1}]",
		     "dt.json: $[1].bbox: expected 4 numbers");
}

Test(cocoeval, record_api)
{
	struct buf err = BUF_INIT;
	struct cocoeval *ev = cocoeval_new(COCOEVAL_BBOX, (int[]){1, 5}, 2);
	cocoeval_add_image(ev, 10, 50, 50, &err);
	cocoeval_add_category(ev, 3, "x", NULL, 0, &err);
	struct cocoeval_obj g = {.id = 1, .image_id = 10, .category_id = 3, .area = 100,
				 .bbox = {0, 0, 10, 10}};
	struct cocoeval_obj d = g;
	d.score = 0.7;
	cr_assert_eq(cocoeval_add_gt(ev, &g, &err), 0);
	cr_assert_eq(cocoeval_add_dt(ev, &d, &err), 0);
	cr_assert_eq(cocoeval_run(ev, &err), 0, "%s", err.data);
	size_t n;
	const double *s = cocoeval_stats(ev, &n);
	/* stats[0] is read at maxDets=100 as pycocotools does: absent here. */
	NEAR(s[0], -1);
	NEAR(s[6], 1);  /* AR@maxDets[0] = 1 */
	NEAR(s[1], -1); /* maxDets[2] does not exist */
	cocoeval_free(ev);
	buf_release(&err);
}
