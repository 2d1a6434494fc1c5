/*
 * json_scan.c - depth and path scans over raw JSON text; see json_scan.h.
 */
#include "base/json_scan.h"

#include <stdbool.h>

#include "base/banned.h"

size_t json_scan_too_deep(const char *s, size_t len, int max_depth)
{
	int depth = 0;
	size_t line = 1;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (ch == '\n') {
			line++;
		} else if (ch == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max_depth)
				return line;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return 0;
}

void json_scan_path_at(const char *s, size_t len, size_t stop, struct buf *path, struct buf *key)
{
	struct frame {
		char type;
		bool expect_key;
		size_t index;
		size_t kstart, klen;
	} fr[JSON_SCAN_MAX_DEPTH + 2];
	int d = 0;
	if (stop > len)
		stop = len;
	for (size_t i = 0; i < stop; i++) {
		char ch = s[i];
		if (ch == '"') {
			size_t st = i + 1;
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (d && fr[d - 1].type == '{' && fr[d - 1].expect_key) {
				fr[d - 1].kstart = st;
				fr[d - 1].klen = (i < len ? i : len) - st;
				fr[d - 1].expect_key = false;
			}
		} else if (ch == '[' || ch == '{') {
			if (d > JSON_SCAN_MAX_DEPTH)
				break;
			fr[d].type = ch;
			fr[d].expect_key = ch == '{';
			fr[d].index = 0;
			fr[d].klen = (size_t)-1;
			d++;
		} else if ((ch == ']' || ch == '}') && d) {
			d--;
		} else if (ch == ',' && d) {
			fr[d - 1].index++;
			if (fr[d - 1].type == '{') {
				fr[d - 1].expect_key = true;
				fr[d - 1].klen = (size_t)-1;
			}
		}
	}
	buf_adds(path, "$");
	for (int j = 0; j < d; j++) {
		bool last = j == d - 1;
		if (fr[j].type == '[') {
			buf_addf(path, "[%zu]", fr[j].index);
		} else if (fr[j].klen != (size_t)-1) {
			if (last && key) {
				buf_add(key, s + fr[j].kstart, fr[j].klen);
				break;
			}
			buf_addch(path, '.');
			buf_add(path, s + fr[j].kstart, fr[j].klen);
		}
	}
}
