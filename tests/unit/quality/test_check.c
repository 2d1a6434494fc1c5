/*
 * test_check.c - unit tests for src/quality/check.c: each per-object rule on
 * a hand-made annotation, duplicates by the sweep, invalid documents mapped
 * to their rules, the chi-square tail, class shift, box outliers and
 * train/test leakage on small fed data.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/annotation.h"
#include "core/model.h"
#include "core/schema.h"
#include "quality/check.h"
#include "base/banned.h"

static const char *const SCHEMA =
	"{\"cairn_schema\": 1, \"labels\": ["
	"{\"name\": \"car\", \"shapes\": [\"box\", \"polygon\", \"mask\"], \"attributes\": ["
	"  {\"name\": \"color\", \"type\": \"select\", \"values\": [\"red\", \"blue\"], \"required\": true}]},"
	"{\"name\": \"dog\", \"shapes\": [\"box\"]}]}";

static struct schema sc;
static char found[64][160];
static int nfound;

static int collect(void *ctx, const struct check_finding *f)
{
	(void)ctx;
	if (nfound < 64)
		snprintf(found[nfound++], sizeof(found[0]), "%s %lld %s %s", check_rules[f->rule].name,
			 (long long)f->item_id, *f->object ? f->object : "-", *f->group ? f->group : "-");
	return 0;
}

static void setup(void)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(schema_parse(&sc, SCHEMA, strlen(SCHEMA), &err), 0, "%s", err.data);
	buf_release(&err);
	nfound = 0;
}

static void teardown(void)
{
	schema_release(&sc);
}

static bool has(const char *s)
{
	for (int i = 0; i < nfound; i++)
		if (!strcmp(found[i], s))
			return true;
	return false;
}

#define OBJ(id, label, type, geom) \
	"{\"id\":\"" id "\",\"label\":\"" label "\",\"type\":\"" type "\"," geom ",\"attributes\":{\"color\":\"red\"}}"

static void feed_doc(struct check_state *cs, struct item *it, const char *objects)
{
	struct buf j = BUF_INIT, err = BUF_INIT;
	buf_addf(&j, "{\"format\":1,\"objects\":[%s]}", objects);
	struct ann_doc d = {0};
	cr_assert_eq(ann_doc_parse(&d, j.data, j.len, &sc, it->width, it->height, &err, NULL), 0,
		     "%s", err.data);
	cr_assert_eq(check_add_doc(cs, it, 1, &d, &sc), 0);
	ann_doc_release(&d);
	buf_release(&j);
	buf_release(&err);
}

Test(check, per_object_rules, .init = setup, .fini = teardown)
{
	struct check_state *cs = check_state_new(NULL, collect, NULL);
	struct item it = {.id = 7, .width = 100, .height = 50};
	cr_assert_eq(check_add_item(cs, &it), 0);
	feed_doc(cs, &it,
		 OBJ("ok", "car", "box", "\"points\":[10,10,30,30]") ","
		 OBJ("oob", "car", "box", "\"points\":[90,10,120,30]") ","
		 OBJ("bow", "car", "polygon", "\"points\":[0,0,20,20,20,0,0,20]") ","
		 OBJ("tiny", "car", "box", "\"points\":[50,40,52,45]") ","
		 OBJ("dup", "car", "box", "\"points\":[10,10,30,30.5]") ","
		 "{\"id\":\"dog\",\"label\":\"dog\",\"type\":\"box\",\"points\":[10,10,30,30]}");
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert(has("out_of_bounds 7 oob -"));
	cr_assert(has("degenerate_shape 7 bow -"));
	cr_assert(has("too_small 7 tiny -"));
	/* IoU 400/410 > .9 with the same label; the dog is another label. */
	cr_assert(has("duplicate 7 dup -"));
	cr_assert_eq(nfound, 4, "%d findings, first %s", nfound, found[0]);
	check_state_free(cs);
}

