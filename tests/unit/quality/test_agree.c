/*
 * test_agree.c - unit tests for src/quality/agree.c: every coefficient on
 * the published worked examples (Krippendorff 2011, Fleiss 1971, the
 * Wikipedia Fleiss example, Cohen 1960) and on hand-computed tables, the
 * bootstrap's determinism, and the CSV reader's errors.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "quality/agree.h"
#include "base/banned.h"

static double metric(struct agree_data *d, enum agree_metric m, enum agree_level lv,
		     enum agree_weights w)
{
	struct agree_opts o = AGREE_OPTS_INIT;
	o.metric = m;
	o.level = lv;
	o.weights = w;
	o.bootstrap = 0;
	struct agree_result r;
	struct buf err = BUF_INIT;
	int rc = agree_compute(d, &o, &r, &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	buf_release(&err);
	return r.value;
}

static void add(struct agree_data *d, const char *item, const char *rater, const char *label)
{
	struct buf err = BUF_INIT;
	cr_assert_eq(agree_data_add(d, item, rater, label, 0, &err), 0, "%s", err.data);
	buf_release(&err);
}

static void addi(struct agree_data *d, int item, int rater, int label)
{
	char i[16], r[16], l[16];
	snprintf(i, sizeof(i), "u%d", item);
	snprintf(r, sizeof(r), "r%d", rater);
	snprintf(l, sizeof(l), "%d", label);
	add(d, i, r, label ? l : "");
}

/* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the
 * example of 4 observers, 12 units, values 1..5, with missing values (0). */
static void kripp_2011(struct agree_data *d)
{
	static const int m[4][12] = {
		{1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0},
		{1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3},
		{0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0},
		{1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0},
	};
	agree_data_init(d);
	for (int r = 0; r < 4; r++)
		for (int u = 0; u < 12; u++)
			addi(d, u, r, m[r][u]);
	cr_assert_eq(agree_data_finish(d, NULL), 0);
}

Test(agree, krippendorff_2011_all_levels)
{
	struct agree_data d;
	kripp_2011(&d);
	cr_assert_eq(d.n_items, 12);
	cr_assert_eq(d.n_raters, 4);
	cr_assert_eq(d.n_missing, 7);
	cr_assert(d.numeric);
	double nom = metric(&d, AGREE_ALPHA, AGREE_NOMINAL, 0);
	double ord = metric(&d, AGREE_ALPHA, AGREE_ORDINAL, 0);
	double itv = metric(&d, AGREE_ALPHA, AGREE_INTERVAL, 0);
	double rat = metric(&d, AGREE_ALPHA, AGREE_RATIO, 0);
	cr_assert(fabs(nom - 0.743) < 5e-4, "nominal %f", nom);
	cr_assert(fabs(ord - 0.815) < 5e-4, "ordinal %f", ord);
	cr_assert(fabs(itv - 0.849) < 5e-4, "interval %f", itv);
	cr_assert(fabs(rat - 0.797) < 5e-4, "ratio %f", rat);
	agree_data_release(&d);
}

/* The same data is irrCAC's cac.raw4raters (Gwet's package, README):
 * percent agreement 0.8181818, AC1 0.77544 (p_e 0.1903212), Fleiss' kappa
 * 0.76117 (p_e 0.2387153), Krippendorff's alpha 0.74342. */
