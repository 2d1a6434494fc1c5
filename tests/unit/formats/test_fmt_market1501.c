/*
 * test_fmt_market1501.c - the Market-1501 reader and writer: the Datumaro
 * fixture's tags and attributes, names made from tags, lists written back,
 * and errors naming the list line and the value.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

static char dir[64];
static struct store *st;
static int64_t pid;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cairn-market1501-XXXXXX");
	cr_assert(mkdtemp(dir));
	char db[128];
	snprintf(db, sizeof(db), "%s/cairn.db", dir);
	struct buf err = BUF_INIT;
	cr_assert_eq(store_open(&st, db, STORE_CREATE, &err), 0, "%s", err.data);
	cr_assert_eq(store_project_create(st, "p", "", 0, NULL, &pid, &err), 0, "%s", err.data);
	buf_release(&err);
}

static void teardown(void)
{
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static void put(const char *rel, const void *data, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(p, 0777);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	cr_assert(f, "%s", p);
	fwrite(data, 1, len, f);
	fclose(f);
}

static char *slurp(const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "rb");
	cr_assert(f, "%s", p);
	static char b[16384];
	size_t n = fread(b, 1, sizeof(b) - 1, f);
	b[n] = 0;
	fclose(f);
	return b;
}

static int import(const char *path, bool skip, struct fmt_import_report *rep, struct buf *err)
{
	struct fmt_import_opts o = {0};
	o.data_dir = dir;
	o.no_media = true;
	o.skip_invalid = skip;
	o.kind = ANN_GOLD;
	return fmt_import(st, pid, fmt_find("market1501"), path, &o, rep, err);
}

static int export(struct fmt_loss *loss, struct buf *err)
{
	char out[128];
	snprintf(out, sizeof(out), "%s/out", dir);
	struct fmt_write_opts wo = {0};
	return fmt_find("market1501")->write(st, pid, out, &wo, loss, err);
}

/* A 20x10 RGB PNG. */
static const unsigned char png20x10[] = {
	0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
	0x52, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x02, 0x00, 0x00, 0x00, 0x3b,
	0x37, 0xe9, 0xb1, 0x00, 0x00, 0x00, 0x15, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x68,
	0x70, 0x50, 0x20, 0x1b, 0x31, 0x8c, 0x6a, 0x1e, 0xd5, 0x4c, 0x08, 0x01, 0x00, 0xd8, 0x92,
	0xaf, 0x01, 0x4b, 0xde, 0x6c, 0x76, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
	0x42, 0x60, 0x82,
};

int fmt_market1501_read_names(const char *data, size_t len, const char *name,
			      struct fmt_sink *s, struct buf *err);

TestSuite(fmt_market1501, .init = setup, .fini = teardown);

Test(fmt_market1501, datumaro_fixture)
{
	const char *p = "../shared/fixtures/datumaro/market1501_dataset";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("market1501"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 3);
	cr_assert_eq(rep.objects, 3);
	cr_assert_eq(rep.categories, 2); /* persons 0001 and 0002 */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(export(&loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(slurp("out/images_query.txt"), "query/0001_c2s3_000111_00.jpg\n");
	cr_assert_str_eq(slurp("out/images_test.txt"), "bounding_box_test/0001_c1s1_001051_00.jpg\n");
	cr_assert_str_eq(slurp("out/images_train.txt"), "bounding_box_train/0002_c1s3_000151_00.jpg\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_market1501, names_from_lists_and_folders)
{
	const char *l = "bounding_box_val/-1_c3s2_000010_01.jpg\nbounding_box_val/x.png\n";
	put("d/images_val.txt", l, strlen(l));
	put("d/bounding_box_val/-1_c3s2_000010_01.jpg", png20x10, sizeof(png20x10));
	put("d/bounding_box_val/x.png", png20x10, sizeof(png20x10));
	/* a folder of a split with a list is not read twice */
	put("d/bounding_box_val/0001_c1s1_000001_00.jpg", png20x10, sizeof(png20x10));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 1); /* x.png has no person */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(export(&loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(slurp("out/images_val.txt"), l);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_market1501, errors_name_line_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"a/0001_c0s1_000001_00.jpg\n", "images_train.txt:1: '0001_c0s1_000001_00.jpg': camera c0: cameras count from 1"},
		{"a/b.jpg\n/etc/passwd\n", "images_train.txt:2: '/etc/passwd': not a path inside the dataset"},
		{"a/b.jpg\n../c.jpg\n", "images_train.txt:2: '../c.jpg': not a path inside the dataset"},
	};
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		put("d/images_train.txt", cases[i].text, strlen(cases[i].text));
		struct fmt_import_report rep;
		cr_assert_eq(import(p, false, &rep, &err), CAIRN_EINVAL, "case %zu", i);
		fmt_import_report_release(&rep);
		cr_assert(err.data && !strncmp(err.data, cases[i].err, strlen(cases[i].err)),
			  "case %zu: %s", i, err.data);
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_market1501_read_names(cases[i].text, strlen(cases[i].text), "x.txt", s,
						       &err), CAIRN_EINVAL, "case %zu", i);
		fmt_null_sink_free(s);
		buf_release(&err);
	}
}
