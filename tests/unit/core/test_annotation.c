/*
 * test_annotation.c - unit tests for src/core/annotation.c: canonical form
 * and defaults, every kind of mistake with its exact JSON path and message,
 * warnings (self-intersection, zero area, outside the image, empty masks),
 * masks against the item size, keypoints against the skeleton, relations,
 * parents, round trips, the diff, numbers, and a 10,000-object document.
 * JSON in this file is written with ' for " (see J()) to stay readable.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/annotation.h"
#include "core/schema.h"
#include "geom/rle.h"
#include "base/banned.h"

static const char *const schema_sq =
	"{'cairn_schema': 1, 'labels': ["
	"{'name': 'car', 'shapes': ['box', 'polygon', 'mask'], 'attributes': ["
	"  {'name': 'color', 'type': 'select', 'values': ['red', 'green', 'blue'], 'required': true},"
	"  {'name': 'parked', 'type': 'checkbox'},"
	"  {'name': 'speed', 'type': 'number', 'min': 0, 'max': 200, 'step': 0.5},"
	"  {'name': 'tags', 'type': 'multiselect', 'values': ['a', 'b', 'c']},"
	"  {'name': 'note', 'type': 'text', 'default': 'none'}]},"
	"{'name': 'line', 'shapes': ['polyline']},"
	"{'name': 'person', 'shapes': ['box', 'keypoints'], 'skeleton': {'points': ['nose', 'left', 'right'],"
	"  'edges': [['nose', 'left'], ['nose', 'right']]}},"
	"{'name': 'thing', 'shapes': ['rotated_box', 'ellipse', 'cuboid', 'points', 'polygon']},"
	"{'name': 'night', 'shapes': ['tag']},"
	"{'name': 'word', 'shapes': ['span']},"
	"{'name': 'sound', 'shapes': ['segment']}],"
	"'item_attributes': [{'name': 'weather', 'type': 'select', 'values': ['sunny', 'rain'], 'default': 'sunny'},"
	"  {'name': 'blurry', 'type': 'checkbox'}],"
	"'relations': [{'name': 'drives', 'from': ['person'], 'to': ['car']},"
	"  {'name': 'near', 'directed': false}]}";

/* Returns a heap copy of s with every ' turned into ". */
static char *J(const char *s)
{
	size_t n = strlen(s);
	char *j = malloc(n + 1);
	cr_assert(j);
	for (size_t i = 0; i <= n; i++)
		j[i] = s[i] == '\'' ? '"' : s[i];
	return j;
}

static struct schema sc;

static void setup(void)
{
	char *j = J(schema_sq);
	struct buf err = BUF_INIT;
	cr_assert_eq(schema_parse(&sc, j, strlen(j), &err), 0, "%s", err.data);
	buf_release(&err);
	free(j);
}

static void teardown(void)
{
	schema_release(&sc);
}

TestSuite(annotation, .init = setup, .fini = teardown);

/* A document with the given objects array contents. */
#define DOC(x) "{'format': 1, 'objects': [" x "]}"
/* One car box with its required attribute, plus x (more keys). */
#define CAR(x) "{'id': 'c1', 'label': 'car', 'type': 'box', 'points': [1, 2, 3, 4], 'attributes': {'color': 'red'}" x "}"

/* Parses sq (single-quoted) on a 100x50 item; asserts success. */
static void parse_ok_wh(const char *sq, struct ann_doc *d, int32_t w, int32_t h, struct buf *warn)
{
	char *j = J(sq);
	struct buf err = BUF_INIT;
	int rc = ann_doc_parse(d, j, strlen(j), &sc, w, h, &err, warn);
	cr_assert_eq(rc, 0, "parse failed: %s\nfor %s", err.data, j);
	buf_release(&err);
	free(j);
}

static void parse_ok(const char *sq, struct ann_doc *d)
{
	parse_ok_wh(sq, d, 100, 50, NULL);
}

/* The canonical JSON of sq. */
static char *canon(const char *sq)
{
	struct ann_doc d;
	struct buf out = BUF_INIT;
	parse_ok(sq, &d);
	cr_assert_eq(ann_doc_to_json(&d, &sc, &out), 0);
	ann_doc_release(&d);
	return buf_detach(&out, NULL);
}

/* The canonical line of the only object of sq. */
static char *canon_obj(const char *sq)
{
	char *all = canon(sq);
	char *s = strstr(all, "\n    {");
	cr_assert(s, "no object in %s", all);
	s += 5;
	char *e = strstr(s, "\n");
	cr_assert(e);
	char *r = malloc((size_t)(e - s) + 1);
	memcpy(r, s, (size_t)(e - s));
	r[e - s] = 0;
	free(all);
	return r;
}

/* Asserts sq has exactly the one error line given, and the code rc. */
static void expect_rc(const char *sq, int want_rc, const char *line)
{
	char *j = J(sq);
	struct buf errs = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	struct ann_doc d;
	int n = -1;
	int rc = ann_doc_validate_all(j, strlen(j), &sc, 100, 50, &errs, &n, NULL);
	cr_assert_eq(rc, want_rc, "rc %d for %s\n%s", rc, j, errs.data);
	buf_addf(&want, "%s\n", line);
	cr_assert_str_eq(errs.data, want.data, "got:\n%swant:\n%sfor %s", errs.data, want.data, j);
	cr_assert_eq(n, 1);
	rc = ann_doc_parse(&d, j, strlen(j), &sc, 100, 50, &err, NULL);
	cr_assert_eq(rc, want_rc);
	buf_reset(&want);
	buf_addf(&want, "annotation: %s", line);
	cr_assert_str_eq(err.data, want.data);
	cr_assert_eq(d.nobjects, 0);
	cr_assert_null(d.objects);
	ann_doc_release(&d);
	buf_release(&errs);
	buf_release(&err);
	buf_release(&want);
	free(j);
}

static void expect_only(const char *sq, const char *line)
{
	expect_rc(sq, CAIRN_EINVAL, line);
}

/* Asserts sq parses with exactly the warning lines given (w x h item). */
static void expect_warn(const char *sq, int32_t w, int32_t h, const char *lines)
{
	struct ann_doc d;
	struct buf warn = BUF_INIT;
	parse_ok_wh(sq, &d, w, h, &warn);
	cr_assert_str_eq(warn.data, lines, "got:\n%swant:\n%s", warn.data, lines);
	ann_doc_release(&d);
	buf_release(&warn);
}

