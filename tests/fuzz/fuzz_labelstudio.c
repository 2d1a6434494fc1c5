/*
 * fuzz_labelstudio.c - libFuzzer entry: the Label Studio reader on arbitrary bytes into a sink
 * that keeps nothing. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"
#include "formats/fmt_labelstudio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_labelstudio_read_mem((const char *)data, size, "tasks.json", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
