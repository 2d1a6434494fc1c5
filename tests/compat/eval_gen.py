#!/usr/bin/python3
# eval_gen.py - synthetic COCO ground truth and detections for comparing
# `cairn eval` with pycocotools' COCOeval (tests/compat/eval_compare.py) and
# for bench/eval.sh. Crowd regions, objects in every area range, scores with
# ties, images without ground truth, a category without detections and one
# without ground truth, images with more than 100 detections.
# Usage as a module: gen(kind, n_images, seed, dir) -> (gt_path, dt_path)
# kind: bbox | segm | segm_bbox (detections carry bbox and polygons) | keypoints
import json
import math
import random

import numpy as np
from pycocotools import mask as M

# Ten sizes spread over small (< 32^2), medium and large (> 96^2).
SIZES = [4, 10, 20, 28, 40, 60, 90, 120, 200, 300]


def star(rng, cx, cy, r):
    k = rng.randint(5, 12)
    pts = []
    for i in range(k):
        t = 2 * math.pi * i / k
        rr = r * rng.uniform(0.5, 1.0)
        pts += [round(cx + rr * math.cos(t), 2), round(cy + rr * math.sin(t), 2)]
    return pts


def jitter_poly(rng, p, s):
    return [round(v + rng.uniform(-s, s), 2) for v in p]


