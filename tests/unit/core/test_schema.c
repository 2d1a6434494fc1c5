/*
 * test_schema.c - unit tests for src/core/schema.c: good schemas and their
 * normalised form, one test per kind of mistake (asserting the exact JSON
 * path and message), round trips, and the demo schema in docs/examples/.
 * JSON in this file is written with ' for " (see J()) to stay readable.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "core/schema.h"
#include "base/banned.h"

#define DEMO "docs/examples/schema-demo.json"

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

/* A schema with the given labels array contents. */
#define LABELS(x) "{'cairn_schema': 1, 'labels': [" x "]}"
/* A schema with one label whose attributes are x. */
#define ATTRS(x) LABELS("{'name': 'car', 'shapes': ['box'], 'attributes': [" x "]}")
/* A schema with one keypoints label whose skeleton is x. */
#define SKEL(x) LABELS("{'name': 'person', 'shapes': ['keypoints'], 'skeleton': " x "}")

static void parse_ok(const char *sq, struct schema *s)
{
	char *j = J(sq);
	struct buf err = BUF_INIT;
	int rc = schema_parse(s, j, strlen(j), &err);
	cr_assert_eq(rc, 0, "parse failed: %s\nfor %s", err.data, j);
	buf_release(&err);
	free(j);
}

/*
 * Asserts the schema has exactly one error, the line given (path and
 * message), and that schema_parse reports it with the "schema: " prefix.
 */
static void expect_only(const char *sq, const char *line)
{
	char *j = J(sq);
	struct buf errs = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	struct schema s;
	int n = -1;
	int rc = schema_validate_all(j, strlen(j), &errs, &n);
	cr_assert_eq(rc, CAIRN_EINVAL, "rc %d for %s", rc, j);
	buf_addf(&want, "%s\n", line);
	cr_assert_str_eq(errs.data, want.data, "got:\n%swant:\n%sfor %s", errs.data, want.data, j);
	cr_assert_eq(n, 1);
	rc = schema_parse(&s, j, strlen(j), &err);
	cr_assert_eq(rc, CAIRN_EINVAL);
	buf_reset(&want);
	buf_addf(&want, "schema: %s", line);
	cr_assert_str_eq(err.data, want.data);
	cr_assert_null(s.labels);
	schema_release(&s);
	buf_release(&errs);
	buf_release(&err);
	buf_release(&want);
	free(j);
}

/* Asserts line is among the errors of a schema (which may have several). */
static void expect_has(const char *sq, const char *line)
{
	char *j = J(sq);
	struct buf errs = BUF_INIT, want = BUF_INIT;
	int n = 0;
	cr_assert_eq(schema_validate_all(j, strlen(j), &errs, &n), CAIRN_EINVAL);
	buf_addf(&want, "%s\n", line);
	cr_assert(strstr(errs.data, want.data), "want %s among:\n%s", line, errs.data);
	buf_release(&errs);
	buf_release(&want);
	free(j);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert(f, "cannot open %s (tests run from the repository root)", path);
	struct buf b = BUF_INIT;
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	return buf_detach(&b, len);
}

/* parse -> to_json -> parse -> to_json gives the same bytes. */
static void round_trip(const struct schema *s)
{
	struct buf a = BUF_INIT, b = BUF_INIT, err = BUF_INIT;
	struct schema t;
	cr_assert_eq(schema_to_json(s, &a), 0);
	cr_assert_eq(schema_parse(&t, a.data, a.len, &err), 0, "%s\n%s", err.data, a.data);
	cr_assert_eq(schema_to_json(&t, &b), 0);
	cr_assert_str_eq(a.data, b.data);
	cr_assert_eq(t.nlabels, s->nlabels);
	for (size_t i = 0; i < s->nlabels; i++) {
		cr_assert_str_eq(t.labels[i].name, s->labels[i].name);
		cr_assert_str_eq(t.labels[i].color, s->labels[i].color);
		cr_assert_eq(t.labels[i].shapes, s->labels[i].shapes);
		cr_assert_eq(t.labels[i].nattrs, s->labels[i].nattrs);
		cr_assert_eq(t.labels[i].id, s->labels[i].id);
		cr_assert_eq(!t.labels[i].skeleton, !s->labels[i].skeleton);
	}
	cr_assert_eq(t.nrelations, s->nrelations);
	cr_assert_eq(t.nitem_attrs, s->nitem_attrs);
	cr_assert_str_eq(t.guidelines, s->guidelines);
	schema_release(&t);
	buf_release(&a);
	buf_release(&b);
	buf_release(&err);
}

/* ---- good schemas ---- */

Test(schema, minimal_gets_defaults)
{
	struct schema s;
	parse_ok(LABELS("{'name': 'car', 'shapes': ['box']}"), &s);
	cr_assert_eq(s.format, 1);
	cr_assert_eq(s.nlabels, 1);
	cr_assert_str_eq(s.labels[0].name, "car");
	cr_assert_str_eq(s.labels[0].color, "#e6194b");
	cr_assert_eq(s.labels[0].shapes, SHAPE_BIT(SHAPE_BOX));
	cr_assert_eq(s.labels[0].id, 0);
	cr_assert_null(s.labels[0].hotkey);
	cr_assert_null(s.labels[0].skeleton);
	cr_assert_str_eq(s.labels[0].description, "");
	cr_assert_str_eq(s.guidelines, "");
	cr_assert_eq(s.nrelations, 0);
	cr_assert_eq(s.nitem_attrs, 0);
	round_trip(&s);
	schema_release(&s);
	schema_release(&s); /* safe twice */
}

