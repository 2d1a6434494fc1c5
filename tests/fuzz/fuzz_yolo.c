/*
 * fuzz_yolo.c - libFuzzer entry: the YOLO readers on arbitrary bytes. Input
 * starting with 'Y' goes to the data.yaml subset parser, anything else is
 * one label file's text (80 classes) read into a sink that keeps nothing.
 * Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "formats/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* In fmt_yolo.c. */
int fmt_yolo_read_labels_mem(const char *data, size_t len, const char *name, size_t nclasses,
			     struct fmt_sink *s, struct buf *err);
int fmt_yolo_parse_yaml_mem(const char *data, size_t len, struct buf *err);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	if (size && data[0] == 'Y') {
		fmt_yolo_parse_yaml_mem((const char *)data + 1, size - 1, &err);
	} else {
		struct fmt_sink *s = fmt_null_sink_new();
		fmt_yolo_read_labels_mem((const char *)data, size, "fuzz.txt", 80, s, &err);
		fmt_null_sink_free(s);
	}
	buf_release(&err);
	return 0;
}
