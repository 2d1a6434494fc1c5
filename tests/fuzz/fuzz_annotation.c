/*
 * fuzz_annotation.c - libFuzzer entry for the annotation document parser:
 * arbitrary bytes are validated against a fixed schema that has every shape
 * kind, attribute type, a skeleton and relations; a document that parses
 * must write canonical JSON that parses again to the same bytes, and diff
 * against itself to nothing. Everything is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/annotation.h"
#include "core/schema.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char schema_json[] =
	"{\"cairn_schema\": 1, \"labels\": ["
	"{\"name\": \"car\", \"shapes\": [\"box\", \"polygon\", \"mask\", \"rotated_box\", \"ellipse\", \"cuboid\"],"
	" \"attributes\": [{\"name\": \"color\", \"type\": \"select\", \"values\": [\"red\", \"blue\"], \"required\": true},"
	" {\"name\": \"n\", \"type\": \"number\", \"min\": -1, \"max\": 1, \"step\": 0.25},"
	" {\"name\": \"m\", \"type\": \"multiselect\", \"values\": [\"a\", \"b\"]},"
	" {\"name\": \"c\", \"type\": \"checkbox\"}, {\"name\": \"t\", \"type\": \"text\"}]},"
	"{\"name\": \"p\", \"shapes\": [\"keypoints\", \"points\", \"polyline\", \"tag\", \"span\", \"segment\"],"
	" \"skeleton\": {\"points\": [\"a\", \"b\"]}}],"
	"\"item_attributes\": [{\"name\": \"w\", \"type\": \"select\", \"values\": [\"x\", \"y\"]}],"
	"\"relations\": [{\"name\": \"r\", \"from\": [\"p\"], \"to\": [\"car\"]}, {\"name\": \"u\", \"directed\": false}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct schema sc;
	static int ready;
	struct ann_doc d, e;
	struct buf err = BUF_INIT, errs = BUF_INIT, warn = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	int n = 0;

	if (!ready) {
		if (schema_parse(&sc, schema_json, strlen(schema_json), &err))
			abort();
		ready = 1;
	}
	/* The first byte picks the item size: unknown, or 8 x 6. */
	int32_t w = size && (data[0] & 1) ? 8 : 0, h = w ? 6 : 0;
	int rc = ann_doc_validate_all((const char *)data, size, &sc, w, h, &errs, &n, &warn);
	int rc2 = ann_doc_parse(&d, (const char *)data, size, &sc, w, h, &err, NULL);
	if (rc != rc2 || (rc == 0) != (n == 0))
		abort();
	if (rc2 == 0) {
		if (ann_doc_to_json(&d, &sc, &a))
			abort();
		if (ann_doc_parse(&e, a.data, a.len, &sc, w, h, &err, NULL))
			abort();
		if (ann_doc_to_json(&e, &sc, &b) || a.len != b.len || memcmp(a.data, b.data, a.len))
			abort();
		buf_reset(&b);
		if (ann_doc_diff(&d, &sc, &e, NULL, &b) ||
		    !strstr(b.data, "{\"added\":[],\"removed\":[],\"changed\":[],\"fields\":{},\"attributes\":false,"
				    "\"relations\":{\"added\":[],\"removed\":[]}}"))
			abort();
		ann_doc_release(&e);
		ann_doc_release(&d);
	}
	buf_release(&err);
	buf_release(&errs);
	buf_release(&warn);
	buf_release(&a);
	buf_release(&b);
	return 0;
}
