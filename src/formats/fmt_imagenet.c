/*
 * fmt_imagenet.c - ImageNet class folders: <root>/<class>/<image> (images
 * in subfolders of a class folder belong to that class; images directly
 * in the root have no class). One tag an image. The writer puts each
 * item's image into the folder of its first tag (hard link or copy from
 * the content store), untagged items in the root.
 * Conventions: docs/formats/imagenet.md.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "base/banned.h"

int fmt_imagenet_probe(const char *path);
int fmt_imagenet_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_imagenet_write(struct store *st, int64_t project_id, const char *out,
		       const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

static bool is_image_name(const char *n)
{
	static const char *const ex[] = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif",
					 ".tiff", ".jfif"};
	size_t l = strlen(n);
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		size_t e = strlen(ex[i]);
		if (l > e && !strcasecmp(n + l - e, ex[i]))
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of dir's entries (owned), folders or image files. */
static size_t list(const char *dir, bool dirs, char ***out)
{
	*out = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct buf p = BUF_INIT;
		buf_addf(&p, "%s/%s", dir, e->d_name);
		if (dirs ? is_dir(p.data) : (!is_dir(p.data) && is_image_name(e->d_name))) {
			*out = xrealloc(*out, (n + 1) * sizeof(char *));
			(*out)[n++] = xstrdup(e->d_name);
		}
		buf_release(&p);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(*out, n, sizeof(char *), cmp_str);
	return n;
}

struct ird {
	struct fmt_sink *s;
	const char *root;
	int64_t next;
	int rc;
};

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int add_image(struct ird *r, const char *rel, int64_t cat)
{
	struct fmt_image im = {0};
	im.id = ++r->next;
	im.file_name = rel;
	im.where = rel;
	int rc = fmt_sink_image(r->s, &im);
	if (rc || cat < 0)
		return rc;
	struct fmt_object o = {0};
	o.image_id = im.id;
	o.category_id = cat;
	o.type = SHAPE_TAG;
	o.where = rel;
	return fmt_sink_object(r->s, &o);
}

/* The images of rel (relative to the root) and its subfolders, class cat. */
static int walk(struct ird *r, const char *rel, int64_t cat, int depth)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", r->root, rel);
	char **v;
	size_t n = list(p.data, false, &v);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct buf q = BUF_INIT;
		buf_addf(&q, "%s/%s", rel, v[i]);
		rc = add_image(r, q.data, cat);
		buf_release(&q);
	}
	free_list(v, n);
	if (!rc && depth < 8) {
		n = list(p.data, true, &v);
		for (size_t i = 0; i < n && !rc; i++) {
			struct buf q = BUF_INIT;
			buf_addf(&q, "%s/%s", rel, v[i]);
			rc = walk(r, q.data, cat, depth + 1);
			buf_release(&q);
		}
		free_list(v, n);
	}
	buf_release(&p);
	return rc;
}

/* Classes are the root's folders, sorted (torchvision's ImageFolder order), ids from 1. */
int fmt_imagenet_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	if (!is_dir(path)) {
		buf_setf(err, "%s: an ImageNet dataset is a folder of class folders", path);
		return CAIRN_EINVAL;
	}
	struct ird r = {s, path, 0, 0};
	fmt_sink_media_dir(s, path);
	char **cls;
	size_t nc = list(path, true, &cls);
	int rc = 0;
	if (!nc) {
		buf_setf(err, "%s: no class folders (<class>/<image>)", path);
		free_list(cls, nc);
		return CAIRN_ENOTFOUND;
	}
	for (size_t i = 0; i < nc && !rc; i++) {
		struct fmt_category c = {0};
		c.id = (int64_t)i + 1;
		c.name = cls[i];
		c.where = cls[i];
		rc = fmt_sink_category(s, &c);
	}
	/* Images in the root have no class. */
	char **v;
	size_t n = list(path, false, &v);
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_image(&r, v[i], -1);
	free_list(v, n);
	for (size_t i = 0; i < nc && !rc; i++)
		rc = walk(&r, cls[i], (int64_t)i + 1, 0);
	free_list(cls, nc);
	return rc;
}

