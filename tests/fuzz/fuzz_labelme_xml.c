/*
 * fuzz_labelme_xml.c - libFuzzer entry: the MIT LabelMe XML reader on arbitrary bytes as one annotation file (no Masks/ folder, so masks are only checked by name),
 * into a sink that keeps nothing. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_labelme_xml.c. */
int fmt_labelme_xml_read_mem(const char *data, size_t len, const char *name, struct fmt_sink *s,
	struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct fmt_sink *s = fmt_null_sink_new();
	fmt_labelme_xml_read_mem((const char *)data, size, "x.xml", s, &err);
	fmt_null_sink_free(s);
	buf_release(&err);
	return 0;
}