def gen(kind, n_images, seed, out_dir, dets_per_gt=2.0, gt_max=12, heavy_every=13):
    rng = random.Random(seed)
    K = 6
    # K + 1 has nothing at all; K + 2 has detections but no ground truth
    cats = [{"id": c, "name": "class%d" % c} for c in range(1, K + 3)]
    if kind == "keypoints":
        cats = [{"id": 1, "name": "person", "keypoints": ["k%d" % i for i in range(17)]},
                {"id": 2, "name": "other", "keypoints": ["k%d" % i for i in range(17)]}]
    images, anns, dets = [], [], []
    aid = 1
    for i in range(n_images):
        w, h = rng.choice([(640, 480), (500, 375), (320, 240), (800, 600)])
        img_id = 3 * i + 7  # not contiguous, not starting at 1
        images.append({"id": img_id, "width": w, "height": h, "file_name": "%d.jpg" % img_id})
        # Every 7th image has no ground truth; every 11th neither.
        n_gt = 0 if i % 7 == 3 or i % 11 == 5 else rng.randint(1, gt_max)
        gts = []
        for _ in range(n_gt):
            cat = rng.randint(1, K - 1) if kind != "keypoints" else rng.choice([1, 1, 1, 2])
            # category K has ground truth only on a few images; K-1 gets no detections
            if kind != "keypoints" and rng.random() < 0.05:
                cat = K
            s = rng.choice(SIZES) * rng.uniform(0.8, 1.2)
            bw, bh = s * rng.uniform(0.6, 1.4), s * rng.uniform(0.6, 1.4)
            x, y = rng.uniform(0, max(1, w - bw)), rng.uniform(0, max(1, h - bh))
            bw, bh = min(bw, w - x), min(bh, h - y)
            crowd = 1 if rng.random() < 0.08 else 0
            a = {"id": aid, "image_id": img_id, "category_id": cat, "iscrowd": crowd,
                 "bbox": [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]}
            aid += 1
            if kind in ("segm", "segm_bbox"):
                poly = star(rng, x + bw / 2, y + bh / 2, min(bw, bh) / 2)
                if crowd:
                    rle = M.merge(M.frPyObjects([poly], h, w))
                    flat = M.decode(rle).flatten(order="F")
                    edges = np.flatnonzero(np.diff(flat)) + 1
                    runs = np.diff(np.concatenate(([0], edges, [flat.size])))
                    enc = ([0] if flat[0] else []) + [int(v) for v in runs]
                    a["segmentation"] = {"size": [h, w], "counts": enc}
                else:
                    a["segmentation"] = [poly]
                a["area"] = float(M.area(M.merge(M.frPyObjects([poly], h, w))))
                a["_poly"] = poly
            elif kind == "keypoints":
                kp = []
                nvis = 0
                none = rng.random() < 0.1
                for _ in range(17):
                    v = 0 if none or rng.random() < 0.3 else rng.choice([1, 2])
                    px, py = round(rng.uniform(x, x + bw), 2), round(rng.uniform(y, y + bh), 2)
                    kp += [px if v else 0, py if v else 0, v]
                    nvis += v > 0
                a["keypoints"] = kp
                a["num_keypoints"] = nvis
                a["area"] = round(bw * bh * rng.uniform(0.5, 1.0), 2)
            else:
                # the area field is not the box's area, as in COCO
                a["area"] = round(bw * bh * rng.uniform(0.6, 1.0), 2)
                a["segmentation"] = []
            anns.append(a)
            gts.append(a)
        # detections: jittered copies, scores on a 0.05 grid (ties)
        for g in gts:
            if kind != "keypoints" and g["category_id"] == K - 1:
                continue
            n = int(dets_per_gt) + (1 if rng.random() < dets_per_gt - int(dets_per_gt) else 0)
            for _ in range(n):
                x, y, bw, bh = g["bbox"]
                j = max(bw, bh) * rng.uniform(0, 0.35)
                d = {"image_id": img_id, "category_id": g["category_id"],
                     "score": round(rng.randint(1, 20) * 0.05, 2)}
                if rng.random() < 0.1:
                    d["category_id"] = rng.randint(1, K - 2) if kind != "keypoints" else 1
                nb = [round(x + rng.uniform(-j, j), 2), round(y + rng.uniform(-j, j), 2),
                      round(max(1, bw + rng.uniform(-j, j)), 2), round(max(1, bh + rng.uniform(-j, j)), 2)]
                if kind == "bbox":
                    d["bbox"] = nb
                elif kind in ("segm", "segm_bbox"):
                    p = g.get("_poly") or star(rng, x + bw / 2, y + bh / 2, min(bw, bh) / 2)
                    p = jitter_poly(rng, p, j / 2 + 0.5)
                    if kind == "segm_bbox":
                        d["bbox"] = nb
                        d["segmentation"] = [p]
                    else:
                        r = M.merge(M.frPyObjects([p], h, w))
                        d["segmentation"] = {"size": [h, w], "counts": r["counts"].decode()}
                else:
                    d["keypoints"] = []
                    for q in range(17):
                        gx, gy = g["keypoints"][3 * q], g["keypoints"][3 * q + 1]
                        if gx == 0 and gy == 0:
                            gx, gy = rng.uniform(x, x + bw), rng.uniform(y, y + bh)
                        d["keypoints"] += [round(gx + rng.uniform(-j, j) / 4, 2),
                                           round(gy + rng.uniform(-j, j) / 4, 2), 1]
                dets.append(d)
        # false positives, and one image in 13 with 120 of them
        nfp = 120 if i % heavy_every == 2 else rng.randint(0, 3)
        for _ in range(nfp):
            s = rng.choice(SIZES)
            x, y = rng.uniform(0, w - 4), rng.uniform(0, h - 4)
            bw, bh = min(s, w - x), min(s, h - y)
            d = {"image_id": img_id, "score": round(rng.randint(1, 20) * 0.05, 2),
                 "category_id": rng.randint(1, K - 2) if kind != "keypoints" else 1}
            if kind != "keypoints" and rng.random() < 0.03:
                d["category_id"] = K + 2
            if kind == "bbox":
                d["bbox"] = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
            elif kind in ("segm", "segm_bbox"):
                p = star(rng, x + bw / 2, y + bh / 2, max(1.0, min(bw, bh) / 2))
                if kind == "segm_bbox":
                    d["bbox"] = [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)]
                    d["segmentation"] = [p]
                else:
                    r = M.merge(M.frPyObjects([p], h, w))
                    d["segmentation"] = {"size": [h, w], "counts": r["counts"].decode()}
            else:
                d["keypoints"] = []
                for q in range(17):
                    d["keypoints"] += [round(rng.uniform(x, x + bw), 2), round(rng.uniform(y, y + bh), 2), 1]
            dets.append(d)
    for a in anns:
        a.pop("_poly", None)
    rng.shuffle(dets)
    gt_path, dt_path = "%s/%s_gt.json" % (out_dir, kind), "%s/%s_dt.json" % (out_dir, kind)
    with open(gt_path, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    with open(dt_path, "w") as f:
        json.dump(dets, f)
    return gt_path, dt_path
