/*
 * synth.h - synthetic images of shapes with exact ground truth: the demo
 * data, and the test and benchmark data of every later module. Renders
 * rectangles, ellipses, polygons (some with holes), thin lines and stick
 * figures into a per-pixel object-id map in z-order, paints it, and writes
 * the visible region of every object as COCO JSON (docs/synth.md).
 *
 * Pixel convention: continuous coordinates; pixel (x, y) covers
 * [x, x+1) x [y, y+1) and belongs to a shape when its centre (x+0.5, y+0.5)
 * is inside (distance tests use <=). Output is a pure function of (seed,
 * image index, size, objects): no libm call decides a pixel.
 *
 * Not thread-safe per struct synth_image; separate images may be rendered
 * in separate threads.
 */
#ifndef CAIRN_MEDIA_SYNTH_H
#define CAIRN_MEDIA_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct rle;

#define SYNTH_MAX_SIDE 20000u        /* --size limit per side */
#define SYNTH_MIN_SIDE 16u
#define SYNTH_MAX_IMAGES 999999u     /* file names are 6 digits */
#define SYNTH_MAX_OBJECTS 1000000u   /* mean objects per image */
#define SYNTH_NKP 17                 /* COCO person keypoints */

/* Category ids are 1..5 in this order (the demo schema uses the names). */
enum synth_cat {
	SYNTH_RECTANGLE = 1,
	SYNTH_ELLIPSE = 2,
	SYNTH_POLYGON = 3,
	SYNTH_LINE = 4,
	SYNTH_PERSON = 5,
};
#define SYNTH_NCAT 5

/* "rectangle", ... for 1..5; NULL otherwise. */
const char *synth_cat_name(int cat);
/* COCO's 17 keypoint names and 19 skeleton edges (1-based pairs). */
extern const char *const synth_kp_names[SYNTH_NKP];
extern const uint8_t synth_skeleton[19][2];

/* Object colours: the demo schema's "color" values, 0..9 = "red", "green",
 * "blue", "yellow", "cyan", "magenta", "orange", "purple", "white",
 * "black". Backgrounds 0..3 = "plain", "gradient", "noise", "texture". */
#define SYNTH_NCOLORS 10
const char *synth_color_name(int color);
const char *synth_bg_name(int background);

enum synth_format { SYNTH_JPEG, SYNTH_PNG };

struct synth_opts {
	const char *out;         /* output directory (borrowed) */
	uint32_t images;         /* 1..SYNTH_MAX_IMAGES */
	uint32_t objects;        /* mean objects per image, 0..SYNTH_MAX_OBJECTS */
	uint64_t seed;
	uint32_t width, height;  /* SYNTH_MIN_SIDE..SYNTH_MAX_SIDE */
	enum synth_format format;
	int quality;             /* JPEG quality 1..100 */
	bool force;              /* write into a non-empty out */
	uint32_t threads;        /* 0: one per core (at most 8); output is the
				    same for any count */
	/* Called after each image when not NULL (progress bars). */
	void (*progress)(void *ctx, uint32_t done, uint32_t total);
	void *progress_ctx;
};

/* Fills o with the defaults: 8 objects, seed 1, 640x480, JPEG at 90. */
void synth_opts_init(struct synth_opts *o);

struct synth_report {
	uint32_t images;
	uint64_t objects;                 /* annotations written */
	uint64_t per_cat[SYNTH_NCAT + 1]; /* indexed by category id */
	uint64_t occluded;   /* annotations whose object is partly hidden */
	uint64_t truncated;  /* annotations whose shape crosses the border */
	uint64_t tiny;       /* annotations with a bbox side <= 8 px */
	double seconds;
};

/*
 * Renders o->images images into o->out/images/NNNNNN.jpg (or .png) and
 * writes o->out/annotations/instances.json (COCO). Creates out when missing;
 * refuses a non-empty out (CAIRN_EEXIST) unless o->force. Returns 0, or
 * CAIRN_EINVAL (bad options), CAIRN_EEXIST, CAIRN_EIO with detail in err.
 * rep may be NULL.
 */
int synth_run(const struct synth_opts *o, struct synth_report *rep,
	      struct buf *err);

/* ---- one image in memory (tests, benchmarks) ---- */

/* One rendered object. Coordinates are in pixels, quarter-pixel exact. */
struct synth_obj {
	uint8_t cat;            /* enum synth_cat */
	uint32_t id;            /* its value in the id map (1-based z-order) */
	uint64_t drawn;         /* pixels it covered inside the image */
	uint64_t area;          /* pixels still visible (own id in the map) */
	uint32_t bbox[4];       /* visible x0, y0, x1, y1 (half-open) */
	uint32_t dbox[4];       /* the same for every pixel it covered */
	bool inside;            /* the exact shape lies within the image */
	bool hole;              /* a polygon with a hole */
	uint32_t pts, npts;     /* outline (rect, polygon), polyline (line) or
				   17 keypoints (person) as x,y pairs in
				   synth_image.pts, starting at pts */
	uint32_t hpts, nhpts;   /* the hole's outline, when hole */
	double param[5];        /* ellipse: cx, cy, rx, ry, angle (degrees,
				   clockwise); line: stroke width; person:
				   height, limb radius, head x, y, radius */
	uint8_t kv[SYNTH_NKP];  /* person: COCO visibility 0, 1, 2 */
	uint8_t color;          /* 0..SYNTH_NCOLORS-1 (synth_color_name) */
	uint8_t pose;           /* person: 0 standing, 1 lying, 2 other */
	uint8_t rgb[3];         /* the fill: the colour, slightly varied */
};

struct synth_image {
	uint32_t w, h;
	uint8_t background;     /* 0..3 (synth_bg_name) */
	uint8_t *rgb;           /* w*h*3, row-major */
	uint32_t *ids;          /* w*h, 0 = background, else synth_obj.id */
	struct synth_obj *objs; /* every generated object, z-order */
	size_t nobjs, capobjs;
	double *pts;
	size_t npts, cappts;
	uint32_t *runs;         /* scratch for RLE counts */
	size_t capruns;
};

#define SYNTH_IMAGE_INIT {0}

/*
 * Renders image number index (1-based) of the set given by seed into im,
 * reusing its storage. objects is the mean count. Returns 0 or
 * CAIRN_EINVAL / CAIRN_ETOOBIG for a size outside the limits.
 */
int synth_render(struct synth_image *im, uint32_t w, uint32_t h,
		 uint32_t objects, uint64_t seed, uint32_t index,
		 struct buf *err);
void synth_image_release(struct synth_image *im);

/* The visible mask of o as a COCO RLE (owned, free with rle_release),
 * computed locally to its bbox. Returns 0 or CAIRN_ETOOBIG. */
int synth_obj_rle(struct synth_image *im, const struct synth_obj *o,
		  struct rle *out);

/* Appends o's COCO annotation body, everything after `"id":N,` up to and
 * including the closing brace, for image image_id. o->area must be > 0. */
int synth_obj_json(struct synth_image *im, const struct synth_obj *o,
		   uint64_t image_id, struct buf *out);

#endif
