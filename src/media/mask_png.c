/*
 * mask_png.c - COCO RLE masks to and from in-memory PNGs with libpng:
 * read and write callbacks over memory, libpng's errors caught with
 * setjmp/longjmp and turned into "png: ..." messages, a size cap checked
 * from the header before any pixel buffer exists.
 */
#include "media/mask_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/banned.h"

/* State shared with libpng's callbacks. Everything the error path must free
 * lives here, not in locals, so nothing depends on locals surviving the
 * longjmp. */
struct png_io {
	const unsigned char *data;
	size_t len, pos;
	struct buf *out;
	char msg[200];
	unsigned char *row;     /* one decoded row */
	unsigned char *pix;     /* the image, column-major (1 or 2 bytes) */
	unsigned char *block;   /* encode: a band of rows */
	int failed_write;
	int rc;         /* decode: the error to return after a longjmp */
	struct mask_png_info *info; /* DECODE_VALUES: what the image is */
};

static void on_error(png_structp png, png_const_charp msg)
{
	struct png_io *io = png_get_error_ptr(png);
	if (io)
		snprintf(io->msg, sizeof(io->msg), "%s", msg ? msg : "error");
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	/* Warnings (an ancillary chunk with a bad CRC, ...) do not stop a
	 * mask from being read. */
}

static void on_read(png_structp png, png_bytep dst, size_t n)
{
	struct png_io *io = png_get_io_ptr(png);
	if (n > io->len - io->pos)
		png_error(png, "truncated data");
	memcpy(dst, io->data + io->pos, n);
	io->pos += n;
}

static void on_write(png_structp png, png_bytep src, size_t n)
{
	struct png_io *io = png_get_io_ptr(png);
	if (buf_add(io->out, src, n)) {
		io->failed_write = 1;
		png_error(png, "output buffer is full");
	}
}

static void on_flush(png_structp png)
{
}

/* ---- encode -------------------------------------------------------------- */

/* Rows are gathered from the column-major bitmap a band at a time, so that
 * each column is read in runs of BAND bytes instead of one byte per row. */
#define BAND 64

int mask_png_encode(const struct rle *r, int bit_depth, struct buf *out,
		    struct buf *err)
{
	struct png_io io;
	png_structp png;
	png_infop info;
	size_t old = out->len;
	uint32_t h = r->h, w = r->w;

