#!/usr/bin/env python3
"""Compares two Label Studio JSON exports up to the normalisations of
docs/formats/labelstudio.md: tasks matched by id; data.image by base name;
one annotation per task (the first not cancelled; its id, completed_by and
times ignored); results matched by (id, type, from_name); numbers within
1e-6; brush masks compared as decoded masks (a decoder written here from the
documented bit stream, independent of Cairn's); keypoint width, "closed",
image_rotation and empty parentID ignored; choices as sets; text tasks
(no image) skipped; in predictions, a result without a score has its
prediction's score.
Usage: compare_labelstudio.py [--predictions] A.json B.json
"""
import json
import sys
import urllib.parse


def bits_of(data):
    return ''.join(format(b, '08b') for b in data)


def ls_decode(rle):
    """Label Studio's brush RLE -> list of values (alpha channel of RGBA)."""
    s = bits_of(rle)
    pos = 0

    def read(n):
        nonlocal pos
        v = int(s[pos:pos + n], 2)
        pos += n
        return v
    num = read(32)
    ws = read(5) + 1
    sizes = [read(4) + 1 for _ in range(4)]
    out = [0] * num
    i = 0
    while i < num:
        x = read(1)
        j = i + 1 + read(sizes[read(2)])
        if x:
            v = read(ws)
            for k in range(i, min(j, num)):
                out[k] = v
            i = j
        else:
            while i < j:
                out[i] = read(ws)
                i += 1
    return [1 if out[k] else 0 for k in range(3, num, 4)]


def base(url):
    u = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qs(u.query)
    p = q['d'][0] if 'd' in q else urllib.parse.unquote(u.path)
    return p.replace('\\', '/').rsplit('/', 1)[-1]


IGNORE = {'id', 'type', 'from_name', 'to_name', 'image_rotation', 'origin', 'readonly', 'hidden'}


def norm_result(r):
    v = dict(r.get('value', {}))
    t = r['type']
    if t == 'keypointlabels':
        v.pop('width', None)
    if t == 'polygonlabels':
        v.pop('closed', None)
    if t in ('rectanglelabels', 'ellipselabels'):
        v.setdefault('rotation', 0)
        v['rotation'] = v['rotation'] % 360
    if t == 'brushlabels':
        v['rle'] = ls_decode(v['rle'])
    if t == 'choices':
        v['choices'] = sorted(v['choices'])
    out = {'value': v}
    for k in ('original_width', 'original_height', 'score'):
        if k in r:
            out[k] = r[k]
    if r.get('parentID'):
        out['parentID'] = r['parentID']
    return out


def close(a, b, path):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if abs(a - b) > 1e-6:
            raise AssertionError(f'{path}: {a} != {b}')
        return
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            raise AssertionError(f'{path}: keys {sorted(a)} != {sorted(b)}')
        for k in a:
            close(a[k], b[k], f'{path}.{k}')
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise AssertionError(f'{path}: {len(a)} items != {len(b)}')
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f'{path}[{i}]')
        return
    if a != b:
        raise AssertionError(f'{path}: {a!r} != {b!r}')


def results(task, key):
    lists = [a for a in task.get(key) or [] if not a.get('was_cancelled')]
    if not lists:
        return {}
    out = {}
    score = lists[0].get('score')
    for r in lists[0].get('result', []):
        if key == 'predictions' and score is not None and 'score' not in r:
            r = dict(r, score=score)  # a prediction's score is its results' score
        k = (r.get('id'), r['type'], r.get('from_name'))
        assert k not in out, f'result {k} twice'
        out[k] = norm_result(r)
    return out


def main():
    args = sys.argv[1:]
    key = 'annotations'
    if args and args[0] == '--predictions':
        key = 'predictions'
        args = args[1:]
    a = json.load(open(args[0]))
    b = json.load(open(args[1]))
    ta = {t['id']: t for t in a if any(k in t['data'] for k in ('image', 'img'))}
    tb = {t['id']: t for t in b}
    assert set(ta) == set(tb), f'task ids {sorted(ta)} != {sorted(tb)}'
    for i, t in ta.items():
        u = tb[i]
        img = t['data'].get('image') or t['data'].get('img')
        assert base(img) == base(u['data']['image']), (img, u['data']['image'])
        ra, rb = results(t, key), results(u, key)
        assert set(ra) == set(rb), f'task {i}: results {sorted(ra)} != {sorted(rb)}'
        for k in ra:
            close(ra[k], rb[k], f'task {i} result {k}')
    print(f'{len(ta)} tasks equal')


if __name__ == '__main__':
    try:
        main()
    except AssertionError as e:
        print('compare_labelstudio:', e, file=sys.stderr)
        sys.exit(1)
