/*
 * media_image.c - images: header-only dimensions (libvips) and the dHash
 * perceptual hash. JPEGs are hashed straight from libjpeg at 1/8 scale
 * (DCT scaling) and PNGs row by row with libpng, because a libvips
 * pipeline costs more than the decode of a small image; WebP, GIF, TIFF
 * and CMYK JPEGs go through libvips with its operation cache off.
 */
#include "media/media_image.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

#include "media/vips_dl.h"
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
	if (vips_dl_open(NULL) || VIPS_INIT("cairn")) {
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
		if (vips_dl_open(err) == 0)
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

/* --- the hash: area averages of luminance on a 9x8 grid ----------------- */

/*
 * The image is cut into 9 columns and 8 rows of cells of equal area
 * (pixels are unit squares; a pixel on a cell border counts in both cells
 * in proportion to its area in each). Every cell has the same area, so
 * comparing the sums compares the averages. In integer units a pixel x
 * spans [9x, 9x+9) and a cell c spans [cw, (c+1)w); rows likewise with 8.
 * Images under 9 pixels wide or 8 high take, for each cell, the pixel
 * under the cell's centre instead.
 */
struct dh {
	int w, h;
	bool small;
	uint32_t *xc;        /* per column: its first cell */
	uint8_t *xw;         /* per column: its weight (of 9) in that cell */
	double *lum;         /* one row of luminance, filled by the caller */
	double cell[9][10];  /* [8] and [9] absorb zero-weight spill-over */
};

static int dh_init(struct dh *d, int w, int h)
{
	memset(d, 0, sizeof *d);
	if (w <= 0 || h <= 0)
		return CAIRN_EINVAL;
	d->w = w;
	d->h = h;
	d->small = w < 9 || h < 8;
	d->xc = malloc((size_t)w * sizeof *d->xc);
	d->xw = malloc((size_t)w);
	d->lum = malloc((size_t)w * sizeof *d->lum);
	if (!d->xc || !d->xw || !d->lum)
		return CAIRN_ENOMEM;
	for (int x = 0; x < w && !d->small; x++) {
		int64_t a = 9 * (int64_t)x;
		int64_t c = a / w;
		int64_t end = (c + 1) * w;
		d->xc[x] = (uint32_t)c;
		d->xw[x] = (uint8_t)(end < a + 9 ? end - a : 9);
	}
	return 0;
}

static void dh_release(struct dh *d)
{
	free(d->xc);
	free(d->xw);
	free(d->lum);
	d->xc = NULL;
	d->xw = NULL;
	d->lum = NULL;
}

/* Adds row y, whose luminance the caller put in d->lum[0..w). */
static void dh_row(struct dh *d, int y)
{
	int w = d->w, h = d->h;
	if (d->small) {
		for (int gy = 0; gy < 8; gy++) {
			if ((gy * h + h / 2) / 8 != y)
				continue;
			for (int gx = 0; gx < 9; gx++)
				d->cell[gy][gx] = d->lum[(gx * w + w / 2) / 9];
		}
		return;
	}
	double rs[10] = {0};
	for (int x = 0; x < w; x++) {
		double v = d->lum[x];
		uint32_t c = d->xc[x];
		double a = d->xw[x];
		rs[c] += v * a;
		rs[c + 1] += v * (9 - a);
	}
	int64_t a = 8 * (int64_t)y;
	int cy = (int)(a / h);
	int64_t end = (int64_t)(cy + 1) * h;
	double wy = (double)(end < a + 8 ? end - a : 8);
	for (int c = 0; c < 9; c++) {
		d->cell[cy][c] += rs[c] * wy;
		d->cell[cy + 1][c] += rs[c] * (8 - wy);
	}
}

/* One bit per horizontally adjacent pair, left brighter than right, row-major, MSB first. */
static uint64_t dh_bits(const struct dh *d)
{
	uint64_t hsh = 0;
	for (int y = 0; y < 8; y++)
		for (int x = 0; x < 8; x++)
			hsh = hsh << 1 | (d->cell[y][x] > d->cell[y][x + 1]);
	return hsh;
}

/* Luminance weights, scaled by 1000 (the averages are only compared). */
#define LUM(r, g, b) (299.0 * (r) + 587.0 * (g) + 114.0 * (b))

/* The JPEG scale for the hash: 1/8 when that leaves about two pixels per cell each way. */
static int jpeg_shrink(int64_t w, int64_t h)
{
	int shrink = 8;
	while (shrink > 1 && (w / shrink < 16 || h / shrink < 12))
		shrink /= 2;
	return shrink;
}

/* --- JPEG: libjpeg at 1/8 scale, grey out ------------------------------- */

/* Error state; it and everything the error path frees live in the caller of
 * the function holding the setjmp, so nothing depends on locals surviving a
 * longjmp. */
struct jpeg_ctx {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	char msg[JMSG_LENGTH_MAX];
	struct jpeg_decompress_struct ci;
	struct dh d;
};

static void jpeg_on_error(j_common_ptr c)
{
	struct jpeg_ctx *x = (struct jpeg_ctx *)c->err;
	c->err->format_message(c, x->msg);
	longjmp(x->jb, 1);
}

/* Warnings (extraneous bytes, a bad Huffman code in one block) are not
 * fatal, as with libvips' fail_on=error; errors are. */
static void jpeg_on_message(j_common_ptr c, int level)
{
}

static void jpeg_on_output(j_common_ptr c)
{
}

/* The hash of a YCbCr, RGB or grey JPEG. CAIRN_EUNSUPPORTED for other colour
 * spaces (CMYK, YCCK), which libvips converts. */
static int jpeg_dhash(struct jpeg_ctx *x, const unsigned char *p, size_t n, uint64_t *phash,
		      struct buf *err)
{
	x->ci.err = jpeg_std_error(&x->pub);
	x->pub.error_exit = jpeg_on_error;
	x->pub.emit_message = jpeg_on_message;
	x->pub.output_message = jpeg_on_output;
	if (setjmp(x->jb)) {
		int code = x->pub.msg_code;
		jpeg_destroy_decompress(&x->ci);
		dh_release(&x->d);
		/* Past the memory cap (a huge progressive JPEG, or a header that
		 * claims one): no hash, but not a broken file either. */
		if (code == JERR_OUT_OF_MEMORY || code == JERR_NO_BACKING_STORE)
			return CAIRN_EUNSUPPORTED;
		buf_setf(err, "corrupt image: %s", x->msg);
		return CAIRN_EINVAL;
	}
	jpeg_create_decompress(&x->ci);
	/* The hash needs a thumbnail; never let a header make libjpeg allocate
	 * gigabytes (progressive images keep every coefficient in memory). */
	x->ci.mem->max_memory_to_use = 256L << 20;
	jpeg_mem_src(&x->ci, p, (unsigned long)n);
	if (jpeg_read_header(&x->ci, TRUE) != JPEG_HEADER_OK) {
		jpeg_destroy_decompress(&x->ci);
		buf_setf(err, "corrupt image: jpeg has tables but no image");
		return CAIRN_EINVAL;
	}
	/* Past 100 megapixels (gigapixel scans) the hash is skipped: near
	 * duplicates of such images are rare and the decode is costly. */
	if ((uint64_t)x->ci.image_width * x->ci.image_height > 100000000ull) {
		jpeg_destroy_decompress(&x->ci);
		return CAIRN_EUNSUPPORTED;
	}
	J_COLOR_SPACE cs = x->ci.jpeg_color_space;
	if (cs != JCS_YCbCr && cs != JCS_GRAYSCALE && cs != JCS_RGB) {
		jpeg_destroy_decompress(&x->ci);
		return CAIRN_EUNSUPPORTED;
	}
	x->ci.out_color_space = JCS_GRAYSCALE;
	x->ci.scale_num = 1;
	x->ci.scale_denom = (unsigned)jpeg_shrink(x->ci.image_width, x->ci.image_height);
	x->ci.dct_method = JDCT_IFAST;
	x->ci.do_fancy_upsampling = FALSE;
	x->ci.do_block_smoothing = FALSE;
	jpeg_start_decompress(&x->ci);
	int w = (int)x->ci.output_width, h = (int)x->ci.output_height;
	int r = dh_init(&x->d, w, h);
	if (r) {
		jpeg_destroy_decompress(&x->ci);
		dh_release(&x->d);
		buf_setf(err, "image: out of memory for a %dx%d jpeg", w, h);
		return r;
	}
	JSAMPARRAY row = (*x->ci.mem->alloc_sarray)((j_common_ptr)&x->ci, JPOOL_IMAGE,
						   (JDIMENSION)w, 1);
	while (x->ci.output_scanline < x->ci.output_height) {
		int y = (int)x->ci.output_scanline;
		if (jpeg_read_scanlines(&x->ci, row, 1) != 1)
			break;
		for (int i = 0; i < w; i++)
			x->d.lum[i] = row[0][i];
		dh_row(&x->d, y);
	}
	jpeg_finish_decompress(&x->ci);
	jpeg_destroy_decompress(&x->ci);
	*phash = dh_bits(&x->d);
	dh_release(&x->d);
	return 0;
}

/* --- PNG: libpng, one row at a time ------------------------------------- */

struct png_ctx {
	const unsigned char *p;
	size_t n, pos;
	char msg[200];
	png_structp png;
	png_infop info;
	unsigned char *row;
	struct dh d;
};

static void png_on_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *x = png_get_error_ptr(png);
	snprintf(x->msg, sizeof x->msg, "%s", msg ? msg : "error");
	png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
}

