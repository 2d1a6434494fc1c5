/*
 * fuzz_fastdoc.c - libFuzzer entry for the export's fast reader of stored
 * documents (formats/fmt_fastdoc.c), checked against ann_doc_parse on the
 * same bytes: whatever the fast reader accepts, the general parser must
 * accept too and read to the same document, bit for bit. The one thing the
 * fast reader leaves to the save path is duplicate object ids; such inputs
 * are only parsed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/annotation.h"
#include "core/schema.h"
#include "formats/fmt.h"
#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const schema_json =
	"{\"cairn_schema\": 1, \"labels\": ["
	"{\"name\": \"a\", \"shapes\": [\"box\", \"polygon\", \"keypoints\"],"
	" \"skeleton\": {\"points\": [\"p\", \"q\"], \"edges\": [[\"p\", \"q\"]]}},"
	"{\"name\": \"b\", \"shapes\": [\"box\"]},"
	"{\"name\": \"c\", \"shapes\": [\"box\"], \"attributes\": ["
	"  {\"name\": \"n\", \"type\": \"number\", \"min\": 0, \"max\": 9}]}]}";

static bool same(double x, double y)
{
	return !memcmp(&x, &y, sizeof(x));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct schema sc;
	static struct fmt_fast fast;
	static bool ready;
	if (!ready) {
		struct buf err = BUF_INIT;
		if (schema_parse(&sc, schema_json, strlen(schema_json), &err))
			abort();
		buf_release(&err);
		fmt_fast_init(&fast, &sc);
		ready = true;
	}
	/* Bodies come from SQLite NUL-terminated. */
	char *body = malloc(size + 1);
	if (!body)
		abort();
	memcpy(body, data, size);
	body[size] = 0;
	struct ann_doc f, g;
	if (!fmt_fast_parse(&fast, body, size, &f)) {
		if (f.nobjects || f.objects || f.attrs)
			abort();
		free(body);
		return 0;
	}
	bool dup = false;
	for (size_t i = 0; i < f.nobjects && !dup; i++)
		for (size_t k = 0; k < i && !dup; k++)
			dup = !strcmp(f.objects[i].uid, f.objects[k].uid);
	struct buf err = BUF_INIT;
	int rc = ann_doc_parse(&g, body, size, &sc, 0, 0, &err, NULL);
	if (rc && !dup)
		abort(); /* the fast reader accepted what the general one refuses */
	if (!rc && !dup) {
		if (f.nobjects != g.nobjects || strcmp(f.attrs, g.attrs) || g.nrelations)
			abort();
		for (size_t i = 0; i < g.nobjects; i++) {
			const struct ann_object *x = &f.objects[i], *y = &g.objects[i];
			if (strcmp(x->uid, y->uid) || x->label != y->label || x->type != y->type ||
			    x->npts != y->npts || x->nrings != y->nrings || strcmp(x->attrs, y->attrs) ||
			    x->occluded != y->occluded || x->z_order != y->z_order ||
			    x->has_group != y->has_group || x->group != y->group ||
			    strcmp(x->parent, y->parent) || x->parent_index != y->parent_index ||
			    x->has_frame != y->has_frame || x->frame != y->frame ||
			    x->has_track != y->has_track || x->track != y->track ||
			    x->keyframe != y->keyframe || x->outside != y->outside ||
			    x->has_score != y->has_score || !same(x->score, y->score) ||
			    x->text != y->text || x->locked != y->locked || !same(x->x0, y->x0) ||
			    !same(x->y0, y->y0) || !same(x->x1, y->x1) || !same(x->y1, y->y1) ||
			    !same(x->area, y->area))
				abort();
			for (size_t k = 0; k < y->npts; k++)
				if (!same(x->pts[k], y->pts[k]))
					abort();
		}
	}
	ann_doc_release(&g);
	ann_doc_release(&f);
	buf_release(&err);
	free(body);
	return 0;
}
