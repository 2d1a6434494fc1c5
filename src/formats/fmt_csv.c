/*
 * fmt_csv.c - image,label rows with a header (RFC 4180: quoted fields, ""
 * for a quote, CRLF or LF line ends). Each row is one tag; several rows of
 * one image make several tags; a row with an empty label is an image
 * without tags. The reader streams (memory per row); images are keyed by a
 * hash of their name, so no table of names is kept. The writer streams
 * labels.csv. Conventions: docs/formats/csv.md.
 */
#include "formats/fmt_csv.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"
#include "formats/fmt_util.h"
#include "formats/fmt_xml.h"  /* fmt_strmap */
#include "base/banned.h"

int fmt_csv_probe(const char *path);
int fmt_csv_read(const char *path, struct fmt_sink *s, struct buf *err);
int fmt_csv_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err);

#define MAX_FIELDS 256
#define MAX_FIELD (1 << 20)

/* ---- reading ---- */

struct src {
	FILE *f;
	const char *data;
	size_t len, pos;
};

static int next_ch(struct src *s)
{
	if (s->f)
		return getc(s->f);
	return s->pos < s->len ? (unsigned char)s->data[s->pos++] : EOF;
}

struct crd {
	struct fmt_sink *s;
	const char *name;
	struct src in;
	unsigned long line;        /* of the next character */
	struct buf fields[MAX_FIELDS];
	size_t nf;
	struct buf where;
	struct fmt_strmap labels;  /* name -> category id (from 1) */
	int peek;
};

