#!/bin/sh
# bench/quality.sh - the quality API on a project where three annotators
# label every item (a tag and five boxes each, the boxes jittered so they
# match imperfectly): time of GET .../quality/agreement (one walk for the
# categorical and spatial halves with day windows, no bootstrap), of the
# confusion matrix of two annotators, of progress and classes, beside the
# floor of the same walk measured in the same run: sqlite3 reading every
# current annotation body. Prints figures and ratios, never pass/fail.
# BENCH_QUALITY_ITEMS (2000) sets the size.
set -eu
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v sqlite3 >/dev/null; then
	echo "bench quality: skipped: needs node and sqlite3"
	exit 0
fi
[ -x build/cairn ] || make -s build/cairn
CAIRN_TEST_BIN=${CAIRN_BIN:-build/cairn} exec node bench/quality.mjs
