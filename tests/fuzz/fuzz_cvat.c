/*
 * fuzz_cvat.c - libFuzzer entry: the CVAT XML reader (fmt_cvat.c) on arbitrary
 * bytes as one annotation file, into a sink that keeps nothing. Must never
 * crash, leak or hang (expat, DTD refusal, numbers, masks, skeletons).
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_cvat.c. */
int fmt_cvat_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		      struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_cvat_read_mem((const char *)data, size, "fuzz.xml", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