Test(schema, canonical_form_is_fixed)
{
	struct schema s;
	struct buf out = BUF_INIT;
	parse_ok(LABELS("{'shapes': ['polygon', 'box'], 'color': '#AABBCC', 'name': 'car', 'id': 7}"), &s);
	cr_assert_eq(schema_to_json(&s, &out), 0);
	char *want = J("{\n"
		       "  'cairn_schema': 1,\n"
		       "  'labels': [\n"
		       "    {\n"
		       "      'name': 'car',\n"
		       "      'id': 7,\n"
		       "      'color': '#aabbcc',\n"
		       "      'shapes': ['box', 'polygon'],\n"
		       "      'hotkey': null,\n"
		       "      'description': '',\n"
		       "      'attributes': [],\n"
		       "      'skeleton': null\n"
		       "    }\n"
		       "  ],\n"
		       "  'item_attributes': [],\n"
		       "  'relations': [],\n"
		       "  'guidelines': ''\n"
		       "}\n");
	cr_assert_str_eq(out.data, want);
	free(want);
	buf_release(&out);
	schema_release(&s);
}

Test(schema, every_shape_type)
{
	struct schema s;
	parse_ok(LABELS("{'name': 'all', 'shapes': ['tag', 'box', 'rotated_box', 'polygon', 'polyline', "
			"'points', 'keypoints', 'mask', 'ellipse', 'cuboid', 'span', 'segment'], "
			"'skeleton': {'points': ['a']}}"), &s);
	cr_assert_eq(s.labels[0].shapes, (1u << SHAPE_KIND_COUNT_) - 1);
	for (int k = 0; k < SHAPE_KIND_COUNT_; k++) {
		enum shape_kind back;
		cr_assert(shape_kind_parse(shape_kind_name((enum shape_kind)k), &back));
		cr_assert_eq(back, k);
	}
	cr_assert_str_eq(shape_kind_name(SHAPE_ROTATED_BOX), "rotated_box");
	cr_assert_str_eq(shape_kind_name(SHAPE_KIND_COUNT_), "?");
	enum shape_kind k;
	cr_assert_not(shape_kind_parse("rotated-box", &k));
	cr_assert_not(shape_kind_parse("Box", &k));
	cr_assert_not(shape_kind_parse(NULL, &k));
	round_trip(&s);
	schema_release(&s);
}

Test(schema, attributes_of_every_type)
{
	struct schema s;
	parse_ok(ATTRS("{'name': 'size', 'type': 'select', 'values': ['small', 'large'], 'default': 'large', 'required': true},"
		       "{'name': 'parts', 'type': 'multiselect', 'values': ['a', 'b', 'c'], 'default': ['c', 'a']},"
		       "{'name': 'occluded', 'type': 'checkbox', 'default': true, 'mutable': true},"
		       "{'name': 'speed', 'type': 'number', 'min': -1.5, 'max': 10, 'step': 0.5, 'default': 2.5},"
		       "{'name': 'plate', 'type': 'text', 'default': 'AB-12', 'description': 'the number plate'},"
		       "{'name': 'kind', 'type': 'select', 'values': ['x']},"
		       "{'name': 'depth', 'type': 'number', 'min': 0, 'max': 0},"
		       "{'name': 'flag', 'type': 'checkbox'},"
		       "{'name': 'tags', 'type': 'multiselect', 'values': ['t']},"
		       "{'name': 'free', 'type': 'text'}"), &s);
	const struct schema_label *l = schema_label_find(&s, "car");
	cr_assert(l);
	cr_assert_eq(l->nattrs, 10);
	const struct schema_attr *a = schema_attr_find(l, "size");
	cr_assert_eq(a->type, ATTR_SELECT);
	cr_assert(a->has_default);
	cr_assert_eq(a->def_value, 1);
	cr_assert(a->required);
	cr_assert_not(a->mutable_);
	a = schema_attr_find(l, "parts");
	cr_assert_eq(a->type, ATTR_MULTISELECT);
	cr_assert(a->def_multi[0] && !a->def_multi[1] && a->def_multi[2]);
	a = schema_attr_find(l, "occluded");
	cr_assert(a->def_bool && a->mutable_);
	a = schema_attr_find(l, "speed");
	cr_assert_float_eq(a->min, -1.5, 0);
	cr_assert_float_eq(a->max, 10, 0);
	cr_assert_float_eq(a->step, 0.5, 0);
	cr_assert_float_eq(a->def_num, 2.5, 0);
	a = schema_attr_find(l, "plate");
	cr_assert_str_eq(a->def_text, "AB-12");
	cr_assert_str_eq(a->description, "the number plate");
	/* Defaults filled in: none for select/number, false, [], "". */
	cr_assert_not(schema_attr_find(l, "kind")->has_default);
	cr_assert_not(schema_attr_find(l, "depth")->has_default);
	cr_assert_float_eq(schema_attr_find(l, "depth")->step, 0, 0);
	cr_assert(schema_attr_find(l, "flag")->has_default);
	cr_assert_not(schema_attr_find(l, "flag")->def_bool);
	cr_assert_not(schema_attr_find(l, "tags")->def_multi[0]);
	cr_assert_str_eq(schema_attr_find(l, "free")->def_text, "");
	cr_assert_null(schema_attr_find(l, "nope"));
	round_trip(&s);
	schema_release(&s);
}

