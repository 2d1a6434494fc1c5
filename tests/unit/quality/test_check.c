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
#include "base/err.h"
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

static void feed_ann(struct check_state *cs, struct item *it, int kind, int64_t user, int64_t t,
		     const char *objects)
{
	struct buf j = BUF_INIT, err = BUF_INIT;
	buf_addf(&j, "{\"format\":1,\"objects\":[%s]}", objects);
	struct ann_doc d = {0};
	cr_assert_eq(ann_doc_parse(&d, j.data, j.len, &sc, it->width, it->height, &err, NULL), 0,
		     "%s", err.data);
	struct check_ann a = {user * 1000 + it->id, kind, user, t};
	cr_assert_eq(check_add_ann(cs, it, &a, &d, &sc), 0);
	ann_doc_release(&d);
	buf_release(&j);
	buf_release(&err);
}

/* Two boxes (a car and a dog) at (x, y), sides scaled by s about their
 * centres. */
static void two_boxes(char *out, size_t n, double x, double y, double s)
{
	double h1 = 10 * s, h2 = 15 * s;
	snprintf(out, n,
		 OBJ("c", "car", "box", "\"points\":[%g,%g,%g,%g]") ","
		 "{\"id\":\"d\",\"label\":\"dog\",\"type\":\"box\",\"points\":[%g,%g,%g,%g]}",
		 x + 10 - h1, y + 10 - h1, x + 10 + h1, y + 10 + h1,
		 x + 60 - h2, y + 15 - h2, x + 60 + h2, y + 15 + h2);
}

Test(check, unlabelled_in_finished_batch, .init = setup, .fini = teardown)
{
	struct check_opts o;
	check_opts_default(&o);
	o.rules = 1u << CHECK_UNLABELLED;
	struct check_state *cs = check_state_new(&o, collect, NULL);
	check_add_batch(cs, 3, "week-3", "done");
	check_add_batch(cs, 1, "week-1", "review");
	check_add_batch(cs, 2, "week-2", "annotate");
	const char *box = OBJ("c", "car", "box", "\"points\":[1,1,9,9]");
	/* 1: labelled; 2: nothing; 3: an empty manual annotation and gold;
	 * 4: nothing but its batch is still annotated; 5: empty, batch done;
	 * 6: no batch; 7: an annotation that does not validate; 8: one empty
	 * and one labelled manual annotation. */
	int64_t batch[] = {0, 1, 1, 1, 2, 3, 0, 1, 1};
	for (int i = 1; i <= 8; i++) {
		struct item it = {.id = i, .width = 50, .height = 50, .batch_id = batch[i]};
		check_add_item(cs, &it);
		if (i == 1)
			feed_ann(cs, &it, ANN_MANUAL, 4, 0, box);
		if (i == 3) {
			feed_ann(cs, &it, ANN_MANUAL, 4, 0, "");
			feed_ann(cs, &it, ANN_GOLD, 0, 0, box);
		}
		if (i == 5)
			feed_ann(cs, &it, ANN_MANUAL, 4, 0, "");
		if (i == 7)
			check_add_invalid(cs, &it, 70, "$.objects[0].label: 'x' is not a label");
		if (i == 8) {
			feed_ann(cs, &it, ANN_MANUAL, 4, 0, "");
			feed_ann(cs, &it, ANN_MANUAL, 5, 0, box);
		}
	}
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert(has("unlabelled_in_finished_batch 2 - -"));
	cr_assert(has("unlabelled_in_finished_batch 3 - -"));
	cr_assert(has("unlabelled_in_finished_batch 5 - -"));
	cr_assert_eq(nfound, 3, "%d findings: %s / %s / %s / %s", nfound, found[0], found[1],
		     found[2], found[3]);
	check_state_free(cs);
}

