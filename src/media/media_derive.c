/*
 * media_derive.c - thumbnails and Deep Zoom tiles of image originals with
 * libvips, cached under DATA/media/derived/<hash>/:
 *   thumb-<size>.jpg|png      thumbnails
 *   t/<level>/<col>_<row>.jpg levels up to 2048 px, rendered together
 *   dz_files/<level>/<col>_<row>.jpeg  the whole pyramid from vips_dzsave
 * Every file appears by rename, every expensive render runs under flock.
 */
#include "media/media_derive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "media/media_image.h"

#include "media/vips_dl.h"
#include "base/banned.h"

/* Levels up to this size are made from one shrink-on-load decode. */
#define SMALL_LEVEL_MAX 2048
#define TILE_QUALITY 80
#define THUMB_QUALITY 80

/* --- pyramid arithmetic ------------------------------------------------- */

int dz_pyramid_init(struct dz_pyramid *p, int32_t width, int32_t height, int32_t tile_size)
{
	memset(p, 0, sizeof *p);
	if (width <= 0 || height <= 0 || tile_size <= 0)
		return CAIRN_EINVAL;
	p->width = width;
	p->height = height;
	p->tile_size = tile_size;
	int32_t m = width > height ? width : height;
	int levels = 1;
	while (m > 1) {
		m = m / 2 + (m & 1);
		levels++;
	}
	p->levels = levels;
	return 0;
}

/* ceil(v / 2^k) for v >= 1. */
static int32_t shrink_up(int32_t v, int k)
{
	return k >= 31 ? 1 : (int32_t)(((uint32_t)v - 1) >> k) + 1;
}

void dz_level_size(const struct dz_pyramid *p, int level, int32_t *w, int32_t *h)
{
	int k = p->levels - 1 - level;
	*w = shrink_up(p->width, k);
	*h = shrink_up(p->height, k);
}

void dz_level_tiles(const struct dz_pyramid *p, int level, int32_t *cols, int32_t *rows)
{
	int32_t w, h;
	dz_level_size(p, level, &w, &h);
	*cols = (w - 1) / p->tile_size + 1;
	*rows = (h - 1) / p->tile_size + 1;
}

bool dz_tile_rect(const struct dz_pyramid *p, int64_t level, int64_t col, int64_t row,
		  struct dz_rect *r)
{
	if (p->levels <= 0 || level < 0 || level >= p->levels || col < 0 || row < 0)
		return false;
	int32_t w, h, cols, rows;
	dz_level_size(p, (int)level, &w, &h);
	dz_level_tiles(p, (int)level, &cols, &rows);
	if (col >= cols || row >= rows)
		return false;
	r->x = (int32_t)col * p->tile_size;
	r->y = (int32_t)row * p->tile_size;
	r->w = w - r->x < p->tile_size ? w - r->x : p->tile_size;
	r->h = h - r->y < p->tile_size ? h - r->y : p->tile_size;
	return true;
}

/* --- files -------------------------------------------------------------- */

/* Copies the first line of libvips' error buffer into err, and clears it. */
static int vips_fail(struct buf *err, const char *what, int code)
{
	char *msg = vips_error_buffer_copy();
	const char *m = msg ? msg : "";
	size_t l = strcspn(m, "\n");
	if (l)
		buf_setf(err, "%s: %.*s", what, (int)l, m);
	else
		buf_setf(err, "%s", what);
	g_free(msg);
	return code;
}

static int ensure_dir(const char *path, struct buf *err)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		buf_setf(err, "derive: cannot create '%s': %s", path, strerror(errno));
		return CAIRN_EIO;
	}
	return 0;
}

/* Opens a cached file; false when it is absent or empty (a crash before
 * its data reached the disk), so that it is made again. */
static bool open_cached(const char *path, int *fd, uint64_t *size)
{
	int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f < 0)
		return false;
	struct stat sb;
	if (fstat(f, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0) {
		close(f);
		return false;
	}
	*fd = f;
	*size = (uint64_t)sb.st_size;
	return true;
}

/* Writes data to path through a temporary file in the same folder and a
 * rename, so readers see the old file, the new one or none. */
