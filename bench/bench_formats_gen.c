/*
 * bench_formats_gen.c - writes a synthetic COCO file for bench/formats.sh:
 * N images (no image files) x K boxes, annotations first (as some tools
 * write them), so the importer's spool is exercised.
 * Usage: bench_formats_gen OUT.json N K
 */
#include <stdio.h>
#include <stdlib.h>

#include "base/banned.h"

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	FILE *f = fopen(argv[1], "w");
	long n = strtol(argv[2], NULL, 10), k = strtol(argv[3], NULL, 10);
	if (!f || n <= 0 || k <= 0)
		return 2;
	fputs("{\"annotations\":[", f);
	long id = 0;
	for (long i = 1; i <= n; i++)
		for (long j = 0; j < k; j++) {
			id++;
			double x = (double)((id * 37) % 600), y = (double)((id * 91) % 440);
			fprintf(f, "%s{\"id\":%ld,\"image_id\":%ld,\"category_id\":%ld,\"bbox\":[%.1f,%.1f,%.1f,%.1f],"
				"\"area\":%.1f,\"iscrowd\":0,\"segmentation\":[]}", id > 1 ? "," : "", id, i,
				1 + id % 5, x, y, 10.5 + (double)(j % 20), 20.0 + (double)(j % 9),
				(10.5 + (double)(j % 20)) * (20.0 + (double)(j % 9)));
		}
	fputs("],\"images\":[", f);
	for (long i = 1; i <= n; i++)
		fprintf(f, "%s{\"id\":%ld,\"file_name\":\"%06ld.jpg\",\"width\":640,\"height\":480}",
			i > 1 ? "," : "", i, i);
	fputs("],\"categories\":[{\"id\":1,\"name\":\"a\"},{\"id\":2,\"name\":\"b\"},{\"id\":3,\"name\":\"c\"},"
	      "{\"id\":4,\"name\":\"d\"},{\"id\":5,\"name\":\"e\"}]}\n", f);
	return fclose(f) ? 1 : 0;
}
