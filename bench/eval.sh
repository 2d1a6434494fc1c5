#!/bin/sh
# bench/eval.sh - times `cairn eval` beside pycocotools' COCOeval on the same
# synthetic ground truth and detections (tests/compat/eval_gen.py): 5,000
# images, about 50k ground-truth objects and 100k detections, bbox and segm.
# pycocotools is timed for evaluate+accumulate+summarize (its JSON loading
# apart); cairn for the whole command, its JSON loading included. Prints both
# and the ratio (> 1: cairn is faster). pycocotools is looked for in
# $COCOAPI_DIR (default /tmp/cocoapi/PythonAPI); without it this says so and
# exits 0. EVAL_BENCH_IMAGES changes the size.
set -e
cd "$(dirname "$0")/.."
COCOAPI_DIR=${COCOAPI_DIR:-/tmp/cocoapi/PythonAPI}
PY=/usr/bin/python3
if ! PYTHONPATH="$COCOAPI_DIR" "$PY" -c 'import numpy, pycocotools._mask' 2>/dev/null; then
	echo "bench eval: skipped: pycocotools is not built in $COCOAPI_DIR"
	exit 0
fi
[ -x build/cairn ] || { echo "bench eval: build/cairn is missing (make build/cairn)"; exit 1; }
mkdir -p build/bench/eval
PYTHONPATH="$COCOAPI_DIR:tests/compat" exec "$PY" - build/cairn build/bench/eval "${EVAL_BENCH_IMAGES:-5000}" <<'PYEOF'
import contextlib, io, json, subprocess, sys, time
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
import eval_gen

cairn, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("%-6s %7s %7s %8s | %10s %10s %10s | %9s %9s" % (
    "iou", "images", "gt", "dt", "pycoco s", "+load s", "cairn s", "ratio", "+load"))
for kind in ("bbox", "segm"):
    gt, dt = eval_gen.gen(kind, n, 11, out, dets_per_gt=1.7, gt_max=25, heavy_every=50)
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        cg = COCO(gt)
        cd = cg.loadRes(dt)
        t1 = time.perf_counter()
        E = COCOeval(cg, cd, kind)
        E.evaluate(); E.accumulate(); E.summarize()
        t2 = time.perf_counter()
    best = None
    for _ in range(3):
        t3 = time.perf_counter()
        p = subprocess.run([cairn, "eval", "--gt", gt, "--dt", dt, "--iou-type", kind, "--json"],
                           stdout=subprocess.PIPE, check=True)
        t4 = time.perf_counter()
        best = t4 - t3 if best is None else min(best, t4 - t3)
    ours = json.loads(p.stdout)
    same = all(abs(a - b) <= 1e-9 for a, b in zip(ours["stats"], E.stats))
    py, pyl = t2 - t1, t2 - t0
    print("%-6s %7d %7d %8d | %10.2f %10.2f %10.3f | %8.1fx %8.1fx %s" % (
        kind, len(cg.getImgIds()), len(cg.getAnnIds()), len(cd.getAnnIds()), py, pyl, best,
        py / best, pyl / best, "" if same else "STATS DIFFER"))
print("(ratio = pycocotools evaluate+accumulate+summarize seconds / cairn eval seconds, best of 3;"
      " +load adds pycocotools' JSON loading and loadRes)")
PYEOF
