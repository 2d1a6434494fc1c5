/*
 * media_image.c - libvips glue for images: header-only dimensions and the
 * dHash perceptual hash. libvips is started once; its operation cache is
 * off so memory stays flat over millions of files.
 */
#include "media/media_image.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include "base/err.h"

#include "base/banned.h"

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_state;   /* 0 not started, 1 running, -1 failed */

/* libvips logs decoder warnings (benign in most real JPEGs) to stderr; a
 * rejected file is reported with its reason instead. */
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data)
{
}

static void vips_start(void)
{
	if (VIPS_INIT("cairn")) {
		vips_state = -1;
		return;
	}
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_concurrency_set(1);
	if (!getenv("CAIRN_VIPS_WARNINGS"))
		g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, quiet, NULL);
	vips_state = 1;
}

int media_image_init(struct buf *err)
{
	pthread_once(&vips_once, vips_start);
	if (vips_state != 1) {
		buf_setf(err, "image: cannot start libvips");
		return CAIRN_EINTERNAL;
	}
	return 0;
}

void media_image_shutdown(void)
{
	if (vips_state == 1)
		vips_shutdown();
}

/* Copies the first line of libvips' error buffer into err, and clears it. */
static void vips_reason(struct buf *err, const char *prefix)
{
	char *msg = vips_error_buffer_copy();
	const char *m = msg ? msg : "";
	size_t l = strcspn(m, "\n");
	if (l)
		buf_setf(err, "%s: %.*s", prefix, (int)l, m);
	else
		buf_setf(err, "%s", prefix);
	g_free(msg);
}

/* --- BMP: libvips here has no BMP loader, so decode the simple cases. --- */

static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

#define BMP_MAX_PIXELS (64u * 1024 * 1024)

/* Decodes an uncompressed 8/24/32-bit BMP to grey bytes (owned, free()). */
static int bmp_grey(const unsigned char *p, size_t n, unsigned char **out, int *ow, int *oh,
		    struct buf *err)
{
	if (n < 54 || le32(p + 14) < 40) {
		buf_setf(err, "image: bmp: unsupported header");
		return CAIRN_EUNSUPPORTED;
	}
	uint32_t off = le32(p + 10);
	int64_t w = (int32_t)le32(p + 18), h = (int32_t)le32(p + 22);
	unsigned bpp = le16(p + 28), comp = le32(p + 30);
	bool top_down = h < 0;
	if (h < 0)
		h = -h;
	if (comp != 0 || (bpp != 8 && bpp != 24 && bpp != 32) || w <= 0 || h <= 0 ||
	    (uint64_t)w * (uint64_t)h > BMP_MAX_PIXELS) {
		buf_setf(err, "image: bmp: %u bits per pixel, compression %u: not hashed", bpp, comp);
		return CAIRN_EUNSUPPORTED;
	}
	uint64_t stride = (((uint64_t)w * bpp + 31) / 32) * 4;
	if ((uint64_t)off + stride * (uint64_t)h > n) {
		buf_setf(err, "corrupt image: bmp pixel data is truncated");
		return CAIRN_EINVAL;
	}
	const unsigned char *pal = p + 14 + le32(p + 14);
	uint32_t ncolours = le32(p + 46);
	if (bpp == 8) {
		if (ncolours == 0 || ncolours > 256)
			ncolours = 256;
		if ((size_t)(pal - p) + (size_t)ncolours * 4 > n) {
			buf_setf(err, "corrupt image: bmp palette is truncated");
			return CAIRN_EINVAL;
		}
	}
	unsigned char *g = malloc((size_t)w * (size_t)h);
	if (!g)
		return CAIRN_ENOMEM;
	for (int64_t y = 0; y < h; y++) {
		const unsigned char *row = p + off + stride * (uint64_t)(top_down ? y : h - 1 - y);
		unsigned char *o = g + (size_t)y * (size_t)w;
		for (int64_t x = 0; x < w; x++) {
			unsigned b, gr, r;
			if (bpp == 8) {
				unsigned idx = row[x];
				if (idx >= ncolours)
					idx = 0;
				b = pal[idx * 4]; gr = pal[idx * 4 + 1]; r = pal[idx * 4 + 2];
			} else {
				const unsigned char *px = row + x * (bpp / 8);
				b = px[0]; gr = px[1]; r = px[2];
			}
			o[x] = (unsigned char)((r * 299 + gr * 587 + b * 114) / 1000);
		}
	}
	*out = g;
	*ow = (int)w;
	*oh = (int)h;
	return 0;
}

