#!/usr/bin/env python3
"""Minimal PNG reading and writing for the format tests (no PIL needed).

read(path) -> dict(w, h, kind, depth, palette, px) where px[y][x] is the
value as Cairn's mask reader sees it: the sample (grey), the index
(palette) or R + 256*G + 65536*B (colour). rgb(path) gives colours instead
(palette entries looked up). write(path, rows, kind, depth=8, palette=None)
writes kind "grey", "palette" or "rgb" (values as read() returns them).
As a command: pngtool.py write OUT KIND DEPTH 'v v v;v v v' [palette 'r,g,b r,g,b']
"""
import struct
import sys
import zlib


def read(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    i, idat, pal = 8, b"", None
    while i < len(d):
        n, t = struct.unpack(">I4s", d[i:i + 8])
        c = d[i + 8:i + 8 + n]
        i += 12 + n
        if t == b"IHDR":
            w, h, bd, ct, _, _, il = struct.unpack(">IIBBBBB", c)
        elif t == b"PLTE":
            pal = [tuple(c[k:k + 3]) for k in range(0, len(c), 3)]
        elif t == b"IDAT":
            idat += c
    if il:
        raise ValueError("interlaced PNGs are not read here")
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ct]
    bpp = max(1, ch * bd // 8)
    stride = (w * ch * bd + 7) // 8
    raw = zlib.decompress(idat)
    prev, o, px = bytearray(stride), 0, []
    for _ in range(h):
        f, line = raw[o], bytearray(raw[o + 1:o + 1 + stride])
        o += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if bd == 16:
            s = [struct.unpack(">H", line[k:k + 2])[0] for k in range(0, 2 * w * ch, 2)]
        elif bd == 8:
            s = list(line)
        else:
            s = [(line[k * bd // 8] >> (8 - bd - (k * bd % 8))) & ((1 << bd) - 1) for k in range(w * ch)]
        row = []
        for x in range(w):
            v = s[x * ch:(x + 1) * ch]
            if ch >= 3:
                if bd == 16:
                    v = [q >> 8 for q in v]
                row.append(v[0] | v[1] << 8 | v[2] << 16)
            else:
                row.append(v[0])
        px.append(row)
    kind = "palette" if ct == 3 else "rgb" if ct & 2 else "grey"
    return dict(w=w, h=h, kind=kind, depth=bd, palette=pal, px=px)


def rgb(path):
    r = read(path)
    if r["kind"] == "palette":
        return [[r["palette"][v] for v in row] for row in r["px"]]
    if r["kind"] == "rgb":
        return [[(v & 255, v >> 8 & 255, v >> 16) for v in row] for row in r["px"]]
    return [[(v, v, v) for v in row] for row in r["px"]]


def write(path, rows, kind, depth=8, palette=None):
    h, w = len(rows), len(rows[0])
    ct = {"grey": 0, "rgb": 2, "palette": 3}[kind]
    raw = b""
    for row in rows:
        raw += b"\0"
        for v in row:
            if kind == "rgb":
                raw += bytes((v & 255, v >> 8 & 255, v >> 16 & 255))
            elif depth == 16:
                raw += struct.pack(">H", v)
            else:
                raw += bytes((v,))

    def chunk(t, c):
        return struct.pack(">I", len(c)) + t + c + struct.pack(">I", zlib.crc32(t + c) & 0xFFFFFFFF)

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    out += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(out)


if __name__ == "__main__":
    if sys.argv[1] == "write":
        rows = [[int(v) for v in r.split()] for r in sys.argv[5].split(";")]
        pal = None
        if len(sys.argv) > 6:
            pal = [tuple(int(c) for c in e.split(",")) for e in sys.argv[6].split()]
        write(sys.argv[2], rows, sys.argv[3], int(sys.argv[4]), pal)
    else:
        for p in sys.argv[1:]:
            print(p, read(p))
