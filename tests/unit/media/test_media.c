/*
 * test_media.c - unit tests for src/media/media.c: magic-byte detection,
 * header-only sizes, truncation checks, mislabelling, UTF-8 validation.
 * Images are made at test time with libvips; BMP bytes by hand.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "base/buf.h"
#include "base/err.h"
#include "media/media.h"
#include "media/media_image.h"

#include "base/banned.h"

/* A w x h RGB test image encoded by libvips as `suffix` (".jpg", ...). */
static unsigned char *encode(int w, int h, const char *suffix, size_t *len)
{
	cr_assert_eq(media_image_init(NULL), 0);
	unsigned char *px = malloc((size_t)w * h * 3);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *p = px + ((size_t)y * w + x) * 3;
			p[0] = (unsigned char)(x * 255 / w);
			p[1] = (unsigned char)(y * 255 / h);
			p[2] = (unsigned char)((x * y) % 251);
		}
	VipsImage *im = vips_image_new_from_memory_copy(px, (size_t)w * h * 3, w, h, 3,
							VIPS_FORMAT_UCHAR);
	free(px);
	cr_assert(im);
	void *out = NULL;
	cr_assert_eq(vips_image_write_to_buffer(im, suffix, &out, len, NULL), 0, "%s",
		     vips_error_buffer());
	g_object_unref(im);
	unsigned char *copy = malloc(*len);
	memcpy(copy, out, *len);
	g_free(out);
	return copy;
}

/* A 24-bit uncompressed BMP, bottom-up, w x h. */
static unsigned char *make_bmp(int w, int h, size_t *len)
{
	size_t stride = ((size_t)w * 3 + 3) & ~(size_t)3;
	*len = 54 + stride * h;
	unsigned char *b = calloc(1, *len);
	b[0] = 'B';
	b[1] = 'M';
	uint32_t v[] = {(uint32_t)*len, 0, 54, 40, (uint32_t)w, (uint32_t)h};
	memcpy(b + 2, &v[0], 4);
	memcpy(b + 10, &v[2], 4);
	memcpy(b + 14, &v[3], 4);
	memcpy(b + 18, &v[4], 4);
	memcpy(b + 22, &v[5], 4);
	b[26] = 1;
	b[28] = 24;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned char *p = b + 54 + stride * y + x * 3;
			p[0] = (unsigned char)(x * 4);
			p[1] = (unsigned char)(y * 4);
			p[2] = (unsigned char)(x + y);
		}
	return b;
}

static void probe_ok(const unsigned char *p, size_t n, const char *name, enum media_type t,
		     int w, int h)
{
	struct media_info mi;
	struct buf err = BUF_INIT;
	int r = media_probe(p, n, name, &mi, &err);
	cr_assert_eq(r, 0, "%s: %s", name, err.data);
	cr_assert_eq(mi.type, t, "%s: got %s", name, media_type_name(mi.type));
	cr_assert_eq(mi.width, w, "%s: width %d", name, mi.width);
	cr_assert_eq(mi.height, h, "%s: height %d", name, mi.height);
	buf_release(&err);
}

static void probe_bad(const unsigned char *p, size_t n, const char *name, const char *want)
{
	struct media_info mi;
	struct buf err = BUF_INIT;
	int r = media_probe(p, n, name, &mi, &err);
	cr_assert_eq(r, CAIRN_EINVAL, "%s: accepted as %s", name, media_type_name(mi.type));
	cr_assert(strstr(err.data, want), "%s: reason '%s' lacks '%s'", name, err.data, want);
	buf_release(&err);
}