Test(check, rule_selection, .init = setup, .fini = teardown)
{
	struct check_opts o;
	check_opts_default(&o);
	o.rules = 1u << CHECK_TOO_SMALL;
	struct check_state *cs = check_state_new(&o, collect, NULL);
	struct item it = {.id = 1, .width = 100, .height = 50};
	feed_doc(cs, &it, OBJ("oob", "car", "box", "\"points\":[90,10,120,11]"));
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert_eq(nfound, 1);
	cr_assert(has("too_small 1 oob -"));
	cr_assert_eq(check_rule_find("leakage"), CHECK_LEAKAGE);
	cr_assert_eq(check_rule_find("nope"), -1);
	check_state_free(cs);
}

Test(check, invalid_documents, .init = setup, .fini = teardown)
{
	struct check_state *cs = check_state_new(NULL, collect, NULL);
	struct item it = {.id = 3};
	const char *j = "{\"format\":1,\"objects\":[{\"id\":\"a\",\"label\":\"car\",\"type\":\"box\","
			"\"points\":[0,0,1,1],\"attributes\":{}},{\"id\":\"b\",\"label\":\"zebra\","
			"\"type\":\"box\",\"points\":[0,0,1,1]}]}";
	struct buf errors = BUF_INIT;
	cr_assert_neq(ann_doc_validate_all(j, strlen(j), &sc, 0, 0, &errors, NULL, NULL), 0);
	check_add_invalid(cs, &it, 5, errors.data);
	cr_assert(has("required_attribute 3 objects[0] -"), "%s", errors.data);
	cr_assert(has("unknown_label 3 objects[1] -"), "%s", errors.data);
	buf_release(&errors);
	check_state_free(cs);
}

Test(check, gamma_q)
{
	/* Chi-square survival: df 1 at 3.841 is .05; df 2 at x is exp(-x/2). */
	cr_assert_float_eq(check_gamma_q(0.5, 3.841458820694124 / 2), 0.05, 1e-9);
	cr_assert_float_eq(check_gamma_q(1, 5.0 / 2), exp(-2.5), 1e-12);
	cr_assert_float_eq(check_gamma_q(5, 20.0 / 2), 0.029252688076961127, 1e-12);
	cr_assert_eq(check_gamma_q(3, 0), 1);
}

Test(check, class_shift_outliers_and_leakage, .init = setup, .fini = teardown)
{
	struct check_state *cs = check_state_new(NULL, collect, NULL);
	/* 40 train items with a car and a dog each; 40 test items with two
	 * cars. Boxes are 20x20 but for one 20x4 dog (aspect 5). */
	for (int i = 1; i <= 80; i++) {
		struct item it = {.id = i, .width = 200, .height = 200,
				  .split = i <= 40 ? "train" : "test", .has_phash = true,
				  .phash = (uint64_t)i * 0x9E3779B97F4A7C15ull};
		if (i == 60) /* item 60 is item 2's image, one bit off */
			it.phash = (uint64_t)2 * 0x9E3779B97F4A7C15ull ^ 1;
		check_add_item(cs, &it);
		double dy = i == 5 ? 4 : 20;
		char full[600];
		if (i <= 40)
			snprintf(full, sizeof(full),
				 OBJ("c", "car", "box", "\"points\":[%d,10,%d,30]") ","
				 "{\"id\":\"d\",\"label\":\"dog\",\"type\":\"box\",\"points\":[100,100,120,%g]}",
				 i % 50, i % 50 + 20, 100 + dy);
		else
			snprintf(full, sizeof(full),
				 OBJ("c", "car", "box", "\"points\":[%d,10,%d,30]") ","
				 OBJ("e", "car", "box", "\"points\":[100,100,120,%g]"),
				 i % 50, i % 50 + 20, 100 + dy);
		feed_doc(cs, &it, full);
	}
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert(has("class_shift 0 - split train"));
	cr_assert(has("class_shift 0 - split test"));
	cr_assert(has("box_outlier 5 d -"));
	cr_assert(has("leakage 2 - -"));
	cr_assert_eq(nfound, 4, "%d: %s / %s / %s / %s / %s", nfound, found[0], found[1], found[2],
		     found[3], found[4]);
	check_state_free(cs);
}
