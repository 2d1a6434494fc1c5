/*
 * test_suggest.c - did-you-mean: distances, aliases, limits.
 */
#include <criterion/criterion.h>

#include "core/suggest.h"
#include "base/banned.h"

Test(suggest, distance_counts_edits_and_swaps_without_case)
{
	cr_assert_eq(suggest_distance("color", "color"), 0);
	cr_assert_eq(suggest_distance("colour", "color"), 1);
	cr_assert_eq(suggest_distance("preson", "person"), 1, "a swap is one edit");
	cr_assert_eq(suggest_distance("BOX", "box"), 0);
	cr_assert_eq(suggest_distance("", "abc"), 3);
	char longer[80];
	for (int i = 0; i < 79; i++)
		longer[i] = 'a';
	longer[79] = 0;
	cr_assert_eq(suggest_distance(longer, "a"), 1000);
}

Test(suggest, picks_alias_then_nearest_within_a_third)
{
	static const char *const keys[] = {"label", "points", "attributes"};
	static const struct alias aliases[] = {{"class", "label"}, {"bbox", "nowhere"}, {NULL, NULL}};
	cr_assert_str_eq(suggest("class", keys, 3, aliases), "label");
	cr_assert_str_eq(suggest("pionts", keys, 3, aliases), "points");
	cr_assert_str_eq(suggest("atributes", keys, 3, NULL), "attributes");
	cr_assert_null(suggest("bbox", keys, 3, aliases), "an alias to a missing candidate is skipped");
	cr_assert_null(suggest("zzzzzz", keys, 3, NULL));
}