/* The COCO counts string of a row-major h x w bitmap. */
static char *counts_of(const uint8_t *bm, uint32_t h, uint32_t w)
{
	struct rle r = RLE_INIT;
	struct buf s = BUF_INIT;
	cr_assert_eq(rle_from_bitmap_rowmajor(&r, bm, h, w), 0);
	cr_assert_eq(rle_to_string(&r, &s), 0);
	rle_release(&r);
	return buf_detach(&s, NULL);
}

/* ---- the canonical form ---- */

Test(annotation, empty_document)
{
	char *c = canon("{'format': 1}");
	cr_assert_str_eq(c, "{\n  \"format\": 1,\n  \"attributes\": {\"weather\":\"sunny\",\"blurry\":false},\n"
			    "  \"objects\": [],\n  \"relations\": []\n}\n");
	free(c);
}

Test(annotation, defaults_filled)
{
	char *c = canon_obj(DOC(CAR("")));
	cr_assert_str_eq(c, "{\"id\":\"c1\",\"label\":\"car\",\"type\":\"box\",\"points\":[1,2,3,4],"
			    "\"attributes\":{\"color\":\"red\",\"parked\":false,\"speed\":null,\"tags\":[],"
			    "\"note\":\"none\"},\"occluded\":false,\"z_order\":0,\"group\":null,"
			    "\"parent\":null,\"frame\":null,\"track\":null,\"keyframe\":false,"
			    "\"outside\":false,\"score\":null,\"text\":null,\"locked\":false}");
	free(c);
}

Test(annotation, every_field_kept)
{
	char *c = canon_obj(DOC("{'id': 'c-1_x', 'label': 'car', 'type': 'box', 'points': [1.5, 2.25, 30, 40.125],"
				"'attributes': {'color': 'blue', 'parked': true, 'speed': 12.5, 'tags': ['c', 'a'], 'note': 'x\\ny'},"
				"'occluded': true, 'z_order': -3, 'group': 7, 'frame': 12, 'track': 4,"
				"'keyframe': true, 'outside': false, 'score': 0.875, 'text': 'ABC 123', 'locked': true}"));
	cr_assert_str_eq(c, "{\"id\":\"c-1_x\",\"label\":\"car\",\"type\":\"box\",\"points\":[1.5,2.25,30,40.125],"
			    "\"attributes\":{\"color\":\"blue\",\"parked\":true,\"speed\":12.5,\"tags\":[\"a\",\"c\"],"
			    "\"note\":\"x\\ny\"},\"occluded\":true,\"z_order\":-3,\"group\":7,"
			    "\"parent\":null,\"frame\":12,\"track\":4,\"keyframe\":true,"
			    "\"outside\":false,\"score\":0.875,\"text\":\"ABC 123\",\"locked\":true}");
	free(c);
}

