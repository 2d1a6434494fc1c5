/*
 * fuzz_agree_csv.c - libFuzzer entry: the long-format ratings CSV reader
 * (quality/agree.c) on arbitrary bytes, then every coefficient on what it
 * read, with a short bootstrap, and the per-pair and per-category breakdowns. Must never crash, leak or hang.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/buf.h"
#include "quality/agree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT;
	struct agree_data d;
	agree_data_init(&d);
	if (agree_read_csv_mem(&d, (const char *)data, size, "fuzz.csv", &err) == 0) {
		struct agree_opts o = AGREE_OPTS_INIT;
		o.bootstrap = 5;
		for (int m = 0; m < AGREE_METRIC_COUNT_; m++) {
			struct agree_result r;
			o.metric = (enum agree_metric)m;
			o.level = (enum agree_level)(size % AGREE_LEVEL_COUNT_);
			o.weights = (enum agree_weights)(size % AGREE_W_COUNT_);
			buf_reset(&err);
			agree_compute(&d, &o, &r, &err);
		}
		struct agree_pair *p;
		size_t np;
		if (agree_pairs(&d, &p, &np, NULL) == 0)
			free(p);
		double *k = calloc(d.n_cats + 1, sizeof(double)), *s = calloc(d.n_cats + 1, sizeof(double));
		if (k && s)
			agree_categories(&d, k, s);
		free(k);
		free(s);
	}
	agree_data_release(&d);
	buf_release(&err);
	return 0;
}
