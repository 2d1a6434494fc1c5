/*
 * fuzz_coco.c - libFuzzer entry: the COCO reader on arbitrary bytes into a
 * sink that keeps nothing. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_coco_read_mem((const char *)data, size, "fuzz.json", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
