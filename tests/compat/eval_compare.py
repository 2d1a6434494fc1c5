#!/usr/bin/python3
# eval_compare.py - runs pycocotools' COCOeval and `cairn eval --json` on the
# same synthetic ground truth and detections (eval_gen.py) for bbox, segm
# (RLE detections, and polygon detections with boxes) and keypoints, and
# checks every summary number and every category's precision curves and
# recalls agree within 1e-9. Run by tests/compat/run with pycocotools on
# sys.path. Prints failures, then "N passed, N failed".
# Usage: eval_compare.py CAIRN [SEED [N_IMAGES]]
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_gen  # noqa: E402

CAIRN = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 1
N = int(sys.argv[3]) if len(sys.argv) > 3 else 120
TOL = 1e-9
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def close(a, b):
    return abs(a - b) <= TOL


def run_case(kind, seed, tmp):
    gt, dt = eval_gen.gen(kind, N, seed, tmp)
    iou_type = "segm" if kind.startswith("segm") else kind
    with contextlib.redirect_stdout(io.StringIO()) as text:
        cg = COCO(gt)
        cd = cg.loadRes(dt)
        E = COCOeval(cg, cd, iou_type)
        E.evaluate()
        E.accumulate()
        E.summarize()
    summary = [l for l in text.getvalue().splitlines() if l.startswith(" Average")]
    p = subprocess.run([CAIRN, "eval", "--gt", gt, "--dt", dt, "--iou-type", iou_type, "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        check(False, "%s seed %d: cairn eval failed: %s" % (kind, seed, p.stderr.decode()))
        return
    ours = json.loads(p.stdout)
    check(len(ours["stats"]) == len(E.stats), "%s: %d stats, pycocotools %d" % (kind, len(ours["stats"]), len(E.stats)))
    for i, (a, b) in enumerate(zip(ours["stats"], E.stats)):
        check(close(a, b), "%s seed %d: stats[%d] %r, pycocotools %r" % (kind, seed, i, a, b))
    # the text summary is pycocotools' to the character
    t = subprocess.run([CAIRN, "eval", "--gt", gt, "--dt", dt, "--iou-type", iou_type],
                       stdout=subprocess.PIPE).stdout.decode().splitlines()
    check(t == summary, "%s seed %d: summary text differs:\n%s\n%s" % (kind, seed, "\n".join(t), "\n".join(summary)))
    prec, rec = E.eval["precision"], E.eval["recall"]
    cat_ids = sorted(cg.getCatIds())
    check([c["category_id"] for c in ours["per_class"]] == cat_ids, "%s: category order" % kind)
    for k, c in enumerate(ours["per_class"]):
        want_p = prec[:, :, k, 0, -1]
        got_p = np.array(c["precision"])
        check(got_p.shape == want_p.shape and np.all(np.abs(got_p - want_p) <= TOL),
              "%s seed %d: category %d precision differs" % (kind, seed, c["category_id"]))
        want_r = rec[:, k, 0, -1]
        check(np.all(np.abs(np.array(c["recall"]) - want_r) <= TOL),
              "%s seed %d: category %d recall %r, pycocotools %r" % (kind, seed, c["category_id"], c["recall"], list(want_r)))
        s = prec[:, :, k, 0, -1]
        want_ap = np.mean(s[s > -1]) if np.any(s > -1) else -1
        check(close(c["stats"][0], want_ap), "%s: category %d AP %r, pycocotools %r" % (kind, c["category_id"], c["stats"][0], want_ap))


with tempfile.TemporaryDirectory() as tmp:
    for kind in ("bbox", "segm", "segm_bbox", "keypoints"):
        for seed in (SEED, SEED + 1):
            run_case(kind, seed, tmp)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
