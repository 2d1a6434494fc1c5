/*
 * oks.c - keypoint similarity (COCO's OKS, with COCO's person sigmas or a
 * skeleton's own) and the mean symmetric polyline distance used to compare
 * lanes and edges.
 */
#include "geom/geom.h"

#include <float.h>
#include <math.h>

#include "base/banned.h"

const double geom_coco_sigmas[17] = {
	.026, .025, .025, .035, .035, .079, .079, .072, .072,
	.062, .062, .107, .107, .087, .087, .089, .089,
};

double keypoints_oks(const double *gt_xy, const uint8_t *gt_v,
		     const double *dt_xy, size_t k, const double *sigmas,
		     double gt_area, box gb)
{
	/* COCOeval.computeOks, expression for expression. */
	double x0 = gb.x - gb.w, x1 = gb.x + gb.w * 2;
	double y0 = gb.y - gb.h, y1 = gb.y + gb.h * 2;
	size_t i, nvis = 0, used = 0;
	double sum = 0;

	for (i = 0; i < k; i++)
		nvis += gt_v[i] > 0;
	for (i = 0; i < k; i++) {
		double xd = dt_xy[2 * i], yd = dt_xy[2 * i + 1], dx, dy;
		double var = (sigmas[i] * 2) * (sigmas[i] * 2);
		if (nvis) {
			if (!gt_v[i])
				continue;
			dx = xd - gt_xy[2 * i];
			dy = yd - gt_xy[2 * i + 1];
		} else {
			dx = fmax(0, x0 - xd) + fmax(0, xd - x1);
			dy = fmax(0, y0 - yd) + fmax(0, yd - y1);
		}
		double e = (dx * dx + dy * dy) / var / (gt_area + DBL_EPSILON) / 2;
		sum += exp(-e);
		used++;
	}
	return used ? sum / (double)used : 0;
}

double point_segment_dist(point p, point a, point b)
{
	double ex = b.x - a.x, ey = b.y - a.y, l2 = ex * ex + ey * ey, t;
	if (l2 == 0)
		return hypot(p.x - a.x, p.y - a.y);
	t = ((p.x - a.x) * ex + (p.y - a.y) * ey) / l2;
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	return hypot(p.x - (a.x + t * ex), p.y - (a.y + t * ey));
}

static double mean_to(const double *a, size_t na, const double *b, size_t nb)
{
	double sum = 0;
	size_t i, j;
	for (i = 0; i < na; i++) {
		point p = {a[2 * i], a[2 * i + 1]};
		double best = INFINITY;
		if (nb == 1)
			best = hypot(p.x - b[0], p.y - b[1]);
		for (j = 0; j + 1 < nb; j++) {
			point s = {b[2 * j], b[2 * j + 1]};
			point t = {b[2 * j + 2], b[2 * j + 3]};
			double d = point_segment_dist(p, s, t);
			if (d < best)
				best = d;
		}
		sum += best;
	}
	return sum / (double)na;
}

double polyline_distance(const double *a, size_t na, const double *b,
			 size_t nb)
{
	if (!na || !nb)
		return INFINITY;
	return (mean_to(a, na, b, nb) + mean_to(b, nb, a, na)) / 2;
}
