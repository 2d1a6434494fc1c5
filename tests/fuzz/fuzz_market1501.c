/*
 * fuzz_market1501.c - libFuzzer entry: the Market-1501 reader on arbitrary bytes as one images_<split>.txt list (names parsed for person, camera, track, frame and box),
 * into a sink that keeps nothing. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_market1501.c. */
int fmt_market1501_read_names(const char *data, size_t len, const char *name, struct fmt_sink *s,
	struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_market1501_read_names((const char *)data, size, "images_train.txt", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
