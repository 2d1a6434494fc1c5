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
import contextlib, io, json, resource, subprocess, sys, time
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
import eval_gen

cairn, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

print("%-5s %6s %6s %6s | %-13s %8s %8s %8s | %7s %7s" % (
    "iou", "images", "gt", "dt", "seconds", "pycoco", "+load", "cairn", "ratio", "+load"))
for kind in ("bbox", "segm"):
    gt, dt = eval_gen.gen(kind, n, 11, out, dets_per_gt=1.7, gt_max=25, heavy_every=50)
    with contextlib.redirect_stdout(io.StringIO()):
        t0, c0 = time.perf_counter(), time.process_time()
        cg = COCO(gt)
        cd = cg.loadRes(dt)
        t1, c1 = time.perf_counter(), time.process_time()
        E = COCOeval(cg, cd, kind)
        E.evaluate(); E.accumulate(); E.summarize()
        t2, c2 = time.perf_counter(), time.process_time()
    wall = cpu = None
    for _ in range(3):
        t3, c3 = time.perf_counter(), child_cpu()
        p = subprocess.run([cairn, "eval", "--gt", gt, "--dt", dt, "--iou-type", kind, "--json"],
                           stdout=subprocess.PIPE, check=True)
        t4, c4 = time.perf_counter(), child_cpu()
        wall = t4 - t3 if wall is None else min(wall, t4 - t3)
        cpu = c4 - c3 if cpu is None else min(cpu, c4 - c3)
    ours = json.loads(p.stdout)
    same = all(abs(a - b) <= 1e-9 for a, b in zip(ours["stats"], E.stats))
    head = "%-5s %6d %6d %6d" % (kind, len(cg.getImgIds()), len(cg.getAnnIds()), len(cd.getAnnIds()))
    for what, py, pyl, ours_s in (("wall", t2 - t1, t2 - t0, wall), ("cpu", c2 - c1, c2 - c0, cpu)):
        print("%s | %-13s %8.2f %8.2f %8.3f | %6.1fx %6.1fx %s" % (
            head, what, py, pyl, ours_s, py / ours_s, pyl / ours_s, "" if same else "STATS DIFFER"))
        head = " " * len(head)
print("(ratio = pycocotools evaluate+accumulate+summarize / cairn eval, whose time includes reading"
      " both JSON files; +load adds pycocotools' COCO() and loadRes(); cairn: best of 3)")
PYEOF
