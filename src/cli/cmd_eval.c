/*
 * cmd_eval.c - `cairn eval --gt GT.json --dt DT.json`: COCO AP and AR of a
 * detections file against a ground-truth dataset, with the numbers
 * pycocotools' COCOeval gives (src/quality/cocoeval.c).
 */
#include <stdio.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "quality/cocoeval.h"
#include "base/banned.h"

static int parse_max_dets(const char *s, int *out, size_t *n)
{
	*n = 0;
	while (*s) {
		uint64_t v = 0;
		const char *p = s;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > 1000000)
				return -1;
			p++;
		}
		if (p == s || (*p && *p != ',') || *n == COCOEVAL_MAX_M)
			return -1;
		if (*n && (int)v <= out[*n - 1])
			return -1;
		out[(*n)++] = (int)v;
		s = *p ? p + 1 : p;
	}
	return *n ? 0 : -1;
}

int cmd_eval(int argc, char **argv)
{
	const char *gt = NULL, *dt = NULL, *iou = "bbox", *maxd = NULL;
	bool json = false, per_class = false, done;
	const struct cli_opt opts[] = {
		{"gt", 1, &gt, NULL},
		{"dt", 1, &dt, NULL},
		{"iou-type", 1, &iou, NULL},
		{"max-dets", 1, &maxd, NULL},
		{"json", 0, NULL, &json},
		{"per-class", 0, NULL, &per_class},
		{0},
	};
	int npos, rc;
	const struct cli_cmd *cmd = cli_find("eval");
	if ((rc = cli_parse(cmd, argc, argv, opts, &npos, &done)) || done)
		return rc;
	if (npos)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[0]);
	if (!gt || !dt)
		return cli_usage_error(cmd, "need --gt GT.json and --dt DT.json");
	int type = cocoeval_iou_parse(iou);
	if (type < 0)
		return cli_usage_error(cmd, "--iou-type: expected bbox, segm or keypoints, not '%s'", iou);
	int md[COCOEVAL_MAX_M];
	size_t nmd = 0;
	if (maxd && parse_max_dets(maxd, md, &nmd))
		return cli_usage_error(cmd, "--max-dets: expected ascending counts like 1,10,100, not '%s'",
				       maxd);
	struct cocoeval *ev = cocoeval_new((enum cocoeval_iou)type, nmd ? md : NULL, nmd);
	struct buf err = BUF_INIT, out = BUF_INIT;
	rc = EXIT_FAIL;
	if (cocoeval_load_gt_file(ev, gt, &err) || cocoeval_load_dt_file(ev, dt, &err))
		goto fail;
	if (cocoeval_run(ev, &err))
		goto fail;
	if (json)
		cocoeval_write_json(ev, &out);
	else
		cocoeval_write_summary(ev, per_class, &out);
	fwrite(out.data, 1, out.len, stdout);
	rc = EXIT_OK;
	goto done;
fail:
	cli_error("eval", "%s", err.data);
done:
	cocoeval_free(ev);
	buf_release(&err);
	buf_release(&out);
	return rc;
}