Test(check, sign_test)
{
	cr_assert_float_eq(check_sign_test(0, 10), 2.0 / 1024, 1e-15);
	cr_assert_float_eq(check_sign_test(10, 10), 2.0 / 1024, 1e-15);
	cr_assert_eq(check_sign_test(5, 10), 1);
	cr_assert_float_eq(check_sign_test(3, 20), 2.0 * (1 + 20 + 190 + 1140) / 1048576, 1e-15);
	cr_assert_eq(check_sign_test(0, 0), 1);
	/* Large n: no overflow, a tiny p. */
	double p = check_sign_test(100000, 1000000);
	cr_assert(p >= 0 && p < 1e-300 * 1e10);
}

static char last_msg[400];
static int64_t last_user;

static int collect_msg(void *ctx, const struct check_finding *f)
{
	last_user = f->user_id;
	snprintf(last_msg, sizeof(last_msg), "%s", f->message);
	return collect(ctx, f);
}

Test(check, annotator_bias_between_annotators, .init = setup, .fini = teardown)
{
	struct check_opts o;
	check_opts_default(&o);
	o.rules = 1u << CHECK_ANNOTATOR_BIAS;
	struct check_state *cs = check_state_new(&o, collect_msg, NULL);
	/* Users 11..14 label 30 items; 13's boxes are 1.2x wider and higher
	 * (1.44x the area), 12's jitter a little either way. */
	for (int i = 1; i <= 30; i++) {
		struct item it = {.id = i, .width = 300, .height = 300};
		check_add_item(cs, &it);
		for (int u = 11; u <= 14; u++) {
			char objs[600];
			double s = u == 13 ? 1.2 : u == 12 ? (i % 2 ? 1.02 : 0.98) : 1;
			two_boxes(objs, sizeof(objs), 5 * (i % 20), 100, s);
			feed_ann(cs, &it, ANN_MANUAL, u, 0, objs);
		}
	}
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert(has("annotator_bias 0 - annotator 13"));
	cr_assert_eq(nfound, 1, "%d findings: %s / %s", nfound, found[0], found[1]);
	/* Against the others once their own (nil) bias is fitted: 1.2^2,
	 * one value per box of 13's (2 x 30). */
	cr_assert(strstr(last_msg, "median area ratio 1.44 over 60 matched boxes: 60 larger, 0 smaller"),
		  "%s", last_msg);
	cr_assert_eq(last_user, 13);
	check_state_free(cs);
}

Test(check, annotator_bias_against_consensus, .init = setup, .fini = teardown)
{
	struct check_opts o;
	check_opts_default(&o);
	o.rules = 1u << CHECK_ANNOTATOR_BIAS;
	struct check_state *cs = check_state_new(&o, collect_msg, NULL);
	/* 21 draws boxes 0.85x the consensus's sides; 22 exactly; 23 has
	 * too few matches to judge (bias_min 20) though it is far off. */
	for (int i = 1; i <= 15; i++) {
		struct item it = {.id = i, .width = 300, .height = 300};
		char objs[600];
		check_add_item(cs, &it);
		two_boxes(objs, sizeof(objs), 7 * i, 50, 1);
		feed_ann(cs, &it, ANN_CONSENSUS, 0, 0, objs);
		two_boxes(objs, sizeof(objs), 7 * i, 50, 0.85);
		feed_ann(cs, &it, ANN_MANUAL, 21, 0, objs);
		two_boxes(objs, sizeof(objs), 7 * i, 50, 1);
		feed_ann(cs, &it, ANN_MANUAL, 22, 0, objs);
		if (i <= 9) {
			two_boxes(objs, sizeof(objs), 7 * i, 50, 1.3);
			feed_ann(cs, &it, ANN_MANUAL, 23, 0, objs);
		}
	}
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert(has("annotator_bias 0 - annotator 21"));
	cr_assert_eq(nfound, 1, "%d findings: %s / %s", nfound, found[0], found[1]);
	cr_assert_eq(last_user, 21);
	/* 0.85^2 = 0.7225: 28% smaller, 30 matched boxes. */
	cr_assert(strstr(last_msg, "28% smaller"), "%s", last_msg);
	cr_assert(strstr(last_msg, "the consensus's"), "%s", last_msg);
	cr_assert(strstr(last_msg, "over 30 matched boxes: 0 larger, 30 smaller"), "%s", last_msg);
	check_state_free(cs);
}

