#!/bin/sh
# bench/geom.sh - times src/geom/'s mask operations beside pycocotools' (its
# C core as called from Python) on identical inputs, at several mask sizes
# and object counts, and prints speed ratios (pycocotools time / ours; > 1
# means we are faster). pycocotools is looked for in $COCOAPI_DIR (default
# /tmp/cocoapi/PythonAPI, built in place); without it this says so and exits 0.
set -e
cd "$(dirname "$0")/.."
COCOAPI_DIR=${COCOAPI_DIR:-/tmp/cocoapi/PythonAPI}
PY=/usr/bin/python3
if ! PYTHONPATH="$COCOAPI_DIR" "$PY" -c 'import numpy, pycocotools._mask' 2>/dev/null; then
	echo "bench geom: skipped: pycocotools is not built in $COCOAPI_DIR"
	exit 0
fi
mkdir -p build/bench
${CC:-cc} -std=c17 -D_GNU_SOURCE -Isrc -O2 -g -o build/bench/bench_geom_sa \
	bench/bench_geom.c src/geom/*.c src/base/buf.c src/base/err.c -lm
CONFIGS=${GEOM_BENCH_CONFIGS:-"100:10:10 100:1000:1000 100:10000:100 1000:10:10 1000:100:100 4000:10:10 4000:10000:1000"}
PYTHONPATH="$COCOAPI_DIR" exec "$PY" - build/bench/bench_geom_sa $CONFIGS <<'PYEOF'
import math, random, subprocess, sys, time
import numpy as np
from pycocotools import mask as M

tool = sys.argv[1]
ops = ["encode", "decode", "area", "toBbox", "merge", "frString", "iou", "iou_crowd", "frPoly"]

def timeit(fn):
    t0 = time.perf_counter(); reps = 0
    while True:
        fn(); reps += 1
        t = time.perf_counter() - t0
        if t >= 0.2:
            return t / reps

def star(rng, size, n_img_side):
    r = rng.uniform(0.02, 0.15) * size
    cx, cy = rng.uniform(0, size), rng.uniform(0, size)
    k = rng.randint(5, 30)
    pts = []
    for i in range(k):
        t = 2 * math.pi * i / k
        rr = r * rng.uniform(0.4, 1.0)
        pts += [cx + rr * math.cos(t), cy + rr * math.sin(t)]
    return pts

print("%-16s %s" % ("size x objects", " ".join("%9s" % o for o in ops)))
rng = random.Random(5)
for cfg in sys.argv[2:]:
    size, nd, ng = (int(v) for v in cfg.split(":"))
    h = w = size
    polys = [star(rng, size, 1) for _ in range(nd + ng)]
    rles = [M.frPyObjects([p], h, w)[0] for p in polys]
    crowd = [1 if rng.random() < 0.3 else 0 for _ in range(ng)]
    path = "build/bench/geom_input.txt"
    with open(path, "w") as f:
        f.write("%d %d %d %d\n" % (h, w, nd, ng))
        for p in polys:
            f.write("%d %s\n" % (len(p) // 2, " ".join(repr(v) for v in p)))
        for r in rles:
            f.write(r["counts"].decode() + "\n")
        f.write("".join(str(c) for c in crowd) + "\n")
    dt, gt = rles[:nd], rles[nd:]
    nbm = min(nd, 64)
    bms = np.asfortranarray(M.decode(dt[:nbm]))
    scale = nd / nbm
    py = {}
    py["encode"] = timeit(lambda: M.encode(bms)) * scale
    py["decode"] = timeit(lambda: M.decode(dt[:nbm])) * scale
    py["area"] = timeit(lambda: M.area(dt))
    py["toBbox"] = timeit(lambda: M.toBbox(dt))
    py["merge"] = timeit(lambda: M.merge(dt))
    strs = [{"size": r["size"], "counts": r["counts"]} for r in dt]
    py["frString"] = timeit(lambda: M.area(strs))  # parses every string
    py["iou"] = timeit(lambda: M.iou(dt, gt, [0] * ng))
    py["iou_crowd"] = timeit(lambda: M.iou(dt, gt, crowd))
    py["frPoly"] = timeit(lambda: M.frPyObjects(polys[:nd], h, w))
    out = subprocess.run([tool, path], stdout=subprocess.PIPE, check=True).stdout.decode()
    ours = {l.split()[0]: float(l.split()[1]) for l in out.splitlines()}
    print("%-16s %s" % ("%dx%d x %d/%d" % (h, w, nd, ng),
          " ".join("%8.1fx" % (py[o] / ours[o]) for o in ops)))
print("(ratio = pycocotools seconds / cairn seconds; frString is pycocotools' area() on string RLEs, which parses them)")
PYEOF