	if (bit_depth != 1 && bit_depth != 8) {
		buf_setf(err, "png: bit depth %d, expected 1 or 8", bit_depth);
		return CAIRN_EINVAL;
	}
	if (!h || !w) {
		buf_setf(err, "png: cannot encode a %ux%u mask", h, w);
		return CAIRN_EINVAL;
	}
	if (w > PNG_UINT_31_MAX || h > PNG_UINT_31_MAX) {
		buf_setf(err, "png: a %ux%u mask is too large for PNG", h, w);
		return CAIRN_ETOOBIG;
	}
	if (rle_check(r, err))
		return CAIRN_EINVAL;
	memset(&io, 0, sizeof(io));
	io.out = out;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_error,
				      on_warning);
	if (!png) {
		buf_setf(err, "png: cannot create a libpng writer");
		return CAIRN_EINTERNAL;
	}
	info = png_create_info_struct(png);
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, info ? &info : NULL);
		free(io.pix);
		free(io.block);
		free(io.row);
		buf_setlen(out, old);
		buf_setf(err, "png: %s", io.msg[0] ? io.msg
				  : "cannot create a libpng writer");
		return io.failed_write ? CAIRN_ETOOBIG : CAIRN_EINTERNAL;
	}
	png_set_write_fn(png, &io, on_write, on_flush);
	png_set_IHDR(png, info, w, h, bit_depth, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	/* Masks are flat: filtering buys little and costs time. */
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_write_info(png, info);

	size_t npix = (size_t)h * w;
	io.pix = malloc(npix);
	io.block = malloc((size_t)BAND * w);
	io.row = malloc(w);
	if (!io.pix || !io.block || !io.row)
		png_error(png, "out of memory");
	rle_to_bitmap(r, io.pix);
	for (uint32_t y0 = 0; y0 < h; y0 += BAND) {
		uint32_t nb = h - y0 < BAND ? h - y0 : BAND;
		for (uint32_t x = 0; x < w; x++) {
			const unsigned char *col = io.pix + (size_t)x * h + y0;
			for (uint32_t k = 0; k < nb; k++)
				io.block[(size_t)k * w + x] = col[k];
		}
		for (uint32_t k = 0; k < nb; k++) {
			const unsigned char *src = io.block + (size_t)k * w;
			if (bit_depth == 8) {
				for (uint32_t x = 0; x < w; x++)
					io.row[x] = src[x] ? 255 : 0;
			} else {
				memset(io.row, 0, (w + 7) / 8);
				for (uint32_t x = 0; x < w; x++)
					io.row[x >> 3] |= (unsigned char)
						(src[x] << (7 - (x & 7)));
			}
			png_write_row(png, io.row);
		}
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(io.pix);
	free(io.block);
	free(io.row);
	return 0;
}

/* ---- decode -------------------------------------------------------------- */

enum decode_mode { DECODE_BINARY, DECODE_LABELS, DECODE_VALUES };

/* Reads the PNG into io->pix, column-major: one byte per pixel (0/1) for
 * DECODE_BINARY, two (native uint16_t value) for DECODE_LABELS. Returns 0
 * or an error with err set; io->pix is owned by the caller either way. */
static int decode(struct png_io *io, enum decode_mode mode, uint32_t *ph,
		  uint32_t *pw, struct buf *err)
{
	png_structp png;
	png_infop info = NULL;

	io->rc = CAIRN_EINVAL;

	if (io->len < 8 || png_sig_cmp(io->data, 0, 8)) {
		buf_setf(err, "png: not a PNG image (bad signature)");
		return CAIRN_EINVAL;
	}
	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, io, on_error,
				     on_warning);
	if (!png) {
		buf_setf(err, "png: cannot create a libpng reader");
		return CAIRN_EINTERNAL;
	}
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		buf_setf(err, "png: cannot create a libpng reader");
		return CAIRN_EINTERNAL;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		buf_setf(err, "png: %s (at byte %zu of %zu)", io->msg, io->pos,
			 io->len);
		return io->rc;
	}
	png_set_read_fn(png, io, on_read);
	/* libpng's own limits (a million a side) would stop a bigger header
	 * with a vaguer "Invalid IHDR data"; ours below names the size. */
	png_read_info(png, info);

	uint32_t w = png_get_image_width(png, info);
	uint32_t h = png_get_image_height(png, info);
	int ct = png_get_color_type(png, info);
	int depth = png_get_bit_depth(png, info);
	int interlace = png_get_interlace_type(png, info);
	if (w > MASK_PNG_MAX_SIDE || h > MASK_PNG_MAX_SIDE ||
	    (uint64_t)w * h > MASK_PNG_MAX_PIXELS) {
		png_destroy_read_struct(&png, &info, NULL);
		buf_setf(err, "png: %ux%u image is over the limit of %u pixels "
			 "a side and %llu pixels", w, h, MASK_PNG_MAX_SIDE,
			 MASK_PNG_MAX_PIXELS);
		return CAIRN_ETOOBIG;
	}
	if (mode == DECODE_VALUES && (uint64_t)w * h > MASK_PNG_MAX_PIXELS / 4) {
		png_destroy_read_struct(&png, &info, NULL);
		buf_setf(err, "png: %ux%u image is over the limit of %llu pixels for "
			 "a label image", w, h, MASK_PNG_MAX_PIXELS / 4);
		return CAIRN_ETOOBIG;
	}
	if (mode == DECODE_LABELS && ct != PNG_COLOR_TYPE_GRAY &&
	    ct != PNG_COLOR_TYPE_PALETTE) {
		png_destroy_read_struct(&png, &info, NULL);
		buf_setf(err, "png: a label image must be greyscale or palette, "
			 "not %s", ct == PNG_COLOR_TYPE_RGB ? "RGB"
			 : ct == PNG_COLOR_TYPE_RGB_ALPHA ? "RGBA"
			 : "greyscale with alpha");
		return CAIRN_EINVAL;
	}
	if (mode == DECODE_VALUES && io->info) {
		struct mask_png_info *mi = io->info;
		mi->kind = ct == PNG_COLOR_TYPE_PALETTE ? MASK_PNG_PALETTE
			   : (ct & PNG_COLOR_MASK_COLOR) ? MASK_PNG_RGB : MASK_PNG_GREY;
		mi->bit_depth = depth;
		mi->w = w;
		mi->h = h;
		png_colorp pal = NULL;
		int np = 0;
		if (ct == PNG_COLOR_TYPE_PALETTE &&
		    png_get_PLTE(png, info, &pal, &np) == PNG_INFO_PLTE && pal) {
			if (np > 256)
				np = 256;
			for (int i = 0; i < np; i++) {
				mi->palette[i][0] = pal[i].red;
				mi->palette[i][1] = pal[i].green;
				mi->palette[i][2] = pal[i].blue;
			}
			mi->npalette = (size_t)np;
		}
	}
	/* Sub-byte samples become one byte each, unscaled (palette indexes
	 * stay indexes); 16-bit samples stay 16-bit so that no nonzero value
	 * rounds to zero (colour values keep the high byte). */
	if (depth < 8)
		png_set_packing(png);
	if (mode == DECODE_VALUES && depth == 16 && (ct & PNG_COLOR_MASK_COLOR))
		png_set_strip_16(png);
	png_read_update_info(png, info);
	int ch = png_get_channels(png, info);
	int bps = png_get_bit_depth(png, info) == 16 ? 2 : 1;
	size_t esize = mode == DECODE_VALUES ? 4 : mode == DECODE_LABELS ? 2 : 1;
	size_t rowbytes = png_get_rowbytes(png, info);

	io->row = malloc(rowbytes ? rowbytes : 1);
	io->pix = malloc((size_t)w * h * esize);
	if (!io->row || !io->pix) {
		io->rc = CAIRN_ENOMEM;
		png_error(png, "out of memory");
	}
	/* Without png_set_interlace_handling libpng hands over each Adam7
	 * pass's own rows; place their pixels directly. */
	int passes = interlace == PNG_INTERLACE_ADAM7 ? 7 : 1;
	for (int p = 0; p < passes; p++) {
		uint32_t x0 = 0, dx = 1, y0 = 0, dy = 1, pw_ = w, ph_ = h;
		if (passes == 7) {
			x0 = PNG_PASS_START_COL(p);
			dx = PNG_PASS_COL_OFFSET(p);
			y0 = PNG_PASS_START_ROW(p);
			dy = PNG_PASS_ROW_OFFSET(p);
			pw_ = PNG_PASS_COLS(w, p);
			ph_ = PNG_PASS_ROWS(h, p);
			if (!pw_ || !ph_)
				continue;
		}
		for (uint32_t r = 0; r < ph_; r++) {
			uint32_t y = y0 + r * dy;
			png_read_row(png, io->row, NULL);
			const unsigned char *s = io->row;
			for (uint32_t i = 0; i < pw_; i++, s += ch * bps) {
				size_t at = (size_t)(x0 + i * dx) * h + y;
				if (mode == DECODE_VALUES) {
					uint32_t v;
					if (ch >= 3)
						v = (uint32_t)s[0] | (uint32_t)s[1] << 8 |
						    (uint32_t)s[2] << 16;
					else
						v = bps == 2 ? (uint32_t)(s[0] << 8 | s[1]) : s[0];
					memcpy(io->pix + 4 * at, &v, 4);
					continue;
				}
				if (mode == DECODE_LABELS) {
					uint16_t v = bps == 2
						? (uint16_t)(s[0] << 8 | s[1]) : s[0];
					memcpy(io->pix + 2 * at, &v, 2);
					continue;
				}
				unsigned colour = 0, alpha = 1;
				int nc = ch == 2 || ch == 4 ? ch - 1 : ch;
				for (int c = 0; c < nc * bps; c++)
					colour |= s[c];
				if (nc != ch)
					alpha = s[nc * bps] | s[ch * bps - 1];
				io->pix[at] = colour && alpha;
			}
		}
	}
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	*ph = h;
	*pw = w;
	return 0;
}