Test(annotation, nulls_are_absent)
{
	char *a = canon(DOC(CAR(", 'group': null, 'score': null, 'text': null, 'parent': null, 'frame': null")));
	char *b = canon(DOC(CAR("")));
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(annotation, polygon_rings)
{
	char *c = canon_obj(DOC("{'id': 'p', 'label': 'car', 'type': 'polygon', 'attributes': {'color': 'red'},"
				"'rings': [[0, 0, 10, 0, 10, 10, 0, 10], [2, 2, 4, 2, 4, 4]]}"));
	cr_assert(strstr(c, "\"type\":\"polygon\",\"rings\":[[0,0,10,0,10,10,0,10],[2,2,4,2,4,4]],"), "%s", c);
	free(c);
	/* One ring in 'rings' is written as 'points'. */
	c = canon_obj(DOC("{'id': 'p', 'label': 'car', 'type': 'polygon', 'attributes': {'color': 'red'},"
			  "'rings': [[0, 0, 10, 0, 10, 10]]}"));
	cr_assert(strstr(c, "\"type\":\"polygon\",\"points\":[0,0,10,0,10,10],"), "%s", c);
	free(c);
}

Test(annotation, tag_has_no_geometry)
{
	char *c = canon_obj(DOC("{'id': 't', 'label': 'night', 'type': 'tag', 'points': []}"));
	cr_assert(strstr(c, "\"type\":\"tag\",\"attributes\":{}"), "%s", c);
	free(c);
}

/* A rich document: every shape type, relations, parents, item attributes. */
static char *rich_doc(void)
{
	static const uint8_t bm[50 * 100] = {[0] = 1, [1] = 1, [101] = 1, [4999] = 1};
	char *counts = counts_of(bm, 50, 100);
	struct buf b = BUF_INIT;
	buf_addf(&b, DOC(
		"{'id': 'c1', 'label': 'car', 'type': 'box', 'points': [10, 10, 20.5, 30], 'attributes': {'color': 'red', 'speed': 100}},"
		"{'id': 'c2', 'label': 'car', 'type': 'polygon', 'points': [0, 0, 10, 0, 10, 10, 0, 10.333333333333334], 'attributes': {'color': 'green'}},"
		"{'id': 'c3', 'label': 'car', 'type': 'mask', 'rle': {'size': [50, 100], 'counts': '%s'}, 'attributes': {'color': 'blue'}, 'score': 0.1},"
		"{'id': 'l1', 'label': 'line', 'type': 'polyline', 'points': [1, 1, 5, 5, 9, 1]},"
		"{'id': 'p1', 'label': 'person', 'type': 'box', 'points': [30, 5, 40, 45]},"
		"{'id': 'k1', 'label': 'person', 'type': 'keypoints', 'points': [35, 8, 2, 33, 10, 1, 0, 0, 0], 'parent': 'p1'},"
		"{'id': 't1', 'label': 'thing', 'type': 'rotated_box', 'points': [50, 25, 10, 4, 30]},"
		"{'id': 't2', 'label': 'thing', 'type': 'ellipse', 'points': [60, 25, 5, 3, -45]},"
		"{'id': 't3', 'label': 'thing', 'type': 'cuboid', 'points': [1, 1, 5, 1, 5, 5, 1, 5, 2, 2, 6, 2, 6, 6, 2, 6]},"
		"{'id': 't4', 'label': 'thing', 'type': 'points', 'points': [3, 4, 5.000001, 6]},"
		"{'id': 'n1', 'label': 'night', 'type': 'tag'},"
		"{'id': 'w1', 'label': 'word', 'type': 'span', 'points': [3, 9], 'text': 'héllo \\u2603'},"
		"{'id': 's1', 'label': 'sound', 'type': 'segment', 'points': [1.25, 3.5], 'frame': 0, 'track': 2, 'outside': true}"),
		counts);
	buf_setlen(&b, b.len - 1);
	buf_adds(&b, ", 'attributes': {'weather': 'rain'}, 'relations': ["
		     "{'type': 'drives', 'from': 'p1', 'to': 'c1'}, {'type': 'near', 'from': 't2', 'to': 't1'}]}");
	free(counts);
	return buf_detach(&b, NULL);
}

Test(annotation, round_trip_is_a_fixed_point)
{
	char *sq = rich_doc();
	char *a = canon(sq);
	struct ann_doc d;
	struct buf err = BUF_INIT, b = BUF_INIT, warn = BUF_INIT;
	cr_assert_eq(ann_doc_parse(&d, a, strlen(a), &sc, 100, 50, &err, &warn), 0, "%s\n%s", err.data, a);
	cr_assert_eq(d.nobjects, 13);
	cr_assert_eq(d.nrelations, 2);
	cr_assert_eq(ann_doc_to_json(&d, &sc, &b), 0);
	cr_assert_str_eq(a, b.data);
	cr_assert(strstr(a, "\"weather\":\"rain\""));
	cr_assert(strstr(a, "\"points\":[0,0,10,0,10,10,0,10.333333333333334]"), "%s", a);
	cr_assert(strstr(a, "{\"type\":\"near\",\"from\":\"t2\",\"to\":\"t1\"}"), "%s", a);
	cr_assert(strstr(a, "\"parent\":\"p1\""));
	cr_assert_str_eq(warn.data, "");
	/* The diff of a document with itself is empty. */
	buf_reset(&b);
	cr_assert_eq(ann_doc_diff(&d, &sc, &d, NULL, &b), 0);
	cr_assert_str_eq(b.data, "{\"added\":[],\"removed\":[],\"changed\":[],\"fields\":{},"
				 "\"attributes\":false,\"relations\":{\"added\":[],\"removed\":[]}}");
	ann_doc_release(&d);
	buf_release(&err);
	buf_release(&b);
	buf_release(&warn);
	free(a);
	free(sq);
}

Test(annotation, computed_boxes_and_areas)
{
	char *sq = rich_doc();
	struct ann_doc d;
	parse_ok(sq, &d);
	const struct ann_object *o = d.objects;
	cr_assert_eq(o[0].label, 0);
	cr_assert_eq(o[0].type, SHAPE_BOX);
	cr_assert_float_eq(o[0].x0, 10, 0);
	cr_assert_float_eq(o[0].y1, 30, 0);
	cr_assert_float_eq(o[0].area, 10.5 * 20, 1e-12);
	cr_assert_float_eq(o[1].area, 10 * 10 + 10 * 0.333333333333334 / 2, 1e-9);
	/* The mask: pixels (0,0), (0,1), (1,1) and (49,99), row-major. */
	cr_assert_float_eq(o[2].area, 4, 0);
	cr_assert_float_eq(o[2].x0, 0, 0);
	cr_assert_float_eq(o[2].y0, 0, 0);
	cr_assert_float_eq(o[2].x1, 100, 0);
	cr_assert_float_eq(o[2].y1, 50, 0);
	cr_assert_eq(o[2].mask.h, 50);
	cr_assert_eq(o[2].mask.w, 100);
	cr_assert(o[2].has_score);
	/* Keypoints: the box of the visible points only. */
	cr_assert_float_eq(o[5].x0, 33, 0);
	cr_assert_float_eq(o[5].x1, 35, 0);
	cr_assert_float_eq(o[5].area, 0, 0);
	cr_assert_eq(o[5].parent_index, 4);
	cr_assert_str_eq(o[5].parent, "p1");
	cr_assert_float_eq(o[6].area, 40, 1e-12);
	cr_assert_float_eq(o[7].area, M_PI * 5 * 3, 1e-9);
	cr_assert_float_eq(o[7].x1 - o[7].x0, o[7].y1 - o[7].y0, 1e-9); /* 45 degrees */
	cr_assert_float_eq(o[8].area, 24, 1e-9); /* the hull (1,1) (5,1) (6,2) (6,6) (2,6) (1,5) */
	cr_assert_eq(o[10].pts, NULL);
	cr_assert_float_eq(o[11].x0, 3, 0);
	cr_assert_float_eq(o[11].x1, 9, 0);
	cr_assert_float_eq(o[11].area, 6, 0);
	cr_assert_str_eq(o[11].text, "h\xc3\xa9llo \xe2\x98\x83");
	cr_assert(o[12].has_track && o[12].outside && o[12].has_frame && o[12].frame == 0);
	cr_assert_eq(d.relations[0].type, 0);
	cr_assert_eq(d.relations[0].from, 4);
	cr_assert_eq(d.relations[0].to, 0);
	ann_doc_release(&d);
	free(sq);
}

Test(annotation, uncompressed_counts_become_a_string)
{
	char *c = canon_obj(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'},"
				"'rle': {'size': [50, 100], 'counts': [0, 2, 4996, 2]}}"));
	static const uint8_t bm[50 * 100] = {[0] = 1, [100] = 1, [4899] = 1, [4999] = 1};
	char *want = counts_of(bm, 50, 100);
	struct buf w = BUF_INIT;
	buf_addf(&w, "\"rle\":{\"size\":[50,100],\"counts\":\"%s\"}", want);
	cr_assert(strstr(c, w.data), "%s\nwant %s", c, w.data);
	buf_release(&w);
	free(want);
	free(c);
}

Test(annotation, mask_size_unknown_item)
{
	struct ann_doc d;
	parse_ok_wh(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'},"
			"'rle': {'size': [3, 2], 'counts': [1, 5]}}"), &d, 0, 0, NULL);
	cr_assert_eq(d.objects[0].mask.h, 3);
	cr_assert_float_eq(d.objects[0].area, 5, 0);
	ann_doc_release(&d);
}

