/*
 * bench_annotation.c - times the annotation document (src/core/annotation.c)
 * on generated 10,000-object documents: parse + validate, serialise, and
 * both, beside jansson alone loading and dumping the same bytes (the
 * baseline every save pays anyway). Prints milliseconds per document (best
 * of several runs) and the ratio ours / jansson. Run by bench/annotation.sh.
 *
 *   bench_annotation [OBJECTS [RUNS]]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/buf.h"
#include "core/annotation.h"
#include "core/schema.h"

#include "base/banned.h"

static const char schema_json[] =
	"{\"cairn_schema\": 1, \"labels\": ["
	"{\"name\": \"polygon\", \"shapes\": [\"polygon\", \"box\"], \"attributes\": ["
	"{\"name\": \"color\", \"type\": \"select\", \"values\": [\"red\", \"green\", \"blue\"], \"required\": true},"
	"{\"name\": \"occluded\", \"type\": \"checkbox\"},"
	"{\"name\": \"confidence\", \"type\": \"number\", \"min\": 0, \"max\": 1, \"step\": 0.01, \"default\": 1},"
	"{\"name\": \"note\", \"type\": \"text\"}]},"
	"{\"name\": \"person\", \"shapes\": [\"box\", \"keypoints\"], \"skeleton\": {\"points\": "
	"[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", \"k\", \"l\", \"m\", \"n\", \"o\", \"p\", \"q\"]}}"
	"]}";

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned long long rng = 88172645463325252ull;
static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* A document of n objects of the given kind; decimals < 0 = full precision. */
static void make_doc(struct buf *b, long n, const char *kind, int decimals)
{
	static const char *const colors[] = {"red", "green", "blue"};
	double scale = decimals >= 0 ? pow(10, decimals) : 0;
	buf_adds(b, "{\"format\": 1, \"objects\": [\n");
	for (long i = 0; i < n; i++) {
		double cx = 50 + urand() * 1820, cy = 50 + urand() * 980, r = 5 + urand() * 40;
		buf_addf(b, "%s{\"id\": \"o%ld\", \"label\": \"%s\", \"type\": \"%s\", \"points\": [",
			 i ? ",\n" : "", i, strcmp(kind, "keypoints") ? "polygon" : "person", kind);
		int np = !strcmp(kind, "polygon") ? 20 : !strcmp(kind, "box") ? 2 : 17;
		for (int k = 0; k < np; k++) {
			double t = 2 * M_PI * k / np, rr = r * (0.6 + 0.4 * urand());
			double x = cx + rr * cos(t), y = cy + rr * sin(t);
			if (!strcmp(kind, "box")) {
				x = k ? cx + r : cx - r;
				y = k ? cy + r : cy - r;
			}
			if (scale > 0) {
				x = round(x * scale) / scale;
				y = round(y * scale) / scale;
				buf_addf(b, "%s%.*f,%.*f", k ? "," : "", decimals, x, decimals, y);
			} else {
				buf_addf(b, "%s%.17g,%.17g", k ? "," : "", x, y);
			}
			if (!strcmp(kind, "keypoints"))
				buf_addf(b, ",%d", k % 3);
		}
		buf_adds(b, "]");
		if (strcmp(kind, "keypoints"))
			buf_addf(b, ", \"attributes\": {\"color\": \"%s\", \"confidence\": 0.5}",
				 colors[i % 3]);
		buf_adds(b, ", \"z_order\": 1}");
	}
	buf_adds(b, "\n]}\n");
}

struct times {
	double load, load_dump, parse, serialise;
};

static int bench(const struct schema *sc, const struct buf *doc, int runs, struct times *t)
{
	t->load = t->load_dump = t->parse = t->serialise = INFINITY;
	for (int r = 0; r < runs; r++) {
		json_error_t je;
		double t0 = now();
		json_t *root = json_loadb(doc->data, doc->len, JSON_REJECT_DUPLICATES, &je);
		double t1 = now();
		char *s = json_dumps(root, JSON_COMPACT);
		double t2 = now();
		if (!root || !s) {
			fprintf(stderr, "bench_annotation: jansson failed: %s\n", je.text);
			return 1;
		}
		free(s);
		json_decref(root);
		t->load = fmin(t->load, t1 - t0);
		t->load_dump = fmin(t->load_dump, t2 - t0);

		struct ann_doc d;
		struct buf err = BUF_INIT, out = BUF_INIT;
		t0 = now();
		if (ann_doc_parse(&d, doc->data, doc->len, sc, 1920, 1080, &err, NULL)) {
			fprintf(stderr, "bench_annotation: %s\n", err.data);
			return 1;
		}
		t1 = now();
		ann_doc_to_json(&d, sc, &out);
		t2 = now();
		t->parse = fmin(t->parse, t1 - t0);
		t->serialise = fmin(t->serialise, t2 - t1);
		ann_doc_release(&d);
		buf_release(&out);
		buf_release(&err);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 7;
	struct schema sc;
	struct buf err = BUF_INIT;
	static const struct {
		const char *name, *kind;
		int decimals;
	} cases[] = {
		{"polygon x20, 2 decimals", "polygon", 2},
		{"polygon x20, full doubles", "polygon", -1},
		{"box", "box", 1},
		{"keypoints x17", "keypoints", 2},
	};
	if (n <= 0 || runs <= 0) {
		fprintf(stderr, "usage: bench_annotation [OBJECTS [RUNS]]\n");
		return 2;
	}
	if (schema_parse(&sc, schema_json, strlen(schema_json), &err)) {
		fprintf(stderr, "bench_annotation: %s\n", err.data);
		return 1;
	}
	printf("%ld objects per document, best of %d runs; ms per document\n", n, runs);
	printf("%-26s %7s %8s %7s %7s %7s %7s %8s %7s\n", "document", "MB", "jansson", "+dump",
	       "parse", "serial", "total", "ratio", "obj/ms");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf doc = BUF_INIT;
		struct times t;
		make_doc(&doc, n, cases[i].kind, cases[i].decimals);
		if (bench(&sc, &doc, runs, &t))
			return 1;
		double total = t.parse + t.serialise;
		printf("%-26s %7.2f %8.1f %7.1f %7.1f %7.1f %7.1f %7.2fx %7.0f\n", cases[i].name,
		       (double)doc.len / 1e6, t.load * 1e3, t.load_dump * 1e3, t.parse * 1e3,
		       t.serialise * 1e3, total * 1e3, total / t.load_dump, (double)n / (total * 1e3));
		buf_release(&doc);
	}
	printf("(jansson = json_loadb alone; +dump = load and json_dumps, the baseline; parse = "
	       "ann_doc_parse (load + validate); serial = ann_doc_to_json; ratio = total / baseline)\n");
	schema_release(&sc);
	buf_release(&err);
	return 0;
}
