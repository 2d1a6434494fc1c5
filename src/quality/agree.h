/*
 * agree.h - categorical inter-annotator agreement: percent agreement,
 * Cohen's kappa (plain and weighted), Fleiss' kappa, Krippendorff's alpha
 * (nominal, ordinal, interval, ratio; missing values allowed), Gwet's
 * AC1/AC2, each with a seeded bootstrap 95% interval over items; and the
 * long-format CSV reader (`item,annotator,label`) that feeds them.
 * Formulas and their sources: docs/quality.md. No I/O but the reader's pull
 * callback; no globals.
 *
 * Ownership: struct agree_data owns everything in it; free with
 * agree_data_release. Memory is linear in the number of distinct
 * (item, annotator) pairs plus the distinct names.
 */
#ifndef CAIRN_AGREE_H
#define CAIRN_AGREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

enum agree_metric {
	AGREE_PERCENT, AGREE_KAPPA, AGREE_WKAPPA, AGREE_FLEISS, AGREE_ALPHA, AGREE_GWET,
	AGREE_METRIC_COUNT_
};
enum agree_level { AGREE_NOMINAL, AGREE_ORDINAL, AGREE_INTERVAL, AGREE_RATIO, AGREE_LEVEL_COUNT_ };
enum agree_weights { AGREE_W_IDENTITY, AGREE_W_LINEAR, AGREE_W_QUADRATIC, AGREE_W_COUNT_ };

/* Names as the CLI and JSON spell them; parse returns false on an unknown one. */
const char *agree_metric_name(enum agree_metric m);
const char *agree_level_name(enum agree_level l);
const char *agree_weights_name(enum agree_weights w);
bool agree_metric_parse(const char *s, enum agree_metric *out);
bool agree_level_parse(const char *s, enum agree_level *out);
bool agree_weights_parse(const char *s, enum agree_weights *out);

/* Most distinct labels (categories) accepted. */
#define AGREE_MAX_CATS 10000
/* Longest field of the CSV, in bytes. */
#define AGREE_MAX_FIELD 4096
/* Most distinct (item, annotator) pairs accepted. */
#define AGREE_MAX_PAIRS 50000000

/* One rating: item, annotator and category are dense indexes. */
struct agree_rating {
	uint32_t item, rater, cat;
};

struct agree_strtab;
struct agree_pairmap;

/*
 * A set of ratings. Add names with agree_data_add, then agree_data_finish
 * sorts the ratings by item and orders the categories (numerically when
 * every label is a number, else by byte order); after that the metric
 * functions may be called.
 */
struct agree_data {
	struct agree_rating *r;       /* owned; sorted by item after finish */
	size_t n, cap;
	size_t *item_off;             /* owned; ratings of item i: r[item_off[i] .. item_off[i+1]) */
	size_t n_items, n_raters, n_cats;
	double *cat_value;            /* owned; per category: its number, or its rank */
	bool numeric;                 /* every label is a number */
	size_t n_missing;             /* rows with an empty label */
	struct agree_strtab *items, *raters, *cats; /* owned name tables */
	struct agree_pairmap *pairs;  /* owned (item, rater) -> line of the row */
	bool finished;
};

void agree_data_init(struct agree_data *d);
void agree_data_release(struct agree_data *d);

/*
 * Adds one row. label NULL or "" is a missing value (the pair is still
 * recorded, so a second row for it is a duplicate). line is reported in
 * errors (0: none). Returns 0; CAIRN_EINVAL on a duplicate (item, annotator)
 * pair; CAIRN_ETOOBIG past AGREE_MAX_CATS or AGREE_MAX_PAIRS.
 */
int agree_data_add(struct agree_data *d, const char *item, const char *rater, const char *label,
		   size_t line, struct buf *err);
/* Sorts and indexes; call once after the last add. Returns 0. */
int agree_data_finish(struct agree_data *d, struct buf *err);

/* The name of item, annotator or category i (borrowed). */
const char *agree_item_name(const struct agree_data *d, size_t i);
const char *agree_rater_name(const struct agree_data *d, size_t i);
const char *agree_cat_name(const struct agree_data *d, size_t i);

/*
 * Pull callback for the CSV reader: fills up to n bytes, returns how many
 * (0 at the end), or -1 on a read error.
 */
typedef long (*agree_read_fn)(void *ctx, char *dst, size_t n);

/*
 * Reads a long-format CSV (RFC 4180: quoted fields, "" inside quotes, CRLF
 * or LF) whose header is item,annotator,label (extra columns are ignored;
 * the three may be in any order) into d, then finishes it. name is used in
 * errors: "ratings.csv:14: expected 3 fields, got 2". Returns 0 or
 * CAIRN_EINVAL / CAIRN_ETOOBIG / CAIRN_EIO; d then holds what was read and
 * must still be released.
 */
int agree_read_csv(struct agree_data *d, agree_read_fn rd, void *ctx, const char *name,
		   struct buf *err);
/* The same over a buffer in memory. */
int agree_read_csv_mem(struct agree_data *d, const char *data, size_t len, const char *name,
		       struct buf *err);

struct agree_opts {
	enum agree_metric metric;
	enum agree_level level;       /* alpha */
	enum agree_weights weights;   /* weighted kappa, Gwet (identity = AC1) */
	unsigned bootstrap;           /* resamples; 0: no interval */
	uint64_t seed;
};
#define AGREE_OPTS_INIT {AGREE_PERCENT, AGREE_NOMINAL, AGREE_W_IDENTITY, 1000, 1}

struct agree_result {
	double value;                 /* NaN when undefined (no variation, no pairs) */
	double ci_lo, ci_hi;          /* NaN without a bootstrap */
	double observed, expected;    /* agreement (or disagreement for alpha) parts */
	size_t n_used;                /* items that entered the value */
	unsigned n_boot;              /* resamples with a defined value */
};

/*
 * Computes o->metric over d (finished). Cohen's kappa (plain and weighted)
 * needs exactly two annotators; interval and ratio alpha need numeric
 * labels (ratio: non-negative). Returns 0 or CAIRN_EINVAL naming why.
 */
int agree_compute(const struct agree_data *d, const struct agree_opts *o,
		  struct agree_result *out, struct buf *err);

/*
 * The metric on a multiset of items (sel: item indexes, repeats allowed),
 * without an interval: the building block of the bootstrap. NaN when
 * undefined.
 */
double agree_value(const struct agree_data *d, const struct agree_opts *o, const uint32_t *sel,
		   size_t nsel, double *observed, double *expected, size_t *n_used);

/*
 * Cohen's kappa of every pair of annotators over the items both rated:
 * *out gets one entry per pair with n > 0 (owned, free with free()), a < b.
 * Returns 0, or CAIRN_ETOOBIG when annotators^2 x categories is over
 * AGREE_MAX_PAIR_CELLS.
 */
#define AGREE_MAX_PAIR_CELLS 20000000
struct agree_pair {
	uint32_t a, b;                /* annotator indexes */
	size_t n;                     /* items both rated */
	double percent, kappa;        /* kappa NaN when undefined */
};
int agree_pairs(const struct agree_data *d, struct agree_pair **out, size_t *n,
		struct buf *err);

/*
 * Per-category agreement (Fleiss 1971, eq. 9-10, over items with two or
 * more ratings): kappa[c] and share[c] (the category's share of those
 * ratings) for each of d->n_cats categories; kappa NaN when undefined.
 */
void agree_categories(const struct agree_data *d, double *kappa, double *share);

/* A small seeded generator (splitmix64): deterministic across platforms. */
uint64_t agree_rand(uint64_t *state);

#endif