/* ---- mistakes, each with its exact path ---- */

Test(annotation, document_level)
{
	expect_only("", "$: the document is empty; an annotation is a JSON object");
	expect_only("[]", "$: expected an object (an annotation document), got an array");
	expect_only("{'objects': []}", "$: missing required key 'format' (1)");
	expect_only("{'format': 0}", "$.format: unknown format 0; expected 1");
	expect_rc("{'format': 2}", CAIRN_EVERSION,
		  "$.format: format 2 was written by a newer Cairn; this one reads format 1");
	expect_only("{'format': 1, 'annotations': []}",
		    "$.annotations: unknown key 'annotations' (did you mean 'objects'?)");
	expect_only("{'format': 1, 'objects': {}}", "$.objects: expected an array, got an object");
	expect_only("{'format': 1, 'objects': [], 'objects': []}", "$: duplicate key 'objects' (line 1)");
	expect_only(DOC("{'id': 'a', 'id': 'b'}"), "$.objects[0]: duplicate key 'id' (line 1)");
	expect_only("{'format': 1, 'objects': [1,]}",
		    "$.objects: invalid JSON at line 1, column 29: unexpected token near ']'");
	expect_only(DOC("[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]"), "$: nesting deeper than 16 levels at line 1");
}

Test(annotation, object_keys)
{
	expect_only(DOC("5"), "$.objects[0]: expected an object, got an integer");
	expect_only(DOC(CAR(", 'class': 'x'")), "$.objects[0].class: unknown key 'class' (did you mean 'label'?)");
	expect_only(DOC(CAR(", 'lokced': true")), "$.objects[0].lokced: unknown key 'lokced' (did you mean 'locked'?)");
	expect_only(DOC(CAR(", 'hidden': true")),
		    "$.objects[0].hidden: 'hidden' is the editor's view state and is not saved in the "
		    "annotation (see 'locked' for a lock everyone sees)");
	expect_only(DOC(CAR(", 'my key': 1")),
		    "$.objects[0][\"my key\"]: unknown key 'my key'; expected one of id, label, type, points, "
		    "rings, rle, attributes, occluded, z_order, group, parent, frame, track, keyframe, outside, "
		    "score, text, locked");
}

Test(annotation, ids)
{
	expect_only(DOC("{'label': 'night', 'type': 'tag'}"),
		    "$.objects[0]: missing required key 'id' (a unique id for the object, such as 'o1')");
	expect_only(DOC("{'id': 'a b', 'label': 'night', 'type': 'tag'}"),
		    "$.objects[0].id: 'a b': an id may only hold letters, digits, '_' and '-'");
	expect_only(DOC("{'id': '', 'label': 'night', 'type': 'tag'}"),
		    "$.objects[0].id: an id is 1 to 64 characters, got 0");
	expect_only(DOC("{'id': 7, 'label': 'night', 'type': 'tag'}"),
		    "$.objects[0].id: expected a string, got an integer");
	expect_only(DOC("{'id': 'x', 'label': 'night', 'type': 'tag'}, {'id': 'y', 'label': 'night', 'type': 'tag'},"
			"{'id': 'x', 'label': 'night', 'type': 'tag'}"),
		    "$.objects[2].id: duplicate id 'x' (also at $.objects[0])");
}

Test(annotation, labels_and_types)
{
	expect_only(DOC("{'id': 'a', 'label': 'cat', 'type': 'box', 'points': [0, 0, 1, 1]}"),
		    "$.objects[0].label: 'cat' is not a label of this project (did you mean 'car'?)");
	expect_only(DOC("{'id': 'a', 'label': 'dog', 'type': 'box', 'points': [0, 0, 1, 1]}"),
		    "$.objects[0].label: 'dog' is not a label of this project");
	expect_only(DOC("{'id': 'a', 'label': 'line', 'type': 'box', 'points': [0, 0, 1, 1]}"),
		    "$.objects[0].type: label 'line' does not allow 'box' (allowed: polyline)");
	expect_only(DOC("{'id': 'a', 'label': 'line', 'type': 'line', 'points': [0, 0, 1, 1]}"),
		    "$.objects[0].type: unknown type 'line' (did you mean 'polyline'?)");
	expect_only(DOC("{'id': 'a', 'label': 'line', 'points': [0, 0, 1, 1]}"),
		    "$.objects[0]: missing required key 'type'");
	expect_only(DOC("{'id': 'a', 'type': 'tag'}"), "$.objects[0]: missing required key 'label'");
}

Test(annotation, point_counts)
{
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [0, 0, 1], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].points: a box [x0, y0, x1, y1] needs 4 numbers, got 3");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [5, 0, 1, 3], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].points[2]: x1 (1) is less than x0 (5)");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [0, 0, 1, 'x'], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].points[3]: expected a number, got a string");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [0, 0, 1, 1e300], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].points[3]: 1e+300 is not a coordinate (at most 1e+09 in magnitude)");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'attributes': {'color': 'red'}}"),
		    "$.objects[0]: missing required key 'points' for a box");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'polygon', 'points': [0, 0, 1, 1, 2], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].points: a polygon needs x, y pairs (an even count of numbers), got 5");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'polygon', 'points': [0, 0, 1, 1], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].points: a polygon needs at least 3 points (6 numbers), got 4");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'polygon', 'rings': [[0, 0, 9, 0, 9, 9], [1, 1, 2, 2]], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].rings[1]: a hole needs at least 3 points (6 numbers), got 4");
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'polygon', 'points': [0, 0, 9, 0, 9, 9], 'rings': [[0, 0, 9, 0, 9, 9]], 'attributes': {'color': 'red'}}"),
		    "$.objects[0].rings: give either 'points' (one ring) or 'rings' (with holes), not both");
	expect_only(DOC("{'id': 'a', 'label': 'line', 'type': 'polyline', 'points': [0, 0], 'rings': [[0, 0]]}"),
		    "$.objects[0].rings: only polygons take 'rings'; a polyline has 'points'");
	expect_only(DOC("{'id': 'a', 'label': 'line', 'type': 'polyline', 'points': [0, 0]}"),
		    "$.objects[0].points: a polyline needs at least 2 points (4 numbers), got 2");
	expect_only(DOC("{'id': 'a', 'label': 'thing', 'type': 'cuboid', 'points': [0, 0]}"),
		    "$.objects[0].points: a cuboid (8 vertices) needs 16 numbers, got 2");
	expect_only(DOC("{'id': 'a', 'label': 'thing', 'type': 'ellipse', 'points': [0, 0, 1, -1, 0]}"),
		    "$.objects[0].points[3]: the y radius is negative (-1)");
	expect_only(DOC("{'id': 'a', 'label': 'thing', 'type': 'rotated_box', 'points': [0, 0, -1, 1, 0]}"),
		    "$.objects[0].points[2]: the width is negative (-1)");
	expect_only(DOC("{'id': 'a', 'label': 'night', 'type': 'tag', 'points': [1, 2]}"),
		    "$.objects[0].points: a tag has no geometry; leave 'points' out");
}

