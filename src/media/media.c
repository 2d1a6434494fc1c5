/*
 * media.c - format detection by magic bytes, header-only image dimensions
 * and cheap truncation checks on a file held in memory. Every read is
 * bounds-checked against n: this code sees untrusted bytes and is fuzzed.
 */
#include "media/media.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"

#include "base/banned.h"

struct media_type_row {
	const char *name;
	const char *mime;
	enum item_kind kind;
	const char *exts;      /* space-separated, lower case, with dots */
};

static const struct media_type_row types[MEDIA_TYPE_COUNT_] = {
	[MEDIA_UNKNOWN] = {"unknown", "application/octet-stream", ITEM_DOCUMENT, ""},
	[MEDIA_JPEG] = {"jpeg", "image/jpeg", ITEM_IMAGE, ".jpg .jpeg .jpe .jfif"},
	[MEDIA_PNG] = {"png", "image/png", ITEM_IMAGE, ".png"},
	[MEDIA_GIF] = {"gif", "image/gif", ITEM_IMAGE, ".gif"},
	[MEDIA_WEBP] = {"webp", "image/webp", ITEM_IMAGE, ".webp"},
	[MEDIA_TIFF] = {"tiff", "image/tiff", ITEM_IMAGE, ".tif .tiff"},
	[MEDIA_BMP] = {"bmp", "image/bmp", ITEM_IMAGE, ".bmp .dib"},
	[MEDIA_MP4] = {"mp4", "video/mp4", ITEM_VIDEO, ".mp4 .m4v"},
	[MEDIA_MOV] = {"mov", "video/quicktime", ITEM_VIDEO, ".mov .qt"},
	[MEDIA_MKV] = {"mkv", "video/x-matroska", ITEM_VIDEO, ".mkv"},
	[MEDIA_WEBM] = {"webm", "video/webm", ITEM_VIDEO, ".webm"},
	[MEDIA_AVI] = {"avi", "video/x-msvideo", ITEM_VIDEO, ".avi"},
	[MEDIA_WAV] = {"wav", "audio/wav", ITEM_AUDIO, ".wav .wave"},
	[MEDIA_MP3] = {"mp3", "audio/mpeg", ITEM_AUDIO, ".mp3"},
	[MEDIA_FLAC] = {"flac", "audio/flac", ITEM_AUDIO, ".flac"},
	[MEDIA_OGG] = {"ogg", "audio/ogg", ITEM_AUDIO, ".ogg .oga .opus"},
	[MEDIA_TEXT] = {"text", "text/plain", ITEM_TEXT, ".txt"},
	[MEDIA_JSONL] = {"jsonl", "application/jsonl", ITEM_TEXT, ".jsonl"},
	[MEDIA_PCD] = {"pcd", "application/x-pcd", ITEM_POINTCLOUD, ".pcd"},
	[MEDIA_PLY] = {"ply", "application/x-ply", ITEM_POINTCLOUD, ".ply"},
	[MEDIA_KITTI_BIN] = {"kitti-bin", "application/x-kitti-bin", ITEM_POINTCLOUD, ".bin"},
	[MEDIA_PDF] = {"pdf", "application/pdf", ITEM_DOCUMENT, ".pdf"},
};

/* How far from the end trailing bytes after an end marker are tolerated. */
#define TAIL_WINDOW (64 * 1024)

const char *media_type_name(enum media_type t)
{
	return (unsigned)t < MEDIA_TYPE_COUNT_ ? types[t].name : types[0].name;
}

const char *media_type_mime(enum media_type t)
{
	return (unsigned)t < MEDIA_TYPE_COUNT_ ? types[t].mime : types[0].mime;
}

enum item_kind media_type_kind(enum media_type t)
{
	return (unsigned)t < MEDIA_TYPE_COUNT_ ? types[t].kind : ITEM_DOCUMENT;
}

static const char *name_ext(const char *name)
{
	if (!name)
		return NULL;
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	const char *dot = strrchr(base, '.');
	return dot && dot != base ? dot : NULL;
}

