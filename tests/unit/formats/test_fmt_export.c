/*
 * test_fmt_export.c - what every writer reads (fmt_export.c, fmt_fastdoc.c):
 * the fast reader of stored documents gives exactly what ann_doc_parse
 * gives (hand-picked and 3,000 random documents, numbers of every length),
 * steps aside for everything it does not read, and the export cursor
 * (fmt_item_list, store_item_docs) hands writers the same documents as the
 * query per item, whatever kinds are asked for.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/annotation.h"
#include "core/schema.h"
#include "formats/fmt.h"
#include "store/store.h"

#include "fmt_test.h"

static const char *const schema_json =
	"{\"cairn_schema\": 1, \"labels\": ["
	"{\"name\": \"a\", \"shapes\": [\"box\", \"polygon\", \"keypoints\", \"mask\", \"tag\"],"
	" \"skeleton\": {\"points\": [\"p\", \"q\"], \"edges\": [[\"p\", \"q\"]]}},"
	"{\"name\": \"b\", \"shapes\": [\"box\", \"polyline\"]},"
	"{\"name\": \"c\", \"shapes\": [\"box\"], \"attributes\": ["
	"  {\"name\": \"n\", \"type\": \"number\", \"min\": 0, \"max\": 9}]}],"
	"\"relations\": [{\"name\": \"near\", \"directed\": false}]}";

static struct schema sc;
static struct fmt_fast fast;

static void setup(void)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(schema_parse(&sc, schema_json, strlen(schema_json), &err), 0, "%s", err.data);
	fmt_fast_init(&fast, &sc);
	buf_release(&err);
}

static void teardown(void)
{
	fmt_fast_release(&fast);
	schema_release(&sc);
}

static bool same_double(double x, double y)
{
	return !memcmp(&x, &y, sizeof(x));
}

/* The canonical text of doc (as the store keeps it). */
static char *canonical(const char *doc)
{
	struct ann_doc d;
	struct buf err = BUF_INIT, out = BUF_INIT;
	cr_assert_eq(ann_doc_parse(&d, doc, strlen(doc), &sc, 0, 0, &err, NULL), 0, "%s: %s",
		     doc, err.data);
	cr_assert_eq(ann_doc_to_json(&d, &sc, &out), 0);
	ann_doc_release(&d);
	buf_release(&err);
	return buf_detach(&out, NULL);
}

/* Both readers on text; returns whether the fast one read it (then equal). */
static bool compare(const char *text)
{
	struct ann_doc g, f;
	struct buf err = BUF_INIT;
	cr_assert_eq(ann_doc_parse(&g, text, strlen(text), &sc, 0, 0, &err, NULL), 0, "%s",
		     err.data);
	int fast_ok = fmt_fast_parse(&fast, text, strlen(text), &f);
	if (!fast_ok) {
		cr_assert_eq(f.nobjects, 0);
		cr_assert_null(f.objects);
		ann_doc_release(&g);
		buf_release(&err);
		return false;
	}
	cr_assert_eq(f.nobjects, g.nobjects, "%s", text);
	cr_assert_str_eq(f.attrs, g.attrs);
	cr_assert_eq(f.nrelations, g.nrelations);
	for (size_t i = 0; i < g.nobjects; i++) {
		const struct ann_object *x = &f.objects[i], *y = &g.objects[i];
		cr_assert_str_eq(x->uid, y->uid);
		cr_assert_eq(x->label, y->label);
		cr_assert_eq(x->type, y->type);
		cr_assert_eq(x->npts, y->npts);
		for (size_t k = 0; k < y->npts; k++)
			cr_assert(same_double(x->pts[k], y->pts[k]), "%s: point %zu: %.17g vs %.17g",
				  text, k, x->pts[k], y->pts[k]);
		cr_assert_eq(x->nrings, y->nrings);
		cr_assert_str_eq(x->attrs, y->attrs);
		cr_assert_eq(x->occluded, y->occluded);
		cr_assert_eq(x->z_order, y->z_order);
		cr_assert_eq(x->has_group, y->has_group);
		cr_assert_eq(x->group, y->group);
		cr_assert_str_eq(x->parent, y->parent);
		cr_assert_eq(x->parent_index, y->parent_index);
		cr_assert_eq(x->has_frame, y->has_frame);
		cr_assert_eq(x->frame, y->frame);
		cr_assert_eq(x->has_track, y->has_track);
		cr_assert_eq(x->track, y->track);
		cr_assert_eq(x->keyframe, y->keyframe);
		cr_assert_eq(x->outside, y->outside);
		cr_assert_eq(x->has_score, y->has_score);
		cr_assert(same_double(x->score, y->score));
		cr_assert_eq(x->text, y->text);
		cr_assert_eq(x->locked, y->locked);
		cr_assert(same_double(x->x0, y->x0) && same_double(x->y0, y->y0) &&
			  same_double(x->x1, y->x1) && same_double(x->y1, y->y1), "%s: bbox", text);
		cr_assert(same_double(x->area, y->area), "%s: area %.17g vs %.17g", text, x->area,
			  y->area);
	}
	ann_doc_release(&f);
	ann_doc_release(&g);
	buf_release(&err);
	return true;
}