int media_image_probe(const void *p, size_t n, enum media_type t,
		      int32_t *width, int32_t *height, struct buf *err)
{
	int r = media_image_init(err);
	if (r)
		return r;
	if (t == MEDIA_BMP) {
		struct media_info mi;
		r = media_probe(p, n, "x.bmp", &mi, err);
		if (r)
			return r;
		*width = mi.width;
		*height = mi.height;
		return 0;
	}
	VipsImage *im = vips_image_new_from_buffer(p, n, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!im) {
		vips_reason(err, "corrupt image");
		return CAIRN_EINVAL;
	}
	*width = vips_image_get_width(im);
	*height = vips_image_get_height(im);
	g_object_unref(im);
	return 0;
}

/*
 * The hash from decoded pixels: area-average to 9x8 luminance cells, then
 * one bit per horizontal neighbour pair. Done in C rather than with
 * vips_thumbnail, whose per-call pipeline setup costs more than the decode
 * of a small image.
 */
static void dhash_pixels(const VipsRegion *reg, int w, int h, int bands, VipsBandFormat fmt,
			 uint64_t *phash)
{
	double sum[8][9] = {{0}};
	double cnt[8][9] = {{0}};
	bool small = w < 9 || h < 8;
	for (int y = 0; y < h; y++) {
		const unsigned char *row = (const unsigned char *)VIPS_REGION_ADDR(reg, 0, y);
		/* Pixel row y covers [y*8/h, (y+1)*8/h) in cell units: at most two cells. */
		double y0 = (double)y * 8 / h, y1 = (double)(y + 1) * 8 / h;
		int cy = (int)y0;
		double wy0 = cy + 1 < y1 ? (cy + 1 - y0) / (y1 - y0) : 1;
		for (int x = 0; x < w; x++) {
			double v[3];
			for (int b = 0; b < 3; b++) {
				int bb = bands >= 3 ? b : 0;
				size_t i = (size_t)x * (size_t)bands + (size_t)bb;
				switch (fmt) {
				case VIPS_FORMAT_UCHAR: v[b] = row[i]; break;
				case VIPS_FORMAT_USHORT: v[b] = ((const uint16_t *)row)[i]; break;
				case VIPS_FORMAT_FLOAT: v[b] = ((const float *)row)[i]; break;
				default: v[b] = ((const double *)row)[i]; break;
				}
			}
			double yv = 0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2];
			if (small) {
				/* Fewer pixels than cells: every cell whose centre falls on this pixel. */
				for (int gy = 0; gy < 8; gy++)
					for (int gx = 0; gx < 9; gx++)
						if ((gy * h + h / 2) / 8 == y && (gx * w + w / 2) / 9 == x) {
							sum[gy][gx] += yv;
							cnt[gy][gx] += 1;
						}
				continue;
			}
			/* Area-weighted: a pixel split between two cells counts in both. */
			double x0 = (double)x * 9 / w, x1 = (double)(x + 1) * 9 / w;
			int cx = (int)x0;
			double wx0 = cx + 1 < x1 ? (cx + 1 - x0) / (x1 - x0) : 1;
			double wgt[2][2] = {{wx0 * wy0, (1 - wx0) * wy0},
					    {wx0 * (1 - wy0), (1 - wx0) * (1 - wy0)}};
			for (int dy = 0; dy < 2; dy++)
				for (int dx = 0; dx < 2; dx++) {
					double wv = wgt[dy][dx];
					if (wv <= 0 || cy + dy > 7 || cx + dx > 8)
						continue;
					sum[cy + dy][cx + dx] += yv * wv;
					cnt[cy + dy][cx + dx] += wv;
				}
		}
	}
	uint64_t hsh = 0;
	for (int y = 0; y < 8; y++)
		for (int x = 0; x < 8; x++) {
			double l = cnt[y][x] ? sum[y][x] / cnt[y][x] : 0;
			double r = cnt[y][x + 1] ? sum[y][x + 1] / cnt[y][x + 1] : 0;
			hsh = hsh << 1 | (l > r);
		}
	*phash = hsh;
}

/* Above this many pixels a non-JPEG is shrunk by libvips, not decoded whole. */
#define PHASH_DIRECT_PIXELS (4 * 1024 * 1024)