/* Only by --format: any folder of folders looks like this. */
int fmt_imagenet_probe(const char *path)
{
	(void)path;
	return 0;
}

struct iwr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	int64_t done, last_id;
	struct buf path;
	int rc;
};

/* A class name as a folder name: '/' becomes '_', and "." or ".." gets a leading '_'. */
static void folder_name(struct buf *b, const char *name, struct fmt_loss *loss)
{
	bool changed = !strcmp(name, ".") || !strcmp(name, "..");
	if (changed)
		buf_addch(b, '_');
	for (const char *p = name; *p; p++) {
		changed |= *p == '/';
		buf_addch(b, *p == '/' ? '_' : *p);
	}
	if (changed && loss)
		fmt_loss_add(loss, "class name that is not a folder name (written with '_')", 1);
}

static bool exists(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0;
}

static int write_item(void *ctx, const struct item *it)
{
	struct iwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	int rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	const struct ann_object *tag = NULL;
	for (size_t i = 0; !rc && found && i < d.nobjects; i++) {
		const struct ann_object *o = &d.objects[i];
		if (o->type == SHAPE_TAG && !tag) {
			tag = o;
		} else if (o->type == SHAPE_TAG) {
			fmt_loss_add(w->loss, "tag after the first of an item (ImageNet keeps one)", 1);
		} else {
			char what[80];
			snprintf(what, sizeof(what), "%s (ImageNet keeps one tag an image)",
				 shape_kind_name(o->type));
			fmt_loss_add(w->loss, what, 1);
		}
	}
	if (!rc) {
		char *tmp;
		const char *fn = fmt_item_file_name(it, &tmp);
		const char *base = strrchr(fn, '/');
		base = base ? base + 1 : fn;
		buf_reset(&w->path);
		if (tag) {
			buf_addf(&w->path, "%s/", w->out);
			folder_name(&w->path, w->l.sc.labels[tag->label].name, NULL);
			buf_addf(&w->path, "/%s", base);
		} else
			buf_addf(&w->path, "%s/%s", w->out, base);
		if (exists(w->path.data)) {
			const char *dot = strrchr(w->path.data, '.');
			const char *sl = strrchr(w->path.data, '/');
			size_t stem = dot && dot > sl ? (size_t)(dot - w->path.data) : w->path.len;
			char *ext = xstrdup(w->path.data + stem);
			buf_setlen(&w->path, stem);
			buf_addf(&w->path, "_%lld%s", (long long)it->id, ext);
			free(ext);
			fmt_loss_add(w->loss, "file name used twice in a class (renamed with the item id)", 1);
		}
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
		free(tmp);
	}
	ann_doc_release(&d);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_imagenet_write(struct store *st, int64_t project_id, const char *out,
		       const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	if (!o->include_media) {
		buf_setf(err, "imagenet: the dataset is the images in class folders: give "
			 "--include-media");
		return CAIRN_EINVAL;
	}
	struct iwr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.path = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "imagenet", err)))
		goto done;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	if (o->split)
		fmt_loss_add(loss, "split (ImageNet folders have none)", 1);
	/* Every class gets its folder, also an empty one. */
	for (size_t i = 0; i < w.l.sc.nlabels && !rc; i++) {
		buf_reset(&w.path);
		buf_addf(&w.path, "%s/", out);
		folder_name(&w.path, w.l.sc.labels[i].name, loss);
		rc = fmt_mkdirs(w.path.data, err);
	}
	if (!rc)
		rc = fmt_export_walk(w.dc, project_id, o, 0, write_item, &w, &w.last_id, &w.done, &w.rc, err);
done:
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	buf_release(&w.path);
	return rc;
}