Test(schema, null_means_absent)
{
	struct schema s;
	parse_ok("{'cairn_schema': 1, 'labels': [{'name': 'car', 'shapes': ['box'], 'id': null, 'color': null, "
		 "'hotkey': null, 'description': null, 'attributes': null, 'skeleton': null}], "
		 "'relations': null, 'guidelines': null, 'item_attributes': null}", &s);
	cr_assert_eq(s.nlabels, 1);
	cr_assert_eq(s.labels[0].color[0], '#');
	cr_assert_null(s.labels[0].hotkey);
	cr_assert_str_eq(s.guidelines, "");
	schema_release(&s);
}

Test(schema, colours_assigned_distinct)
{
	struct buf j = BUF_INIT;
	struct schema s;
	buf_adds(&j, "{'cairn_schema': 1, 'labels': [{'name': 'l0', 'shapes': ['box'], 'color': '#3CB44B'}");
	for (int i = 1; i < 60; i++)
		buf_addf(&j, ", {'name': 'l%d', 'shapes': ['box']}", i);
	buf_adds(&j, "]}");
	parse_ok(j.data, &s);
	cr_assert_str_eq(s.labels[0].color, "#3cb44b");
	cr_assert_str_eq(s.labels[1].color, "#e6194b");
	cr_assert_str_eq(s.labels[2].color, "#ffe119"); /* #3cb44b is taken */
	for (size_t a = 0; a < s.nlabels; a++) {
		cr_assert_eq(strlen(s.labels[a].color), 7);
		for (size_t b = a + 1; b < s.nlabels; b++)
			cr_assert_str_neq(s.labels[a].color, s.labels[b].color, "labels %zu and %zu", a, b);
	}
	round_trip(&s);
	schema_release(&s);
	buf_release(&j);
}

Test(schema, skeleton_and_relations)
{
	struct schema s;
	parse_ok("{'cairn_schema': 1, 'labels': ["
		 "{'name': 'person', 'shapes': ['box', 'keypoints'], 'hotkey': 'p', 'skeleton': "
		 "{'points': ['head', 'hip', 'foot'], 'edges': [['head', 'hip'], ['foot', 'hip']], 'sigmas': [0.1, 0.2, 0.3]}},"
		 "{'name': 'car', 'shapes': ['box']}, {'name': 'bike', 'shapes': ['box']}],"
		 "'relations': [{'name': 'rides', 'from': ['person'], 'to': ['bike', 'car']},"
		 "{'name': 'near', 'directed': false}],"
		 "'item_attributes': [{'name': 'weather', 'type': 'select', 'values': ['sun', 'rain'], 'mutable': true}],"
		 "'guidelines': '# Rules\\n\\nBox **everything**.'}", &s);
	const struct schema_label *p = schema_label_find(&s, "person");
	cr_assert(p && p->skeleton);
	cr_assert_eq(p->skeleton->npoints, 3);
	cr_assert_eq(p->skeleton->nedges, 2);
	cr_assert_eq(p->skeleton->edges[1][0], 2);
	cr_assert_eq(p->skeleton->edges[1][1], 1);
	cr_assert_float_eq(p->skeleton->sigmas[2], 0.3, 0);
	cr_assert_eq(schema_point_index(p, "foot"), 2);
	cr_assert_eq(schema_point_index(p, "knee"), -1);
	cr_assert_str_eq(p->hotkey, "p");
	const struct schema_relation *r = schema_relation_find(&s, "rides");
	cr_assert(r && r->directed);
	cr_assert_eq(r->nfrom, 1);
	cr_assert_eq(r->from[0], 0);
	cr_assert_eq(r->nto, 2);
	cr_assert_eq(r->to[0], 2);
	cr_assert_eq(r->to[1], 1);
	r = schema_relation_find(&s, "near");
	cr_assert(r && !r->directed && r->nfrom == 0 && r->nto == 0);
	cr_assert_null(schema_relation_find(&s, "nope"));
	cr_assert(schema_item_attr_find(&s, "weather")->mutable_);
	cr_assert_str_eq(s.guidelines, "# Rules\n\nBox **everything**.");
	cr_assert_eq(schema_label_index(&s, "bike"), 2);
	cr_assert_null(schema_label_find(&s, "truck"));
	round_trip(&s);
	schema_release(&s);
}

Test(schema, demo_file_validates)
{
	size_t len;
	char *j = read_file(DEMO, &len);
	struct schema s;
	struct buf err = BUF_INIT, errs = BUF_INIT;
	int n = -1;
	cr_assert_eq(schema_validate_all(j, len, &errs, &n), 0, "%s", errs.data);
	cr_assert_eq(n, 0);
	cr_assert_eq(schema_parse(&s, j, len, &err), 0, "%s", err.data);
	static const char *const names[] = {"rectangle", "ellipse", "polygon", "line", "person"};
	cr_assert_eq(s.nlabels, 5);
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(s.labels[i].name, names[i]);
	cr_assert_eq(s.labels[0].shapes, SHAPE_BIT(SHAPE_BOX));
	cr_assert_eq(s.labels[1].shapes, SHAPE_BIT(SHAPE_ELLIPSE) | SHAPE_BIT(SHAPE_MASK));
	cr_assert_eq(s.labels[2].shapes, SHAPE_BIT(SHAPE_POLYGON) | SHAPE_BIT(SHAPE_MASK));
	cr_assert_eq(s.labels[3].shapes, SHAPE_BIT(SHAPE_POLYLINE) | SHAPE_BIT(SHAPE_MASK));
	cr_assert_eq(s.labels[4].shapes, SHAPE_BIT(SHAPE_BOX) | SHAPE_BIT(SHAPE_KEYPOINTS));
	const struct schema_skeleton *k = s.labels[4].skeleton;
	cr_assert(k);
	cr_assert_eq(k->npoints, 17);
	cr_assert_eq(k->nedges, 19);
	cr_assert_str_eq(k->points[0], "nose");
	cr_assert_str_eq(k->points[16], "right_ankle");
	cr_assert_float_eq(k->sigmas[0], 0.026, 0);
	cr_assert_float_eq(k->sigmas[11], 0.107, 0);
	cr_assert(schema_attr_find(&s.labels[0], "color"));
	cr_assert(schema_attr_find(&s.labels[0], "occluded"));
	cr_assert(schema_attr_find(&s.labels[0], "truncated"));
	cr_assert_eq(schema_attr_find(&s.labels[0], "confidence")->type, ATTR_NUMBER);
	cr_assert_eq(schema_attr_find(&s.labels[0], "note")->type, ATTR_TEXT);
	cr_assert(strstr(s.guidelines, "# "));
	cr_assert(s.nrelations >= 1);
	round_trip(&s);
	schema_release(&s);
	buf_release(&err);
	buf_release(&errs);
	free(j);
}