Test(annotation, keypoints_against_the_skeleton)
{
	expect_only(DOC("{'id': 'a', 'label': 'person', 'type': 'keypoints', 'points': [1, 2, 2, 3, 4, 2]}"),
		    "$.objects[0].points: a keypoints object of label 'person' needs 9 numbers (3 points x 3), got 6");
	expect_only(DOC("{'id': 'a', 'label': 'person', 'type': 'keypoints', 'points': [1, 2, 2, 3, 4, 3, 0, 0, 0]}"),
		    "$.objects[0].points[5]: the visibility of point 1 ('left') must be 0, 1 or 2, got 3");
}

Test(annotation, spans_and_segments)
{
	expect_only(DOC("{'id': 'a', 'label': 'word', 'type': 'span', 'points': [1, 2.5]}"),
		    "$.objects[0].points[1]: 2.5 is not a whole number of code points");
	expect_only(DOC("{'id': 'a', 'label': 'word', 'type': 'span', 'points': [-1, 2]}"),
		    "$.objects[0].points[0]: the start is negative (-1)");
	expect_only(DOC("{'id': 'a', 'label': 'sound', 'type': 'segment', 'points': [3, 2.5]}"),
		    "$.objects[0].points[1]: the end (2.5) is before the start (3)");
}

Test(annotation, masks_against_the_item)
{
	expect_only(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'},"
			"'rle': {'size': [100, 50], 'counts': [5000]}}"),
		    "$.objects[0].rle.size: [100, 50] does not match the item's size [50, 100] ([height, width])");
	expect_only(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'},"
			"'rle': {'size': [50, 100], 'counts': [4000, 10]}}"),
		    "$.objects[0].rle.counts: counts sum to 4010, expected h*w = 5000");
	expect_only(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'},"
			"'rle': {'size': [50, 100], 'counts': 'zz'}}"),
		    "$.objects[0].rle.counts: bad character at offset 0 of counts string");
	expect_only(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'}}"),
		    "$.objects[0]: missing required key 'rle' for a mask");
	expect_only(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'}, 'points': [1, 2],"
			"'rle': {'size': [50, 100], 'counts': [5000]}}"),
		    "$.objects[0].points: a mask has no 'points'; its pixels are in 'rle'");
	expect_only(DOC(CAR(", 'rle': {'size': [50, 100], 'counts': [5000]}")),
		    "$.objects[0].rle: only masks take 'rle'");
	expect_only(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'},"
			"'rle': {'size': [50, 100], 'counts': [5000], 'count': 1}}"),
		    "$.objects[0].rle.count: unknown key 'count' (did you mean 'counts'?)");
}

/* A car box with the given attributes object. */
#define CARA(x) DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [0, 0, 1, 1], 'attributes': " x "}")

Test(annotation, attributes)
{
	expect_only(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [0, 0, 1, 1]}"),
		    "$.objects[0].attributes: missing required attribute 'color' (one of ['red', 'green', 'blue'])");
	expect_only(CARA("{'color': null}"),
		    "$.objects[0].attributes: missing required attribute 'color' (one of ['red', 'green', 'blue'])");
	expect_only(CARA("{'color': 'pink'}"),
		    "$.objects[0].attributes.color: 'pink' is not among the values ['red', 'green', 'blue']");
	expect_only(CARA("{'color': 'gren'}"),
		    "$.objects[0].attributes.color: 'gren' is not among the values ['red', 'green', 'blue'] (did you mean 'green'?)");
	expect_only(CARA("{'color': 'red', 'colour': 'red'}"),
		    "$.objects[0].attributes.colour: label 'car' has no attribute 'colour' (did you mean 'color'?)");
	expect_only(CARA("{'color': 'red', 'speed': 300}"),
		    "$.objects[0].attributes.speed: 300 is outside the range [0, 200]");
	expect_only(CARA("{'color': 'red', 'speed': 1.25}"),
		    "$.objects[0].attributes.speed: 1.25 is not min (0) plus a multiple of the step (0.5)");
	expect_only(CARA("{'color': 'red', 'speed': '5'}"),
		    "$.objects[0].attributes.speed: expected a number, got a string");
	expect_only(CARA("{'color': 'red', 'parked': 1}"),
		    "$.objects[0].attributes.parked: expected true or false, got an integer");
	expect_only(CARA("{'color': 'red', 'tags': ['a', 'a']}"),
		    "$.objects[0].attributes.tags[1]: 'a' is listed twice");
	expect_only(CARA("{'color': 'red', 'tags': ['d']}"),
		    "$.objects[0].attributes.tags[0]: 'd' is not among the values ['a', 'b', 'c']");
	expect_only(CARA("{'color': 'red', 'note': 5}"),
		    "$.objects[0].attributes.note: expected a string, got an integer");
	expect_only(CARA("[]"), "$.objects[0].attributes: expected an object, got an array");
	expect_only("{'format': 1, 'attributes': {'weather': 'snow'}}",
		    "$.attributes.weather: 'snow' is not among the values ['sunny', 'rain']");
	expect_only("{'format': 1, 'attributes': {'light': 'dim'}}",
		    "$.attributes.light: the project has no attribute 'light'");
}

