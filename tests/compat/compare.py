#!/usr/bin/python3
# compare.py - feeds identical random masks, polygons and boxes to
# pycocotools and to our geomtool (argv[1]) and checks that the compressed
# strings, areas, bboxes and IoUs agree. Run by tests/compat/run, which puts
# pycocotools on sys.path. Prints failures, then "N passed, N failed".
import math
import random
import subprocess
import sys

import numpy as np
from pycocotools import mask as M

SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
rng = random.Random(SEED)
nrng = np.random.default_rng(SEED)

cases = []   # (line for geomtool, expected answer or checker, description)


def pyc_out(r):
    bb = M.toBbox(r)
    return "%s %d %s" % (r["counts"].decode(), int(M.area(r)),
                         " ".join(repr(float(v)) for v in bb))


def random_mask(h, w):
    m = np.zeros((h, w), np.uint8, order="F")
    for _ in range(rng.randint(0, 4)):
        kind = rng.random()
        y0, x0 = rng.randrange(h), rng.randrange(w)
        y1, x1 = rng.randint(y0, h), rng.randint(x0, w)
        if kind < 0.5:
            m[y0:y1, x0:x1] = 1
        elif kind < 0.8:
            m[y0:y1, x0:x1] = nrng.random((y1 - y0, x1 - x0)) < 0.5
        else:
            m[y0:y1, x0:x1] = 0
    if rng.random() < 0.05:
        m[:] = 1
    return m


def bits(m):
    return "".join("1" if v else "0" for v in m.flatten(order="F"))


def random_poly(h, w):
    k = rng.randint(3, 12)
    style = rng.random()
    pts = []
    for _ in range(k):
        if style < 0.3:     # integer vertices
            x, y = rng.randint(-3, w + 3), rng.randint(-3, h + 3)
        elif style < 0.5:   # half-pixel grid, lots of ties
            x, y = rng.randint(-6, 2 * w + 6) / 2, rng.randint(-6, 2 * h + 6) / 2
        elif style < 0.6:   # tiny polygons
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            x, y = cx + rng.uniform(-1, 1), cy + rng.uniform(-1, 1)
        else:
            x, y = rng.uniform(-0.2 * w, 1.2 * w), rng.uniform(-0.2 * h, 1.2 * h)
        pts += [x, y]
    return pts


def fmt(v):
    return repr(float(v))