Test(schema, numbers_round_trip_exactly)
{
	struct schema s;
	parse_ok(ATTRS("{'name': 'x', 'type': 'number', 'min': 0.1, 'max': 1e300, 'default': 0.30000000000000004}"), &s);
	const struct schema_attr *a = &s.labels[0].attrs[0];
	cr_assert_eq(a->def_num, 0.30000000000000004);
	round_trip(&s);
	struct buf out = BUF_INIT;
	schema_to_json(&s, &out);
	cr_assert(strstr(out.data, "\"default\": 0.30000000000000004"), "%s", out.data);
	cr_assert(strstr(out.data, "\"min\": 0.1,"), "%s", out.data);
	buf_release(&out);
	schema_release(&s);
}

Test(schema, validate_all_collects_every_error)
{
	char *j = J(LABELS("{'name': 'a', 'shapes': ['bbox']}, {'name': 'a', 'shapes': []}, {'shapes': ['box'], 'colour': 1}"));
	struct buf errs = BUF_INIT;
	int n = 0;
	cr_assert_eq(schema_validate_all(j, strlen(j), &errs, &n), CAIRN_EINVAL);
	cr_assert_str_eq(errs.data,
			 "$.labels[0].shapes[0]: unknown shape type 'bbox' (did you mean 'box'?)\n"
			 "$.labels[1].shapes: a label needs at least one shape type\n"
			 "$.labels[1].name: duplicate label 'a' (first at $.labels[0])\n"
			 "$.labels[2]: unknown key 'colour' (did you mean 'color'?)\n"
			 "$.labels[2]: missing required key 'name'\n");
	cr_assert_eq(n, 5);
	/* NULL outputs are allowed. */
	cr_assert_eq(schema_validate_all(j, strlen(j), NULL, NULL), CAIRN_EINVAL);
	buf_release(&errs);
	free(j);
}

Test(schema, error_lines_are_capped)
{
	struct buf j = BUF_INIT, errs = BUF_INIT;
	int n = 0;
	buf_adds(&j, "{\"cairn_schema\": 1, \"labels\": [");
	for (int i = 0; i < 150; i++)
		buf_addf(&j, "%s{\"name\": \"x\", \"shapes\": [\"box\"]}", i ? ", " : "");
	buf_adds(&j, "]}");
	cr_assert_eq(schema_validate_all(j.data, j.len, &errs, &n), CAIRN_EINVAL);
	cr_assert_eq(n, 149);
	size_t lines = 0;
	for (size_t i = 0; i < errs.len; i++)
		lines += errs.data[i] == '\n';
	cr_assert_eq(lines, SCHEMA_MAX_ERRORS);
	buf_release(&j);
	buf_release(&errs);
}

/* ---- the document ---- */

Test(schema, bad_json)
{
	expect_only("{'cairn_schema': 1, 'labels': [{'name': 'a', 'shapes': ['box']},]}",
		    "$.labels: invalid JSON at line 1, column 65: unexpected token near ']'");
	expect_only("", "$: the document is empty; a schema is a JSON object");
	expect_only("  \n ", "$: the document is empty; a schema is a JSON object");
	expect_only("[1]", "$: expected an object, got an array");
	expect_only("'x'", "$: expected an object, got a string");
}

Test(schema, duplicate_json_key)
{
	expect_only(LABELS("{'name': 'a',\n 'shapes': ['box'], 'name': 'b'}"),
		    "$.labels[0]: duplicate key 'name' (line 2)");
	expect_only("{'cairn_schema': 1, 'cairn_schema': 1, 'labels': []}",
		    "$: duplicate key 'cairn_schema' (line 1)");
}

