/*
 * fuzz_masks.c - libFuzzer entry: one mask PNG through the masks reader
 * (every value of it as a CamVid class and as a Cityscapes instance id)
 * into a sink that keeps nothing. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"
#include "formats/fmt_masks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_masks_read_png_mem(data, size, "fuzz.png", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