Test(probe, images_of_each_type_with_header_sizes)
{
	static const struct { const char *suffix; enum media_type t; bool dims; } cases[] = {
		{".jpg", MEDIA_JPEG, true}, {".png", MEDIA_PNG, true}, {".webp", MEDIA_WEBP, true},
		{".gif", MEDIA_GIF, true}, {".tif", MEDIA_TIFF, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n;
		unsigned char *b = encode(123, 45, cases[i].suffix, &n);
		char name[32];
		snprintf(name, sizeof name, "a%s", cases[i].suffix);
		probe_ok(b, n, name, cases[i].t, cases[i].dims ? 123 : 0, cases[i].dims ? 45 : 0);
		/* libvips' own header read agrees. */
		int32_t w = 0, h = 0;
		cr_assert_eq(media_image_probe(b, n, cases[i].t, &w, &h, NULL), 0);
		cr_assert_eq(w, 123);
		cr_assert_eq(h, 45);
		free(b);
	}
	size_t n;
	unsigned char *b = make_bmp(33, 17, &n);
	probe_ok(b, n, "a.bmp", MEDIA_BMP, 33, 17);
	free(b);
}

Test(probe, truncated_images)
{
	size_t n;
	unsigned char *b = encode(64, 64, ".jpg", &n);
	probe_bad(b, n / 2, "a.jpg", "truncated jpeg");
	probe_bad(b, 3, "a.jpg", "truncated jpeg");
	free(b);
	b = encode(64, 64, ".png", &n);
	probe_bad(b, n - 20, "a.png", "truncated png");
	probe_bad(b, 20, "a.png", "truncated png");
	free(b);
	b = encode(64, 64, ".gif", &n);
	probe_bad(b, n - 1, "a.gif", "truncated gif");
	free(b);
	b = encode(64, 64, ".webp", &n);
	probe_bad(b, n - 10, "a.webp", "truncated webp");
	free(b);
	b = make_bmp(20, 20, &n);
	probe_bad(b, n - 7, "a.bmp", "truncated bmp");
	free(b);
}

Test(probe, trailing_bytes_after_jpeg_end_are_tolerated)
{
	size_t n;
	unsigned char *b = encode(40, 30, ".jpg", &n);
	b = realloc(b, n + 100);
	memset(b + n, 0, 100);
	probe_ok(b, n + 100, "a.jpg", MEDIA_JPEG, 40, 30);
	free(b);
}

Test(probe, empty_and_mislabelled)
{
	probe_bad((const unsigned char *)"", 0, "a.jpg", "empty file");
	const char *txt = "hello, this is not an image\n";
	probe_bad((const unsigned char *)txt, strlen(txt), "photo.jpg",
		  "mislabelled: named .jpg but the content is text");
	probe_bad((const unsigned char *)"\x01\x02\x03\xfe", 4, "x.png", "mislabelled");
	probe_bad((const unsigned char *)"\x01\x02\x03\xfe", 4, "x.dat", "unknown file type");
	/* A PNG named .jpg is still an image: accepted by its content. */
	size_t n;
	unsigned char *b = encode(10, 12, ".png", &n);
	probe_ok(b, n, "really-a-png.jpg", MEDIA_PNG, 10, 12);
	free(b);
	/* Video bytes named .jpg are not. */
	const unsigned char mp4[] = {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 0, 0};
	probe_bad(mp4, sizeof mp4, "clip.jpg", "mislabelled: named .jpg but the content is mp4");
}

Test(probe, text_and_utf8)
{
	const char *ok = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n{\"a\":1}\n";
	probe_ok((const unsigned char *)ok, strlen(ok), "a.txt", MEDIA_TEXT, 0, 0);
	probe_ok((const unsigned char *)ok, strlen(ok), "a.jsonl", MEDIA_JSONL, 0, 0);
	probe_bad((const unsigned char *)"ab\xc0\xafz", 5, "a.txt", "offset 2");   /* overlong */
	probe_bad((const unsigned char *)"\xed\xa0\x80", 3, "a.txt", "not utf-8");  /* surrogate */
	probe_bad((const unsigned char *)"ab\xe2\x82", 4, "a.txt", "not utf-8");   /* cut */
	probe_bad((const unsigned char *)"a\0b", 3, "a.txt", "offset 1");
	cr_assert_eq(media_utf8_check((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
}

Test(probe, video_audio_document_pointcloud_magic)
{
	static const struct { const char *bytes; size_t n; const char *name; enum media_type t; } c[] = {
		{"\0\0\0\x18" "ftypisom\0\0\0\0", 16, "a.mp4", MEDIA_MP4},
		{"\0\0\0\x14" "ftypqt  \0\0\0\0", 16, "a.mov", MEDIA_MOV},
		{"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", 16, "a.webm", MEDIA_WEBM},
		{"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", 20, "a.mkv", MEDIA_MKV},
		{"RIFF\x04\0\0\0AVI ", 12, "a.avi", MEDIA_AVI},
		{"RIFF\x04\0\0\0WAVE", 12, "a.wav", MEDIA_WAV},
		{"ID3\x03\0\0\0\0\0\0", 10, "a.mp3", MEDIA_MP3},
		{"\xff\xfb\x90\x64\0\0", 6, "b.mp3", MEDIA_MP3},
		{"fLaC\0\0\0\x22", 8, "a.flac", MEDIA_FLAC},
		{"OggS\0\x02\0\0", 8, "a.ogg", MEDIA_OGG},
		{"%PDF-1.4\n1 0 obj\n%%EOF\n", 23, "a.pdf", MEDIA_PDF},
		{"# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nDATA ascii\n", 58, "a.pcd", MEDIA_PCD},
		{"ply\nformat ascii 1.0\nelement vertex 0\nend_header\n", 49, "a.ply", MEDIA_PLY},
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++)
		probe_ok((const unsigned char *)c[i].bytes, c[i].n, c[i].name, c[i].t, 0, 0);
	probe_bad((const unsigned char *)"%PDF-1.4\n1 0 obj\n", 17, "a.pdf", "truncated pdf");
	probe_bad((const unsigned char *)"RIFF\xff\0\0\0WAVE", 12, "a.wav", "truncated wav");
	probe_bad((const unsigned char *)"ply\nformat ascii 1.0\n", 21, "a.ply", "end_header");
	probe_bad((const unsigned char *)"VERSION 0.7\nFIELDS x\n", 21, "a.pcd", "DATA");
	unsigned char kitti[32] = {0};
	probe_ok(kitti, 32, "000001.bin", MEDIA_KITTI_BIN, 0, 0);
	probe_bad(kitti, 30, "000002.bin", "multiple of 16");
	cr_assert_eq(media_type_kind(MEDIA_KITTI_BIN), ITEM_POINTCLOUD);
	cr_assert_str_eq(media_type_mime(MEDIA_WEBM), "video/webm");
	cr_assert_eq(media_type_from_name("DIR/X.JPEG"), MEDIA_JPEG);
	cr_assert_eq(media_type_from_name("noext"), MEDIA_UNKNOWN);
	cr_assert_eq(media_type_from_name(".hidden"), MEDIA_UNKNOWN);
}

Test(probe, fixture_jpegs_and_pngs)
{
	const char *files[] = {
		"../shared/fixtures/datumaro/coco_dataset/coco_instances/images/train/a.jpg",
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		FILE *f = fopen(files[i], "rb");
		if (!f)
			f = fopen(files[i] + 2, "rb"); /* run from /work */
		if (!f) {
			cr_log_warn("fixture %s not found; skipped", files[i]);
			continue;
		}
		static unsigned char b[1 << 20];
		size_t n = fread(b, 1, sizeof b, f);
		fclose(f);
		struct media_info mi;
		struct buf err = BUF_INIT;
		cr_assert_eq(media_probe(b, n, files[i], &mi, &err), 0, "%s", err.data);
		cr_assert_eq(mi.type, MEDIA_JPEG);
		cr_assert_gt(mi.width, 0);
		buf_release(&err);
	}
}
