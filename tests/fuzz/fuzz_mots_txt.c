/*
 * fuzz_mots_txt.c - libFuzzer entry: the MOTS reader's txt layout on
 * arbitrary bytes as one instances_txt/<seq>.txt ("frame id class height
 * width rle" lines, COCO compressed RLE), into a sink that keeps nothing.
 * Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_mots.c. */
int fmt_mots_read_txt_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
			  struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_mots_read_txt_mem((const char *)data, size, "instances_txt/0000.txt", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