for i in range(COUNT):
    h, w = rng.randint(1, 60), rng.randint(1, 60)
    # bitmap -> RLE
    m = random_mask(h, w)
    r = M.encode(m)
    cases.append(("enc %d %d %s" % (h, w, bits(m)), pyc_out(r), "encode"))
    # string -> RLE -> string, and decode
    cases.append(("str %d %d %s" % (h, w, r["counts"].decode()), pyc_out(r), "string"))
    if i % 10 == 0:
        cases.append(("dec %d %d %s" % (h, w, r["counts"].decode()),
                      bits(M.decode(r)), "decode"))
    # polygon -> RLE
    p = random_poly(h, w)
    rp = M.frPyObjects([p], h, w)[0]
    cases.append(("poly %d %d %d %s" % (h, w, len(p) // 2, " ".join(fmt(v) for v in p)),
                  pyc_out(rp), "polygon"))
    # box -> RLE
    bb = [rng.uniform(-5, w), rng.uniform(-5, h), rng.uniform(0, w), rng.uniform(0, h)]
    if rng.random() < 0.3:
        bb = [float(int(v)) for v in bb]
    rb = M.frPyObjects(np.array([bb], dtype=np.float64), h, w)[0]
    cases.append(("bbox %d %d %s" % (h, w, " ".join(fmt(v) for v in bb)),
                  pyc_out(rb), "box"))
    # merge, union and intersection, of 2..5 masks
    k = rng.randint(2, 5)
    rs = [M.encode(random_mask(h, w)) for _ in range(k)]
    for inter in (0, 1):
        mr = M.merge(rs, intersect=inter)
        cases.append(("merge %d %d %d %d %s" % (h, w, inter, k,
                      " ".join(x["counts"].decode() for x in rs)), pyc_out(mr),
                      "merge-" + ("inter" if inter else "union")))
    # IoU matrix, crowd and non-crowd
    nd, ng = rng.randint(1, 5), rng.randint(1, 5)
    dts = [M.encode(random_mask(h, w)) for _ in range(nd)]
    gts = [M.encode(random_mask(h, w)) for _ in range(ng)]
    crowd = [rng.random() < 0.4 for _ in range(ng)]
    o = M.iou(dts, gts, [int(c) for c in crowd])
    o = np.array(o, dtype=np.float64).reshape(nd, ng) if nd * ng else np.zeros((nd, ng))
    cases.append(("iou %d %d %d %d %s %s %s" % (h, w, nd, ng, "".join("1" if c else "0" for c in crowd),
                  " ".join(x["counts"].decode() for x in dts),
                  " ".join(x["counts"].decode() for x in gts)),
                  ("iou", o.flatten()), "iou-crowd" if any(crowd) else "iou"))

# A few larger masks and polygons.
for i in range(COUNT // 20):
    h, w = rng.randint(100, 400), rng.randint(100, 400)
    p = random_poly(h, w)
    rp = M.frPyObjects([p], h, w)[0]
    cases.append(("poly %d %d %d %s" % (h, w, len(p) // 2, " ".join(fmt(v) for v in p)),
                  pyc_out(rp), "polygon-large"))

# Combs: many teeth cross the same columns dozens of times (the rasteriser
# sorts each column's crossings; past 16 it takes another path).
def comb_poly(h, w):
    k = rng.randint(10, 60)
    x0, y0 = rng.uniform(-5, w / 2), rng.uniform(-5, h / 4)
    ln, step = rng.uniform(2, w / 2), rng.uniform(0.3, 3)
    pts = [x0, y0]
    for i in range(k):
        y = y0 + (2 * i + 1) * step
        pts += [x0 + ln, y, x0 + ln * rng.uniform(0, 0.3), y + step]
    return pts + [x0, y0 + (2 * k + 1) * step]


for i in range(COUNT // 20):
    h, w = rng.randint(20, 300), rng.randint(20, 300)
    p = comb_poly(h, w)
    rp = M.frPyObjects([p], h, w)[0]
    cases.append(("poly %d %d %d %s" % (h, w, len(p) // 2, " ".join(fmt(v) for v in p)),
                  pyc_out(rp), "polygon-comb"))

# Many vertices (past the 128 the rasteriser keeps on its stack): wobbly
# circles of 100 to 400 points.
for i in range(COUNT // 20):
    h, w = rng.randint(20, 300), rng.randint(20, 300)
    k = rng.randint(100, 400)
    cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, max(h, w) / 2)
    p = []
    for j in range(k):
        t = 2 * math.pi * j / k
        rr = r * rng.uniform(0.8, 1.0)
        p += [cx + rr * math.cos(t), cy + rr * math.sin(t)]
    rp = M.frPyObjects([p], h, w)[0]
    cases.append(("poly %d %d %d %s" % (h, w, len(p) // 2, " ".join(fmt(v) for v in p)),
                  pyc_out(rp), "polygon-many"))

inp = "".join(c[0] + "\n" for c in cases)
res = subprocess.run([sys.argv[1]], input=inp.encode(), stdout=subprocess.PIPE, check=True)
lines = res.stdout.decode().split("\n")
passed = failed = 0
by_kind = {}
for (line, want, kind), got in zip(cases, lines):
    ok = False
    if isinstance(want, tuple):
        vals = [float(v) for v in got.split()] if got else []
        ok = len(vals) == len(want[1]) and all(abs(a - b) <= 1e-12 for a, b in zip(vals, want[1]))
    elif want.count(" ") == 5:
        # STR AREA x y w h: the string and area exactly, the box as numbers.
        g, w_ = got.split(" "), want.split(" ")
        try:
            ok = (len(g) == 6 and g[:2] == w_[:2]
                  and [float(v) for v in g[2:]] == [float(v) for v in w_[2:]])
        except ValueError:
            ok = False
    else:
        ok = got == want
    st = by_kind.setdefault(kind, [0, 0])
    if ok:
        passed += 1
        st[0] += 1
    else:
        failed += 1
        st[1] += 1
        if failed <= 10:
            print("FAIL %s\n  input: %s\n  want:  %s\n  got:   %s" % (kind, line[:300], str(want)[:300], got[:300]))
for kind in sorted(by_kind):
    print("  %-14s %6d passed %4d failed" % (kind, by_kind[kind][0], by_kind[kind][1]))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
