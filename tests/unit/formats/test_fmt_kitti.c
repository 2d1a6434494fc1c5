/*
 * test_fmt_kitti.c - the KITTI reader and writer: the Datumaro fixture's
 * facts, every column written back exactly, and errors naming file, line,
 * column and value (also with skip_invalid).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "formats/fmt.h"
#include "store/store.h"

int fmt_kitti_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		       struct buf *err);

static char dir[64];
static struct store *st;
static int64_t pid;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cairn-kitti-XXXXXX");
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
	static char b[8192];
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
	return fmt_import(st, pid, fmt_find("kitti"), path, &o, rep, err);
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

TestSuite(fmt_kitti, .init = setup, .fini = teardown);

Test(fmt_kitti, datumaro_fixture_written_back)
{
	const char *p = "../shared/fixtures/datumaro/kitti_dataset/kitti_detection";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("kitti"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 2);
	cr_assert_eq(rep.objects, 5);
	cr_assert_eq(rep.categories, 2);
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/out", dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("kitti")->write(st, pid, out, &wo, &loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(slurp("out/training/label_2/000030_10.txt"),
			 "Truck 1 0 -1 0 1 2 3 -1 -1 -1 -1 -1 -1 -1\n"
			 "Van 0 0 -1 0 5 1 8 -1 -1 -1 -1 -1 -1 -1\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_kitti, every_column_and_score_exact)
{
	put("d/training/image_2/a.png", png20x10, sizeof(png20x10));
	const char *t = "Car 0.12 2 -1.57 1.25 0.5 10.75 9 1.5 1.6 3.9 -2.1 1.7 15.3 -1.58 0.875\n"
			"Person sitting 0 0 0 1 1 2 2 -1 -1 -1 -1000 -1000 -1000 -10\n";
	put("d/training/label_2/a.txt", t, strlen(t));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	/* "Person sitting" has 16 columns and a word where truncated goes. */
	cr_assert_eq(import(p, false, &rep, &err), CAIRN_EINVAL);
	cr_assert_str_eq(err.data, "training/label_2/a.txt:2: column 2 (truncated): expected a number, "
				   "got \"sitting\"");
	fmt_import_report_release(&rep);
	t = "Car 0.12 2 -1.57 1.25 0.5 10.75 9 1.5 1.6 3.9 -2.1 1.7 15.3 -1.58 0.875\n"
	    "DontCare -1 -1 -10 1 1 2 2 -1 -1 -1 -1000 -1000 -1000 -10\n";
	put("d/training/label_2/a.txt", t, strlen(t));
	buf_reset(&err);
	cr_assert_eq(import(p, false, &rep, &err), 0, "%s", err.data);
	fmt_import_report_release(&rep);
	char out[128];
	snprintf(out, sizeof(out), "%s/out", dir);
	struct fmt_loss loss = {0};
	struct fmt_write_opts wo = {0};
	cr_assert_eq(fmt_find("kitti")->write(st, pid, out, &wo, &loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(slurp("out/training/label_2/a.txt"), t);
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_kitti, errors_name_file_line_column_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"Car 0 0 0 x 2 3 4 -1 -1 -1 -1 -1 -1 -1\n", "l.txt:1: column 5 (x1): expected a number, got \"x\""},
		{"\nCar 0 0 0\n", "l.txt:2: expected 15 or 16 space-separated columns"},
		{"Car 0 1.5 0 1 2 3 4 -1 -1 -1 -1 -1 -1 -1\n", "l.txt:1: column 3 (occluded): expected 0, 1, 2, 3 (or -1), got \"1.5\""},
		{"Car 0 0 0 1 9 3 4 -1 -1 -1 -1 -1 -1 -1\n", "l.txt:1: column 8 (y2): expected >= 9, got \"4\""},
		{"Car 0 0 0 1 2 3 4 -1 -1 -1 -1 -1 -1 inf\n", "l.txt:1: column 15 (rotation_y): expected a number, got \"inf\""},
	};
	put("d/image_2/l.png", png20x10, sizeof(png20x10));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		struct fmt_import_report rep;
		put("d/label_2/l.txt", cases[i].text, strlen(cases[i].text));
		cr_assert_eq(import(p, false, &rep, &err), CAIRN_EINVAL, "case %zu", i);
		fmt_import_report_release(&rep);
		cr_assert(!strncmp(err.data, "label_2/", 8) && !strncmp(err.data + 8, cases[i].err,
									strlen(cases[i].err)),
			  "case %zu: %s", i, err.data);
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_kitti_read_mem(cases[i].text, strlen(cases[i].text), "l.txt", s, &err),
			     CAIRN_EINVAL);
		fmt_null_sink_free(s);
		buf_release(&err);
	}
}

Test(fmt_kitti, skip_invalid_keeps_the_good_lines)
{
	const char *t = "Car 0 0 0 1 2 3 4 -1 -1 -1 -1 -1 -1 -1\nCar 0\n";
	put("d/label_2/a.txt", t, strlen(t));
	put("d/image_2/a.png", png20x10, sizeof(png20x10));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 1);
	cr_assert_eq(rep.skipped, 1);
	cr_assert(strstr(rep.skipped_text.data, "label_2/a.txt:2: expected 15 or 16"), "%s",
		  rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}