TestSuite(fmt_export, .init = setup, .fini = teardown);

Test(fmt_export, fast_reader_equals_the_general_one)
{
	const char *docs[] = {
		"{\"format\":1,\"objects\":[]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"box\","
		"\"points\":[37,91,47.5,111]}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"x_1-2\",\"label\":\"b\",\"type\":\"box\","
		"\"points\":[-0,0.1,0.30000000000000004,123456.78901234567],\"occluded\":true,"
		"\"z_order\":-3,\"group\":7,\"score\":0.25,\"locked\":true},"
		"{\"id\":\"2\",\"label\":\"a\",\"type\":\"polygon\",\"points\":[0,0,10.25,0,10.25,"
		"3.3333333333333335,1e-7,2.5e3]}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"t\",\"label\":\"a\",\"type\":\"box\","
		"\"points\":[1,2,3,4],\"frame\":12,\"track\":3,\"keyframe\":true,\"outside\":true},"
		"{\"id\":\"u\",\"label\":\"a\",\"type\":\"box\",\"points\":[1,2,1,2],\"frame\":0}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"big\",\"label\":\"a\",\"type\":\"box\","
		"\"points\":[-999999999.99999994,5e-324,999999999,1000000000],\"score\":1}]}",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char *c = canonical(docs[i]);
		cr_assert(compare(c), "the fast reader gave up on %s", c);
		free(c);
	}
}

