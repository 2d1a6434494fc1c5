#!/bin/sh
# bench/annotation.sh - parse + validate + serialise of 10,000-object
# annotation documents (src/core/annotation.c) beside jansson alone loading
# and dumping the same bytes in the same run; prints ms per document and the
# ratio. BENCH_ANNOTATION_OBJECTS (default 10000) and _RUNS (default 7).
set -eu
cd "$(dirname "$0")/.."
B=build/bench/bench_annotation
[ -x "$B" ] || make -s "$B"
exec "$B" "${BENCH_ANNOTATION_OBJECTS:-10000}" "${BENCH_ANNOTATION_RUNS:-7}"