enum media_type media_type_from_name(const char *name)
{
	const char *ext = name_ext(name);
	if (!ext)
		return MEDIA_UNKNOWN;
	size_t el = strlen(ext);
	for (int t = 1; t < MEDIA_TYPE_COUNT_; t++) {
		const char *s = types[t].exts;
		while (*s) {
			const char *e = strchr(s, ' ');
			size_t l = e ? (size_t)(e - s) : strlen(s);
			if (l == el && !strncasecmp(s, ext, l))
				return (enum media_type)t;
			s += l;
			while (*s == ' ')
				s++;
		}
	}
	return MEDIA_UNKNOWN;
}

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[1] << 8 | p[0]; }
static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static bool has(const unsigned char *p, size_t n, size_t off, const char *magic, size_t ml)
{
	return n >= off + ml && !memcmp(p + off, magic, ml);
}

/* The ISO base-media top-level atom types a QuickTime file may start with. */
static bool is_qt_atom(const unsigned char *p)
{
	static const char *atoms[] = {"moov", "mdat", "wide", "free", "skip", "pnot"};
	for (size_t i = 0; i < sizeof atoms / sizeof *atoms; i++)
		if (!memcmp(p, atoms[i], 4))
			return true;
	return false;
}

static bool mp3_frame_sync(const unsigned char *p, size_t n)
{
	if (n < 4 || p[0] != 0xFF || (p[1] & 0xE0) != 0xE0)
		return false;
	unsigned version = (p[1] >> 3) & 3, layer = (p[1] >> 1) & 3;
	unsigned bitrate = p[2] >> 4, rate = (p[2] >> 2) & 3;
	return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && rate != 3;
}

enum media_type media_sniff(const unsigned char *p, size_t n)
{
	if (!p)
		return MEDIA_UNKNOWN;
	if (has(p, n, 0, "\xFF\xD8\xFF", 3))
		return MEDIA_JPEG;
	if (has(p, n, 0, "\x89PNG\r\n\x1A\n", 8))
		return MEDIA_PNG;
	if (has(p, n, 0, "GIF87a", 6) || has(p, n, 0, "GIF89a", 6))
		return MEDIA_GIF;
	if (has(p, n, 0, "RIFF", 4) && n >= 12) {
		if (has(p, n, 8, "WEBP", 4))
			return MEDIA_WEBP;
		if (has(p, n, 8, "WAVE", 4))
			return MEDIA_WAV;
		if (has(p, n, 8, "AVI ", 4))
			return MEDIA_AVI;
		return MEDIA_UNKNOWN;
	}
	if (has(p, n, 0, "II*\0", 4) || has(p, n, 0, "MM\0*", 4))
		return MEDIA_TIFF;
	if (has(p, n, 0, "BM", 2) && n >= 18) {
		uint32_t dib = le32(p + 14);
		if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 ||
		    dib == 108 || dib == 124)
			return MEDIA_BMP;
	}
	if (has(p, n, 4, "ftyp", 4)) {
		if (has(p, n, 8, "qt  ", 4))
			return MEDIA_MOV;
		if (has(p, n, 8, "M4A ", 4) || has(p, n, 8, "M4B ", 4))
			return MEDIA_UNKNOWN; /* audio-only MPEG-4: not handled yet */
		return MEDIA_MP4;
	}
	if (n >= 8 && be32(p) >= 8 && is_qt_atom(p + 4))
		return MEDIA_MOV;
	if (has(p, n, 0, "\x1A\x45\xDF\xA3", 4)) {
		/* The EBML header names the doctype early; look for it. */
		size_t lim = n < 64 ? n : 64;
		for (size_t i = 4; i + 4 <= lim; i++)
			if (!memcmp(p + i, "webm", 4))
				return MEDIA_WEBM;
		return MEDIA_MKV;
	}
	if (has(p, n, 0, "fLaC", 4))
		return MEDIA_FLAC;
	if (has(p, n, 0, "OggS", 4))
		return MEDIA_OGG;
	if (has(p, n, 0, "ID3", 3) || mp3_frame_sync(p, n))
		return MEDIA_MP3;
	if (has(p, n, 0, "%PDF-", 5))
		return MEDIA_PDF;
	if (has(p, n, 0, "ply\n", 4) || has(p, n, 0, "ply\r\n", 5))
		return MEDIA_PLY;
	if (has(p, n, 0, "# .PCD", 6) || has(p, n, 0, "VERSION ", 8) ||
	    has(p, n, 0, "VERSION\t", 8))
		return MEDIA_PCD;
	return MEDIA_UNKNOWN;
}