Test(schema, too_deep_and_too_big)
{
	struct buf j = BUF_INIT, err = BUF_INIT;
	struct schema s;
	for (int i = 0; i < 40; i++)
		buf_addch(&j, '[');
	for (int i = 0; i < 40; i++)
		buf_addch(&j, ']');
	expect_only(j.data, "$: nesting deeper than 32 levels at line 1");
	buf_reset(&j);
	buf_adds(&j, "{\"cairn_schema\": 1, \"guidelines\": \"");
	while (j.len < SCHEMA_MAX_BYTES)
		buf_adds(&j, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	buf_adds(&j, "\"}");
	cr_assert_eq(schema_parse(&s, j.data, j.len, &err), CAIRN_ETOOBIG);
	cr_assert(strstr(err.data, "schema: $: the schema is "), "%s", err.data);
	buf_release(&j);
	buf_release(&err);
}

Test(schema, format_version)
{
	expect_only("{'labels': [{'name': 'a', 'shapes': ['box']}]}",
		    "$: missing required key 'cairn_schema' (write \"cairn_schema\": 1)");
	expect_only("{'cairn_schema': 2, 'labels': [{'name': 'a', 'shapes': ['box']}]}",
		    "$.cairn_schema: format version 2 is newer than this Cairn reads (1)");
	expect_only("{'cairn_schema': 0, 'labels': [{'name': 'a', 'shapes': ['box']}]}",
		    "$.cairn_schema: unknown format version 0; write 1");
	expect_only("{'cairn_schema': '1', 'labels': [{'name': 'a', 'shapes': ['box']}]}",
		    "$.cairn_schema: expected an integer, got a string");
}

Test(schema, unknown_keys)
{
	expect_only("{'cairn_schema': 1, 'labels': [{'name': 'a', 'shapes': ['box']}], 'guidlines': ''}",
		    "$: unknown key 'guidlines' (did you mean 'guidelines'?)");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'colour': '#ff0000'}"),
		    "$.labels[0]: unknown key 'colour' (did you mean 'color'?)");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'shape_types': ['box']}"),
		    "$.labels[0]: unknown key 'shape_types' (did you mean 'shapes'?)");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'zzz': 1}"),
		    "$.labels[0]: unknown key 'zzz'; expected one of name, id, color, shapes, hotkey, "
		    "description, attributes, skeleton");
	expect_only(ATTRS("{'name': 'x', 'type': 'checkbox', 'defualt': true}"),
		    "$.labels[0].attributes[0]: unknown key 'defualt' (did you mean 'default'?)");
	expect_only(SKEL("{'points': ['a'], 'edgs': []}"),
		    "$.labels[0].skeleton: unknown key 'edgs' (did you mean 'edges'?)");
	expect_has(SKEL("{'keypoints': ['a']}"),
		   "$.labels[0].skeleton: unknown key 'keypoints' (did you mean 'points'?)");
	/* The missing 'points' is reported too, so use expect_has for it. */
	expect_has(SKEL("{'keypoints': ['a']}"),
		   "$.labels[0].skeleton: missing required key 'points' (the names of the keypoints)");
	expect_only("{'cairn_schema': 1, 'labels': [{'name': 'a', 'shapes': ['box']}], "
		    "'relations': [{'name': 'r', 'source': ['a']}]}",
		    "$.relations[0]: unknown key 'source' (did you mean 'from'?)");
}

/* ---- labels ---- */

Test(schema, labels_list)
{
	expect_only("{'cairn_schema': 1}", "$: missing required key 'labels'");
	expect_only("{'cairn_schema': 1, 'labels': []}", "$.labels: a schema needs at least one label");
	expect_only("{'cairn_schema': 1, 'labels': {}}", "$.labels: expected an array, got an object");
	expect_only(LABELS("'car'"), "$.labels[0]: expected an object, got a string");
}

Test(schema, label_names)
{
	expect_only(LABELS("{'shapes': ['box']}"), "$.labels[0]: missing required key 'name'");
	expect_only(LABELS("{'name': '', 'shapes': ['box']}"), "$.labels[0].name: the name is empty");
	expect_only(LABELS("{'name': 5, 'shapes': ['box']}"), "$.labels[0].name: expected a string, got an integer");
	expect_only(LABELS("{'name': ' car', 'shapes': ['box']}"),
		    "$.labels[0].name: ' car' begins or ends with a space");
	expect_only(LABELS("{'name': 'c\\tar', 'shapes': ['box']}"),
		    "$.labels[0].name: 'c\\x09ar' contains a control character");
	expect_only(LABELS("{'name': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'shapes': ['box']}"),
		    "$.labels[0].name: the name is 129 bytes long; at most 128 are allowed");
}

Test(schema, duplicate_labels)
{
	expect_only(LABELS("{'name': 'car', 'shapes': ['box']}, {'name': 'bus', 'shapes': ['box']}, {'name': 'car', 'shapes': ['polygon']}"),
		    "$.labels[2].name: duplicate label 'car' (first at $.labels[0])");
	expect_only(LABELS("{'name': 'car', 'shapes': ['box']}, {'name': 'Car', 'shapes': ['box']}"),
		    "$.labels[1].name: label 'Car' differs from 'car' ($.labels[0]) only in case");
}

Test(schema, label_ids)
{
	struct schema s;
	parse_ok(LABELS("{'name': 'a', 'shapes': ['box'], 'id': 3}, {'name': 'b', 'shapes': ['box']}, {'name': 'c', 'shapes': ['box'], 'id': 1}"), &s);
	cr_assert_eq(s.labels[0].id, 3);
	cr_assert_eq(s.labels[1].id, 0);
	cr_assert_eq(s.labels[2].id, 1);
	round_trip(&s);
	schema_release(&s);
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'id': 0}"),
		    "$.labels[0].id: the id must be a positive integer up to 2147483647, got 0");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'id': -4}"),
		    "$.labels[0].id: the id must be a positive integer up to 2147483647, got -4");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'id': 1.5}"),
		    "$.labels[0].id: expected an integer, got a number");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'id': 2}, {'name': 'b', 'shapes': ['box'], 'id': 2}"),
		    "$.labels[1].id: id 2 is already used by $.labels[0]");
}