Test(fmt_export, fast_reader_steps_aside)
{
	const char *docs[] = {
		/* attributes, keypoints, masks, tags, polylines, parents, text, relations */
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"c\",\"type\":\"box\","
		"\"points\":[1,2,3,4],\"attributes\":{\"n\":2}}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"keypoints\","
		"\"points\":[1,2,2,3,4,1]}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"mask\","
		"\"rle\":{\"size\":[2,2],\"counts\":[1,2,1]}}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"tag\"}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"b\",\"type\":\"polyline\","
		"\"points\":[1,2,3,4]}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"box\","
		"\"points\":[1,2,3,4]},{\"id\":\"2\",\"label\":\"a\",\"type\":\"keypoints\","
		"\"points\":[1,2,2,3,4,1],\"parent\":\"1\"}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"box\","
		"\"points\":[1,2,3,4],\"text\":\"hello\"}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"box\","
		"\"points\":[1,2,3,4]},{\"id\":\"2\",\"label\":\"b\",\"type\":\"box\","
		"\"points\":[1,2,3,4]}],\"relations\":[{\"type\":\"near\",\"from\":\"1\",\"to\":\"2\"}]}",
		"{\"format\":1,\"objects\":[{\"id\":\"1\",\"label\":\"a\",\"type\":\"polygon\","
		"\"rings\":[[0,0,9,0,9,9,0,9],[1,1,2,1,2,2]]}]}",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char *c = canonical(docs[i]);
		cr_assert_not(compare(c), "the fast reader read %s", c);
		free(c);
	}
	/* Not the canonical text: other spacing, key order, escapes, a bad number, trailing text. */
	const char *texts[] = {
		"{\"format\":1,\"objects\":[]}",
		"{\n  \"format\": 1,\n  \"attributes\": {},\n  \"objects\": [\n    {\"label\":\"a\","
		"\"id\":\"1\",\"type\":\"box\",\"points\":[1,2,3,4]}\n  ],\n  \"relations\": []\n}\n",
		"{\n  \"format\": 1,\n  \"attributes\": {},\n  \"objects\": [\n    {\"id\":\"\\u0031\","
		"\"label\":\"a\",\"type\":\"box\",\"points\":[1,2,3,4],\"attributes\":{},"
		"\"occluded\":false,\"z_order\":0,\"group\":null,\"parent\":null,\"frame\":null,"
		"\"track\":null,\"keyframe\":false,\"outside\":false,\"score\":null,\"text\":null,"
		"\"locked\":false}\n  ],\n  \"relations\": []\n}\n",
		"{\n  \"format\": 1,\n  \"attributes\": {},\n  \"objects\": [\n    {\"id\":\"1\","
		"\"label\":\"a\",\"type\":\"box\",\"points\":[1e,2,3,4],\"attributes\":{},"
		"\"occluded\":false,\"z_order\":0,\"group\":null,\"parent\":null,\"frame\":null,"
		"\"track\":null,\"keyframe\":false,\"outside\":false,\"score\":null,\"text\":null,"
		"\"locked\":false}\n  ],\n  \"relations\": []\n}\n",
		"{\n  \"format\": 1,\n  \"attributes\": {},\n  \"objects\": [\n    {\"id\":\"1\","
		"\"label\":\"a\",\"type\":\"box\",\"points\":[1,2,3,4],\"attributes\":{},"
		"\"occluded\":false,\"z_order\":0,\"group\":null,\"parent\":null,\"frame\":null,"
		"\"track\":null,\"keyframe\":false,\"outside\":false,\"score\":null,\"text\":null,"
		"\"locked\":false}\n  ],\n  \"relations\": []\n}\n{}",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ann_doc d;
		cr_assert_eq(fmt_fast_parse(&fast, texts[i], strlen(texts[i]), &d), 0, "%s", texts[i]);
		cr_assert_eq(d.nobjects, 0);
	}
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A coordinate: small integers, short decimals, or any double in range. */
static double coord(void)
{
	switch (next() % 4) {
	case 0: return (double)(int64_t)(next() % 4000) - 500;
	case 1: return (double)(next() % 100000) / 100.0;
	case 2: return (double)(next() % 2000000) / 7.0 - 1000;
	default: {
		double d;
		do {
			uint64_t b = next();
			memcpy(&d, &b, sizeof(d));
		} while (!(fabs(d) <= 1e9));
		return d;
	}
	}
}

Test(fmt_export, random_documents)
{
	int fast_read = 0;
	for (int t = 0; t < 3000; t++) {
		struct buf doc = BUF_INIT;
		size_t n = next() % 6;
		buf_adds(&doc, "{\"format\":1,\"objects\":[");
		for (size_t i = 0; i < n; i++) {
			buf_addf(&doc, "%s{\"id\":\"o%zu\",\"label\":\"%s\",", i ? "," : "", i,
				 next() % 2 ? "a" : "b");
			double x0 = coord(), y0 = coord(), x1 = coord(), y1 = coord();
			if (x1 < x0) {
				double sw = x0;
				x0 = x1;
				x1 = sw;
			}
			if (y1 < y0) {
				double sw = y0;
				y0 = y1;
				y1 = sw;
			}
			if (next() % 4 == 0) {
				buf_addf(&doc, "\"type\":\"box\",\"points\":[%.17g,%.17g,%.17g,%.17g]",
					 x0, y0, x1, y1);
			} else if (doc.data[doc.len - 3] == 'a') {
				buf_addf(&doc, "\"type\":\"polygon\",\"points\":[%.17g,%.17g,%.17g,%.17g,"
					 "%.17g,%.17g,%.17g,%.17g]", x0, y0, x1, y0, x1, y1, coord(),
					 coord());
			} else {
				buf_addf(&doc, "\"type\":\"box\",\"points\":[%.6f,%.3f,%.17g,%.17g]", x0, y0,
					 x1 + 1, y1 + 1);
			}
			if (next() % 3 == 0)
				buf_addf(&doc, ",\"score\":%.17g", (double)(next() % 1001) / 1000);
			if (next() % 5 == 0)
				buf_addf(&doc, ",\"frame\":%u,\"track\":%u", (unsigned)(next() % 50),
					 (unsigned)(next() % 9));
			buf_addch(&doc, '}');
		}
		buf_adds(&doc, "]}");
		char *c = canonical(doc.data);
		fast_read += compare(c);
		free(c);
		buf_release(&doc);
	}
	cr_assert_eq(fast_read, 3000);
}

/* ---- the export cursor against the query per item ---- */

static int64_t qid;

/* The harness's store and project "p", and a project "q" beside it. */
static void store_setup(void)
{
	fmt_test_open("exp");
	struct buf err = BUF_INIT;
	cr_assert_eq(store_project_create(ft.st, "q", "", 0, NULL, &qid, &err), 0, "%s", err.data);
	buf_release(&err);
}

/* Imports a COCO file of `n` images, box k of image i at (i + k, off). */
static void import(const char *project, int n, enum annotation_kind kind, double off,
		   int64_t user_id, const char *source)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/in.json", ft.dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs("{\"images\":[", f);
	for (int i = 1; i <= n; i++)
		fprintf(f, "%s{\"id\":%d,\"file_name\":\"%d.jpg\",\"width\":640,\"height\":480}",
			i > 1 ? "," : "", i, i);
	fputs("],\"annotations\":[", f);
	int id = 0;
	for (int i = 1; i <= n; i++)
		for (int k = 0; k <= i % 4; k++)
			fprintf(f, "%s{\"id\":%d,\"image_id\":%d,\"category_id\":1,"
				"\"bbox\":[%d,%g,10,10],\"area\":100,\"iscrowd\":0}", id ? "," : "",
				id + 1, i, i + k, off), id++;
	fputs("],\"categories\":[{\"id\":1,\"name\":\"car\"}]}", f);
	fclose(f);
	int64_t p = strcmp(project, "p") ? qid : ft.pid;
	struct buf err = BUF_INIT;
	struct fmt_import_opts o = {0};
	o.data_dir = ft.dir;
	o.no_media = true;
	o.kind = kind;
	o.user_id = user_id;
	o.source = source;
	struct fmt_import_report rep;
	cr_assert_eq(fmt_import(ft.st, p, fmt_find("coco"), path, &o, &rep, &err), 0,
		     "%s", err.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}

struct seen {
	struct fmt_doc_cache *listed, *alone;
	unsigned kinds;
	int64_t items, found, objects, last;
	int64_t by_off[5];         /* documents by the import they came from */
	struct fmt_loss loss;
};

static int check_item(void *ctx, const struct item *it)
{
	struct seen *s = ctx;
	struct ann_doc a, b;
	bool fa, fb;
	struct buf err = BUF_INIT;
	cr_assert_eq(it->project_id, ft.pid);
	cr_assert_gt(it->id, s->last);
	s->last = it->id;
	cr_assert_eq(fmt_item_doc(s->listed, it, s->kinds, &a, &fa, &s->loss, &err), 0, "%s",
		     err.data);
	cr_assert_eq(fmt_item_doc(s->alone, it, s->kinds, &b, &fb, &s->loss, &err), 0, "%s",
		     err.data);
	cr_assert_eq(fa, fb, "item %lld", (long long)it->id);
	cr_assert_eq(a.nobjects, b.nobjects);
	for (size_t i = 0; i < a.nobjects; i++) {
		cr_assert_str_eq(a.objects[i].uid, b.objects[i].uid);
		cr_assert(same_double(a.objects[i].y0, b.objects[i].y0));
	}
	s->items++;
	s->found += fa;
	s->objects += (int64_t)a.nobjects;
	if (fa) {
		cr_assert_gt(a.nobjects, 0);
		int off = (int)a.objects[0].y0;
		cr_assert(off >= 0 && off < 5);
		s->by_off[off]++;
	}
	ann_doc_release(&a);
	ann_doc_release(&b);
	buf_release(&err);
	return 0;
}

TestSuite(fmt_export_cursor, .init = store_setup, .fini = fmt_test_close);

Test(fmt_export_cursor, same_documents_as_the_query_per_item)
{
	struct buf err = BUF_INIT;
	/* Items of another project in between, so its rows are skipped. */
	import("q", 7, ANN_GOLD, 1, 0, NULL);
	import("p", 40, ANN_PREDICTION, 2, 0, "m1");
	import("q", 5, ANN_GOLD, 1, 0, NULL);
	import("p", 30, ANN_GOLD, 3, 0, NULL);
	import("p", 20, ANN_PREDICTION, 4, 0, "m2");
	struct fmt_labels l;
	cr_assert_eq(fmt_labels_load(&l, ft.st, ft.pid, "coco", &err), 0, "%s", err.data);
	const unsigned kinds[] = {0, 1u << ANN_PREDICTION, 1u << ANN_GOLD, 1u << ANN_MANUAL,
				  (1u << ANN_GOLD) | (1u << ANN_PREDICTION)};
	/* Gold first, then the latest prediction import (m2 on the first 20). */
	const int64_t want[][5] = {{0, 0, 10, 30, 0}, {0, 0, 20, 0, 20}, {0, 0, 0, 30, 0},
				   {0, 0, 0, 0, 0}, {0, 0, 10, 30, 0}};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct seen s = {0};
		s.listed = fmt_doc_cache_new(ft.st, ft.pid, &l);
		s.alone = fmt_doc_cache_new(ft.st, ft.pid, &l);
		s.kinds = kinds[k];
		/* Pages of 7, so that pages end in the middle of things. */
		for (;;) {
			int64_t before = s.items;
			cr_assert_eq(fmt_item_list(s.listed, ft.pid, kinds[k], s.last, 7,
						   check_item, &s, &err), 0, "%s", err.data);
			if (s.items - before < 7)
				break;
		}
		cr_assert_eq(s.items, 40);
		for (int o = 0; o < 5; o++)
			cr_assert_eq(s.by_off[o], want[k][o], "kinds %u: %lld from import %d", kinds[k],
				     (long long)s.by_off[o], o);
		fmt_doc_cache_free(s.listed);
		fmt_doc_cache_free(s.alone);
		fmt_loss_release(&s.loss);
	}
	fmt_labels_release(&l);
	buf_release(&err);
}