Test(annotation, scalars)
{
	expect_only(DOC(CAR(", 'occluded': 'yes'")), "$.objects[0].occluded: expected true or false, got a string");
	expect_only(DOC(CAR(", 'z_order': 1.5")), "$.objects[0].z_order: expected an integer, got a number");
	expect_only(DOC(CAR(", 'z_order': 3000000000")),
		    "$.objects[0].z_order: 3000000000 is outside [-2147483648, 2147483647]");
	expect_only(DOC(CAR(", 'group': -1")), "$.objects[0].group: -1 is negative");
	expect_only(DOC(CAR(", 'frame': -2")), "$.objects[0].frame: -2 is negative");
	expect_only(DOC(CAR(", 'score': 1.5")), "$.objects[0].score: 1.5 is outside [0, 1]");
	expect_only(DOC(CAR(", 'text': 5")), "$.objects[0].text: expected a string, got an integer");
	expect_only(DOC(CAR(", 'keyframe': true")),
		    "$.objects[0].keyframe: only a tracked object (with 'track') can be a keyframe");
	expect_only(DOC(CAR(", 'outside': true")),
		    "$.objects[0].outside: only a tracked object (with 'track') can be outside");
	expect_only(DOC(CAR(", 'track': 1")), "$.objects[0]: a tracked object (with 'track') needs 'frame'");
}

Test(annotation, parents)
{
	expect_only(DOC(CAR(", 'parent': 'zz'")), "$.objects[0].parent: no object with id 'zz' in this document");
	expect_only(DOC(CAR(", 'parent': 'c1'")), "$.objects[0].parent: an object cannot be its own parent");
	expect_only(DOC("{'id': 'a', 'label': 'night', 'type': 'tag', 'parent': 'b'},"
			"{'id': 'b', 'label': 'night', 'type': 'tag', 'parent': 'c'},"
			"{'id': 'c', 'label': 'night', 'type': 'tag', 'parent': 'a'},"
			"{'id': 'd', 'label': 'night', 'type': 'tag', 'parent': 'a'}"),
		    "$.objects[0].parent: the parent chain of 'a' loops back to itself");
}

#define RELDOC(r) "{'format': 1, 'objects': [" \
	"{'id': 'p', 'label': 'person', 'type': 'box', 'points': [0, 0, 1, 1]}," \
	"{'id': 'c', 'label': 'car', 'type': 'box', 'points': [0, 0, 1, 1], 'attributes': {'color': 'red'}}," \
	"{'id': 'l', 'label': 'line', 'type': 'polyline', 'points': [0, 0, 1, 1]}], 'relations': [" r "]}"

Test(annotation, relations)
{
	struct ann_doc d;
	parse_ok(RELDOC("{'type': 'drives', 'from': 'p', 'to': 'c'}, {'type': 'near', 'from': 'l', 'to': 'c'}"), &d);
	cr_assert_eq(d.nrelations, 2);
	cr_assert_eq(d.relations[1].type, 1);
	cr_assert_eq(d.relations[1].from, 2);
	ann_doc_release(&d);
	expect_only(RELDOC("{'type': 'drive', 'from': 'p', 'to': 'c'}"),
		    "$.relations[0].type: 'drive' is not a relation type of this project (did you mean 'drives'?)");
	expect_only(RELDOC("{'type': 'owns', 'from': 'p', 'to': 'c'}"),
		    "$.relations[0].type: 'owns' is not a relation type of this project; expected one of drives, near");
	expect_only(RELDOC("{'type': 'drives', 'from': 'p', 'to': 'x'}"),
		    "$.relations[0].to: no object with id 'x' in this document");
	expect_only(RELDOC("{'type': 'drives', 'from': 'c', 'to': 'c'}"),
		    "$.relations[0].to: an object cannot be related to itself");
	expect_only(RELDOC("{'type': 'drives', 'from': 'c', 'to': 'p'}"),
		    "$.relations[0].from: a 'drives' relation cannot start at label 'car' (allowed: person)");
	expect_only(RELDOC("{'type': 'drives', 'from': 'p', 'to': 'l'}"),
		    "$.relations[0].to: a 'drives' relation cannot end at label 'line' (allowed: car)");
	expect_only(RELDOC("{'type': 'drives', 'from': 'p', 'to': 'c'}, {'type': 'drives', 'from': 'p', 'to': 'c'}"),
		    "$.relations[1]: the same relation as $.relations[0]");
	/* Undirected: the reverse is the same relation. */
	expect_only(RELDOC("{'type': 'near', 'from': 'p', 'to': 'c'}, {'type': 'near', 'from': 'c', 'to': 'p'}"),
		    "$.relations[1]: the same relation as $.relations[0]");
	expect_only(RELDOC("{'type': 'drives', 'from': 'p', 'to': 'c', 'weight': 1}"),
		    "$.relations[0].weight: unknown key 'weight'; expected one of type, from, to");
	expect_only(RELDOC("{'type': 'drives', 'from': 'p', 'to': 'c', 'kind': 1}"),
		    "$.relations[0].kind: unknown key 'kind' (did you mean 'type'?)");
	expect_only(RELDOC("{'from': 'p', 'to': 'c'}"),
		    "$.relations[0]: missing required key 'type' (a relation type of the schema)");
}

Test(annotation, all_errors_are_collected)
{
	char *j = J(DOC("{'id': 'a', 'label': 'cat', 'type': 'box', 'points': [0, 0, 1, 1]},"
			"{'id': 'a', 'label': 'car', 'type': 'box', 'points': [0, 0, 1], 'attributes': {'color': 'red'}}"));
	struct buf errs = BUF_INIT;
	int n = 0;
	cr_assert_eq(ann_doc_validate_all(j, strlen(j), &sc, 0, 0, &errs, &n, NULL), CAIRN_EINVAL);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(errs.data,
			 "$.objects[0].label: 'cat' is not a label of this project (did you mean 'car'?)\n"
			 "$.objects[1].id: duplicate id 'a' (also at $.objects[0])\n"
			 "$.objects[1].points: a box [x0, y0, x1, y1] needs 4 numbers, got 3\n");
	buf_release(&errs);
	free(j);
}

/* ---- warnings ---- */