Test(schema, label_colours)
{
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'color': 'red'}"),
		    "$.labels[0].color: 'red' is not a colour; write '#rrggbb', e.g. '#ff8800'");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'color': '#f80'}"),
		    "$.labels[0].color: '#f80' is not a colour; write six hex digits, '#ff8800'");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'color': '#ff88zz'}"),
		    "$.labels[0].color: '#ff88zz' is not a colour; write '#rrggbb', e.g. '#ff8800'");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'color': [255, 0, 0]}"),
		    "$.labels[0].color: expected a string, got an array");
}

Test(schema, label_hotkeys)
{
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'hotkey': 'ab'}"),
		    "$.labels[0].hotkey: 'ab' is not a hotkey; write one character, e.g. '1' or 'p'");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'hotkey': ' '}"),
		    "$.labels[0].hotkey: ' ' is not a hotkey; write one character, e.g. '1' or 'p'");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'hotkey': '1'}, {'name': 'b', 'shapes': ['box'], 'hotkey': '1'}"),
		    "$.labels[1].hotkey: hotkey '1' is already used by $.labels[0]");
}

Test(schema, label_description)
{
	expect_only(LABELS("{'name': 'a', 'shapes': ['box'], 'description': 3}"),
		    "$.labels[0].description: expected a string, got an integer");
}

/* ---- shape types ---- */

Test(schema, shape_types)
{
	expect_only(LABELS("{'name': 'a'}"),
		    "$.labels[0]: missing required key 'shapes' (e.g. [\"box\", \"polygon\"])");
	expect_only(LABELS("{'name': 'a', 'shapes': []}"), "$.labels[0].shapes: a label needs at least one shape type");
	expect_only(LABELS("{'name': 'a', 'shapes': 'box'}"), "$.labels[0].shapes: expected an array, got a string");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box', 1]}"), "$.labels[0].shapes[1]: expected a string, got an integer");
	expect_only(LABELS("{'name': 'a', 'shapes': ['box', 'polygon', 'box']}"), "$.labels[0].shapes[2]: 'box' is listed twice");
	expect_only(LABELS("{'name': 'a', 'shapes': ['rotated-box']}"),
		    "$.labels[0].shapes[0]: unknown shape type 'rotated-box' (did you mean 'rotated_box'?)");
	expect_only(LABELS("{'name': 'a', 'shapes': ['polygn']}"),
		    "$.labels[0].shapes[0]: unknown shape type 'polygn' (did you mean 'polygon'?)");
	expect_only(LABELS("{'name': 'a', 'shapes': ['rectangle']}"),
		    "$.labels[0].shapes[0]: unknown shape type 'rectangle' (did you mean 'box'?)");
	expect_only(LABELS("{'name': 'a', 'shapes': ['Box']}"),
		    "$.labels[0].shapes[0]: unknown shape type 'Box' (did you mean 'box'?)");
	expect_only(LABELS("{'name': 'a', 'shapes': ['hexagon']}"),
		    "$.labels[0].shapes[0]: unknown shape type 'hexagon'; expected one of tag, box, rotated_box, "
		    "polygon, polyline, points, keypoints, mask, ellipse, cuboid, span, segment");
}

/* ---- keypoint skeletons ---- */

Test(schema, keypoints_need_skeleton)
{
	expect_only(LABELS("{'name': 'person', 'shapes': ['box', 'keypoints']}"),
		    "$.labels[0]: a label with shape type 'keypoints' needs a 'skeleton'");
	expect_only(LABELS("{'name': 'person', 'shapes': ['box'], 'skeleton': {'points': ['a']}}"),
		    "$.labels[0].skeleton: a skeleton needs 'keypoints' among the label's shapes");
	expect_only(SKEL("[]"), "$.labels[0].skeleton: expected an object, got an array");
}

Test(schema, skeleton_points)
{
	expect_only(SKEL("{}"), "$.labels[0].skeleton: missing required key 'points' (the names of the keypoints)");
	expect_only(SKEL("{'points': []}"), "$.labels[0].skeleton.points: a skeleton needs at least one point");
	expect_only(SKEL("{'points': ['a', 'b', 'a']}"),
		    "$.labels[0].skeleton.points[2]: duplicate point 'a' (also .points[0])");
	expect_only(SKEL("{'points': ['a', '']}"), "$.labels[0].skeleton.points[1]: the name is empty");
	expect_only(SKEL("{'points': ['a', 2]}"), "$.labels[0].skeleton.points[1]: expected a string, got an integer");
}

Test(schema, skeleton_edges)
{
	expect_only(SKEL("{'points': ['head', 'neck'], 'edges': [['head', 'nek']]}"),
		    "$.labels[0].skeleton.edges[0][1]: no point named 'nek' in the skeleton (did you mean 'neck'?)");
	expect_only(SKEL("{'points': ['head', 'neck'], 'edges': [['head', 'tail']]}"),
		    "$.labels[0].skeleton.edges[0][1]: no point named 'tail' in the skeleton");
	expect_only(SKEL("{'points': ['head', 'neck'], 'edges': [['neck', 'neck']]}"),
		    "$.labels[0].skeleton.edges[0]: an edge from 'neck' to itself");
	expect_only(SKEL("{'points': ['head', 'neck'], 'edges': [['head', 'neck'], ['neck', 'head']]}"),
		    "$.labels[0].skeleton.edges[1]: duplicate edge 'neck'-'head' (also .edges[0])");
	expect_only(SKEL("{'points': ['head', 'neck'], 'edges': [['head', 'neck', 'head']]}"),
		    "$.labels[0].skeleton.edges[0]: an edge is a pair of point names, got 3 elements");
	expect_only(SKEL("{'points': ['head', 'neck'], 'edges': [['head', 1]]}"),
		    "$.labels[0].skeleton.edges[0][1]: expected a string, got an integer");
	expect_only(SKEL("{'points': ['head', 'neck'], 'edges': ['head-neck']}"),
		    "$.labels[0].skeleton.edges[0]: expected an array, got a string");
}

