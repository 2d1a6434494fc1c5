/*
 * fmt_test.c - the harness of the format unit tests (see fmt_test.h): the
 * per-test folder, store and project, and the file and driver helpers the
 * tests/unit/formats/test_fmt_*.c files share.
 */
#include "fmt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"

#include "../tmpdir.h"

struct fmt_test ft;

void fmt_test_open(const char *tag)
{
	tmpdir_make(ft.dir, sizeof(ft.dir), tag);
	char db[128];
	snprintf(db, sizeof(db), "%s/cairn.db", ft.dir);
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&ft.st, db, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(ft.st, "p", "", 0, NULL, &ft.pid, &err), 0, "%s",
		     err.data);
	buf_release(&err);
}

void fmt_test_close(void)
{
	store_close(ft.st);
	ft.st = NULL;
	tmpdir_remove(ft.dir);
}

void fmt_test_put(const char *rel, const void *data, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", ft.dir, rel);
	for (char *s = strchr(p + strlen(ft.dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(p, 0777);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	cr_assert(f, "%s", p);
	cr_assert_eq(fwrite(data, 1, len, f), len, "%s", p);
	fclose(f);
}

void fmt_test_puts(const char *rel, const char *text)
{
	fmt_test_put(rel, text, strlen(text));
}

void fmt_test_put_png(const char *rel, const uint32_t *px, uint32_t w, uint32_t h,
		      enum mask_png_kind kind, int depth, const uint8_t (*pal)[3], size_t npal)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	cr_assert_eq(mask_png_encode_values(px, w, h, kind, depth, pal, npal, &b, &err), 0, "%s",
		     err.data);
	fmt_test_put(rel, b.data, b.len);
	buf_release(&b);
	buf_release(&err);
}

char *fmt_test_slurp_path_n(const char *path, size_t *len)
{
	/* Reachable to the end of the test process: one buffer, reused. */
	static struct buf b = BUF_INIT;
	FILE *f = fopen(path, "rb");
	cr_assert(f, "%s", path);
	buf_reset(&b);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		cr_assert_eq(buf_add(&b, chunk, n), 0);
	fclose(f);
	cr_assert_eq(buf_grow(&b, 1), 0); /* its own bytes, even for an empty file */
	if (len)
		*len = b.len;
	return b.data;
}

char *fmt_test_slurp_path(const char *path)
{
	return fmt_test_slurp_path_n(path, NULL);
}

char *fmt_test_slurp_n(const char *rel, size_t *len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", ft.dir, rel);
	return fmt_test_slurp_path_n(p, len);
}

char *fmt_test_slurp(const char *rel)
{
	return fmt_test_slurp_n(rel, NULL);
}

int fmt_test_import_into(int64_t project, const char *format, const char *path, bool skip,
			 struct fmt_import_report *rep, struct buf *err)
{
	struct fmt_import_opts o = {0};
	o.data_dir = ft.dir;
	o.no_media = true;
	o.skip_invalid = skip;
	o.kind = ANN_GOLD;
	return fmt_import(ft.st, project, fmt_find(format), path, &o, rep, err);
}

int fmt_test_import(const char *format, const char *path, bool skip,
		    struct fmt_import_report *rep, struct buf *err)
{
	return fmt_test_import_into(ft.pid, format, path, skip, rep, err);
}

int fmt_test_import_text(const char *format, const char *name, const char *text, bool skip,
			 struct fmt_import_report *rep, struct buf *err)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", ft.dir, name);
	fmt_test_puts(name, text);
	return fmt_test_import(format, p, skip, rep, err);
}

int fmt_test_export(const char *format, struct fmt_loss *loss, struct buf *err)
{
	char out[128];
	snprintf(out, sizeof(out), "%s/out", ft.dir);
	struct fmt_write_opts wo = {0};
	return fmt_find(format)->write(ft.st, ft.pid, out, &wo, loss, err);
}

int fmt_test_read_text(const char *format, const char *name, const char *text, struct buf *err)
{
	char d[64], p[128];
	tmpdir_make(d, sizeof(d), "read");
	snprintf(p, sizeof(p), "%s/%s", d, name);
	FILE *f = fopen(p, "w");
	cr_assert(f, "%s", p);
	fputs(text, f);
	fclose(f);
	int rc = fmt_read_null(fmt_find(format), p, err);
	tmpdir_remove(d);
	return rc;
}

const unsigned char fmt_test_png20x10[78] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
	0x52, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x02, 0x00, 0x00, 0x00, 0x3b,
	0x37, 0xe9, 0xb1, 0x00, 0x00, 0x00, 0x15, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x68,
	0x70, 0x50, 0x20, 0x1b, 0x31, 0x8c, 0x6a, 0x1e, 0xd5, 0x4c, 0x08, 0x01, 0x00, 0xd8, 0x92,
	0xaf, 0x01, 0x4b, 0xde, 0x6c, 0x76, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
	0x42, 0x60, 0x82,
};

void fmt_test_put_png20x10(const char *rel)
{
	fmt_test_put(rel, fmt_test_png20x10, sizeof(fmt_test_png20x10));
}