/* Loads p as type t, shrinking on load where the format allows. */
static VipsImage *load_small(const void *p, size_t n, enum media_type t)
{
	VipsImage *im = NULL;
	void *q = (void *)p;
	switch (t) {
	case MEDIA_JPEG: {
		/* The size from our own header parse: a second libvips header read costs more. */
		struct media_info mi;
		if (media_probe(p, n, NULL, &mi, NULL) || mi.type != MEDIA_JPEG)
			mi.width = mi.height = 0;
		int w = mi.width, h = mi.height;
		int shrink = 8;
		/* Keep about two source pixels per hash cell each way (area-weighted). */
		while (shrink > 1 && (w / shrink < 16 || h / shrink < 12))
			shrink /= 2;
		vips_jpegload_buffer(q, n, &im, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL,
				     "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	}
	case MEDIA_PNG:
		vips_pngload_buffer(q, n, &im, "access", VIPS_ACCESS_SEQUENTIAL,
				    "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case MEDIA_GIF:
		vips_gifload_buffer(q, n, &im, "access", VIPS_ACCESS_SEQUENTIAL,
				    "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case MEDIA_WEBP:
		vips_webpload_buffer(q, n, &im, "access", VIPS_ACCESS_SEQUENTIAL,
				     "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case MEDIA_TIFF:
		vips_tiffload_buffer(q, n, &im, "access", VIPS_ACCESS_SEQUENTIAL,
				     "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	default:
		im = vips_image_new_from_buffer(p, n, "", "access", VIPS_ACCESS_SEQUENTIAL,
						"fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	}
	if (im && (int64_t)vips_image_get_width(im) * vips_image_get_height(im) > PHASH_DIRECT_PIXELS) {
		/* A big PNG or TIFF: let libvips shrink it in strips. */
		VipsImage *th = NULL;
		int r = vips_thumbnail_image(im, &th, 256, "height", 256, "size", VIPS_SIZE_DOWN, NULL);
		g_object_unref(im);
		im = r ? NULL : th;
	}
	return im;
}

/* Decodes `im` into memory in this thread and hashes it. Does not unref im. */
static int dhash_of(VipsImage *im, uint64_t *phash, struct buf *err)
{
	VipsImage *conv = NULL;
	VipsBandFormat fmt = vips_image_get_format(im);
	if (fmt != VIPS_FORMAT_UCHAR && fmt != VIPS_FORMAT_USHORT && fmt != VIPS_FORMAT_FLOAT &&
	    fmt != VIPS_FORMAT_DOUBLE) {
		if (vips_cast(im, &conv, VIPS_FORMAT_FLOAT, NULL)) {
			vips_reason(err, "corrupt image");
			return CAIRN_EINVAL;
		}
		im = conv;
		fmt = VIPS_FORMAT_FLOAT;
	}
	int w = vips_image_get_width(im), h = vips_image_get_height(im);
	/* Preparing one region in the calling thread avoids the thread pool. */
	VipsRegion *reg = vips_region_new(im);
	VipsRect all = {0, 0, w, h};
	int r = 0;
	if (vips_region_prepare(reg, &all)) {
		vips_reason(err, "corrupt image");
		r = CAIRN_EINVAL;
	} else {
		dhash_pixels(reg, w, h, vips_image_get_bands(im), fmt, phash);
	}
	g_object_unref(reg);
	if (conv)
		g_object_unref(conv);
	return r;
}

int media_image_phash(const void *p, size_t n, enum media_type t, uint64_t *phash,
		      struct buf *err)
{
	int r = media_image_init(err);
	if (r)
		return r;
	if (t == MEDIA_BMP) {
		unsigned char *g = NULL;
		int w = 0, h = 0;
		r = bmp_grey(p, n, &g, &w, &h, err);
		if (r)
			return r;
		VipsImage *im = vips_image_new_from_memory(g, (size_t)w * (size_t)h, w, h, 1,
							   VIPS_FORMAT_UCHAR);
		if (!im) {
			free(g);
			vips_reason(err, "image: bmp");
			return CAIRN_EINTERNAL;
		}
		r = dhash_of(im, phash, err);
		g_object_unref(im);
		free(g);
		return r ? CAIRN_EINVAL : 0;
	}
	VipsImage *im = load_small(p, n, t);
	if (!im) {
		vips_reason(err, "corrupt image");
		return CAIRN_EINVAL;
	}
	r = dhash_of(im, phash, err);
	g_object_unref(im);
	return r;
}
