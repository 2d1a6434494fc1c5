/*
 * fuzz_mot.c - libFuzzer entry: the MOT reader on arbitrary bytes as one
 * gt/gt.txt, read a line at a time into a sink that keeps nothing.
 * Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_mot.c. */
int fmt_mot_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
		     struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_mot_read_mem((const char *)data, size, "fuzz.txt", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
