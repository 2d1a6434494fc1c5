/*
 * test_arena.c - the per-request arena: alignment, zeroing, big blocks,
 * strings; ASan checks that release frees everything.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/banned.h"

Test(arena, allocations_are_aligned_zeroed_and_distinct)
{
	struct arena a = ARENA_INIT;
	char *prev = NULL;
	for (int i = 1; i < 3000; i += 7) {
		char *p = arena_alloc(&a, (size_t)i);
		cr_assert_eq((uintptr_t)p % 16, 0);
		for (int k = 0; k < i; k++)
			cr_assert_eq(p[k], 0);
		memset(p, 0xab, (size_t)i);
		cr_assert_neq(p, prev);
		prev = p;
	}
	char *big = arena_alloc(&a, 1 << 20);
	big[(1 << 20) - 1] = 1;
	char *s = arena_strdup(&a, "hello");
	cr_assert_str_eq(s, "hello");
	cr_assert_str_eq(arena_strndup(&a, "hello", 2), "he");
	cr_assert_str_eq(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
	arena_release(&a);
	arena_release(&a);
}