size_t media_utf8_check(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		if (c < 0x80) {
			if (c == 0)
				return i;
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, min;
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2; cp = c & 0x1F; min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3; cp = c & 0x0F; min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4; cp = c & 0x07; min = 0x10000;
		} else {
			return i;
		}
		if (n - i < len)
			return i;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += len;
	}
	return n;
}

/* --- per-format header readers: set dimensions, check the end ----------- */

static int bad(struct buf *err, const char *fmt, const char *what)
{
	buf_setf(err, fmt, what);
	return CAIRN_EINVAL;
}

/* Finds `pat` in the last TAIL_WINDOW bytes of p. */
static bool tail_has(const unsigned char *p, size_t n, const void *pat, size_t pl)
{
	if (n < pl)
		return false;
	size_t start = n > TAIL_WINDOW ? n - TAIL_WINDOW : 0;
	return memmem(p + start, n - start, pat, pl) != NULL;
}

static int probe_jpeg(const unsigned char *p, size_t n, struct media_info *mi, struct buf *err)
{
	/* Walk the marker segments up to the first SOFn, which holds the size. */
	size_t i = 2;
	bool sof = false;
	while (i + 4 <= n) {
		if (p[i] != 0xFF) {
			return bad(err, "corrupt %s: bad marker in the header", "jpeg");
		}
		unsigned m = p[i + 1];
		if (m == 0xFF) {           /* fill byte */
			i++;
			continue;
		}
		if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
			i += 2;
			continue;
		}
		if (m == 0xD9 || m == 0xDA)
			break;             /* end of image or start of scan before any SOF */
		uint32_t len = be16(p + i + 2);
		if (len < 2)
			return bad(err, "corrupt %s: bad segment length", "jpeg");
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			if (i + 9 > n)
				break;
			mi->height = (int32_t)be16(p + i + 5);
			mi->width = (int32_t)be16(p + i + 7);
			sof = true;
			break;
		}
		i += 2 + len;
	}
	if (!sof)
		return bad(err, "truncated %s: no frame header", "jpeg");
	if (mi->width == 0 || mi->height == 0)
		return bad(err, "corrupt %s: zero width or height", "jpeg");
	if (!tail_has(p, n, "\xFF\xD9", 2))
		return bad(err, "truncated %s: no end-of-image marker", "jpeg");
	return 0;
}

static int probe_png(const unsigned char *p, size_t n, struct media_info *mi, struct buf *err)
{
	if (n < 33 || memcmp(p + 12, "IHDR", 4))
		return bad(err, "truncated %s: no IHDR chunk", "png");
	uint32_t w = be32(p + 16), h = be32(p + 20);
	if (w == 0 || h == 0 || w > INT32_MAX || h > INT32_MAX)
		return bad(err, "corrupt %s: bad width or height", "png");
	mi->width = (int32_t)w;
	mi->height = (int32_t)h;
	if (!tail_has(p, n, "IEND\xAE\x42\x60\x82", 8))
		return bad(err, "truncated %s: no IEND chunk", "png");
	return 0;
}

static int probe_gif(const unsigned char *p, size_t n, struct media_info *mi, struct buf *err)
{
	if (n < 13)
		return bad(err, "truncated %s: no screen descriptor", "gif");
	mi->width = (int32_t)le16(p + 6);
	mi->height = (int32_t)le16(p + 8);
	if (mi->width == 0 || mi->height == 0)
		return bad(err, "corrupt %s: zero width or height", "gif");
	/* The trailer is the last byte, give or take padding NULs. */
	size_t e = n;
	while (e > 13 && p[e - 1] == 0 && n - e < 4096)
		e--;
	if (p[e - 1] != 0x3B)
		return bad(err, "truncated %s: no trailer byte", "gif");
	return 0;
}