int mask_png_decode(struct rle *out, const void *data, size_t len,
		    struct buf *err)
{
	struct png_io io;
	uint32_t h = 0, w = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&io, 0, sizeof(io));
	io.data = data;
	io.len = len;
	rc = decode(&io, DECODE_BINARY, &h, &w, err);
	if (!rc)
		rc = rle_from_bitmap(out, io.pix, h, w);
	free(io.row);
	free(io.pix);
	return rc;
}

/* Runs of one label value as they are found in column-major order. */
struct label_runs {
	uint32_t *c;
	size_t n, cap;
	uint64_t end;   /* where its last foreground run ended */
};

static void lr_push(struct label_runs *l, uint32_t v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->c = realloc(l->c, l->cap * sizeof(*l->c));
		if (!l->c)
			abort();
	}
	l->c[l->n++] = v;
}

int mask_png_decode_labels(struct mask_png_label **labels, size_t *n,
			   const void *data, size_t len, struct buf *err)
{
	struct png_io io;
	uint32_t h = 0, w = 0;
	int rc;

	*labels = NULL;
	*n = 0;
	memset(&io, 0, sizeof(io));
	io.data = data;
	io.len = len;
	rc = decode(&io, DECODE_LABELS, &h, &w, err);
	if (rc) {
		free(io.row);
		free(io.pix);
		return rc;
	}
	free(io.row);
	/* One pass over the pixels: each maximal run of one value adds a
	 * background run (since that value's previous run) and a foreground
	 * run to that value's counts. */
	struct label_runs *by = calloc(65536, sizeof(*by));
	uint64_t a = (uint64_t)h * w, p = 0;
	const uint16_t *pix = (const uint16_t *)(void *)io.pix;
	size_t distinct = 0;
	if (!by)
		abort();
	while (p < a) {
		uint16_t v = pix[p];
		uint64_t e = p + 1;
		while (e < a && pix[e] == v)
			e++;
		struct label_runs *l = &by[v];
		if (!l->cap)
			distinct++;
		lr_push(l, (uint32_t)(p - l->end));
		lr_push(l, (uint32_t)(e - p));
		l->end = e;
		p = e;
	}
	free(io.pix);
	struct mask_png_label *out = calloc(distinct ? distinct : 1,
					    sizeof(*out));
	if (!out)
		abort();
	size_t k = 0;
	for (uint32_t v = 0; v < 65536; v++) {
		struct label_runs *l = &by[v];
		if (!l->cap)
			continue;
		if (a > l->end)
			lr_push(l, (uint32_t)(a - l->end));
		out[k].value = v;
		out[k].rle.h = h;
		out[k].rle.w = w;
		out[k].rle.n = l->n;
		out[k].rle.counts = l->c;
		k++;
	}
	free(by);
	*labels = out;
	*n = distinct;
	return 0;
}

