/*
 * cmd_synth.c - `cairn synth OUT --images N ...`: parses the options, runs
 * the generator in media/synth.c with a progress bar, prints the summary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "media/synth.h"

#include "base/banned.h"

static void on_progress(void *ctx, uint32_t done, uint32_t total)
{
	progress_update(ctx, done);
}

/* "WxH" with both sides decimal; false otherwise. */
static bool parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	const char *x = strchr(s, 'x');
	if (!x)
		return false;
	char a[24];
	size_t n = (size_t)(x - s);
	if (n == 0 || n >= sizeof(a))
		return false;
	memcpy(a, s, n);
	a[n] = 0;
	uint64_t vw, vh;
	if (!cli_parse_u64(a, &vw) || !cli_parse_u64(x + 1, &vh) ||
	    vw > UINT32_MAX || vh > UINT32_MAX)
		return false;
	*w = (uint32_t)vw;
	*h = (uint32_t)vh;
	return true;
}

int cmd_synth(int argc, char **argv)
{
	const struct cli_cmd *cmd = cli_find("synth");
	const char *images = NULL, *objects = NULL, *seed = NULL, *size = NULL;
	const char *format = NULL, *quality = NULL, *threads = NULL;
	bool force = false, json = false, done = false;
	const struct cli_opt opts[] = {
		{"images", 1, &images, NULL},
		{"objects", 1, &objects, NULL},
		{"seed", 1, &seed, NULL},
		{"size", 1, &size, NULL},
		{"format", 1, &format, NULL},
		{"quality", 1, &quality, NULL},
		{"threads", 1, &threads, NULL},
		{"force", 0, NULL, &force},
		{"json", 0, NULL, &json},
		{NULL, 0, NULL, NULL},
	};
	int npos = 0;
	int rc = cli_parse(cmd, argc, argv, opts, &npos, &done);
	if (rc || done)
		return rc;
	if (npos == 0)
		return cli_usage_error(cmd, "no output directory given");
	if (npos > 1)
		return cli_usage_error(cmd, "one output directory, not %d", npos);

	struct synth_opts o;
	synth_opts_init(&o);
	o.out = argv[0];
	o.force = force;
	uint64_t v;
	if (!images)
		return cli_usage_error(cmd, "--images N is required");
	if (!cli_parse_u64(images, &v) || v < 1 || v > SYNTH_MAX_IMAGES)
		return cli_usage_error(cmd, "--images '%s' is not a number in 1..%u",
				       images, SYNTH_MAX_IMAGES);
	o.images = (uint32_t)v;
	if (objects) {
		if (!cli_parse_u64(objects, &v) || v > SYNTH_MAX_OBJECTS)
			return cli_usage_error(cmd, "--objects '%s' is not a number in 0..%u",
					       objects, SYNTH_MAX_OBJECTS);
		o.objects = (uint32_t)v;
	}
	if (seed) {
		if (!cli_parse_u64(seed, &v))
			return cli_usage_error(cmd, "--seed '%s' is not a non-negative integer",
					       seed);
		o.seed = v;
	}
	if (size) {
		if (!parse_size(size, &o.width, &o.height))
			return cli_usage_error(cmd, "--size '%s' is not WIDTHxHEIGHT (e.g. 640x480)",
					       size);
		if (o.width < SYNTH_MIN_SIDE || o.height < SYNTH_MIN_SIDE ||
		    o.width > SYNTH_MAX_SIDE || o.height > SYNTH_MAX_SIDE)
			return cli_usage_error(cmd, "--size %s: each side must be in %u..%u",
					       size, SYNTH_MIN_SIDE, SYNTH_MAX_SIDE);
	}
	if (format) {
		if (!strcmp(format, "jpeg") || !strcmp(format, "jpg"))
			o.format = SYNTH_JPEG;
		else if (!strcmp(format, "png"))
			o.format = SYNTH_PNG;
		else
			return cli_usage_error(cmd, "--format '%s' is not jpeg or png", format);
	}
	if (quality) {
		if (!cli_parse_u64(quality, &v) || v < 1 || v > 100)
			return cli_usage_error(cmd, "--quality '%s' is not a number in 1..100",
					       quality);
		o.quality = (int)v;
	}
	if (threads) {
		if (!cli_parse_u64(threads, &v) || v < 1 || v > 64)
			return cli_usage_error(cmd, "--threads '%s' is not a number in 1..64",
					       threads);
		o.threads = (uint32_t)v;
	}

	struct progress p;
	progress_init(&p, "synth", o.images);
	o.progress = on_progress;
	o.progress_ctx = &p;
	struct synth_report rep;
	struct buf err = BUF_INIT;
	rc = synth_run(&o, &rep, &err);
	progress_finish(&p);
	if (rc) {
		/* The library's message already starts with "synth: ". */
		if (err.len)
			fprintf(stderr, "cairn %s\n", err.data);
		else
			cli_error("synth", "%s", cairn_strerror(rc));
		buf_release(&err);
		return EXIT_FAIL;
	}
	buf_release(&err);
	if (json) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "{\"out\":");
		buf_add_json_str(&b, o.out);
		buf_addf(&b, ",\"images\":%u,\"objects\":%llu,\"categories\":{",
			 rep.images, (unsigned long long)rep.objects);
		for (int c = 1; c <= SYNTH_NCAT; c++) {
			buf_addf(&b, "%s", c > 1 ? "," : "");
			buf_add_json_str(&b, synth_cat_name(c));
			buf_addf(&b, ":%llu", (unsigned long long)rep.per_cat[c]);
		}
		buf_addf(&b, "},\"occluded\":%llu,\"truncated\":%llu,\"tiny\":%llu,"
			 "\"seed\":%llu,\"width\":%u,\"height\":%u,\"seconds\":%.3f}\n",
			 (unsigned long long)rep.occluded,
			 (unsigned long long)rep.truncated,
			 (unsigned long long)rep.tiny, (unsigned long long)o.seed,
			 o.width, o.height, rep.seconds);
		fputs(b.data, stdout);
		buf_release(&b);
	} else {
		printf("synth: %u images, %llu objects in %.2f s -> %s\n", rep.images,
		       (unsigned long long)rep.objects, rep.seconds, o.out);
	}
	return EXIT_OK;
}