static int riff_size_check(const unsigned char *p, size_t n, const char *what, struct buf *err)
{
	uint64_t want = (uint64_t)le32(p + 4) + 8;
	if (want > n)
		return bad(err, "truncated %s: shorter than its RIFF header says", what);
	return 0;
}

static int probe_webp(const unsigned char *p, size_t n, struct media_info *mi, struct buf *err)
{
	if (n < 30)
		return bad(err, "truncated %s: no image header", "webp");
	int r = riff_size_check(p, n, "webp", err);
	if (r)
		return r;
	const unsigned char *c = p + 12;
	if (!memcmp(c, "VP8 ", 4)) {
		/* Key frame: 3 bytes of frame tag, start code 9d 01 2a, then sizes. */
		if (memcmp(c + 11, "\x9D\x01\x2A", 3))
			return bad(err, "corrupt %s: bad VP8 start code", "webp");
		mi->width = (int32_t)(le16(c + 14) & 0x3FFF);
		mi->height = (int32_t)(le16(c + 16) & 0x3FFF);
	} else if (!memcmp(c, "VP8L", 4)) {
		if (c[8] != 0x2F)
			return bad(err, "corrupt %s: bad VP8L signature", "webp");
		uint32_t b = le32(c + 9);
		mi->width = (int32_t)(b & 0x3FFF) + 1;
		mi->height = (int32_t)((b >> 14) & 0x3FFF) + 1;
	} else if (!memcmp(c, "VP8X", 4)) {
		mi->width = (int32_t)((uint32_t)c[12] | (uint32_t)c[13] << 8 | (uint32_t)c[14] << 16) + 1;
		mi->height = (int32_t)((uint32_t)c[15] | (uint32_t)c[16] << 8 | (uint32_t)c[17] << 16) + 1;
	} else {
		return bad(err, "corrupt %s: unknown first chunk", "webp");
	}
	if (mi->width == 0 || mi->height == 0)
		return bad(err, "corrupt %s: zero width or height", "webp");
	return 0;
}

static int probe_bmp(const unsigned char *p, size_t n, struct media_info *mi, struct buf *err)
{
	if (n < 26)
		return bad(err, "truncated %s: no info header", "bmp");
	uint32_t off = le32(p + 10), dib = le32(p + 14);
	int64_t w, h;
	unsigned bpp, compression = 0;
	if (dib == 12) {
		w = le16(p + 18);
		h = le16(p + 20);
		bpp = le16(p + 24);
	} else {
		if (n < 34)
			return bad(err, "truncated %s: no info header", "bmp");
		w = (int32_t)le32(p + 18);
		h = (int32_t)le32(p + 22);
		bpp = le16(p + 28);
		compression = le32(p + 30);
	}
	if (h < 0)
		h = -h;
	if (w <= 0 || h <= 0 || w > INT32_MAX || h > INT32_MAX)
		return bad(err, "corrupt %s: bad width or height", "bmp");
	mi->width = (int32_t)w;
	mi->height = (int32_t)h;
	/* Uncompressed pixel data has a size we can check against the file. */
	if ((compression == 0 || compression == 3) &&
	    (bpp == 1 || bpp == 4 || bpp == 8 || bpp == 16 || bpp == 24 || bpp == 32)) {
		uint64_t stride = (((uint64_t)w * bpp + 31) / 32) * 4;
		if ((uint64_t)off + stride * (uint64_t)h > n)
			return bad(err, "truncated %s: pixel data shorter than the header says", "bmp");
	}
	return 0;
}

/* Finds a header line "KEY ..." in a text header of at most `lim` bytes. */
static bool header_has_line(const unsigned char *p, size_t n, size_t lim, const char *key)
{
	size_t kl = strlen(key);
	size_t e = n < lim ? n : lim;
	size_t i = 0;
	while (i < e) {
		if (e - i >= kl && !memcmp(p + i, key, kl))
			return true;
		const unsigned char *nl = memchr(p + i, '\n', e - i);
		if (!nl)
			break;
		i = (size_t)(nl - p) + 1;
	}
	return false;
}