void mask_png_labels_free(struct mask_png_label *labels, size_t n)
{
	size_t i;
	if (!labels)
		return;
	for (i = 0; i < n; i++)
		rle_release(&labels[i].rle);
	free(labels);
}

/* ---- any label image --------------------------------------------------- */

static int cmp_label(const void *a, const void *b)
{
	uint32_t x = ((const struct mask_png_label *)a)->value;
	uint32_t y = ((const struct mask_png_label *)b)->value;
	return x < y ? -1 : x > y;
}

int mask_png_decode_values(struct mask_png_label **labels, size_t *n,
			   struct mask_png_info *info, const void *data,
			   size_t len, struct buf *err)
{
	struct png_io io;
	struct mask_png_info dummy;
	uint32_t h = 0, w = 0;
	int rc;

	*labels = NULL;
	*n = 0;
	memset(&io, 0, sizeof(io));
	memset(&dummy, 0, sizeof(dummy));
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	io.data = data;
	io.len = len;
	io.info = info;
	rc = decode(&io, DECODE_VALUES, &h, &w, err);
	free(io.row);
	if (rc) {
		free(io.pix);
		return rc;
	}
	/* Values to their runs through an open-addressing table (colour
	 * images have up to 2^24 values); one pass as in decode_labels. */
	size_t cap = 64, used = 0;
	uint32_t *keys = malloc(cap * sizeof(*keys));
	struct label_runs *by = calloc(cap, sizeof(*by));
	if (!keys || !by)
		abort();
	uint64_t a = (uint64_t)h * w, p = 0;
	const uint32_t *pix = (const uint32_t *)(void *)io.pix;
	while (p < a) {
		uint32_t v = pix[p];
		uint64_t e = p + 1;
		while (e < a && pix[e] == v)
			e++;
		size_t i = (size_t)((v * 2654435761u) & (cap - 1));
		while (by[i].cap && keys[i] != v)
			i = (i + 1) & (cap - 1);
		if (!by[i].cap) {
			keys[i] = v;
			used++;
		}
		lr_push(&by[i], (uint32_t)(p - by[i].end));
		lr_push(&by[i], (uint32_t)(e - p));
		by[i].end = e;
		p = e;
		if (used * 2 > cap) {
			size_t nc = cap * 2;
			uint32_t *nk = malloc(nc * sizeof(*nk));
			struct label_runs *nb = calloc(nc, sizeof(*nb));
			if (!nk || !nb)
				abort();
			for (size_t k = 0; k < cap; k++) {
				if (!by[k].cap)
					continue;
				size_t j = (size_t)((keys[k] * 2654435761u) & (nc - 1));
				while (nb[j].cap)
					j = (j + 1) & (nc - 1);
				nk[j] = keys[k];
				nb[j] = by[k];
			}
			free(keys);
			free(by);
			keys = nk;
			by = nb;
			cap = nc;
		}
	}
	free(io.pix);
	struct mask_png_label *out = calloc(used ? used : 1, sizeof(*out));
	if (!out)
		abort();
	size_t k = 0;
	for (size_t i = 0; i < cap; i++) {
		struct label_runs *l = &by[i];
		if (!l->cap)
			continue;
		if (a > l->end)
			lr_push(l, (uint32_t)(a - l->end));
		out[k].value = keys[i];
		out[k].rle.h = h;
		out[k].rle.w = w;
		out[k].rle.n = l->n;
		out[k].rle.counts = l->c;
		k++;
	}
	free(by);
	free(keys);
	qsort(out, used, sizeof(*out), cmp_label);
	*labels = out;
	*n = used;
	return 0;
}

