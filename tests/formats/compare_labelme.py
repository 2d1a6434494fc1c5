#!/usr/bin/env python3
"""Compares two folders of LabelMe JSON files up to the normalisations of
docs/formats/labelme.md: files matched by name; rectangle corners as
(min, max); a circle's point on the circle may be any point at the same
radius; image flags that are false are dropped; a shape flag that is
missing is false; empty description and null group_id are the same as
absent; imageData and version are ignored; numbers within 1e-6.
Usage: compare_labelme.py A_DIR B_DIR"""
import json
import math
import os
import sys


def norm_shape(s):
    t = s.get('shape_type') or 'polygon'
    p = [list(map(float, q)) for q in s['points']]
    if t == 'rectangle':
        (x0, y0), (x1, y1) = p
        p = [[min(x0, x1), min(y0, y1)], [max(x0, x1), max(y0, y1)]]
    if t == 'circle':
        (cx, cy), (x, y) = p
        p = [[cx, cy], [math.hypot(x - cx, y - cy), 0]]
    return {'label': s['label'], 'type': t, 'points': p,
            'group_id': s.get('group_id'), 'description': s.get('description') or '',
            'flags': {k: v for k, v in (s.get('flags') or {}).items() if v}}


def load(path):
    d = json.load(open(path))
    return {'imagePath': os.path.basename(d['imagePath']),
            'size': (d.get('imageWidth'), d.get('imageHeight')),
            'flags': sorted(k for k, v in (d.get('flags') or {}).items() if v),
            'shapes': [norm_shape(s) for s in d.get('shapes') or []]}


def close(a, b, path):
    if isinstance(a, float) or isinstance(b, float):
        assert abs(a - b) <= 1e-6, f'{path}: {a} != {b}'
    elif isinstance(a, dict):
        assert set(a) == set(b), f'{path}: {sorted(a)} != {sorted(b)}'
        for k in a:
            close(a[k], b[k], f'{path}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f'{path}: {len(a)} != {len(b)} items'
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f'{path}[{i}]')
    else:
        assert a == b, f'{path}: {a!r} != {b!r}'


def main():
    a, b = sys.argv[1:3]
    fa = sorted(f for f in os.listdir(a) if f.endswith('.json') and f != 'loss-report.json')
    fb = sorted(f for f in os.listdir(b) if f.endswith('.json') and f != 'loss-report.json')
    assert fa == fb, f'files {fa} != {fb}'
    for f in fa:
        close(load(os.path.join(a, f)), load(os.path.join(b, f)), f)
    print(f'{len(fa)} files equal')


if __name__ == '__main__':
    try:
        main()
    except AssertionError as e:
        print('compare_labelme:', e, file=sys.stderr)
        sys.exit(1)
