/*
 * geomtool.c - a line-oriented driver over src/geom/ for the pycocotools
 * comparison (tests/compat/run) and the benchmark (bench/geom.sh). One
 * command per input line, one answer line per command; see usage() below.
 * Not part of the cairn binary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "geom/rle.h"
#include "base/banned.h"

static char *tok(char **p)
{
	char *s = *p, *e;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '\n')
		return NULL;
	e = s;
	while (*e && *e != ' ' && *e != '\t' && *e != '\n')
		e++;
	if (*e)
		*e++ = 0;
	*p = e;
	return s;
}

static long tol(char **p)
{
	char *t = tok(p);
	return t ? strtol(t, NULL, 10) : 0;
}

static double tod(char **p)
{
	char *t = tok(p);
	return t ? strtod(t, NULL) : 0;
}

static void put_rle(const struct rle *r, struct buf *o)
{
	double bb[4];
	rle_to_string(r, o);
	rle_bbox(r, bb);
	buf_addf(o, " %llu %.17g %.17g %.17g %.17g",
		 (unsigned long long)rle_area(r), bb[0], bb[1], bb[2], bb[3]);
}

static int parse_rle(struct rle *r, char **p, uint32_t h, uint32_t w,
		     struct buf *err)
{
	char *s = tok(p);
	return rle_from_string(r, s ? s : "", h, w, err);
}

/* usage:
 *   enc H W BITS            (column-major '0'/'1' string) -> STR AREA BBOX
 *   poly H W N x y ...      -> STR AREA BBOX
 *   bbox H W x y w h        -> STR AREA BBOX
 *   str H W STR             -> STR AREA BBOX (parse and re-encode)
 *   dec H W STR             -> BITS
 *   merge H W INTERSECT K STR...       -> STR AREA BBOX
 *   iou H W ND NG CROWD(NG digits) STR(ND) STR(NG) -> ND*NG values
 */
static void run_line(char *line, struct buf *o, struct buf *err)
{
	char *p = line, *cmd = tok(&p);
	uint32_t h, w;
	struct rle r = RLE_INIT;
	int rc = 0;

	if (!cmd)
		return;
	h = (uint32_t)tol(&p);
	w = (uint32_t)tol(&p);
	if (!strcmp(cmd, "enc")) {
		char *bits = tok(&p);
		size_t n = (size_t)h * w, i;
		uint8_t *m = malloc(n ? n : 1);
		for (i = 0; i < n; i++)
			m[i] = bits && bits[i] == '1';
		rc = rle_from_bitmap(&r, m, h, w);
		free(m);
		if (!rc)
			put_rle(&r, o);
	} else if (!strcmp(cmd, "poly")) {
		size_t k = (size_t)tol(&p), i;
		double *xy = malloc((2 * k + 1) * sizeof(*xy));
		for (i = 0; i < 2 * k; i++)
			xy[i] = tod(&p);
		rc = rle_from_poly(&r, xy, k, h, w, err);
		free(xy);
		if (!rc)
			put_rle(&r, o);
	} else if (!strcmp(cmd, "bbox")) {
		double bb[4];
		for (int i = 0; i < 4; i++)
			bb[i] = tod(&p);
		rc = rle_from_bbox(&r, bb, h, w, err);
		if (!rc)
			put_rle(&r, o);
	} else if (!strcmp(cmd, "str")) {
		rc = parse_rle(&r, &p, h, w, err);
		if (!rc)
			put_rle(&r, o);
	} else if (!strcmp(cmd, "dec")) {
		rc = parse_rle(&r, &p, h, w, err);
		if (!rc) {
			size_t n = (size_t)h * w, i;
			uint8_t *m = malloc(n ? n : 1);
			rle_to_bitmap(&r, m);
			for (i = 0; i < n; i++)
				buf_addch(o, m[i] ? '1' : '0');
			free(m);
		}
	} else if (!strcmp(cmd, "merge")) {
		int inter = (int)tol(&p);
		size_t k = (size_t)tol(&p), i;
		struct rle *rs = calloc(k ? k : 1, sizeof(*rs));
		for (i = 0; i < k && !rc; i++)
			rc = parse_rle(&rs[i], &p, h, w, err);
		if (!rc)
			rc = rle_merge(&r, rs, k, inter, err);
		if (!rc)
			put_rle(&r, o);
		for (i = 0; i < k; i++)
			rle_release(&rs[i]);
		free(rs);
	} else if (!strcmp(cmd, "iou")) {
		size_t nd = (size_t)tol(&p), ng = (size_t)tol(&p), i;
		char *cr = tok(&p);
		struct rle *d = calloc(nd + 1, sizeof(*d));
		struct rle *g = calloc(ng + 1, sizeof(*g));
		uint8_t *crowd = calloc(ng + 1, 1);
		double *m = calloc(nd * ng + 1, sizeof(*m));
		for (i = 0; i < ng; i++)
			crowd[i] = cr && cr[i] == '1';
		for (i = 0; i < nd && !rc; i++)
			rc = parse_rle(&d[i], &p, h, w, err);
		for (i = 0; i < ng && !rc; i++)
			rc = parse_rle(&g[i], &p, h, w, err);
		if (!rc) {
			rle_iou_matrix(d, nd, g, ng, crowd, m);
			for (i = 0; i < nd * ng; i++)
				buf_addf(o, "%s%.17g", i ? " " : "", m[i]);
		}
		for (i = 0; i < nd; i++)
			rle_release(&d[i]);
		for (i = 0; i < ng; i++)
			rle_release(&g[i]);
		free(d);
		free(g);
		free(crowd);
		free(m);
	} else {
		buf_addf(o, "error unknown command %s", cmd);
	}
	if (rc)
		buf_addf(o, "error %s", err->data);
	rle_release(&r);
}

int main(void)
{
	struct buf o = BUF_INIT, err = BUF_INIT;
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0) {
		buf_reset(&o);
		buf_reset(&err);
		run_line(line, &o, &err);
		buf_addch(&o, '\n');
		fwrite(o.data, 1, o.len, stdout);
	}
	free(line);
	buf_release(&o);
	buf_release(&err);
	return 0;
}