int mask_png_encode_values(const uint32_t *px, uint32_t w, uint32_t h,
			   enum mask_png_kind kind, int bit_depth,
			   const uint8_t (*palette)[3], size_t npalette,
			   struct buf *out, struct buf *err)
{
	struct png_io io;
	png_structp png;
	png_infop info;
	size_t old = out->len;
	uint32_t maxv = kind == MASK_PNG_RGB ? 0xffffffu
			: kind == MASK_PNG_PALETTE ? (npalette ? (uint32_t)npalette - 1 : 0)
			: bit_depth == 16 ? 65535u : 255u;
	int ct = kind == MASK_PNG_RGB ? PNG_COLOR_TYPE_RGB
		 : kind == MASK_PNG_PALETTE ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_GRAY;
	int depth = kind == MASK_PNG_GREY ? bit_depth : 8;

	if (kind == MASK_PNG_GREY && bit_depth != 8 && bit_depth != 16) {
		buf_setf(err, "png: bit depth %d, expected 8 or 16", bit_depth);
		return CAIRN_EINVAL;
	}
	if (kind == MASK_PNG_PALETTE && (!npalette || npalette > 256)) {
		buf_setf(err, "png: a palette of %zu colours (1 to 256)", npalette);
		return CAIRN_EINVAL;
	}
	if (!h || !w || w > PNG_UINT_31_MAX || h > PNG_UINT_31_MAX) {
		buf_setf(err, "png: cannot encode a %ux%u image", h, w);
		return CAIRN_EINVAL;
	}
	for (size_t i = 0; i < (size_t)w * h; i++)
		if (px[i] > maxv) {
			buf_setf(err, "png: value %u at pixel %zu does not fit (at most %u)",
				 px[i], i, maxv);
			return CAIRN_EINVAL;
		}
	memset(&io, 0, sizeof(io));
	io.out = out;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, on_error, on_warning);
	if (!png) {
		buf_setf(err, "png: cannot create a libpng writer");
		return CAIRN_EINTERNAL;
	}
	info = png_create_info_struct(png);
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, info ? &info : NULL);
		free(io.row);
		buf_setlen(out, old);
		buf_setf(err, "png: %s", io.msg[0] ? io.msg : "cannot create a libpng writer");
		return io.failed_write ? CAIRN_ETOOBIG : CAIRN_EINTERNAL;
	}
	png_set_write_fn(png, &io, on_write, on_flush);
	png_set_IHDR(png, info, w, h, depth, ct, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (kind == MASK_PNG_PALETTE) {
		png_color pal[256];
		for (size_t i = 0; i < npalette; i++) {
			pal[i].red = palette[i][0];
			pal[i].green = palette[i][1];
			pal[i].blue = palette[i][2];
		}
		png_set_PLTE(png, info, pal, (int)npalette);
	}
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_write_info(png, info);
	size_t bpp = kind == MASK_PNG_RGB ? 3 : depth == 16 ? 2 : 1;
	io.row = malloc((size_t)w * bpp);
	if (!io.row)
		png_error(png, "out of memory");
	for (uint32_t y = 0; y < h; y++) {
		const uint32_t *src = px + (size_t)y * w;
		unsigned char *d = io.row;
		for (uint32_t x = 0; x < w; x++) {
			uint32_t v = src[x];
			if (bpp == 3) {
				*d++ = (unsigned char)(v & 255);
				*d++ = (unsigned char)(v >> 8 & 255);
				*d++ = (unsigned char)(v >> 16 & 255);
			} else if (bpp == 2) {
				*d++ = (unsigned char)(v >> 8);
				*d++ = (unsigned char)(v & 255);
			} else {
				*d++ = (unsigned char)v;
			}
		}
		png_write_row(png, io.row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(io.row);
	return 0;
}