Test(schema, skeleton_sigmas)
{
	expect_only(SKEL("{'points': ['a', 'b', 'c'], 'sigmas': [0.1, 0.2]}"),
		    "$.labels[0].skeleton.sigmas: 2 sigmas for 3 points; give one per point");
	expect_only(SKEL("{'points': ['a', 'b'], 'sigmas': [0.1, 0]}"),
		    "$.labels[0].skeleton.sigmas[1]: a sigma must be greater than 0, got 0");
	expect_only(SKEL("{'points': ['a', 'b'], 'sigmas': [-0.5, 0.1]}"),
		    "$.labels[0].skeleton.sigmas[0]: a sigma must be greater than 0, got -0.5");
	expect_only(SKEL("{'points': ['a', 'b'], 'sigmas': [0.1, '0.2']}"),
		    "$.labels[0].skeleton.sigmas[1]: expected a number, got a string");
	struct schema s;
	parse_ok(SKEL("{'points': ['a', 'b']}"), &s);
	cr_assert_null(s.labels[0].skeleton->sigmas);
	cr_assert_eq(s.labels[0].skeleton->nedges, 0);
	round_trip(&s);
	schema_release(&s);
}

/* ---- attributes ---- */

Test(schema, attribute_basics)
{
	expect_only(ATTRS("{'type': 'checkbox'}"), "$.labels[0].attributes[0]: missing required key 'name'");
	expect_only(ATTRS("{'name': 'x'}"),
		    "$.labels[0].attributes[0]: missing required key 'type' (one of select, multiselect, checkbox, number, text)");
	expect_only(ATTRS("{'name': 'x', 'type': 'multi-select', 'values': ['a']}"),
		    "$.labels[0].attributes[0].type: unknown attribute type 'multi-select' (did you mean 'multiselect'?)");
	expect_only(ATTRS("{'name': 'x', 'type': 'boolean'}"),
		    "$.labels[0].attributes[0].type: unknown attribute type 'boolean' (did you mean 'checkbox'?)");
	expect_only(ATTRS("{'name': 'x', 'type': 'colour'}"),
		    "$.labels[0].attributes[0].type: unknown attribute type 'colour'; expected one of select, multiselect, checkbox, number, text");
	expect_only(ATTRS("{'name': 'x', 'type': 'checkbox'}, {'name': 'x', 'type': 'text'}"),
		    "$.labels[0].attributes[1].name: duplicate attribute 'x' (also at [0])");
	expect_only(ATTRS("{'name': 'x', 'type': 'checkbox', 'required': 'yes'}"),
		    "$.labels[0].attributes[0].required: expected true or false, got a string");
	expect_only(ATTRS("{'name': 'x', 'type': 'checkbox', 'mutable': 1}"),
		    "$.labels[0].attributes[0].mutable: expected true or false, got an integer");
	expect_only(LABELS("{'name': 'car', 'shapes': ['box'], 'attributes': {}}"),
		    "$.labels[0].attributes: expected an array, got an object");
	expect_only(ATTRS("'x'"), "$.labels[0].attributes[0]: expected an object, got a string");
}

Test(schema, select_values)
{
	expect_only(ATTRS("{'name': 'size', 'type': 'select'}"),
		    "$.labels[0].attributes[0]: a select attribute needs 'values'");
	expect_only(ATTRS("{'name': 'size', 'type': 'multiselect', 'values': []}"),
		    "$.labels[0].attributes[0].values: a multiselect attribute needs at least one value");
	expect_only(ATTRS("{'name': 'size', 'type': 'select', 'values': ['small', 'large', 'small']}"),
		    "$.labels[0].attributes[0].values[2]: 'small' is listed twice (also .values[0])");
	expect_only(ATTRS("{'name': 'size', 'type': 'select', 'values': ['small', '']}"),
		    "$.labels[0].attributes[0].values[1]: the name is empty");
	expect_only(ATTRS("{'name': 'size', 'type': 'select', 'values': ['small', 3]}"),
		    "$.labels[0].attributes[0].values[1]: expected a string, got an integer");
	expect_only(ATTRS("{'name': 'ok', 'type': 'checkbox', 'values': ['yes', 'no']}"),
		    "$.labels[0].attributes[0].values: only select and multiselect attributes take values");
}

Test(schema, select_defaults)
{
	expect_only(ATTRS("{'name': 'size', 'type': 'select', 'values': ['small', 'large'], 'default': 'huge'}"),
		    "$.labels[0].attributes[0].default: 'huge' is not among the values ['small', 'large']");
	expect_only(ATTRS("{'name': 'size', 'type': 'select', 'values': ['small', 'large'], 'default': 'lage'}"),
		    "$.labels[0].attributes[0].default: 'lage' is not among the values ['small', 'large'] (did you mean 'large'?)");
	expect_only(ATTRS("{'name': 'size', 'type': 'select', 'values': ['small', 'large'], 'default': 1}"),
		    "$.labels[0].attributes[0].default: expected a string, got an integer");
	expect_only(ATTRS("{'name': 'p', 'type': 'multiselect', 'values': ['a', 'b'], 'default': ['a', 'c']}"),
		    "$.labels[0].attributes[0].default[1]: 'c' is not among the values ['a', 'b']");
	expect_only(ATTRS("{'name': 'p', 'type': 'multiselect', 'values': ['a', 'b'], 'default': ['a', 'a']}"),
		    "$.labels[0].attributes[0].default[1]: 'a' is listed twice");
	expect_only(ATTRS("{'name': 'p', 'type': 'multiselect', 'values': ['a', 'b'], 'default': 'a'}"),
		    "$.labels[0].attributes[0].default: expected an array, got a string");
}

