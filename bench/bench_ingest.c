/*
 * bench_ingest.c - helper of bench/ingest.sh:
 *   bench_ingest gen DIR N     write N small images (80% JPEG, 20% PNG,
 *                              1000 per folder) made with libvips
 *   bench_ingest init DATA     create DATA/cairn.db with a project "bench"
 *   bench_ingest parts DIR     time read+SHA-256, probe and dHash of every
 *                              file under DIR, one thread, per image
 */
#include <dirent.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <vips/vips.h>

#include "base/buf.h"
#include "media/media.h"
#include "media/media_image.h"
#include "store/store.h"

#include "base/banned.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int gen(const char *dir, long n)
{
	if (media_image_init(NULL))
		return 1;
	mkdir(dir, 0755);
	enum { W = 160, H = 120 };
	static unsigned char px[W * H * 3];
	uint64_t s = 12345;
	for (long i = 0; i < n; i++) {
		if (i % 1000 == 0) {
			char d[4096];
			snprintf(d, sizeof d, "%s/d%03ld", dir, i / 1000);
			mkdir(d, 0755);
		}
		/*
		 * Smooth pictures (like photos, unlike noise) that differ from each
		 * other in two dimensions, as photos do: three plane waves in random
		 * directions and two soft blobs. (Waves along one axis only would
		 * give every row the same dHash bits and make most images
		 * near-duplicates of each other.)
		 */
		double r[16];
		for (int k = 0; k < 16; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			r[k] = (double)(s >> 11) / 9007199254740992.0;
		}
		/* Every term is separable in x and y: tables per column and row. */
		static double cx[3][2][W], cy[3][2][H], bx[2][W], by[2][H];
		for (int k = 0; k < 3; k++) {
			double a = 6.28 * r[k], f = 6.28 * (1 + 3 * r[k + 3]);
			for (int x = 0; x < W; x++) {
				double t = f * cos(a) * x / W + 6.28 * r[k + 6];
				cx[k][0][x] = sin(t);
				cx[k][1][x] = cos(t);
			}
			for (int y = 0; y < H; y++) {
				double t = f * sin(a) * y / H;
				cy[k][0][y] = cos(t);
				cy[k][1][y] = sin(t);
			}
		}
		for (int k = 0; k < 2; k++) {
			double sc = 0.02 + 0.05 * r[13 + k];
			for (int x = 0; x < W; x++) {
				double d = (double)x / W - r[9 + 2 * k];
				bx[k][x] = exp(-d * d / sc);
			}
			for (int y = 0; y < H; y++) {
				double d = (double)y / H - r[10 + 2 * k];
				by[k][y] = exp(-d * d / sc);
			}
		}
		for (int y = 0; y < H; y++)
			for (int x = 0; x < W; x++) {
				unsigned char *p = px + ((size_t)y * W + x) * 3;
				double v = (double)y / H;
				double l = 128;
				for (int k = 0; k < 3; k++)   /* sin(tx + ty) */
					l += 30 * (cx[k][0][x] * cy[k][0][y] + cx[k][1][x] * cy[k][1][y]);
				l += 60 * bx[0][x] * by[0][y] - 60 * bx[1][x] * by[1][y];
				l = l < 0 ? 0 : l > 255 ? 255 : l;
				p[0] = (unsigned char)l;
				p[1] = (unsigned char)(l * 0.7 + 60 * v);
				p[2] = (unsigned char)(255 - l * 0.8);
			}
		VipsImage *im = vips_image_new_from_memory(px, sizeof px, W, H, 3, VIPS_FORMAT_UCHAR);
		char path[4096];
		bool png = i % 5 == 4;
		snprintf(path, sizeof path, "%s/d%03ld/%06ld.%s", dir, i / 1000, i, png ? "png" : "jpg");
		if (vips_image_write_to_file(im, path, png ? NULL : "Q", 85, NULL)) {
			fprintf(stderr, "gen: %s: %s\n", path, vips_error_buffer());
			g_object_unref(im);
			return 1;
		}
		g_object_unref(im);
	}
	media_image_shutdown();
	return 0;
}

static int init(const char *data)
{
	mkdir(data, 0755);
	struct buf path = BUF_INIT, err = BUF_INIT;
	buf_addf(&path, "%s/cairn.db", data);
	struct store *st;
	int64_t id;
	int r = store_open(&st, path.data, STORE_CREATE, &err);
	if (!r) {
		r = store_project_create(st, "bench", NULL, 0, NULL, &id, &err);
		store_close(st);
	}
	if (r)
		fprintf(stderr, "init: %s\n", err.data);
	buf_release(&path);
	buf_release(&err);
	return r ? 1 : 0;
}

struct parts {
	double read, sha, probe, phash;
	long n;
	double phash_t[MEDIA_TYPE_COUNT_];
	long n_t[MEDIA_TYPE_COUNT_];
};

static void part_file(const char *path, struct parts *pt)
{
	double t0 = now();
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	static unsigned char b[1 << 22];
	size_t n = fread(b, 1, sizeof b, f);
	fclose(f);
	double t1 = now();
	unsigned char d[32];
	crypto_hash_sha256(d, b, n);
	double t2 = now();
	struct media_info mi;
	if (media_probe(b, n, path, &mi, NULL))
		return;
	double t3 = now();
	uint64_t h;
	media_image_phash(b, n, mi.type, &h, NULL);
	double t4 = now();
	pt->read += t1 - t0;
	pt->sha += t2 - t1;
	pt->probe += t3 - t2;
	pt->phash += t4 - t3;
	pt->n++;
	pt->phash_t[mi.type] += t4 - t3;
	pt->n_t[mi.type]++;
}

static void walk(const char *dir, struct parts *pt)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			walk(p, pt);
		else
			part_file(p, pt);
	}
	closedir(d);
}

static int parts(const char *dir)
{
	if (sodium_init() < 0 || media_image_init(NULL))
		return 1;
	struct parts pt = {0};
	walk(dir, &pt);
	if (!pt.n)
		return 1;
	printf("per image, one thread (%ld images): read %.1f us, sha256 %.1f us, probe %.1f us, "
	       "dhash decode %.1f us\n", pt.n, pt.read / pt.n * 1e6, pt.sha / pt.n * 1e6,
	       pt.probe / pt.n * 1e6, pt.phash / pt.n * 1e6);
	for (int t = 0; t < MEDIA_TYPE_COUNT_; t++)
		if (pt.n_t[t])
			printf("  dhash decode of %ld %s images: %.1f us each\n", pt.n_t[t],
			       media_type_name((enum media_type)t), pt.phash_t[t] / pt.n_t[t] * 1e6);
	media_image_shutdown();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtol(argv[3], NULL, 10));
	if (argc == 3 && !strcmp(argv[1], "init"))
		return init(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "parts"))
		return parts(argv[2]);
	fprintf(stderr, "usage: bench_ingest gen DIR N | init DATA | parts DIR\n");
	return 2;
}
