/*
 * bench_geom.c - times src/geom/'s mask operations on the inputs written by
 * bench/geom.sh (the same ones pycocotools is timed on) and prints one
 * "op seconds" line per operation. Usage: bench_geom FILE
 * FILE: "H W NDT NGT", then NDT+NGT lines "K x y x y ..." (polygons) and
 * NDT+NGT lines of COCO counts strings, then one line of NGT crowd digits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "geom/rle.h"
#include "base/banned.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Repeats f until at least 0.2 s have passed; prints seconds per call. */
#define TIME(name, body)                                                   \
	do {                                                               \
		double t0 = now(), t;                                      \
		long reps = 0;                                             \
		do {                                                       \
			body;                                              \
			reps++;                                            \
			t = now() - t0;                                    \
		} while (t < 0.2);                                         \
		printf("%s %.9f\n", name, t / (double)reps);               \
	} while (0)

int main(int argc, char **argv)
{
	FILE *f;
	unsigned h, w;
	size_t nd, ng, n, i, j;
	char *line = NULL;
	size_t cap = 0;

	if (argc < 2 || !(f = fopen(argv[1], "r"))) {
		fprintf(stderr, "usage: bench_geom FILE\n");
		return 2;
	}
	if (fscanf(f, "%u %u %zu %zu\n", &h, &w, &nd, &ng) != 4)
		return 2;
	n = nd + ng;
	double **polys = calloc(n, sizeof(*polys));
	size_t *npts = calloc(n, sizeof(*npts));
	char **strs = calloc(n, sizeof(*strs));
	struct rle *rles = calloc(n, sizeof(*rles));
	uint8_t *crowd = calloc(ng + 1, 1);
	for (i = 0; i < n; i++) {
		if (fscanf(f, "%zu", &npts[i]) != 1)
			return 2;
		polys[i] = malloc(2 * npts[i] * sizeof(double));
		for (j = 0; j < 2 * npts[i]; j++)
			if (fscanf(f, "%lf", &polys[i][j]) != 1)
				return 2;
	}
	getline(&line, &cap, f);
	for (i = 0; i < n; i++) {
		ssize_t l = getline(&line, &cap, f);
		if (l <= 0)
			return 2;
		line[strcspn(line, "\n")] = 0;
		strs[i] = strdup(line);
		if (rle_from_string(&rles[i], strs[i], h, w, NULL))
			return 3;
	}
	if (getline(&line, &cap, f) > 0)
		for (i = 0; i < ng && line[i]; i++)
			crowd[i] = line[i] == '1';
	fclose(f);

	size_t a = (size_t)h * w;
	uint8_t *bm = malloc(a * (nd < 64 ? nd : 64) + 1);
	size_t nbm = nd < 64 ? nd : 64;
	for (i = 0; i < nbm; i++)
		rle_to_bitmap(&rles[i], bm + a * i);
	volatile double sink = 0;
	/* encode/decode are timed on up to 64 masks and scaled to nd. */
	double scale = (double)nd / (double)nbm;
	{
		double t0 = now(), t;
		long reps = 0;
		do {
			for (i = 0; i < nbm; i++) {
				struct rle r;
				rle_from_bitmap(&r, bm + a * i, h, w);
				rle_release(&r);
			}
			reps++;
			t = now() - t0;
		} while (t < 0.2);
		printf("encode %.9f\n", t / (double)reps * scale);
		t0 = now();
		reps = 0;
		do {
			for (i = 0; i < nbm; i++)
				rle_to_bitmap(&rles[i], bm + a * i);
			reps++;
			t = now() - t0;
		} while (t < 0.2);
		printf("decode %.9f\n", t / (double)reps * scale);
	}
	TIME("area", for (i = 0; i < nd; i++) sink += (double)rle_area(&rles[i]));
	TIME("toBbox", {
		double bb[4];
		for (i = 0; i < nd; i++) {
			rle_bbox(&rles[i], bb);
			sink += bb[0];
		}
	});
	TIME("merge", {
		struct rle m;
		rle_merge(&m, rles, nd, 0, NULL);
		rle_release(&m);
	});
	TIME("frString", {
		for (i = 0; i < nd; i++) {
			struct rle r;
			rle_from_string(&r, strs[i], h, w, NULL);
			rle_release(&r);
		}
	});
	double *o = malloc(nd * ng * sizeof(double) + 1);
	TIME("iou", rle_iou_matrix(rles, nd, rles + nd, ng, NULL, o));
	TIME("iou_crowd", rle_iou_matrix(rles, nd, rles + nd, ng, crowd, o));
	TIME("frPoly", {
		for (i = 0; i < nd; i++) {
			struct rle r;
			rle_from_poly(&r, polys[i], npts[i], h, w, NULL);
			rle_release(&r);
		}
	});
	(void)sink;
	for (i = 0; i < n; i++) {
		rle_release(&rles[i]);
		free(polys[i]);
		free(strs[i]);
	}
	free(o);
	free(bm);
	free(line);
	free(polys);
	free(npts);
	free(strs);
	free(rles);
	free(crowd);
	return 0;
}
