/*
 * test_fmt_widerface.c - the WIDER Face reader and writer: the Datumaro
 * fixture's counts, a file written back exactly (flags, labels, an image
 * without faces), skip_invalid, and errors naming file, line and value.
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
	snprintf(dir, sizeof(dir), "/tmp/cairn-widerface-XXXXXX");
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
	return fmt_import(st, pid, fmt_find("widerface"), path, &o, rep, err);
}

static int export(struct fmt_loss *loss, struct buf *err)
{
	char out[128];
	snprintf(out, sizeof(out), "%s/out", dir);
	struct fmt_write_opts wo = {0};
	return fmt_find("widerface")->write(st, pid, out, &wo, loss, err);
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

int fmt_widerface_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			   struct buf *err);

TestSuite(fmt_widerface, .init = setup, .fini = teardown);

Test(fmt_widerface, datumaro_fixture)
{
	const char *p = "../shared/fixtures/datumaro/widerface_dataset";
	cr_assert_eq(fmt_probe(p, NULL), fmt_find("widerface"));
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.images, 3);
	cr_assert_eq(rep.objects, 9); /* 6 faces and 3 event tags */
	cr_assert_eq(rep.categories, 3);
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(export(&loss, &err), 0, "%s", err.data);
	cr_assert_eq(loss.n, 0);
	cr_assert_str_eq(slurp("out/wider_face_split/wider_face_train_bbx_gt.txt"),
			 "0--Parade/0_Parade_image_01.jpg\n1\n1 2 2 2 0 0 0 0 0 0\n"
			 "1--Handshaking/1_Handshaking_image_02.jpg\n2\n1 1 2 2 0 0 1 0 0 0\n"
			 "5 1 2 2 0 0 1 0 0 0\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_widerface, written_back_exactly)
{
	const char *t = "9--X/a.jpg\n2\n0.5 1 2 3.25 1 - 0 True 2 False\n1 2 3 4 mask\n"
			"9--X/b.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n";
	put("d/wider_face_split/wider_face_val_bbx_gt.txt", t, strlen(t));
	put("d/WIDER_val/images/9--X/a.jpg", png20x10, sizeof(png20x10));
	put("d/WIDER_val/images/9--X/b.jpg", png20x10, sizeof(png20x10));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, false, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 4); /* two faces, two tags X */
	fmt_import_report_release(&rep);
	struct fmt_loss loss = {0};
	cr_assert_eq(export(&loss, &err), 0, "%s", err.data);
	cr_assert_str_eq(slurp("out/wider_face_split/wider_face_val_bbx_gt.txt"), t);
	cr_assert_str_eq(slurp("out/labels.txt"), "face\nX\nmask\n");
	fmt_loss_release(&loss);
	buf_release(&err);
}

Test(fmt_widerface, errors_name_file_line_and_value)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"a/b.jpg\n1\n1 2 x 4\n", "g.txt:3: column 3 (w): expected a number, got \"x\""},
		{"a/b.jpg\n1\n1 2 3\n", "g.txt:3: expected x y w h, then optionally"},
		{"a/b.jpg\n1\n1 2 -3 4\n", "g.txt:3: column 3 (w): a negative size \"-3\""},
		{"a/b.jpg\n2000000\n", "g.txt:2: face count 2000000: expected 0 to 1000000"},
		{"a/b.jpg\n2\n1 2 3 4\n", "g.txt:1: the file ends 1 face line short of the count"},
		{"a/b.jpg\n0\n1 2 3 4\n1 2 3 4\n", "g.txt:4: expected an image path"},
		{"../b.jpg\n0\n", "g.txt:1: '../b.jpg': not a path inside the dataset"},
		{"a/b.jpg\n1\n1 2 3 4\0\n", "g.txt:3: a NUL byte"},
	};
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	const char *pre = "wider_face_split/wider_face_train_bbx_gt.txt:";
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct buf err = BUF_INIT;
		size_t len = strlen(cases[i].text) + (i == 7 ? 2 : 0);
		put("d/wider_face_split/wider_face_train_bbx_gt.txt", cases[i].text, len);
		struct fmt_import_report rep;
		cr_assert_eq(import(p, false, &rep, &err), CAIRN_EINVAL, "case %zu", i);
		fmt_import_report_release(&rep);
		const char *want = cases[i].err + 6; /* past "g.txt:" */
		cr_assert(err.data && !strncmp(err.data, pre, strlen(pre)) &&
			  !strncmp(err.data + strlen(pre), want, strlen(want)),
			  "case %zu: %s", i, err.data);
		/* The same bytes through the fuzzing entry: the same verdict. */
		struct fmt_sink *s = fmt_null_sink_new();
		cr_assert_eq(fmt_widerface_read_mem(cases[i].text, len, "g.txt", s, &err), CAIRN_EINVAL,
			     "case %zu", i);
		fmt_null_sink_free(s);
		buf_release(&err);
	}
}

Test(fmt_widerface, skip_invalid_keeps_the_good_lines)
{
	const char *t = "9--X/a.jpg\n2\n1 2 3 4\n1 2 q 4\n";
	put("d/wider_face_split/wider_face_train_bbx_gt.txt", t, strlen(t));
	put("d/WIDER_train/images/9--X/a.jpg", png20x10, sizeof(png20x10));
	char p[128];
	snprintf(p, sizeof(p), "%s/d", dir);
	struct fmt_import_report rep;
	struct buf err = BUF_INIT;
	cr_assert_eq(import(p, true, &rep, &err), 0, "%s", err.data);
	cr_assert_eq(rep.objects, 2);
	cr_assert_eq(rep.skipped, 1);
	cr_assert(strstr(rep.skipped_text.data, "wider_face_train_bbx_gt.txt:4: column 3 (w)"), "%s",
		  rep.skipped_text.data);
	fmt_import_report_release(&rep);
	buf_release(&err);
}