static int write_atomic(const char *path, const void *data, size_t n, struct buf *err)
{
	struct buf tmp = BUF_INIT;
	buf_addf(&tmp, "%s.tmp-XXXXXX", path);
	int fd = mkostemp(tmp.data, O_CLOEXEC);
	if (fd < 0) {
		buf_setf(err, "derive: cannot create '%s': %s", tmp.data, strerror(errno));
		buf_release(&tmp);
		return CAIRN_EIO;
	}
	const char *p = data;
	size_t off = 0;
	while (off < n) {
		ssize_t k = write(fd, p + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			buf_setf(err, "derive: cannot write '%s': %s", tmp.data,
				 k < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(tmp.data);
			buf_release(&tmp);
			return CAIRN_EIO;
		}
		off += (size_t)k;
	}
	if (close(fd) || rename(tmp.data, path)) {
		buf_setf(err, "derive: cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.data);
		buf_release(&tmp);
		return CAIRN_EIO;
	}
	buf_release(&tmp);
	return 0;
}

/* Takes an exclusive lock on dir/name (created as needed); returns the fd
 * holding it (close to release) or -1. */
static int lock_take(const char *dir, const char *name, struct buf *err)
{
	struct buf p = BUF_INIT;
	buf_addf(&p, "%s/%s", dir, name);
	int fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		buf_setf(err, "derive: cannot open '%s': %s", p.data, strerror(errno));
		buf_release(&p);
		return -1;
	}
	while (flock(fd, LOCK_EX)) {
		if (errno == EINTR)
			continue;
		buf_setf(err, "derive: cannot lock '%s': %s", p.data, strerror(errno));
		close(fd);
		buf_release(&p);
		return -1;
	}
	buf_release(&p);
	return fd;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* DATA/media/derived/<hash>, created. */
static int cache_dir(const struct media_src *src, struct buf *dir, struct buf *err)
{
	size_t hl = strlen(src->hash);
	if (hl < 8 || strspn(src->hash, "0123456789abcdef") != hl) {
		buf_setf(err, "derive: '%s' is not a content hash", src->hash);
		return CAIRN_EINVAL;
	}
	buf_reset(dir);
	buf_addf(dir, "%s/media", src->data_dir);
	int r = ensure_dir(dir->data, err);
	buf_adds(dir, "/derived");
	if (!r)
		r = ensure_dir(dir->data, err);
	buf_addf(dir, "/%s", src->hash);
	if (!r)
		r = ensure_dir(dir->data, err);
	return r;
}

static int source_check(const struct media_src *src, struct buf *err)
{
	if (access(src->path, R_OK)) {
		buf_setf(err, "derive: the original '%s' is missing: %s", src->path, strerror(errno));
		return CAIRN_ENOTFOUND;
	}
	return media_image_init(err);
}

/* --- pixels ------------------------------------------------------------- */

/*
 * Makes an image a browser shows as it should: 8-bit sRGB or grey, CMYK and
 * 16-bit converted, and (when flatten) alpha composed onto white. Takes a
 * reference to in; returns a new reference or NULL with libvips' error.
 */
static VipsImage *displayable(VipsImage *in, bool flatten)
{
	VipsImage *cur = in, *t = NULL;
	g_object_ref(cur);
	VipsInterpretation it = vips_image_get_interpretation(cur);
	bool grey = it == VIPS_INTERPRETATION_B_W || it == VIPS_INTERPRETATION_GREY16;
	if (vips_image_get_format(cur) != VIPS_FORMAT_UCHAR ||
	    (it != VIPS_INTERPRETATION_sRGB && it != VIPS_INTERPRETATION_B_W)) {
		if (vips_colourspace(cur, &t, grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB,
				     NULL)) {
			/* Multiband or odd formats: keep the bands, clip to 8 bits. */
			vips_error_clear();
			if (vips_cast_uchar(cur, &t, NULL)) {
				g_object_unref(cur);
				return NULL;
			}
		}
		g_object_unref(cur);
		cur = t;
	}
	if (flatten && vips_image_hasalpha(cur)) {
		VipsArrayDouble *bg = vips_array_double_newv(1, 255.0);
		int r = vips_flatten(cur, &t, "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		g_object_unref(cur);
		if (r)
			return NULL;
		cur = t;
		if (vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
			r = vips_cast_uchar(cur, &t, NULL);
			g_object_unref(cur);
			if (r)
				return NULL;
			cur = t;
		}
	}
	return cur;
}

static int save_jpeg(VipsImage *im, int q, const char *path, struct buf *err)
{
	void *data = NULL;
	size_t n = 0;
	if (vips_jpegsave_buffer(im, &data, &n, "Q", q, "strip", TRUE, NULL))
		return vips_fail(err, "derive: cannot encode jpeg", CAIRN_EIO);
	int r = write_atomic(path, data, n, err);
	g_free(data);
	return r;
}

/* --- thumbnails --------------------------------------------------------- */

bool media_thumb_size_ok(int size)
{
	return size == 128 || size == 256 || size == 512;
}

int media_thumb_open(const struct media_src *src, int size, int *fd, uint64_t *fsize,
		     const char **mime, struct buf *err)
{
	*fd = -1;
	if (!media_thumb_size_ok(size)) {
		buf_setf(err, "thumbnail: size %d is not one of 128, 256, 512", size);
		return CAIRN_EINVAL;
	}
	struct buf dir = BUF_INIT, jpg = BUF_INIT, png = BUF_INIT;
	int r = cache_dir(src, &dir, err);
	if (r)
		goto out;
	buf_addf(&jpg, "%s/thumb-%d.jpg", dir.data, size);
	buf_addf(&png, "%s/thumb-%d.png", dir.data, size);
	if (open_cached(jpg.data, fd, fsize)) {
		*mime = "image/jpeg";
		goto out;
	}
	if (open_cached(png.data, fd, fsize)) {
		*mime = "image/png";
		goto out;
	}
	if ((r = source_check(src, err)))
		goto out;
	VipsImage *t = NULL;
	if (vips_thumbnail(src->path, &t, size, "height", size, "size", VIPS_SIZE_DOWN,
			   "no_rotate", TRUE, NULL)) {
		r = vips_fail(err, "thumbnail: cannot decode the image", CAIRN_EUNSUPPORTED);
		goto out;
	}
	bool alpha = vips_image_hasalpha(t);
	VipsImage *d = displayable(t, false);
	g_object_unref(t);
	if (!d) {
		r = vips_fail(err, "thumbnail: cannot convert the image", CAIRN_EUNSUPPORTED);
		goto out;
	}
	void *data = NULL;
	size_t n = 0;
	int vr = alpha ? vips_pngsave_buffer(d, &data, &n, "compression", 6, "strip", TRUE, NULL)
		       : vips_jpegsave_buffer(d, &data, &n, "Q", THUMB_QUALITY, "strip", TRUE, NULL);
	g_object_unref(d);
	if (vr) {
		r = vips_fail(err, "thumbnail: cannot encode the image", CAIRN_EUNSUPPORTED);
		goto out;
	}
	const char *path = alpha ? png.data : jpg.data;
	r = write_atomic(path, data, n, err);
	g_free(data);
	if (!r && !open_cached(path, fd, fsize)) {
		buf_setf(err, "thumbnail: cannot open '%s' just written: %s", path, strerror(errno));
		r = CAIRN_EIO;
	}
	*mime = alpha ? "image/png" : "image/jpeg";
out:
	buf_release(&dir);
	buf_release(&jpg);
	buf_release(&png);
	return r;
}

/* --- tiles -------------------------------------------------------------- */

int media_tiles_info(const struct media_src *src, struct dz_pyramid *p, struct buf *err)
{
	int32_t w = src->width, h = src->height;
	if (w <= 0 || h <= 0) {
		int r = source_check(src, err);
		if (r)
			return r;
		VipsImage *im = vips_image_new_from_file(src->path, NULL);
		if (!im)
			return vips_fail(err, "tiles: cannot read the image header", CAIRN_EUNSUPPORTED);
		w = vips_image_get_width(im);
		h = vips_image_get_height(im);
		g_object_unref(im);
	}
	if (dz_pyramid_init(p, w, h, DZ_TILE_SIZE)) {
		buf_setf(err, "tiles: the image has no size");
		return CAIRN_EUNSUPPORTED;
	}
	return 0;
}

/* The highest level that is at most SMALL_LEVEL_MAX on its longer side. */
static int small_top(const struct dz_pyramid *p)
{
	int L = p->levels - 1;
	for (; L > 0; L--) {
		int32_t w, h;
		dz_level_size(p, L, &w, &h);
		if (w <= SMALL_LEVEL_MAX && h <= SMALL_LEVEL_MAX)
			break;
	}
	return L;
}

/* Writes every tile of one level image (in memory) into dir/t/<level>/. */
static int write_level(VipsImage *im, const struct dz_pyramid *p, int level, const char *dir,
		       struct buf *err)
{
	struct buf path = BUF_INIT;
	buf_addf(&path, "%s/t", dir);
	int r = ensure_dir(path.data, err);
	buf_addf(&path, "/%d", level);
	if (!r)
		r = ensure_dir(path.data, err);
	int32_t cols, rows;
	dz_level_tiles(p, level, &cols, &rows);
	size_t base = path.len;
	for (int32_t row = 0; row < rows && !r; row++)
		for (int32_t col = 0; col < cols && !r; col++) {
			struct dz_rect rc;
			dz_tile_rect(p, level, col, row, &rc);
			VipsImage *c = NULL;
			if (vips_crop(im, &c, rc.x, rc.y, rc.w, rc.h, NULL)) {
				r = vips_fail(err, "tiles: cannot crop", CAIRN_EINTERNAL);
				break;
			}
			buf_setlen(&path, base);
			buf_addf(&path, "/%d_%d.jpg", (int)col, (int)row);
			r = save_jpeg(c, TILE_QUALITY, path.data, err);
			g_object_unref(c);
		}
	buf_release(&path);
	return r;
}

/* Renders levels 0..small_top with one decode, each level from the one above. */
static int render_small_levels(const struct media_src *src, const struct dz_pyramid *p,
			       const char *dir, struct buf *err)
{
	int top = small_top(p);
	int32_t w, h;
	dz_level_size(p, top, &w, &h);
	VipsImage *t = NULL;
	if (vips_thumbnail(src->path, &t, w, "height", h, "size", VIPS_SIZE_FORCE, "no_rotate",
			   TRUE, NULL))
		return vips_fail(err, "tiles: cannot decode the image", CAIRN_EUNSUPPORTED);
	VipsImage *d = displayable(t, true);
	g_object_unref(t);
	if (!d)
		return vips_fail(err, "tiles: cannot convert the image", CAIRN_EUNSUPPORTED);
	VipsImage *mem = vips_image_copy_memory(d);
	g_object_unref(d);
	if (!mem)
		return vips_fail(err, "tiles: cannot decode the image", CAIRN_EUNSUPPORTED);
	int r = 0;
	for (int L = top; L >= 0 && !r; L--) {
		if (vips_image_get_width(mem) != w || vips_image_get_height(mem) != h) {
			buf_setf(err, "tiles: level %d came out %dx%d instead of %dx%d", L,
				 vips_image_get_width(mem), vips_image_get_height(mem), (int)w, (int)h);
			r = CAIRN_EINTERNAL;
			break;
		}
		r = write_level(mem, p, L, dir, err);
		if (r || L == 0)
			break;
		dz_level_size(p, L - 1, &w, &h);
		VipsImage *s = NULL, *sm = NULL;
		if (vips_thumbnail_image(mem, &s, w, "height", h, "size", VIPS_SIZE_FORCE, NULL) ||
		    !(sm = vips_image_copy_memory(s))) {
			r = vips_fail(err, "tiles: cannot shrink a level", CAIRN_EINTERNAL);
			if (s)
				g_object_unref(s);
			break;
		}
		g_object_unref(s);
		g_object_unref(mem);
		mem = sm;
	}
	g_object_unref(mem);
	return r;
}

/* Removes what an interrupted build left (the caller holds the dz lock). */
static void remove_stale_builds(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	struct buf p = BUF_INIT;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "build-", 6)) {
			buf_reset(&p);
			buf_addf(&p, "%s/%s", dir, e->d_name);
			rm_tree(p.data);
		}
	buf_release(&p);
	closedir(d);
}

/* Builds the whole pyramid with vips_dzsave into dir/dz_files. */
static int build_pyramid(const struct media_src *src, const struct dz_pyramid *p,
			 const char *dir, struct buf *err)
{
	struct buf b = BUF_INIT, out = BUF_INIT, chk = BUF_INIT;
	int r = 0;
	remove_stale_builds(dir);
	buf_addf(&b, "%s/build-XXXXXX", dir);
	if (!mkdtemp(b.data)) {
		buf_setf(err, "tiles: cannot create '%s': %s", b.data, strerror(errno));
		buf_release(&b);
		return CAIRN_EIO;
	}
	VipsImage *in = vips_image_new_from_file(src->path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!in) {
		r = vips_fail(err, "tiles: cannot decode the image", CAIRN_EUNSUPPORTED);
		goto out;
	}
	VipsImage *d = displayable(in, true);
	g_object_unref(in);
	if (!d) {
		r = vips_fail(err, "tiles: cannot convert the image", CAIRN_EUNSUPPORTED);
		goto out;
	}
	buf_addf(&out, "%s/dz", b.data);
	char suffix[32];
	snprintf(suffix, sizeof suffix, ".jpeg[Q=%d,strip]", TILE_QUALITY);
	int vr = vips_dzsave(d, out.data, "tile_size", p->tile_size, "overlap", 0, "suffix", suffix,
			     "layout", VIPS_FOREIGN_DZ_LAYOUT_DZ, "container",
			     VIPS_FOREIGN_DZ_CONTAINER_FS, NULL);
	g_object_unref(d);
	if (vr) {
		r = vips_fail(err, "tiles: cannot build the pyramid", CAIRN_EUNSUPPORTED);
		goto out;
	}
	/* Check the numbering agrees with ours before publishing it. */
	struct stat sb;
	buf_addf(&chk, "%s_files/%d/0_0.jpeg", out.data, p->levels - 1);
	bool top_ok = !stat(chk.data, &sb);
	buf_reset(&chk);
	buf_addf(&chk, "%s_files/%d", out.data, p->levels);
	if (!top_ok || !stat(chk.data, &sb)) {
		buf_setf(err, "tiles: the pyramid libvips built does not have %d levels", p->levels);
		r = CAIRN_EINTERNAL;
		goto out;
	}
	buf_reset(&chk);
	buf_addf(&chk, "%s/dz_files", dir);
	buf_adds(&out, "_files");
	if (rename(out.data, chk.data) && errno != ENOTEMPTY && errno != EEXIST) {
		buf_setf(err, "tiles: cannot move the pyramid to '%s': %s", chk.data, strerror(errno));
		r = CAIRN_EIO;
	}
out:
	rm_tree(b.data);
	buf_release(&b);
	buf_release(&out);
	buf_release(&chk);
	return r;
}

int media_tile_open(const struct media_src *src, int64_t level, int64_t col, int64_t row,
		    int *fd, uint64_t *fsize, struct buf *err)
{
	*fd = -1;
	struct dz_pyramid p;
	struct dz_rect rc;
	int r = media_tiles_info(src, &p, err);
	if (r)
		return r;
	if (!dz_tile_rect(&p, level, col, row, &rc)) {
		buf_setf(err, "tiles: no tile %lld/%lld/%lld in a pyramid of %d levels", (long long)level,
			 (long long)col, (long long)row, p.levels);
		return CAIRN_ENOTFOUND;
	}
	struct buf dir = BUF_INIT, dz = BUF_INIT, t = BUF_INIT;
	int lk = -1;
	if ((r = cache_dir(src, &dir, err)))
		goto out;
	/* Each level has one source, so that a tile's bytes (and its immutable
	 * ETag) never depend on which render happened first. */
	int32_t lw, lh;
	dz_level_size(&p, (int)level, &lw, &lh);
	bool small = lw <= SMALL_LEVEL_MAX && lh <= SMALL_LEVEL_MAX;
	buf_addf(&dz, "%s/dz_files/%d/%d_%d.jpeg", dir.data, (int)level, (int)col, (int)row);
	buf_addf(&t, "%s/t/%d/%d_%d.jpg", dir.data, (int)level, (int)col, (int)row);
	if (open_cached(small ? t.data : dz.data, fd, fsize))
		goto out;
	if ((r = source_check(src, err)))
		goto out;
	if (small) {
		if ((lk = lock_take(dir.data, ".lock-small", err)) < 0) {
			r = CAIRN_EIO;
			goto out;
		}
		/* Another request may have rendered the levels while we waited. */
		if (open_cached(t.data, fd, fsize))
			goto out;
		if ((r = render_small_levels(src, &p, dir.data, err)))
			goto out;
		if (!open_cached(t.data, fd, fsize)) {
			buf_setf(err, "tiles: '%s' is missing after rendering", t.data);
			r = CAIRN_EINTERNAL;
		}
		goto out;
	}
	if ((lk = lock_take(dir.data, ".lock-dz", err)) < 0) {
		r = CAIRN_EIO;
		goto out;
	}
	if (open_cached(dz.data, fd, fsize))
		goto out;
	if ((r = build_pyramid(src, &p, dir.data, err)))
		goto out;
	if (!open_cached(dz.data, fd, fsize)) {
		buf_setf(err, "tiles: '%s' is missing after building the pyramid", dz.data);
		r = CAIRN_EINTERNAL;
	}
out:
	if (lk >= 0)
		close(lk);
	buf_release(&dir);
	buf_release(&dz);
	buf_release(&t);
	return r;
}