static uint64_t hash_s(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int label_id(struct crd *r, const char *name, const char *where, int64_t *id)
{
	if (fmt_strmap_get(&r->labels, name, id))
		return 0;
	struct fmt_category c = {0};
	c.id = (int64_t)r->labels.n + 1;
	c.name = name;
	c.where = where;
	int rc = fmt_sink_category(r->s, &c);
	if (rc)
		return rc;
	fmt_strmap_put(&r->labels, name, c.id);
	*id = c.id;
	return 0;
}

static int getch(struct crd *r)
{
	int c;
	if (r->peek != -2) {
		c = r->peek;
		r->peek = -2;
	} else {
		c = next_ch(&r->in);
	}
	if (c == '\n')
		r->line++;
	return c;
}

/*
 * One record into r->fields. Returns 1 (a record), 0 (end of input), or
 * CAIRN_EINVAL with the message in err ("labels.csv:4: ...").
 */
static int read_record(struct crd *r, unsigned long *start, struct buf *err)
{
	r->nf = 0;
	*start = r->line;
	int c = getch(r);
	if (c == EOF)
		return 0;
	for (;;) {
		if (r->nf == MAX_FIELDS) {
			buf_setf(err, "%s:%lu: more than %d fields", r->name, *start, MAX_FIELDS);
			return CAIRN_EINVAL;
		}
		struct buf *f = &r->fields[r->nf++];
		buf_reset(f);
		if (c == '"') {
			unsigned long qline = r->line;
			for (;;) {
				c = getch(r);
				if (c == EOF) {
					buf_setf(err, "%s:%lu: field %zu: unterminated quoted field (it runs "
						 "to the end of the file)", r->name, qline, r->nf);
					return CAIRN_EINVAL;
				}
				if (c == '"') {
					c = getch(r);
					if (c != '"')
						break;
				}
				if (f->len >= MAX_FIELD) {
					buf_setf(err, "%s:%lu: a field longer than %d bytes", r->name, qline,
						 MAX_FIELD);
					return CAIRN_EINVAL;
				}
				buf_addch(f, (char)c);
			}
			if (c == '\r') {
				int d = getch(r);
				if (d != '\n' && d != EOF) {
					buf_setf(err, "%s:%lu: a carriage return after a closing quote",
						 r->name, r->line);
					return CAIRN_EINVAL;
				}
				c = d == EOF ? EOF : '\n';
			}
			if (c != ',' && c != '\n' && c != EOF) {
				buf_setf(err, "%s:%lu: field %zu: '%c' after a closing quote (expected a "
					 "comma or the line's end)", r->name, c == '\n' ? r->line - 1 : r->line,
					 r->nf, c);
				return CAIRN_EINVAL;
			}
		} else {
			while (c != ',' && c != '\n' && c != EOF) {
				if (c == '"') {
					buf_setf(err, "%s:%lu: field %zu: a quote inside an unquoted field "
						 "(quote the whole field and double the quote)", r->name, r->line,
						 r->nf);
					return CAIRN_EINVAL;
				}
				if (c == '\r') {
					int d = getch(r);
					if (d == '\n' || d == EOF) {
						c = d == EOF ? EOF : '\n';
						break;
					}
					r->peek = d; /* a lone CR is kept in the field */
				}
				if (f->len >= MAX_FIELD) {
					buf_setf(err, "%s:%lu: a field longer than %d bytes", r->name, r->line,
						 MAX_FIELD);
					return CAIRN_EINVAL;
				}
				buf_addch(f, (char)c);
				c = getch(r);
			}
		}
		if (c == ',') {
			c = getch(r);
			continue;
		}
		return 1;
	}
}

static const char *const image_cols[] = {"image", "image_path", "file_name", "filename", "file",
					 "path", "image_name", NULL};
static const char *const label_cols[] = {"label", "class", "category", "label_name",
					 "class_name", NULL};

static int find_col(struct crd *r, const char *const *names)
{
	for (int k = 0; names[k]; k++)
		for (size_t i = 0; i < r->nf; i++)
			if (!strcasecmp(r->fields[i].data, names[k]))
				return (int)i;
	return -1;
}

static int read_stream(struct crd *r, struct buf *err)
{
	unsigned long start;
	int rc = read_record(r, &start, err);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		buf_setf(err, "%s:1: empty file (expected a header: image,label)", r->name);
		return CAIRN_EINVAL;
	}
	/* A UTF-8 byte order mark before the header. */
	if (r->nf && !strncmp(r->fields[0].data, "\xef\xbb\xbf", 3))
		memmove(r->fields[0].data, r->fields[0].data + 3, r->fields[0].len - 2),
			buf_setlen(&r->fields[0], r->fields[0].len - 3);
	int ci = find_col(r, image_cols), cl = find_col(r, label_cols);
	if (ci < 0 || cl < 0) {
		struct buf h = BUF_INIT;
		for (size_t i = 0; i < r->nf; i++)
			buf_addf(&h, "%s%s", i ? "," : "", r->fields[i].data);
		buf_setf(err, "%s:%lu: header '%.200s': no '%s' column (expected image,label)",
			 r->name, start, h.data, ci < 0 ? "image" : "label");
		buf_release(&h);
		return CAIRN_EINVAL;
	}
	size_t ncols = r->nf;
	for (size_t i = 0; i < ncols; i++)
		if ((int)i != ci && (int)i != cl)
			fmt_sink_note(r->s, "CSV column other than image and label (not kept)");
	while ((rc = read_record(r, &start, err)) == 1) {
		if (r->nf == 1 && r->fields[0].len == 0)
			continue; /* a blank line */
		buf_reset(&r->where);
		buf_addf(&r->where, "%s:%lu", r->name, start);
		if (r->nf != ncols) {
			char *w = xstrdup(r->where.data);
			rc = fmt_sink_invalid(r->s, w, "expected %zu fields as the header has, got %zu",
					      ncols, r->nf);
			free(w);
			if (rc)
				return rc;
			continue;
		}
		const char *img = r->fields[ci].data;
		const char *lab = r->fields[cl].data;
		char *w = xstrdup(r->where.data);
		if (!*img) {
			rc = fmt_sink_invalid(r->s, w, "field %d (image): empty", ci + 1);
		} else if (img[0] == '/' || !strncmp(img, "../", 3) || strstr(img, "/../")) {
			rc = fmt_sink_invalid(r->s, w, "field %d (image): '%s' escapes the images folder",
					      ci + 1, img);
		} else {
			struct fmt_image im = {0};
			im.id = (int64_t)(hash_s(img) >> 2);
			im.file_name = img;
			im.where = w;
			rc = fmt_sink_image(r->s, &im);
			if (!rc && *lab) {
				struct fmt_object o = {0};
				o.image_id = im.id;
				o.type = SHAPE_TAG;
				o.where = w;
				rc = label_id(r, lab, w, &o.category_id);
				if (!rc)
					rc = fmt_sink_object(r->s, &o);
			}
		}
		free(w);
		if (rc)
			return rc;
	}
	return rc < 0 ? rc : 0;
}

