/*
 * fuzz_widerface.c - libFuzzer entry: the WIDER Face reader on arbitrary bytes as one wider_face_<split>_bbx_gt.txt, read a line at a time,
 * into a sink that keeps nothing. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_widerface.c. */
int fmt_widerface_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
	struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_widerface_read_mem((const char *)data, size, "wider_face_train_bbx_gt.txt", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
