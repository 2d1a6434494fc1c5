/*
 * fuzz_eval.c - libFuzzer entry: cocoeval's COCO loaders and a full run on
 * arbitrary bytes. The input is split at the first NUL byte into a ground
 * truth document and a detections array; the first byte picks the IoU
 * type. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "quality/cocoeval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1 << 20))
		return 0;
	enum cocoeval_iou type = (enum cocoeval_iou)(data[0] % 3);
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	const char *nul = memchr(p, 0, n);
	size_t ngt = nul ? (size_t)(nul - p) : n;
	const char *dt = nul ? nul + 1 : "[]";
	size_t ndt = nul ? n - ngt - 1 : 2;
	struct buf err = BUF_INIT;
	struct cocoeval *ev = cocoeval_new(type, NULL, 0);
	if (!cocoeval_load_gt(ev, p, ngt, "gt.json", &err) &&
	    !cocoeval_load_dt(ev, dt, ndt, "dt.json", &err) && !cocoeval_run(ev, &err)) {
		struct buf out = BUF_INIT;
		cocoeval_write_json(ev, &out);
		cocoeval_write_summary(ev, 1, &out);
		buf_release(&out);
	}
	cocoeval_free(ev);
	buf_release(&err);
	return 0;
}