Test(annotation, warnings)
{
	/* A bow tie: saved, but flagged. */
	expect_warn(DOC("{'id': 'b', 'label': 'thing', 'type': 'polygon', 'points': [0, 0, 10, 10, 10, 0, 0, 20]}"), 100, 50,
		    "$.objects[0].points: edge 0-1 crosses edge 2-3 (self-intersection at vertex 2)\n");
	expect_warn(DOC("{'id': 'b', 'label': 'thing', 'type': 'polygon', 'points': [0, 0, 5, 5, 10, 10]}"), 100, 50,
		    "$.objects[0].points: ring 0 (from vertex 0) has zero area\n");
	expect_warn(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [1, 2, 1, 4], 'attributes': {'color': 'red'}}"),
		    100, 50, "$.objects[0].points: the box has zero area\n");
	expect_warn(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [-5, 2, 101, 4], 'attributes': {'color': 'red'}}"),
		    100, 50, "$.objects[0].points: reaches outside the 100x50 image (bounding box [-5, 2, 101, 4])\n");
	/* Outside is fine when the item's size is unknown. */
	expect_warn(DOC("{'id': 'a', 'label': 'car', 'type': 'box', 'points': [-5, 2, 101, 4], 'attributes': {'color': 'red'}}"),
		    0, 0, "");
	expect_warn(DOC("{'id': 'm', 'label': 'car', 'type': 'mask', 'attributes': {'color': 'red'},"
			"'rle': {'size': [50, 100], 'counts': [5000]}}"), 100, 50, "$.objects[0].rle: the mask is empty\n");
	expect_warn(DOC("{'id': 'a', 'label': 'word', 'type': 'span', 'points': [4, 4]}"), 0, 0,
		    "$.objects[0].points: the span is empty\n");
	expect_warn(DOC("{'id': 'a', 'label': 'thing', 'type': 'ellipse', 'points': [5, 5, 0, 2, 0]}"), 100, 50,
		    "$.objects[0].points: the ellipse has zero area\n");
	/* Keypoints: only visible points count for the image check. */
	expect_warn(DOC("{'id': 'a', 'label': 'person', 'type': 'keypoints', 'points': [1, 2, 2, 3, 4, 1, 500, 500, 0]}"),
		    100, 50, "");
}

Test(annotation, warnings_dropped_on_error)
{
	char *j = J(DOC("{'id': 'b', 'label': 'thing', 'type': 'polygon', 'points': [0, 0, 10, 10, 10, 0, 0, 10]},"
			"{'id': 'b', 'label': 'night', 'type': 'tag'}"));
	struct ann_doc d;
	struct buf err = BUF_INIT, warn = BUF_INIT;
	buf_adds(&warn, "kept\n");
	cr_assert_eq(ann_doc_parse(&d, j, strlen(j), &sc, 0, 0, &err, &warn), CAIRN_EINVAL);
	cr_assert_str_eq(warn.data, "kept\n");
	buf_release(&err);
	buf_release(&warn);
	free(j);
}

/* ---- the diff ---- */

Test(annotation, diff)
{
	struct ann_doc a, b;
	struct buf out = BUF_INIT;
	parse_ok("{'format': 1, 'objects': ["
		 "{'id': 'p', 'label': 'person', 'type': 'box', 'points': [0, 0, 1, 1]},"
		 "{'id': 'c', 'label': 'car', 'type': 'box', 'points': [0, 0, 1, 1], 'attributes': {'color': 'red'}},"
		 "{'id': 'gone', 'label': 'night', 'type': 'tag'},"
		 "{'id': 'same', 'label': 'night', 'type': 'tag'}],"
		 "'relations': [{'type': 'drives', 'from': 'p', 'to': 'c'}, {'type': 'near', 'from': 'p', 'to': 'same'}]}", &a);
	parse_ok("{'format': 1, 'attributes': {'blurry': true}, 'objects': ["
		 "{'id': 'new', 'label': 'night', 'type': 'tag'},"
		 "{'id': 'same', 'label': 'night', 'type': 'tag'},"
		 "{'id': 'c', 'label': 'car', 'type': 'box', 'points': [0, 0, 2, 1], 'attributes': {'color': 'blue'}, 'locked': true},"
		 "{'id': 'p', 'label': 'person', 'type': 'box', 'points': [0, 0, 1, 1]}],"
		 "'relations': [{'type': 'near', 'from': 'same', 'to': 'p'}, {'type': 'near', 'from': 'c', 'to': 'p'}]}", &b);
	cr_assert_eq(ann_doc_diff(&a, &sc, &b, &sc, &out), 0);
	cr_assert_str_eq(out.data,
			 "{\"added\":[\"new\"],\"removed\":[\"gone\"],\"changed\":[\"c\"],"
			 "\"fields\":{\"c\":[\"points\",\"attributes\",\"locked\"]},\"attributes\":true,"
			 "\"relations\":{\"added\":[{\"type\":\"near\",\"from\":\"c\",\"to\":\"p\"}],"
			 "\"removed\":[{\"type\":\"drives\",\"from\":\"p\",\"to\":\"c\"}]}}");
	ann_doc_release(&a);
	ann_doc_release(&b);
	buf_release(&out);
}

/* ---- numbers ---- */

static void num_is(double v, const char *want)
{
	struct buf b = BUF_INIT;
	cr_assert_eq(json_add_double(&b, v), 0);
	cr_assert_str_eq(b.data, want, "%.17g gave %s, want %s", v, b.data, want);
	buf_release(&b);
}

Test(annotation, shortest_numbers)
{
	num_is(0, "0");
	num_is(-0.0, "0");
	num_is(1, "1");
	num_is(-2.25, "-2.25");
	num_is(0.1, "0.1");
	num_is(0.3, "0.3");
	num_is(0.1 + 0.2, "0.30000000000000004");
	num_is(1.0 / 3, "0.3333333333333333");
	num_is(1920.5, "1920.5");
	num_is(0.001, "0.001");
	num_is(1e-7, "1e-07");
	num_is(1e300, "1e+300");
	num_is(123456789.125, "123456789.125");
	num_is(NAN, "null");
	num_is(INFINITY, "null");
	/* Every double reads back exactly. */
	unsigned long long r = 1;
	struct buf b = BUF_INIT;
	for (int i = 0; i < 200000; i++) {
		double v;
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		if (i % 2) {
			memcpy(&v, &r, sizeof v);
			if (!isfinite(v))
				continue;
		} else {
			v = (double)(r >> 11) / 9007199254740992.0 * 4000 - 2000;
		}
		buf_reset(&b);
		json_add_double(&b, v);
		cr_assert_eq(strtod(b.data, NULL), v, "%.17g -> %s", v, b.data);
	}
	buf_release(&b);
}