static void crd_release(struct crd *r)
{
	for (size_t i = 0; i < MAX_FIELDS; i++)
		buf_release(&r->fields[i]);
	fmt_strmap_release(&r->labels);
	buf_release(&r->where);
}

static void crd_init(struct crd *r, struct fmt_sink *s, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->name = name;
	r->line = 1;
	r->peek = -2;
	for (size_t i = 0; i < MAX_FIELDS; i++)
		r->fields[i] = (struct buf)BUF_INIT;
	r->where = (struct buf)BUF_INIT;
}

int fmt_csv_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		     struct buf *err)
{
	struct crd r;
	crd_init(&r, s, name);
	r.in.data = data;
	r.in.len = len;
	int rc = read_stream(&r, err);
	crd_release(&r);
	return rc;
}

/* The folder's CSV: labels.csv, else the only *.csv (owned), or NULL. */
static char *find_csv(const char *dir)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/labels.csv", dir);
	FILE *f = fopen(p.data, "rb");
	if (f) {
		fclose(f);
		return buf_detach(&p, NULL);
	}
	buf_release(&p);
	char *one = NULL;
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcasecmp(e->d_name + l - 4, ".csv") && e->d_name[0] != '.') {
			n++;
			free(one);
			struct buf q = BUF_INIT;
			buf_addf(&q, "%s/%s", dir, e->d_name);
			one = buf_detach(&q, NULL);
		}
	}
	if (d)
		closedir(d);
	if (n != 1) {
		free(one);
		return NULL;
	}
	return one;
}

int fmt_csv_read(const char *path, struct fmt_sink *s, struct buf *err)
{
	char *file = is_dir(path) ? find_csv(path) : xstrdup(path);
	if (!file) {
		buf_setf(err, "%s: no labels.csv (or one *.csv) in the folder", path);
		return CAIRN_ENOTFOUND;
	}
	struct buf dir = BUF_INIT;
	const char *sl = strrchr(file, '/');
	if (sl)
		buf_add(&dir, file, (size_t)(sl - file));
	else
		buf_adds(&dir, ".");
	size_t dl = dir.len;
	buf_adds(&dir, "/images");
	if (!is_dir(dir.data))
		buf_setlen(&dir, dl);
	fmt_sink_media_dir(s, dir.data);
	buf_release(&dir);
	FILE *f = fopen(file, "rb");
	int rc;
	if (!f) {
		buf_setf(err, "%s: cannot open: %s", file, strerror(errno));
		rc = CAIRN_ENOTFOUND;
	} else {
		struct crd r;
		crd_init(&r, s, sl ? sl + 1 : file);
		r.in.f = f;
		rc = read_stream(&r, err);
		crd_release(&r);
		fclose(f);
	}
	free(file);
	return rc;
}

/* Sure when the header has an image and a label column. */
int fmt_csv_probe(const char *path)
{
	char *file = is_dir(path) ? find_csv(path) : xstrdup(path);
	if (!file)
		return 0;
	size_t l = strlen(file);
	bool ext = l > 4 && !strcasecmp(file + l - 4, ".csv");
	FILE *f = fopen(file, "rb");
	free(file);
	if (!f)
		return 0;
	char head[1024];
	size_t n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = 0;
	char *nl = strpbrk(head, "\r\n");
	if (nl)
		*nl = 0;
	struct crd r;
	crd_init(&r, NULL, "probe");
	r.in.data = head;
	r.in.len = strlen(head);
	unsigned long start;
	struct buf e = BUF_INIT;
	int c = 0;
	if (read_record(&r, &start, &e) == 1 && find_col(&r, image_cols) >= 0 &&
	    find_col(&r, label_cols) >= 0)
		c = ext ? 80 : 50;
	buf_release(&e);
	crd_release(&r);
	return c;
}

/* ---- writing ---- */