Test(check, drift_class_mix_and_agreement, .init = setup, .fini = teardown)
{
	struct check_opts o;
	check_opts_default(&o);
	o.rules = 1u << CHECK_DRIFT;
	struct check_state *cs = check_state_new(&o, collect_msg, NULL);
	const int64_t day = 86400000;
	/* Day 0 (1970-01-01): 20 items, users 1 and 2 agree on a car and a
	 * dog. Day 1: 20 items where user 2's boxes sit elsewhere
	 * (agreement drops, same class mix). Day 2: 20 items of two cars
	 * each, agreed (class mix shifts). Day 3: like day 0 but only 5
	 * items, too few to test. */
	int id = 0;
	for (int d = 0; d < 4; d++)
		for (int i = 0; i < (d == 3 ? 5 : 20); i++) {
			struct item it = {.id = ++id, .width = 300, .height = 300};
			char a[600], b[600];
			check_add_item(cs, &it);
			if (d == 2) {
				snprintf(a, sizeof(a),
					 OBJ("c", "car", "box", "\"points\":[10,10,30,30]") ","
					 OBJ("e", "car", "box", "\"points\":[60,60,90,90]"));
				snprintf(b, sizeof(b), "%s", a);
			} else {
				two_boxes(a, sizeof(a), 10, 10, 1);
				two_boxes(b, sizeof(b), d == 1 && i % 4 ? 150 : 10, 10, 1);
			}
			feed_ann(cs, &it, ANN_MANUAL, 1, d * day + 1000 * i, a);
			feed_ann(cs, &it, ANN_MANUAL, 2, d * day + 1000 * i + 500, b);
		}
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert_eq(nfound, 2, "%d findings: %s / %s / %s", nfound, found[0], found[1], found[2]);
	cr_assert_str_eq(found[0], "drift 0 - window 1970-01-02");
	cr_assert_str_eq(found[1], "drift 0 - window 1970-01-03");
	cr_assert(strstr(last_msg, "class mix"), "%s", last_msg);
	check_state_free(cs);
}

Test(check, class_shift_against_earlier_batches, .init = setup, .fini = teardown)
{
	struct check_opts o;
	check_opts_default(&o);
	o.rules = 1u << CHECK_CLASS_SHIFT;
	struct check_state *cs = check_state_new(&o, collect, NULL);
	/* Batches 1 and 2: a car and a dog per item; batch 3: two cars. */
	for (int i = 1; i <= 90; i++) {
		struct item it = {.id = i, .width = 300, .height = 300, .batch_id = (i - 1) / 30 + 1};
		char objs[600];
		check_add_item(cs, &it);
		if (it.batch_id == 3)
			snprintf(objs, sizeof(objs),
				 OBJ("c", "car", "box", "\"points\":[10,10,30,30]") ","
				 OBJ("e", "car", "box", "\"points\":[60,60,90,90]"));
		else
			two_boxes(objs, sizeof(objs), 10, 10, 1);
		feed_ann(cs, &it, ANN_MANUAL, 1, 0, objs);
	}
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert(has("class_shift 0 - batch 3 vs earlier"));
	cr_assert(!has("class_shift 0 - batch 2 vs earlier"));
	cr_assert(!has("class_shift 0 - batch 1 vs earlier"));
	check_state_free(cs);
}

