/*
 * geom_int.h - helpers shared by the files of src/geom/ and by nobody else:
 * allocation that aborts on failure (as base/buf does) and the box sweep
 * that finds the overlapping pairs of two box sets without a quadratic loop.
 */
#ifndef CAIRN_GEOM_INT_H
#define CAIRN_GEOM_INT_H

#include <stddef.h>

void *geom_xmalloc(size_t n);
void *geom_xrealloc(void *p, size_t n);
void *geom_xcalloc(size_t n, size_t size);

/* Calls pair(arg, i, j) once for every i < na, j < nb whose boxes (x, y, w,
 * h, four doubles each) overlap with positive area (as pycocotools' bbIou
 * tests it). Boxes with w <= 0, h <= 0 or NaNs take part in no pair. Sorts
 * and sweeps in x: O((na + nb) log + pairs overlapping in x). */
void geom_box_sweep(const double *a, size_t na, const double *b, size_t nb,
		    void (*pair)(void *arg, size_t i, size_t j), void *arg);

#endif
