/*
 * fuzz_mots.c - libFuzzer entry: the MOTS reader on arbitrary bytes as one
 * instance PNG (class * 1000 + instance per pixel), decoded and split into
 * masks into a sink that keeps nothing. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_mots.c. */
int fmt_mots_read_png_mem(const void *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_mots_read_png_mem(data, size, "instances/1.png", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