Test(agree, gwet_irrcac_raw4raters)
{
	struct agree_data d;
	kripp_2011(&d);
	struct agree_opts o = AGREE_OPTS_INIT;
	uint32_t sel[12];
	for (uint32_t i = 0; i < 12; i++)
		sel[i] = i;
	double pa, pe;
	o.metric = AGREE_GWET;
	double ac1 = agree_value(&d, &o, sel, 12, &pa, &pe, NULL);
	cr_assert(fabs(ac1 - 0.77544) < 5e-6, "AC1 %f", ac1);
	cr_assert(fabs(pa - 0.8181818) < 5e-8, "pa %f", pa);
	cr_assert(fabs(pe - 0.1903212) < 5e-8, "pe %f", pe);
	o.metric = AGREE_FLEISS;
	double fk = agree_value(&d, &o, sel, 12, &pa, &pe, NULL);
	cr_assert(fabs(fk - 0.76117) < 5e-6, "fleiss %f", fk);
	cr_assert(fabs(pe - 0.2387153) < 5e-8, "pe %f", pe);
	cr_assert(fabs(metric(&d, AGREE_PERCENT, 0, 0) - 0.8181818) < 5e-8);
	cr_assert(fabs(metric(&d, AGREE_ALPHA, AGREE_NOMINAL, 0) - 0.74342) < 5e-6);
	agree_data_release(&d);
}

/* Counts per subject and category to ratings: rater ids 0..n-1 per row. */
static void from_counts(struct agree_data *d, const int *counts, int n_items, int n_cats)
{
	agree_data_init(d);
	for (int i = 0; i < n_items; i++) {
		int r = 0;
		for (int c = 0; c < n_cats; c++)
			for (int k = 0; k < counts[i * n_cats + c]; k++)
				addi(d, i, r++, c + 1);
	}
	cr_assert_eq(agree_data_finish(d, NULL), 0);
}

/* Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses
 * (depression, personality disorder, schizophrenia, neurosis, other). */
static const int fleiss_1971[30 * 5] = {
	0, 0, 0, 6, 0,  0, 3, 0, 0, 3,  0, 1, 4, 0, 1,  0, 0, 0, 0, 6,  0, 3, 0, 3, 0,
	2, 0, 4, 0, 0,  0, 0, 4, 0, 2,  2, 0, 3, 1, 0,  2, 0, 0, 4, 0,  0, 0, 0, 0, 6,
	1, 0, 0, 5, 0,  1, 1, 0, 4, 0,  0, 3, 3, 0, 0,  1, 0, 0, 5, 0,  0, 2, 0, 3, 1,
	0, 0, 5, 0, 1,  3, 0, 0, 1, 2,  5, 1, 0, 0, 0,  0, 2, 0, 4, 0,  1, 0, 2, 0, 3,
	0, 0, 0, 0, 6,  0, 1, 0, 5, 0,  0, 2, 0, 1, 3,  2, 0, 0, 4, 0,  1, 0, 0, 4, 1,
	0, 5, 0, 1, 0,  4, 0, 0, 0, 2,  0, 2, 0, 4, 0,  1, 0, 5, 0, 0,  0, 0, 0, 0, 6,
};

Test(agree, fleiss_1971_table1)
{
	struct agree_data d;
	from_counts(&d, fleiss_1971, 30, 5);
	double k = metric(&d, AGREE_FLEISS, 0, 0);
	cr_assert(fabs(k - 0.430) < 5e-4, "fleiss %f", k);
	agree_data_release(&d);
}

/* Per-category kappas of Fleiss (1971), as irr's kappam.fleiss prints
 * them: .245, .245, .520, .471, .566. */
Test(agree, fleiss_1971_per_category)
{
	struct agree_data d;
	from_counts(&d, fleiss_1971, 30, 5);
	double k[5], sh[5];
	static const double want[5] = {0.245, 0.245, 0.520, 0.471, 0.566};
	agree_categories(&d, k, sh);
	for (int c = 0; c < 5; c++)
		cr_assert(fabs(k[c] - want[c]) < 5e-4, "category %d: %f", c, k[c]);
	agree_data_release(&d);
}