static int probe_pcd(const unsigned char *p, size_t n, struct buf *err)
{
	if (!header_has_line(p, n, 64 * 1024, "FIELDS") ||
	    !header_has_line(p, n, 64 * 1024, "DATA "))
		return bad(err, "corrupt %s: header lacks FIELDS or DATA", "pcd");
	return 0;
}

static int probe_ply(const unsigned char *p, size_t n, struct buf *err)
{
	if (!header_has_line(p, n, 64 * 1024, "format ") ||
	    !header_has_line(p, n, 64 * 1024, "end_header"))
		return bad(err, "corrupt %s: header lacks format or end_header", "ply");
	return 0;
}

static int probe_text(const unsigned char *p, size_t n, enum media_type t, struct buf *err)
{
	size_t bad_at = media_utf8_check(p, n);
	if (bad_at != n) {
		buf_setf(err, "not utf-8 text: bad byte 0x%02x at offset %zu", p[bad_at], bad_at);
		return CAIRN_EINVAL;
	}
	return 0;
}

/* Describes content that did not match its extension, for the reason text. */
static const char *describe(const unsigned char *p, size_t n, enum media_type sniffed)
{
	if (sniffed != MEDIA_UNKNOWN)
		return media_type_name(sniffed);
	size_t lim = n < 4096 ? n : 4096;
	size_t ok = media_utf8_check(p, lim);
	/* A multi-byte character cut at the 4 KiB limit is still text. */
	if (ok == lim || (lim < n && lim - ok < 4))
		return "text";
	return "unrecognised bytes";
}

int media_probe(const unsigned char *p, size_t n, const char *name,
		struct media_info *out, struct buf *err)
{
	memset(out, 0, sizeof *out);
	if (n == 0 || !p) {
		buf_setf(err, "empty file");
		return CAIRN_EINVAL;
	}
	enum media_type sniffed = media_sniff(p, n);
	enum media_type named = media_type_from_name(name);
	enum media_type t = sniffed;
	if (t == MEDIA_UNKNOWN) {
		if (named == MEDIA_TEXT || named == MEDIA_JSONL) {
			t = named;
		} else if (named == MEDIA_KITTI_BIN) {
			if (n % 16) {
				buf_setf(err, "not a kitti point cloud: %zu bytes is not a multiple of 16", n);
				return CAIRN_EINVAL;
			}
			t = named;
		} else if (named != MEDIA_UNKNOWN) {
			buf_setf(err, "mislabelled: named %s but the content is %s",
				 name_ext(name), describe(p, n, sniffed));
			return CAIRN_EINVAL;
		} else {
			buf_setf(err, "unknown file type");
			return CAIRN_EINVAL;
		}
	} else if (named != MEDIA_UNKNOWN && media_type_kind(named) != media_type_kind(sniffed) &&
		   !(named == MEDIA_TEXT && (sniffed == MEDIA_PCD || sniffed == MEDIA_PLY))) {
		/* A PNG named .jpg is still an image and decodes fine; a video named .jpg is not. */
		buf_setf(err, "mislabelled: named %s but the content is %s", name_ext(name),
			 media_type_name(sniffed));
		return CAIRN_EINVAL;
	}
	out->type = t;
	out->kind = media_type_kind(t);
	switch (t) {
	case MEDIA_JPEG: return probe_jpeg(p, n, out, err);
	case MEDIA_PNG: return probe_png(p, n, out, err);
	case MEDIA_GIF: return probe_gif(p, n, out, err);
	case MEDIA_WEBP: return probe_webp(p, n, out, err);
	case MEDIA_BMP: return probe_bmp(p, n, out, err);
	case MEDIA_WAV: return riff_size_check(p, n, "wav", err);
	case MEDIA_AVI: return riff_size_check(p, n, "avi", err);
	case MEDIA_PCD: return probe_pcd(p, n, err);
	case MEDIA_PLY: return probe_ply(p, n, err);
	case MEDIA_TEXT:
	case MEDIA_JSONL: return probe_text(p, n, t, err);
	case MEDIA_PDF:
		if (!tail_has(p, n, "%%EOF", 5))
			return bad(err, "truncated %s: no %%%%EOF marker", "pdf");
		return 0;
	default:
		return 0;
	}
}
