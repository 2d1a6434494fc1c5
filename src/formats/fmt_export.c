/*
 * fmt_export.c - what every dataset writer reads: the project's items in
 * id order, each with the document it exports (fmt_item_list streams both
 * from one store query a page; fmt_item_doc parses the document and maps
 * its labels to the current schema).
 */
#include "formats/fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "core/schema.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

#define SC_CACHE 8

struct fmt_doc_cache {
	struct store *st;
	int64_t project_id;
	const struct fmt_labels *l;
	struct {
		int64_t version;
		struct schema sc;
		long *map;             /* label index -> current label index, -1 gone */
		struct fmt_fast fast;
	} v[SC_CACHE];
	size_t n;
	struct annotation picked;
	bool have;
	int rank;
	unsigned kinds;
	/* The row fmt_item_list is handing to its callback (borrowed). */
	struct {
		bool on;
		unsigned kinds;
		int64_t item_id, ann_id, schema_version;
		const char *body;
		size_t len;
	} pre;
};

struct fmt_doc_cache *fmt_doc_cache_new(struct store *st, int64_t project_id,
					const struct fmt_labels *l)
{
	struct fmt_doc_cache *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->st = st;
	c->project_id = project_id;
	c->l = l;
	return c;
}

void fmt_doc_cache_free(struct fmt_doc_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		fmt_fast_release(&c->v[i].fast);
		schema_release(&c->v[i].sc);
		free(c->v[i].map);
	}
	free(c);
}

static int rank_of(const struct annotation *a)
{
	switch (a->kind) {
	case ANN_CONSENSUS: return 4;
	case ANN_GOLD: return 3;
	case ANN_MANUAL: return 2;
	default: return 1;
	}
}

static int pick_ann(void *ctx, const struct annotation *a)
{
	struct fmt_doc_cache *c = ctx;
	if (c->kinds && !(c->kinds & (1u << a->kind)))
		return 0;
	int r = rank_of(a);
	if (c->have && (r < c->rank || (r == c->rank && a->updated_at <= c->picked.updated_at)))
		return 0;
	c->have = true;
	c->rank = r;
	c->picked.id = a->id;
	c->picked.updated_at = a->updated_at;
	return 0;
}

static int schema_for(struct fmt_doc_cache *c, int64_t version, size_t *slot, struct buf *err)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].version == version) {
			*slot = i;
			return 0;
		}
	if (c->n == SC_CACHE) {
		fmt_fast_release(&c->v[0].fast);
		schema_release(&c->v[0].sc);
		free(c->v[0].map);
		memmove(&c->v[0], &c->v[1], sizeof(c->v[0]) * (SC_CACHE - 1));
		c->n--;
	}
	char *js = NULL;
	int64_t got = 0;
	int rc = store_schema_get(c->st, c->project_id, version, &js, &got, err);
	if (rc)
		return rc;
	size_t i = c->n;
	rc = schema_parse(&c->v[i].sc, js, strlen(js), err);
	free(js);
	if (rc)
		return rc;
	c->v[i].version = version;
	c->v[i].map = xrealloc(NULL, (c->v[i].sc.nlabels + 1) * sizeof(long));
	for (size_t k = 0; k < c->v[i].sc.nlabels; k++)
		c->v[i].map[k] = schema_label_index(&c->l->sc, c->v[i].sc.labels[k].name);
	fmt_fast_init(&c->v[i].fast, &c->v[i].sc);
	c->n++;
	*slot = i;
	return 0;
}

/* Parses one stored body (schema version `version`) into doc, labels
 * mapped to the current schema. */
static int doc_from_body(struct fmt_doc_cache *c, int64_t item_id, int64_t ann_id,
			 int64_t version, const char *body, size_t len, struct ann_doc *doc,
			 struct fmt_loss *loss, struct buf *err)
{
	size_t slot;
	int rc = schema_for(c, version, &slot, err);
	if (rc)
		return rc;
	if (!body) {
		body = "{\"format\":1}";
		len = strlen(body);
	}
	struct buf e = BUF_INIT;
	if (!fmt_fast_parse(&c->v[slot].fast, body, len, doc))
		rc = ann_doc_parse(doc, body, len, &c->v[slot].sc, 0, 0, &e, NULL);
	if (rc) {
		buf_setf(err, "item %lld: stored annotation %lld does not parse: %s",
			 (long long)item_id, (long long)ann_id, e.data);
		buf_release(&e);
		return rc;
	}
	buf_release(&e);
	/* Map labels to the current schema; drop objects whose label is gone. */
	size_t k = 0;
	for (size_t i = 0; i < doc->nobjects; i++) {
		struct ann_object *o = &doc->objects[i];
		long to = c->v[slot].map[o->label];
		if (to < 0) {
			fmt_loss_add(loss, "object whose label is no longer in the schema", 1);
			free(o->pts);
			free(o->rings);
			rle_release(&o->mask);
			free(o->attrs);
			free(o->text);
			continue;
		}
		o->label = (size_t)to;
		doc->objects[k++] = *o;
	}
	doc->nobjects = k;
	return 0;
}