Test(check, zero_filled_new_options_mean_defaults, .init = setup, .fini = teardown)
{
	/* A caller that fills the options itself, not knowing the fields
	 * added for annotator_bias and drift, gets their defaults. */
	struct check_opts o = {.rules = 1u << CHECK_ANNOTATOR_BIAS, .p_max = 0.001, .shift_min = 30};
	struct check_state *cs = check_state_new(&o, collect, NULL);
	for (int i = 1; i <= 30; i++) {
		struct item it = {.id = i, .width = 300, .height = 300};
		check_add_item(cs, &it);
		for (int u = 1; u <= 3; u++) {
			char objs[600];
			two_boxes(objs, sizeof(objs), 5 * (i % 20), 100, u == 2 ? 1.04 : 1);
			feed_ann(cs, &it, ANN_MANUAL, u, 0, objs);
		}
	}
	cr_assert_eq(check_finish(cs, NULL), 0);
	/* 1.04^2 = 1.08 is significant but within the default ratio 1.1 (a
	 * zero ratio would flag it). */
	cr_assert_eq(nfound, 0, "%d findings: %s", nfound, found[0]);
	check_state_free(cs);
}

Test(check, annotator_bias_among_many_annotators, .init = setup, .fini = teardown)
{
	struct check_opts o;
	check_opts_default(&o);
	o.rules = 1u << CHECK_ANNOTATOR_BIAS;
	struct check_state *cs = check_state_new(&o, collect_msg, NULL);
	/* 70 annotators (past the first size of the user table) label 10
	 * items; annotator 1350 draws boxes 1.15x wider and higher. */
	for (int i = 1; i <= 10; i++) {
		struct item it = {.id = i, .width = 300, .height = 300};
		check_add_item(cs, &it);
		for (int u = 0; u < 70; u++) {
			char objs[600];
			two_boxes(objs, sizeof(objs), 10 * i, 100, u == 50 ? 1.15 : 1);
			feed_ann(cs, &it, ANN_MANUAL, 1000 + 7 * u, 0, objs);
		}
	}
	cr_assert_eq(check_finish(cs, NULL), 0);
	cr_assert_eq(nfound, 1, "%d findings: %s / %s", nfound, found[0], found[1]);
	cr_assert(has("annotator_bias 0 - annotator 1350"));
	cr_assert_eq(last_user, 1350);
	cr_assert(strstr(last_msg, "median area ratio 1.32 over 20 matched boxes"), "%s", last_msg);
	check_state_free(cs);
}

Test(check, rule_lists_and_finding_json)
{
	struct buf err = BUF_INIT, out = BUF_INIT;
	uint32_t bits;
	cr_assert_eq(check_rules_parse("out_of_bounds,too_small", &bits, &err), 0, "%s", err.data);
	cr_assert_eq(bits, (1u << CHECK_OUT_OF_BOUNDS) | (1u << CHECK_TOO_SMALL));
	cr_assert_eq(check_rules_parse("", &bits, &err), 0);
	cr_assert_eq(bits, 0);
	cr_assert_eq(check_rules_parse(NULL, &bits, &err), 0);
	cr_assert_eq(check_rules_parse("too_small,nope", &bits, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "unknown rule 'nope'"), "%s", err.data);
	struct check_finding f = {.rule = CHECK_OUT_OF_BOUNDS, .item_id = 5, .annotation_id = 9,
				  .object = "oob", .group = "", .message = "a \"quote\""};
	check_finding_json(&out, 1, &f);
	cr_assert_str_eq(out.data, "{\"rule\":\"out_of_bounds\",\"severity\":\"warning\",\"item_id\":5,"
			 "\"annotation_id\":9,\"object\":\"oob\",\"group\":\"\",\"link\":"
			 "\"/label.html#project=1&item=5&object=oob\",\"message\":\"a \\\"quote\\\"\"}");
	buf_reset(&out);
	struct check_finding g = {.rule = CHECK_CLASS_SHIFT, .group = "batch 3", .message = "m"};
	check_finding_json(&out, 1, &g);
	cr_assert(strstr(out.data, "\"object\":\"\",\"group\":\"batch 3\",\"link\":null"), "%s", out.data);
	buf_release(&err);
	buf_release(&out);
}