/* ---- sizes ---- */

/* n polygons of 20 vertices, all valid. */
static char *big_doc(long n)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"format\": 1, \"objects\": [");
	for (long i = 0; i < n; i++) {
		double cx = 50 + (double)(i % 97) * 19, cy = 50 + (double)(i % 89) * 11;
		buf_addf(&b, "%s{\"id\": \"o%ld\", \"label\": \"car\", \"type\": \"polygon\", "
			 "\"attributes\": {\"color\": \"red\"}, \"points\": [", i ? "," : "", i);
		for (int k = 0; k < 20; k++) {
			double t = 2 * M_PI * k / 20;
			buf_addf(&b, "%s%.2f,%.2f", k ? "," : "", cx + 10 * cos(t), cy + 10 * sin(t));
		}
		buf_adds(&b, "]}");
	}
	buf_adds(&b, "]}");
	return buf_detach(&b, NULL);
}

Test(annotation, ten_thousand_polygons, .timeout = 60)
{
	char *j = big_doc(10000);
	struct ann_doc d, e;
	struct buf err = BUF_INIT, warn = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	cr_assert_eq(ann_doc_parse(&d, j, strlen(j), &sc, 2000, 1100, &err, &warn), 0, "%s", err.data);
	cr_assert_eq(d.nobjects, 10000);
	cr_assert_str_eq(warn.data, "");
	cr_assert_eq(d.objects[9999].npts, 40);
	cr_assert_eq(ann_doc_to_json(&d, &sc, &a), 0);
	cr_assert_eq(ann_doc_parse(&e, a.data, a.len, &sc, 2000, 1100, &err, NULL), 0, "%s", err.data);
	cr_assert_eq(ann_doc_to_json(&e, &sc, &b), 0);
	cr_assert_str_eq(a.data, b.data);
	ann_doc_release(&d);
	ann_doc_release(&e);
	buf_release(&err);
	buf_release(&warn);
	buf_release(&a);
	buf_release(&b);
	free(j);
}

Test(annotation, too_many_objects, .timeout = 60)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"format\": 1, \"objects\": [");
	for (long i = 0; i <= ANN_MAX_OBJECTS; i++)
		buf_adds(&b, i ? ",1" : "1");
	buf_adds(&b, "]}");
	struct ann_doc d;
	struct buf err = BUF_INIT;
	cr_assert_eq(ann_doc_parse(&d, b.data, b.len, &sc, 0, 0, &err, NULL), CAIRN_ETOOBIG);
	cr_assert_str_eq(err.data, "annotation: $.objects: 100001 objects; at most 100000 are allowed");
	buf_release(&b);
	buf_release(&err);
}

Test(annotation, too_many_numbers)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "{\"format\": 1, \"objects\": [{\"id\": \"a\", \"label\": \"thing\", \"type\": \"points\", \"points\": [");
	for (long i = 0; i <= ANN_MAX_NUMBERS; i++)
		buf_adds(&b, i ? ",1" : "1");
	buf_adds(&b, "]}]}");
	struct ann_doc d;
	struct buf err = BUF_INIT;
	cr_assert_eq(ann_doc_parse(&d, b.data, b.len, &sc, 0, 0, &err, NULL), CAIRN_ETOOBIG);
	cr_assert_str_eq(err.data, "annotation: $.objects[0].points: 1000001 numbers; at most 1000000 are allowed in one object");
	buf_release(&b);
	buf_release(&err);
}

Test(annotation, to_json_refuses_what_json_cannot_carry)
{
	struct ann_doc d;
	struct buf out = BUF_INIT;
	parse_ok(DOC(CAR("")), &d);
	d.objects[0].pts[1] = NAN;
	cr_assert_eq(ann_doc_to_json(&d, &sc, &out), CAIRN_EINVAL);
	cr_assert_eq(out.len, 0);
	d.objects[0].pts[1] = 2;
	d.objects[0].label = 99;
	cr_assert_eq(ann_doc_to_json(&d, &sc, &out), CAIRN_EINVAL);
	ann_doc_release(&d);
	ann_doc_release(&d);
	buf_release(&out);
}

/* COCO's counts alphabet ('0'..'o') includes '\\', which JSON must escape:
 * the canonical document of any mask is valid JSON that reads back the same. */
Test(annotation, mask_counts_with_backslashes_stay_valid_json)
{
	/* A count of 12 + 32 * k encodes to a character 48 + 44 = '\\'. */
	struct buf doc = BUF_INIT, canon = BUF_INIT, err = BUF_INIT;
	buf_adds(&doc, "{\"format\":1,\"objects\":[{\"id\":\"m\",\"label\":\"car\",\"type\":\"mask\","
		 "\"attributes\":{\"color\":\"red\"},\"rle\":{\"size\":[100,100],\"counts\":[0,44,");
	buf_adds(&doc, "9912,44]}}]}");
	struct ann_doc d;
	cr_assert_eq(ann_doc_parse(&d, doc.data, doc.len, &sc, 100, 100, &err, NULL), 0, "%s", err.data);
	cr_assert_eq(ann_doc_to_json(&d, &sc, &canon), 0);
	cr_assert(strchr(canon.data, '\\'), "the counts should need escaping: %s", canon.data);
	json_error_t je;
	json_t *j = json_loads(canon.data, 0, &je);
	cr_assert_not_null(j, "canonical document is not JSON: %s (%s)", je.text, canon.data);
	json_decref(j);
	struct ann_doc d2;
	cr_assert_eq(ann_doc_parse(&d2, canon.data, canon.len, &sc, 100, 100, &err, NULL), 0, "%s", err.data);
	cr_assert(rle_equal(&d.objects[0].mask, &d2.objects[0].mask));
	ann_doc_release(&d);
	ann_doc_release(&d2);
	buf_release(&doc);
	buf_release(&canon);
	buf_release(&err);
}