Test(agree, pairwise_kappa)
{
	/* Three annotators: r0 and r1 agree on every item, r2 on half. */
	struct agree_data d;
	agree_data_init(&d);
	for (int i = 0; i < 8; i++) {
		addi(&d, i, 0, 1 + i % 2);
		addi(&d, i, 1, 1 + i % 2);
		addi(&d, i, 2, i < 4 ? 1 + i % 2 : 1);
	}
	agree_data_finish(&d, NULL);
	struct agree_pair *p;
	size_t n;
	cr_assert_eq(agree_pairs(&d, &p, &n, NULL), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(p[0].a, 0);
	cr_assert_eq(p[0].b, 1);
	cr_assert_float_eq(p[0].kappa, 1, 1e-12);
	cr_assert_eq(p[1].n, 8);
	/* r0 vs r2: p_o 6/8; marginals (4, 4) and (6, 2): p_e = .5. */
	cr_assert_float_eq(p[1].percent, 0.75, 1e-12);
	cr_assert_float_eq(p[1].kappa, 0.5, 1e-12);
	free(p);
	agree_data_release(&d);
}

/* The Fleiss' kappa example of Wikipedia: 10 subjects, 14 raters, 5 cats. */
static const int wiki_fleiss[10 * 5] = {
	0, 0, 0, 0, 14,  0, 2, 6, 4, 2,  0, 0, 3, 5, 6,  0, 3, 9, 2, 0,  2, 2, 8, 1, 1,
	7, 7, 0, 0, 0,   3, 2, 6, 3, 0,  2, 5, 3, 2, 2,  6, 5, 2, 1, 0,  0, 2, 2, 3, 7,
};

Test(agree, fleiss_wikipedia)
{
	struct agree_data d;
	from_counts(&d, wiki_fleiss, 10, 5);
	double k = metric(&d, AGREE_FLEISS, 0, 0);
	cr_assert(fabs(k - 0.210) < 5e-4, "fleiss %f", k);
	/* P-bar and P_e as Wikipedia prints them. */
	struct agree_opts o = AGREE_OPTS_INIT;
	o.metric = AGREE_FLEISS;
	double po, pe;
	uint32_t sel[10];
	for (uint32_t i = 0; i < 10; i++)
		sel[i] = i;
	agree_value(&d, &o, sel, 10, &po, &pe, NULL);
	cr_assert(fabs(po - 0.378) < 5e-4, "P %f", po);
	cr_assert(fabs(pe - 0.213) < 5e-4, "Pe %f", pe);
	agree_data_release(&d);
}

/* A 2-rater contingency table as ratings (row: rater A, column: rater B). */
static void from_table(struct agree_data *d, const int *t, int q)
{
	agree_data_init(d);
	int item = 0;
	for (int a = 0; a < q; a++)
		for (int b = 0; b < q; b++)
			for (int k = 0; k < t[a * q + b]; k++) {
				addi(d, item, 0, a + 1);
				addi(d, item, 1, b + 1);
				item++;
			}
	cr_assert_eq(agree_data_finish(d, NULL), 0);
}

/* Cohen (1960), Table 1 (proportions x 200): p_o .70, p_c .41, kappa .492. */
static const int cohen_1960[9] = {88, 14, 18, 10, 40, 10, 2, 6, 12};

Test(agree, cohen_1960)
{
	struct agree_data d;
	from_table(&d, cohen_1960, 3);
	double k = metric(&d, AGREE_KAPPA, 0, 0);
	cr_assert(fabs(k - 0.492) < 5e-4, "kappa %f", k);
	cr_assert_float_eq(metric(&d, AGREE_PERCENT, 0, 0), 0.70, 1e-12);
	/* Weighted by hand: linear p_o .80, p_e .62; quadratic p_o .85, p_e .725. */
	cr_assert_float_eq(metric(&d, AGREE_WKAPPA, 0, AGREE_W_LINEAR), 0.18 / 0.38, 1e-12);
	cr_assert_float_eq(metric(&d, AGREE_WKAPPA, 0, AGREE_W_QUADRATIC), 0.125 / 0.275, 1e-12);
	/* Identity weights are Cohen's kappa. */
	cr_assert_float_eq(metric(&d, AGREE_WKAPPA, 0, AGREE_W_IDENTITY), k, 1e-12);
	/* Gwet: pi = (.55, .30, .15), sum pi(1-pi) = .585; AC1 p_e = .585/2,
	 * AC2 (linear, T_w = 5) p_e = 5/6 * .585, p_a = .80. */
	cr_assert_float_eq(metric(&d, AGREE_GWET, 0, AGREE_W_IDENTITY), (0.7 - 0.2925) / 0.7075,
			   1e-12);
	cr_assert_float_eq(metric(&d, AGREE_GWET, 0, AGREE_W_LINEAR), (0.8 - 0.4875) / 0.5125,
			   1e-12);
	agree_data_release(&d);
}

/* Wikipedia's Cohen's kappa example: 20 yes/yes, 5 yes/no, 10 no/yes,
 * 15 no/no: p_o .7, p_e .5, kappa .4; AC1 p_e = 2 * .55 * .45 = .495. */
Test(agree, wikipedia_2x2_kappa_and_ac1)
{
	static const int t[4] = {20, 5, 10, 15};
	struct agree_data d;
	from_table(&d, t, 2);
	cr_assert_float_eq(metric(&d, AGREE_KAPPA, 0, 0), 0.4, 1e-12);
	cr_assert_float_eq(metric(&d, AGREE_GWET, 0, 0), (0.7 - 0.495) / 0.505, 1e-12);
	/* Two categories: every weighting is the same as none. */
	cr_assert_float_eq(metric(&d, AGREE_WKAPPA, 0, AGREE_W_QUADRATIC), 0.4, 1e-12);
	/* Fleiss on two raters is Scott's pi: p_e = .55^2 + .45^2. */
	cr_assert_float_eq(metric(&d, AGREE_FLEISS, 0, 0), (0.7 - 0.505) / 0.495, 1e-12);
	/* Nominal alpha = pi corrected for sample size: 1 - (n-1) Do / De with
	 * n = 100 values, o_12 = 15 x 2, n_1 = 55, n_2 = 45. */
	cr_assert_float_eq(metric(&d, AGREE_ALPHA, AGREE_NOMINAL, 0),
			   1 - 99.0 * 30 / (2 * 55 * 45), 1e-12);
	agree_data_release(&d);
}

/* Gwet's irrCAC README: cont3x3abstractors (two abstractors, 100 cases)
 * gives Cohen's kappa 0.7964094, AC1 0.8493305, alpha 0.7972585, percent
 * agreement 0.89; distrib.6raters (the first 15 patients of Fleiss 1971)
 * gives AC1 0.4448007, Fleiss' kappa 0.4139265, alpha 0.4204384. */
Test(agree, gwet_irrcac_tables)
{
	static const int abstractors[9] = {13, 0, 0, 0, 20, 7, 0, 4, 56};
	struct agree_data d;
	from_table(&d, abstractors, 3);
	cr_assert(fabs(metric(&d, AGREE_KAPPA, 0, 0) - 0.7964094) < 5e-8);
	cr_assert(fabs(metric(&d, AGREE_GWET, 0, 0) - 0.8493305) < 5e-8);
	cr_assert(fabs(metric(&d, AGREE_ALPHA, AGREE_NOMINAL, 0) - 0.7972585) < 5e-8);
	cr_assert(fabs(metric(&d, AGREE_PERCENT, 0, 0) - 0.89) < 1e-12);
	agree_data_release(&d);
	from_counts(&d, fleiss_1971, 15, 5);
	cr_assert(fabs(metric(&d, AGREE_GWET, 0, 0) - 0.4448007) < 5e-8);
	cr_assert(fabs(metric(&d, AGREE_FLEISS, 0, 0) - 0.4139265) < 5e-8);
	cr_assert(fabs(metric(&d, AGREE_ALPHA, AGREE_NOMINAL, 0) - 0.4204384) < 5e-8);
	agree_data_release(&d);
}

Test(agree, kappa_needs_two_raters)
{
	struct agree_data d;
	kripp_2011(&d);
	struct agree_opts o = AGREE_OPTS_INIT;
	o.metric = AGREE_KAPPA;
	struct agree_result r;
	struct buf err = BUF_INIT;
	cr_assert_eq(agree_compute(&d, &o, &r, &err), CAIRN_EINVAL);
	cr_assert(strstr(err.data, "two annotators"), "%s", err.data);
	buf_release(&err);
	agree_data_release(&d);
}

Test(agree, interval_needs_numbers)
{
	struct agree_data d;
	agree_data_init(&d);
	add(&d, "a", "x", "cat");
	add(&d, "a", "y", "dog");
	agree_data_finish(&d, NULL);
	cr_assert(!d.numeric);
	struct agree_opts o = AGREE_OPTS_INIT;
	o.metric = AGREE_ALPHA;
	o.level = AGREE_INTERVAL;
	struct agree_result r;
	struct buf err = BUF_INIT;
	cr_assert_eq(agree_compute(&d, &o, &r, &err), CAIRN_EINVAL);
	buf_release(&err);
	/* Nominal works: one unit, two values: D_o = D_e, alpha 0. */
	cr_assert_float_eq(metric(&d, AGREE_ALPHA, AGREE_NOMINAL, 0), 0, 1e-12);
	agree_data_release(&d);
}

Test(agree, undefined_without_variation)
{
	struct agree_data d;
	agree_data_init(&d);
	for (int i = 0; i < 5; i++) {
		addi(&d, i, 0, 1);
		addi(&d, i, 1, 1);
	}
	agree_data_finish(&d, NULL);
	cr_assert(isnan(metric(&d, AGREE_KAPPA, 0, 0)));
	cr_assert(isnan(metric(&d, AGREE_ALPHA, AGREE_NOMINAL, 0)));
	cr_assert_float_eq(metric(&d, AGREE_PERCENT, 0, 0), 1.0, 1e-12);
	agree_data_release(&d);
}

Test(agree, bootstrap_is_seeded_and_brackets)
{
	struct agree_data d;
	from_table(&d, cohen_1960, 3);
	struct agree_opts o = AGREE_OPTS_INIT;
	o.metric = AGREE_KAPPA;
	o.bootstrap = 500;
	o.seed = 42;
	struct agree_result a, b, c;
	cr_assert_eq(agree_compute(&d, &o, &a, NULL), 0);
	cr_assert_eq(agree_compute(&d, &o, &b, NULL), 0);
	cr_assert_eq(a.ci_lo, b.ci_lo);
	cr_assert_eq(a.ci_hi, b.ci_hi);
	cr_assert(a.ci_lo < a.value && a.value < a.ci_hi, "%f [%f %f]", a.value, a.ci_lo, a.ci_hi);
	/* The asymptotic SE of kappa here is about .05: the interval is near
	 * .49 +- .10. */
	cr_assert(a.ci_hi - a.ci_lo > 0.1 && a.ci_hi - a.ci_lo < 0.3, "%f", a.ci_hi - a.ci_lo);
	cr_assert_eq(a.n_boot, 500);
	o.seed = 43;
	cr_assert_eq(agree_compute(&d, &o, &c, NULL), 0);
	cr_assert(c.ci_lo != a.ci_lo || c.ci_hi != a.ci_hi);
	agree_data_release(&d);
}

static struct agree_data read_ok(const char *csv)
{
	struct agree_data d;
	agree_data_init(&d);
	struct buf err = BUF_INIT;
	int rc = agree_read_csv_mem(&d, csv, strlen(csv), "t.csv", &err);
	cr_assert_eq(rc, 0, "%s", err.data);
	buf_release(&err);
	return d;
}

static void read_fails(const char *csv, const char *want)
{
	struct agree_data d;
	agree_data_init(&d);
	struct buf err = BUF_INIT;
	int rc = agree_read_csv_mem(&d, csv, strlen(csv), "t.csv", &err);
	cr_assert_neq(rc, 0, "accepted %s", csv);
	cr_assert(strstr(err.data, want), "got '%s', want '%s'", err.data, want);
	buf_release(&err);
	agree_data_release(&d);
}

Test(agree_csv, reads_quotes_missing_and_crlf)
{
	struct agree_data d = read_ok("\xef\xbb\xbfitem,annotator,label\r\n"
				      "1,ann,cat\r\n"
				      "1,bob,\"cat\"\r\n"
				      "\"2,x\",ann,\"say \"\"hi\"\"\"\r\n"
				      "\"2,x\",bob,\r\n"
				      "\r\n"
				      "3,\"multi\nline\",dog\n");
	cr_assert_eq(d.n_items, 3);
	cr_assert_eq(d.n_raters, 3);
	cr_assert_eq(d.n, 4);
	cr_assert_eq(d.n_missing, 1);
	cr_assert_str_eq(agree_item_name(&d, 1), "2,x");
	cr_assert_str_eq(agree_rater_name(&d, 2), "multi\nline");
	bool found = false;
	for (size_t c = 0; c < d.n_cats; c++)
		found |= !strcmp(agree_cat_name(&d, c), "say \"hi\"");
	cr_assert(found);
	agree_data_release(&d);
}

Test(agree_csv, columns_in_any_order_with_extras)
{
	struct agree_data d = read_ok("label,note,item,annotator\n1,,a,x\n2,,a,y\n");
	cr_assert_eq(d.n, 2);
	cr_assert(d.numeric);
	agree_data_release(&d);
}

Test(agree_csv, errors_name_the_line)
{
	read_fails("", "empty file");
	read_fails("item,label\n1,a\n", "t.csv:1: the header has no 'annotator' column");
	read_fails("item,annotator,label\n1,a,x\n1,b\n", "t.csv:3: expected 3 fields, got 2");
	read_fails("item,annotator,label\n1,a,x\n2,b,y\n1,a,z\n",
		   "t.csv:4: annotator 'a' already labelled item '1' (line 2)");
	read_fails("item,annotator,label\n1,a,\"x\n2,b,y\n", "t.csv:2: a quoted field is not closed");
	read_fails("item,annotator,label\n1,a,x\"y\n", "t.csv:2: a quote inside an unquoted field");
	read_fails("item,annotator,label\n1,a,\"x\"y\n", "t.csv:2: text after a closing quote");
	read_fails("item,annotator,label\n,a,x\n", "t.csv:2: empty item");
	read_fails("item,annotator,label\n1,a,\xff\n", "t.csv:2: field 3 is not valid UTF-8");
	read_fails("item,annotator,label\n1,a,x\n\"2\n\",b,y\n3,c,\"\n", "t.csv:5:");
}

Test(agree_csv, krippendorff_from_csv)
{
	struct buf csv = BUF_INIT;
	struct agree_data d;
	agree_data_init(&d);
	struct buf err = BUF_INIT;
	buf_adds(&csv, "item,annotator,label\n");
	static const int c3[12] = {0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0};
	static const int a[12] = {1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0};
	static const int b[12] = {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3};
	static const int e[12] = {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0};
	const int *rows[4] = {a, b, c3, e};
	for (int r = 0; r < 4; r++)
		for (int u = 0; u < 12; u++) {
			if (rows[r][u])
				buf_addf(&csv, "%d,%c,%d\n", u + 1, 'A' + r, rows[r][u]);
			else
				buf_addf(&csv, "%d,%c,\n", u + 1, 'A' + r);
		}
	cr_assert_eq(agree_read_csv_mem(&d, csv.data, csv.len, "k.csv", &err), 0, "%s", err.data);
	double v = metric(&d, AGREE_ALPHA, AGREE_INTERVAL, 0);
	cr_assert(fabs(v - 0.849) < 5e-4, "%f", v);
	buf_release(&err);
	buf_release(&csv);
	agree_data_release(&d);
}
