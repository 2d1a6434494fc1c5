#!/usr/bin/env python3
"""Compares two folders of MOT or KITTI text files row by row.

Usage: compare_text_rows.py mot|kitti A B
mot: gt/gt.txt rows (numbers compared as numbers, so 1.0 equals 1; the
class column compared through gt/labels.txt names) in any order, and
seqinfo.ini's imWidth, imHeight, seqLength and imExt when A has them.
kitti: every label_2/*.txt under A has the same rows under B (type as text,
every other column as a number). Exit 0 when equal.
"""
import glob
import os
import sys


def num(t):
    return float(t)


def mot_rows(root):
    # Without gt/labels.txt the classes are MOT16's.
    names = ["pedestrian", "person_on_vehicle", "car", "bicycle", "motorbike",
             "non_motorized_vehicle", "static_person", "distractor", "occluder",
             "occluder_on_the_ground", "occluder_full", "reflection"]
    lp = os.path.join(root, "gt", "labels.txt")
    if os.path.exists(lp):
        names = [l.strip() for l in open(lp) if l.strip()]
    rows = []
    for line in open(os.path.join(root, "gt", "gt.txt")):
        if not line.strip():
            continue
        t = line.strip().split(",")
        r = [num(x) for x in t]
        if len(r) >= 8 and r[7] > 0 and names:
            r[7] = names[int(r[7]) - 1]
        rows.append(tuple(str(x) for x in r))
    return sorted(rows)


def seqinfo(root):
    p = os.path.join(root, "seqinfo.ini")
    if not os.path.exists(p):
        return None
    kv = dict(l.strip().split("=", 1) for l in open(p) if "=" in l)
    return {k: kv.get(k) for k in ("imWidth", "imHeight", "seqLength", "imExt")}


def kitti_rows(root):
    out = {}
    for f in glob.glob(os.path.join(root, "**", "label_2", "*.txt"), recursive=True):
        rel = os.path.relpath(f, root)
        out[rel] = sorted(tuple([l.split()[0]] + [num(x) for x in l.split()[1:]])
                          for l in open(f) if l.strip())
    return out


def main():
    kind, a, b = sys.argv[1:4]
    if kind == "mot":
        ra, rb = mot_rows(a), mot_rows(b)
        if ra != rb:
            print("gt.txt rows differ:", ra[:3], rb[:3])
            return 1
        sa = seqinfo(a)
        if sa and sa != seqinfo(b):
            print("seqinfo differs:", sa, seqinfo(b))
            return 1
        return 0
    ka, kb = kitti_rows(a), kitti_rows(b)
    if ka != kb:
        for k in sorted(set(ka) | set(kb)):
            if ka.get(k) != kb.get(k):
                print(k, ka.get(k), "!=", kb.get(k))
                break
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