static void png_on_read(png_structp png, png_bytep dst, size_t n)
{
	struct png_ctx *x = png_get_io_ptr(png);
	if (n > x->n - x->pos)
		png_error(png, "truncated data");
	memcpy(dst, x->p + x->pos, n);
	x->pos += n;
}

static void png_ctx_release(struct png_ctx *x)
{
	png_destroy_read_struct(&x->png, x->info ? &x->info : NULL, NULL);
	free(x->row);
	x->row = NULL;
	dh_release(&x->d);
}

/* The hash of a non-interlaced PNG; CAIRN_EUNSUPPORTED for an interlaced one. */
static int png_dhash(struct png_ctx *x, const unsigned char *p, size_t n, uint64_t *phash,
		     struct buf *err)
{
	x->p = p;
	x->n = n;
	if (n < 8 || png_sig_cmp(p, 0, 8)) {
		buf_setf(err, "corrupt image: not a png");
		return CAIRN_EINVAL;
	}
	x->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, x, png_on_error, png_on_warning);
	if (!x->png) {
		buf_setf(err, "image: cannot start libpng");
		return CAIRN_EINTERNAL;
	}
	x->info = png_create_info_struct(x->png);
	if (!x->info) {
		png_ctx_release(x);
		buf_setf(err, "image: cannot start libpng");
		return CAIRN_EINTERNAL;
	}
	if (setjmp(png_jmpbuf(x->png))) {
		png_ctx_release(x);
		buf_setf(err, "corrupt image: %s", x->msg);
		return CAIRN_EINVAL;
	}
	png_set_read_fn(x->png, x, png_on_read);
	png_read_info(x->png, x->info);
	int ct = png_get_color_type(x->png, x->info);
	int depth = png_get_bit_depth(x->png, x->info);
	if (png_get_interlace_type(x->png, x->info) != PNG_INTERLACE_NONE) {
		png_ctx_release(x);
		return CAIRN_EUNSUPPORTED;
	}
	if (ct == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(x->png);
	if (ct == PNG_COLOR_TYPE_GRAY && depth < 8)
		png_set_expand_gray_1_2_4_to_8(x->png);
	png_read_update_info(x->png, x->info);
	int w = (int)png_get_image_width(x->png, x->info);
	int h = (int)png_get_image_height(x->png, x->info);
	int ch = png_get_channels(x->png, x->info);
	bool wide = png_get_bit_depth(x->png, x->info) == 16;
	int r = dh_init(&x->d, w, h);
	x->row = malloc(png_get_rowbytes(x->png, x->info));
	if (r || !x->row) {
		png_ctx_release(x);
		buf_setf(err, "image: out of memory for a %dx%d png", w, h);
		return CAIRN_ENOMEM;
	}
	/* Alpha is ignored: grey + alpha reads the grey, RGBA the RGB. */
	for (int y = 0; y < h; y++) {
		png_read_row(x->png, x->row, NULL);
		const unsigned char *s = x->row;
		double *l = x->d.lum;
		if (!wide && ch >= 3)
			for (int i = 0; i < w; i++, s += ch)
				l[i] = LUM(s[0], s[1], s[2]);
		else if (!wide)
			for (int i = 0; i < w; i++, s += ch)
				l[i] = s[0];
		else if (ch >= 3)
			for (int i = 0; i < w; i++, s += 2 * ch)
				l[i] = LUM(s[0] << 8 | s[1], s[2] << 8 | s[3], s[4] << 8 | s[5]);
		else
			for (int i = 0; i < w; i++, s += 2 * ch)
				l[i] = s[0] << 8 | s[1];
		dh_row(&x->d, y);
	}
	png_read_end(x->png, NULL);
	*phash = dh_bits(&x->d);
	png_ctx_release(x);
	return 0;
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

/* --- other formats: libvips ------------------------------------------- */

/* Above this many pixels an image is shrunk by libvips, not decoded whole. */
#define PHASH_DIRECT_PIXELS (4 * 1024 * 1024)

/* Loads p as type t, shrinking on load where the format allows. */
static VipsImage *load_small(const void *p, size_t n, enum media_type t)
{
	VipsImage *im = NULL;
	void *q = (void *)p;
	switch (t) {
	case MEDIA_JPEG: {
		/* The CMYK ones: the size from our own header parse. */
		struct media_info mi;
		if (media_probe(p, n, NULL, &mi, NULL) || mi.type != MEDIA_JPEG)
			mi.width = mi.height = 0;
		vips_jpegload_buffer(q, n, &im, "shrink", jpeg_shrink(mi.width, mi.height),
				     "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR,
				     NULL);
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
		/* A big image: let libvips shrink it in strips. */
		VipsImage *th = NULL;
		int r = vips_thumbnail_image(im, &th, 256, "height", 256, "size", VIPS_SIZE_DOWN, NULL);
		g_object_unref(im);
		im = r ? NULL : th;
	}
	return im;
}

/* Decodes `im` into memory in this thread and hashes it. Does not unref im. */
static int vips_dhash(VipsImage *im, uint64_t *phash, struct buf *err)
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
	int bands = vips_image_get_bands(im);
	struct dh d;
	int r = dh_init(&d, w, h);
	if (r) {
		dh_release(&d);
		if (conv)
			g_object_unref(conv);
		buf_setf(err, "image: out of memory for a %dx%d image", w, h);
		return r;
	}
	/* Preparing one region in the calling thread avoids the thread pool. */
	VipsRegion *reg = vips_region_new(im);
	VipsRect all = {0, 0, w, h};
	if (vips_region_prepare(reg, &all)) {
		vips_reason(err, "corrupt image");
		r = CAIRN_EINVAL;
	} else {
		for (int y = 0; y < h; y++) {
			const unsigned char *row = (const unsigned char *)VIPS_REGION_ADDR(reg, 0, y);
			for (int x = 0; x < w; x++) {
				double v[3];
				for (int b = 0; b < 3; b++) {
					size_t i = (size_t)x * (size_t)bands + (size_t)(bands >= 3 ? b : 0);
					switch (fmt) {
					case VIPS_FORMAT_UCHAR: v[b] = row[i]; break;
					case VIPS_FORMAT_USHORT: v[b] = ((const uint16_t *)row)[i]; break;
					case VIPS_FORMAT_FLOAT: v[b] = ((const float *)row)[i]; break;
					default: v[b] = ((const double *)row)[i]; break;
					}
				}
				d.lum[x] = bands >= 3 ? LUM(v[0], v[1], v[2]) : v[0];
			}
			dh_row(&d, y);
		}
		*phash = dh_bits(&d);
	}
	g_object_unref(reg);
	if (conv)
		g_object_unref(conv);
	dh_release(&d);
	return r;
}

/* The hash of a BMP's grey pixels (see bmp_grey). */
static int bmp_dhash(const unsigned char *p, size_t n, uint64_t *phash, struct buf *err)
{
	unsigned char *g = NULL;
	int w = 0, h = 0;
	int r = bmp_grey(p, n, &g, &w, &h, err);
	if (r)
		return r;
	struct dh d;
	r = dh_init(&d, w, h);
	if (!r) {
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++)
				d.lum[x] = g[(size_t)y * (size_t)w + (size_t)x];
			dh_row(&d, y);
		}
		*phash = dh_bits(&d);
	} else {
		buf_setf(err, "image: out of memory for a %dx%d bmp", w, h);
	}
	dh_release(&d);
	free(g);
	return r;
}

int media_image_phash(const void *p, size_t n, enum media_type t, uint64_t *phash,
		      struct buf *err)
{
	int r;
	if (t == MEDIA_BMP)
		return bmp_dhash(p, n, phash, err);
	if (t == MEDIA_JPEG) {
		struct jpeg_ctx x;
		memset(&x, 0, sizeof x);
		r = jpeg_dhash(&x, p, n, phash, err);
		if (r != CAIRN_EUNSUPPORTED)
			return r;
	}
	if (t == MEDIA_PNG) {
		struct png_ctx x;
		memset(&x, 0, sizeof x);
		r = png_dhash(&x, p, n, phash, err);
		if (r != CAIRN_EUNSUPPORTED)
			return r;
	}
	r = media_image_init(err);
	if (r)
		return r;
	VipsImage *im = load_small(p, n, t);
	if (!im) {
		vips_reason(err, "corrupt image");
		return CAIRN_EINVAL;
	}
	r = vips_dhash(im, phash, err);
	g_object_unref(im);
	return r;
}
