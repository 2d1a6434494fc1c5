/*
 * fmt_test.h - the harness every format unit test shares: a temporary
 * folder with a store and a project "p" per test, files put into it and read
 * back, and one-line import and export through the real driver. Criterion
 * runs each test in its own process, so one global fixture serves them all.
 */
#ifndef CAIRN_TESTS_FMT_TEST_H
#define CAIRN_TESTS_FMT_TEST_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"
#include "media/mask_png.h"
#include "store/store.h"

struct fmt_test {
	char dir[64];     /* /tmp/cairn-<tag>-XXXXXX */
	struct store *st; /* dir/cairn.db */
	int64_t pid;      /* project "p" */
};

/* The running test's fixture (set by fmt_test_open). */
extern struct fmt_test ft;

/* Makes /tmp/cairn-<tag>-XXXXXX, a store in it and the project "p". */
void fmt_test_open(const char *tag);
/* Closes the store and removes the folder. */
void fmt_test_close(void);

/* A suite whose every test runs in a fresh fixture. */
#define FMT_TEST_SUITE(name)                                                                      \
	static void name##_open(void)                                                             \
	{                                                                                         \
		fmt_test_open(#name);                                                             \
	}                                                                                         \
	TestSuite(name, .init = name##_open, .fini = fmt_test_close)

/* Writes len bytes as ft.dir/rel, making the folders on the way. */
void fmt_test_put(const char *rel, const void *data, size_t len);
void fmt_test_puts(const char *rel, const char *text);
/* A 16-bit greyscale, or any other kind, PNG of w x h values as ft.dir/rel. */
void fmt_test_put_png(const char *rel, const uint32_t *px, uint32_t w, uint32_t h,
		      enum mask_png_kind kind, int depth, const uint8_t (*pal)[3], size_t npal);

/* The whole of ft.dir/rel (or of path), NUL-terminated, and its length when
 * len is not NULL; one buffer, valid until the next call. */
char *fmt_test_slurp(const char *rel);
char *fmt_test_slurp_n(const char *rel, size_t *len);
char *fmt_test_slurp_path(const char *path);
char *fmt_test_slurp_path_n(const char *path, size_t *len);

/* Imports path with format as gold, --no-media, into ft's project. */
int fmt_test_import(const char *format, const char *path, bool skip,
		    struct fmt_import_report *rep, struct buf *err);
/* The same into another project of ft's store. */
int fmt_test_import_into(int64_t project, const char *format, const char *path, bool skip,
			 struct fmt_import_report *rep, struct buf *err);
/* Writes text as ft.dir/name and imports it. */
int fmt_test_import_text(const char *format, const char *name, const char *text, bool skip,
			 struct fmt_import_report *rep, struct buf *err);
/* Exports ft's project with format into ft.dir/out, default options. */
int fmt_test_export(const char *format, struct fmt_loss *loss, struct buf *err);

/* Reads text, as a file named name in a folder of its own, with a sink that
 * keeps nothing (as fuzzing does); needs no fixture. */
int fmt_test_read_text(const char *format, const char *name, const char *text, struct buf *err);

/* A 20x10 RGB PNG, and it written as ft.dir/rel. */
extern const unsigned char fmt_test_png20x10[78];
void fmt_test_put_png20x10(const char *rel);

#endif
