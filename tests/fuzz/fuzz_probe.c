/*
 * fuzz_probe.c - libFuzzer entry for the magic-byte and header probe of
 * src/media/media.c: any buffer, under several file names, must give a
 * clean answer (a format or a reason) and never read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "media/media.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = {"a.jpg", "a.png", "a.txt", "a.jsonl", "a.bin", "a.pcd",
				      "a.ply", "a.mp4", "noext", NULL};
	struct buf err = BUF_INIT;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		struct media_info mi;
		int r = media_probe(data, size, names[i], &mi, &err);
		if (r == 0 && (mi.type == MEDIA_UNKNOWN || mi.width < 0 || mi.height < 0))
			__builtin_trap();
		if (r != 0 && err.len == 0)
			__builtin_trap();
		buf_reset(&err);
	}
	(void)media_sniff(data, size);
	(void)media_utf8_check(data, size);
	buf_release(&err);
	return 0;
}