int fmt_item_doc(struct fmt_doc_cache *c, const struct item *it, unsigned kinds,
		 struct ann_doc *doc, bool *found, struct fmt_loss *loss, struct buf *err)
{
	memset(doc, 0, sizeof(*doc));
	*found = false;
	int rc;
	if (c->pre.on && c->pre.item_id == it->id && c->pre.kinds == kinds) {
		/* Read with the item by fmt_item_list: no query. */
		if (!c->pre.ann_id)
			return 0;
		rc = doc_from_body(c, it->id, c->pre.ann_id, c->pre.schema_version, c->pre.body,
				   c->pre.len, doc, loss, err);
		*found = !rc;
		return rc;
	}
	c->have = false;
	c->kinds = kinds;
	rc = store_annotation_list(c->st, it->id, true, pick_ann, c, err);
	if (rc || !c->have)
		return rc;
	struct annotation a;
	if ((rc = store_annotation_get(c->st, c->picked.id, &a, err)))
		return rc;
	rc = doc_from_body(c, it->id, a.id, a.schema_version, a.body,
			   a.body ? strlen(a.body) : 0, doc, loss, err);
	*found = !rc;
	annotation_release(&a);
	return rc;
}

struct list_ctx {
	struct fmt_doc_cache *c;
	store_item_cb cb;
	void *ctx;
};

static int list_row(void *vctx, const struct store_item_doc *d)
{
	struct list_ctx *x = vctx;
	struct fmt_doc_cache *c = x->c;
	c->pre.item_id = d->item.id;
	c->pre.ann_id = d->ann_id;
	c->pre.schema_version = d->schema_version;
	c->pre.body = d->body;
	c->pre.len = d->body_len;
	return x->cb(x->ctx, &d->item);
}

int fmt_item_list(struct fmt_doc_cache *c, int64_t project_id, unsigned kinds, int64_t after_id,
		  int64_t limit, store_item_cb cb, void *ctx, struct buf *err)
{
	struct list_ctx x = {c, cb, ctx};
	c->pre.on = true;
	c->pre.kinds = kinds;
	c->pre.item_id = 0;
	int rc = store_item_docs(c->st, project_id, kinds, after_id, limit, list_row, &x, err);
	c->pre.on = false;
	c->pre.body = NULL;
	return rc;
}

int fmt_export_walk(struct fmt_doc_cache *c, int64_t project_id, const struct fmt_write_opts *o,
		    int64_t total, int (*cb)(void *ctx, const struct item *it), void *ctx,
		    const int64_t *last_id, const int64_t *done, const int *cb_rc, struct buf *err)
{
	enum { PAGE = 512 };
	for (;;) {
		int64_t before = *done;
		int rc = fmt_item_list(c, project_id, o->kinds, *last_id, PAGE, cb, ctx, err);
		if (!rc)
			rc = *cb_rc;
		if (rc)
			return rc;
		if (o->progress)
			o->progress(o->progress_ctx, *done, total);
		if (*done - before < PAGE)
			return 0;
	}
}

int fmt_put_file(const char *path, const void *data, size_t len, struct buf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 && errno == ENOENT) {
		/* The folder is new: make it and try again. */
		const char *sl = strrchr(path, '/');
		if (sl && sl > path) {
			struct buf dir = BUF_INIT;
			buf_add(&dir, path, (size_t)(sl - path));
			int rc = fmt_mkdirs(dir.data, err);
			buf_release(&dir);
			if (rc)
				return rc;
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		}
	}
	if (fd < 0) {
		buf_setf(err, "cannot write '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			buf_setf(err, "cannot write '%s': %s", path, n ? strerror(errno) : "short write");
			close(fd);
			return CAIRN_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd)) {
		buf_setf(err, "cannot write '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	return 0;
}