struct cwr {
	const struct fmt_write_opts *o;
	const char *out;
	struct fmt_loss *loss;
	struct buf *err;
	struct fmt_labels l;
	struct fmt_doc_cache *dc;
	FILE *f;
	int64_t done, total, last_id;
	struct buf t, path;
	int rc;
};

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void add_field(struct buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && *s != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
		buf_adds(b, s);
		return;
	}
	buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			buf_addch(b, '"');
		buf_addch(b, *s);
	}
	buf_addch(b, '"');
}

static int write_item(void *ctx, const struct item *it)
{
	struct cwr *w = ctx;
	w->last_id = it->id;
	w->done++;
	struct ann_doc d;
	bool found = false;
	memset(&d, 0, sizeof(d));
	int rc = fmt_item_doc(w->dc, it, w->o->kinds, &d, &found, w->loss, w->err);
	char *tmp = NULL;
	const char *fn = fmt_item_file_name(it, &tmp);
	if (!strncmp(fn, "../", 3) || fn[0] == '/' || strstr(fn, "/../"))
		fn = strrchr(fn, '/') + 1;
	if (!rc && w->o->include_media) {
		buf_reset(&w->path);
		buf_addf(&w->path, "%s/images/%s", w->out, fn);
		rc = fmt_copy_media(w->o->data_dir, it, w->path.data, w->err);
	}
	if (!rc) {
		struct buf *b = &w->t;
		buf_reset(b);
		size_t ntags = 0;
		for (size_t i = 0; found && i < d.nobjects; i++) {
			const struct ann_object *o = &d.objects[i];
			if (o->type != SHAPE_TAG) {
				char what[80];
				snprintf(what, sizeof(what), "%s (CSV keeps tags only)",
					 shape_kind_name(o->type));
				fmt_loss_add(w->loss, what, 1);
				continue;
			}
			if (o->attrs && strcmp(o->attrs, "{}"))
				fmt_loss_add(w->loss, "tag attributes", 1);
			if (o->has_score)
				fmt_loss_add(w->loss, "score", 1);
			add_field(b, fn);
			buf_addch(b, ',');
			add_field(b, w->l.sc.labels[o->label].name);
			buf_adds(b, "\r\n");
			ntags++;
		}
		if (!ntags) {
			add_field(b, fn);
			buf_adds(b, ",\r\n");
		}
		if (found && d.attrs && strcmp(d.attrs, "{}"))
			fmt_loss_add(w->loss, "item attributes", 1);
		if (fwrite(b->data, 1, b->len, w->f) != b->len) {
			buf_setf(w->err, "cannot write '%s/labels.csv': %s", w->out, strerror(errno));
			rc = CAIRN_EIO;
		}
	}
	ann_doc_release(&d);
	free(tmp);
	if (rc)
		w->rc = rc;
	return rc;
}

int fmt_csv_write(struct store *st, int64_t project_id, const char *out,
		  const struct fmt_write_opts *o, struct fmt_loss *loss, struct buf *err)
{
	struct cwr w;
	memset(&w, 0, sizeof(w));
	w.o = o;
	w.out = out;
	w.loss = loss;
	w.err = err;
	w.t = (struct buf)BUF_INIT;
	w.path = (struct buf)BUF_INIT;
	int rc;
	if ((rc = fmt_mkdirs(out, err)))
		goto done;
	if ((rc = fmt_labels_load(&w.l, st, project_id, "csv", err)))
		goto done;
	w.dc = fmt_doc_cache_new(st, project_id, &w.l);
	if (o->split)
		fmt_loss_add(loss, "split (one CSV file is written)", 1);
	buf_addf(&w.path, "%s/labels.csv", out);
	w.f = fopen(w.path.data, "w");
	if (!w.f) {
		buf_setf(err, "cannot create '%s': %s", w.path.data, strerror(errno));
		rc = CAIRN_EIO;
		goto done;
	}
	fputs("image,label\r\n", w.f);
	rc = fmt_export_walk(w.dc, project_id, o, w.total, write_item, &w, &w.last_id, &w.done, &w.rc, err);
	if (fclose(w.f) && !rc) {
		buf_setf(err, "cannot write '%s/labels.csv': %s", out, strerror(errno));
		rc = CAIRN_EIO;
	}
done:
	fmt_doc_cache_free(w.dc);
	if (w.l.ids)
		fmt_labels_release(&w.l);
	buf_release(&w.t);
	buf_release(&w.path);
	return rc;
}
