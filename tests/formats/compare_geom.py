#!/usr/bin/env python3
"""Shapes of two COCO files match: per image (by base file name), the
multiset of (category name, bbox, polygons) within a tolerance in pixels,
and RLE masks pixel for pixel (compressed counts decoded here). Keypoints,
attributes and ids are not compared. Used for COCO -> F -> Cairn -> COCO
cross checks on `cairn synth` data.
--no-masks leaves A's masks out and --subset asks only that each shape of A
has its own match in B (for formats that trace masks into polygons).
Usage: compare_geom.py [--tol 1e-6] [--boxes-only] [--no-masks] [--subset] A.json B.json"""
import json
import os
import sys


def counts_of(s):
    """COCO's compressed counts string -> list of run lengths."""
    out, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1f) << (5 * k)
            more = c & 0x20
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(out) > 2:
            x += out[-2]
        out.append(x)
    return out


def mask_key(seg):
    h, w = seg['size']
    c = seg['counts']
    if isinstance(c, str):
        c = counts_of(c)
    on, pos, fg = [], 0, False
    for n in c:
        if fg:
            on.append((pos, pos + n))
        pos += n
        fg = not fg
    merged = []
    for a, b in on:
        if b == a:
            continue
        if merged and merged[-1][1] == a:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return ('mask', h, w, tuple(merged))


def shapes(d, boxes_only):
    cats = {c['id']: c['name'] for c in d['categories']}
    ims = {i['id']: os.path.basename(i['file_name']) for i in d['images']}
    out = {n: [] for n in ims.values()}
    for x in d['annotations']:
        seg = x.get('segmentation') or []
        if boxes_only:
            g = None
        elif isinstance(seg, dict):
            g = mask_key(seg)
        else:
            g = ('poly', tuple(tuple(p) for p in seg))
        out[ims[x['image_id']]].append((cats[x['category_id']], tuple(x['bbox']), g))
    return {k: sorted(v, key=lambda t: (t[0], t[1], str(t[2])[:40])) for k, v in out.items()}


def near(p, q, tol):
    if isinstance(p, (int, float)) and isinstance(q, (int, float)):
        return abs(p - q) <= tol
    if isinstance(p, tuple) and isinstance(q, tuple):
        return len(p) == len(q) and all(near(u, v, tol) for u, v in zip(p, q))
    return p == q


def main():
    args = sys.argv[1:]
    tol, boxes_only, no_masks, subset = 1e-6, False, False, False
    while args and args[0].startswith('--'):
        if args[0] == '--tol':
            tol = float(args[1])
            args = args[2:]
        elif args[0] == '--no-masks':
            no_masks = True
            args = args[1:]
        elif args[0] == '--subset':
            subset = True
            args = args[1:]
        elif args[0] == '--boxes-only':
            boxes_only = True
            args = args[1:]
    a, b = (json.load(open(p)) for p in args)
    if no_masks:
        a['annotations'] = [x for x in a['annotations'] if not isinstance(x.get('segmentation'), dict)]
    A, B = shapes(a, boxes_only), shapes(b, boxes_only)
    if sorted(A) != sorted(B):
        print('images differ:', sorted(set(A) ^ set(B)))
        return 1
    bad = 0
    for k in A:
        if len(A[k]) > len(B[k]) or (not subset and len(A[k]) != len(B[k])):
            print(k, 'shape count', len(A[k]), '!=', len(B[k]))
            bad += 1
            continue
        left = list(B[k])
        for p in A[k]:
            hit = next((i for i, q in enumerate(left) if near(p, q, tol)), None)
            if hit is None:
                print(k, 'no match for', str(p)[:200])
                bad += 1
            else:
                left.pop(hit)
    print('shapes equal' if not bad else f'{bad} differences')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