Test(schema, other_defaults)
{
	expect_only(ATTRS("{'name': 'o', 'type': 'checkbox', 'default': 'false'}"),
		    "$.labels[0].attributes[0].default: expected true or false, got a string");
	expect_only(ATTRS("{'name': 't', 'type': 'text', 'default': 5}"),
		    "$.labels[0].attributes[0].default: expected a string, got an integer");
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': 0, 'max': 1, 'default': 'x'}"),
		    "$.labels[0].attributes[0].default: expected a number, got a string");
}

Test(schema, number_ranges)
{
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': 0}"),
		    "$.labels[0].attributes[0]: a number attribute needs 'min' and 'max'");
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': 5, 'max': 1}"),
		    "$.labels[0].attributes[0].max: max (1) is less than min (5)");
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': '0', 'max': 1}"),
		    "$.labels[0].attributes[0].min: expected a number, got a string");
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': 0, 'max': 1, 'step': 0}"),
		    "$.labels[0].attributes[0].step: the step must be greater than 0, got 0");
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': 0, 'max': 1, 'step': 2}"),
		    "$.labels[0].attributes[0].step: the step (2) is larger than the range [0, 1]");
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': 0, 'max': 1, 'default': 1.5}"),
		    "$.labels[0].attributes[0].default: 1.5 is outside the range [0, 1]");
	expect_only(ATTRS("{'name': 'n', 'type': 'number', 'min': 0, 'max': 1, 'step': 0.25, 'default': 0.3}"),
		    "$.labels[0].attributes[0].default: 0.3 is not min (0) plus a multiple of the step (0.25)");
	expect_only(ATTRS("{'name': 't', 'type': 'text', 'min': 0}"),
		    "$.labels[0].attributes[0].min: only number attributes take 'min'");
	expect_only(ATTRS("{'name': 't', 'type': 'select', 'values': ['a'], 'step': 1}"),
		    "$.labels[0].attributes[0].step: only number attributes take 'step'");
	/* A step that is not exact in binary is still a grid. */
	struct schema s;
	parse_ok(ATTRS("{'name': 'n', 'type': 'number', 'min': 0, 'max': 1, 'step': 0.1, 'default': 0.7}"), &s);
	cr_assert_float_eq(s.labels[0].attrs[0].def_num, 0.7, 0);
	schema_release(&s);
}

Test(schema, item_attributes)
{
	expect_only("{'cairn_schema': 1, 'labels': [{'name': 'a', 'shapes': ['tag']}], "
		    "'item_attributes': [{'name': 'w', 'type': 'select', 'values': ['sun'], 'default': 'rain'}]}",
		    "$.item_attributes[0].default: 'rain' is not among the values ['sun']");
	expect_only("{'cairn_schema': 1, 'labels': [{'name': 'a', 'shapes': ['tag']}], "
		    "'item_attributes': [{'name': 'w', 'type': 'checkbox'}, {'name': 'w', 'type': 'checkbox'}]}",
		    "$.item_attributes[1].name: duplicate attribute 'w' (also at [0])");
}

/* ---- relations and guidelines ---- */

#define RELS(x) "{'cairn_schema': 1, 'labels': [{'name': 'person', 'shapes': ['box']}, " \
	"{'name': 'car', 'shapes': ['box']}], 'relations': [" x "]}"

Test(schema, relations)
{
	expect_only(RELS("{'from': ['person']}"), "$.relations[0]: missing required key 'name'");
	expect_only(RELS("{'name': 'drives', 'from': ['person'], 'to': ['truck']}"),
		    "$.relations[0].to[0]: no label named 'truck'");
	expect_only(RELS("{'name': 'drives', 'from': ['preson'], 'to': ['car']}"),
		    "$.relations[0].from[0]: no label named 'preson' (did you mean 'person'?)");
	expect_only(RELS("{'name': 'drives', 'from': ['person', 'person']}"),
		    "$.relations[0].from[1]: 'person' is listed twice");
	expect_only(RELS("{'name': 'drives', 'from': 'person'}"),
		    "$.relations[0].from: expected an array, got a string");
	expect_only(RELS("{'name': 'drives'}, {'name': 'drives'}"),
		    "$.relations[1].name: duplicate relation type 'drives' (also at [0])");
	expect_only(RELS("{'name': 'drives', 'directed': 'yes'}"),
		    "$.relations[0].directed: expected true or false, got a string");
	expect_only("{'cairn_schema': 1, 'labels': [{'name': 'a', 'shapes': ['box']}], 'relations': {}}",
		    "$.relations: expected an array, got an object");
}

Test(schema, guidelines)
{
	expect_only("{'cairn_schema': 1, 'labels': [{'name': 'a', 'shapes': ['box']}], 'guidelines': ['a']}",
		    "$.guidelines: expected a string, got an array");
}

Test(schema, quoting_in_messages)
{
	/* Control bytes and quotes in user strings never break the one-line format. */
	expect_only(LABELS("{'name': 'a', 'shapes': ['it\\u0027s\\nbad']}"),
		    "$.labels[0].shapes[0]: unknown shape type 'it\\'s\\x0abad'; expected one of tag, box, "
		    "rotated_box, polygon, polyline, points, keypoints, mask, ellipse, cuboid, span, segment");
}
