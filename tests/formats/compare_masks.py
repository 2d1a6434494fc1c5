#!/usr/bin/env python3
"""Compares the masks of two COCO exports pixel for pixel.

Usage: compare_masks.py A B [--no-crowd] [--semantic] [--painted]
A and B are COCO JSON files or folders of them (annotations/*.json, matched
by file name). Images are matched by file_name; for each image the multiset
of (category name, iscrowd, set pixels) must be equal. With --no-crowd the
iscrowd flags are not compared; with --semantic the masks of one category
are merged first (what a semantic PNG keeps); with --painted A's masks are
first painted in file order into one image (a later mask wins where they
overlap) and each keeps what stayed visible (what an instance PNG keeps),
crowd flags not compared. Segmentations must be RLE
(compressed or not); polygons are refused. Exit 0 when equal, else 1 with
the first difference.
"""
import glob
import json
import os
import sys


def rle_counts(seg):
    c = seg["counts"]
    if isinstance(c, list):
        return c
    # COCO compressed counts (pycocotools' rleFrString).
    out, p = [], 0
    while p < len(c):
        x, k, more = 0, 0, True
        while more:
            ch = ord(c[p]) - 48
            x |= (ch & 0x1F) << (5 * k)
            more = bool(ch & 0x20)
            p += 1
            k += 1
            if not more and (ch & 0x10):
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return out


def pixels(seg):
    if not isinstance(seg, dict):
        raise SystemExit("polygon segmentation: not a mask")
    pos, on = 0, set()
    for i, n in enumerate(rle_counts(seg)):
        if i % 2:
            on.update(range(pos, pos + n))
        pos += n
    h, w = seg["size"]
    return frozenset(on), (h, w)


def load(path, semantic, crowd, painted=False):
    files = sorted(glob.glob(os.path.join(path, "*.json"))) if os.path.isdir(path) else [path]
    out = {}
    for f in files:
        d = json.load(open(f))
        cats = {c["id"]: c["name"] for c in d["categories"]}
        names = {i["id"]: i["file_name"] for i in d["images"]}
        for i in d["images"]:
            out.setdefault(i["file_name"], [])
        for a in d["annotations"]:
            px, size = pixels(a["segmentation"])
            out[names[a["image_id"]]].append(
                (cats[a["category_id"]], bool(a.get("iscrowd")) if crowd else None, size, px))
    if painted:
        for k, v in out.items():
            owner = {}
            for idx, (_, _, _, px) in enumerate(v):
                for q in px:
                    owner[q] = idx
            vis = {}
            for q, idx in owner.items():
                vis.setdefault(idx, set()).add(q)
            out[k] = [(v[i][0], None, v[i][2], frozenset(p)) for i, p in vis.items()]
    if semantic:
        for k, v in out.items():
            m = {}
            for name, cr, size, px in v:
                m.setdefault((name, size), set()).update(px)
            out[k] = [(n, None, s, frozenset(p)) for (n, s), p in m.items()]
    return {k: sorted(v, key=lambda t: (t[0], str(t[1]), t[2], sorted(t[3]))) for k, v in out.items()}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    semantic = "--semantic" in sys.argv
    painted = "--painted" in sys.argv
    crowd = "--no-crowd" not in sys.argv and not semantic and not painted
    a, b = load(args[0], semantic, crowd, painted), load(args[1], semantic, crowd)
    if sorted(a) != sorted(b):
        print("images differ:", sorted(set(a) ^ set(b))[:5])
        return 1
    for k in a:
        if a[k] != b[k]:
            print(k, "differs:", [(n, c, s, sorted(p)[:8]) for n, c, s, p in a[k]], "vs",
                  [(n, c, s, sorted(p)[:8]) for n, c, s, p in b[k]])
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
