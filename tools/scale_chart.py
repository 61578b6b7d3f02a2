#!/usr/bin/env python3
"""Draws docs/img/scale.svg: the scale world's events per second by clients (docs/performance.md).

The figures are the medians measured with `arsim bench --only world --scenario
Workloads/bench/ar-10k.json` (the commands are in docs/performance.md); pass each series as
NAME=v100,v1000,v10000,v100000. Plain SVG, no dependencies:

    python3 tools/scale_chart.py --date 2026-11-26 "before (c545a58)=3.76,3.79,2.99,1.43" \
        "LTO + cross-module optimisation=4.07,4.16,3.22,1.60" > docs/img/scale.svg

(the medians of the "Whole-program optimisation" sitting in docs/performance.md)

(Both series measured on the same machine in one sitting; earlier charts mixed machines whose
caches differed, see docs/performance.md.)
"""
import argparse
import math

COLOURS = ["#999999", "#1f5fa8", "#2a9d4b", "#c07000"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--date", required=True)
    ap.add_argument("--target", type=float, default=3.5)
    ap.add_argument("series", nargs="+", help="NAME=v100,v1000,v10000,v100000 (M events/s)")
    args = ap.parse_args()
    series = []
    for s in args.series:
        name, values = s.split("=", 1)
        series.append((name, [float(v) for v in values.split(",")]))
    clients = [100, 1000, 10000, 100000]
    w, h, left, right, top, bottom = 560, 320, 70, 540, 30, 260
    ymax = max(4.0, math.ceil(max(v for _, values in series for v in values)))
    x = lambda c: left + (right - left) * (math.log10(c) - 2) / 3
    y = lambda v: bottom - (bottom - top) * v / ymax
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14">arsim world: events per second by clients '
           f'(ar-10k.json, {args.date})</text>']
    for v in range(0, int(ymax) + 1):
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{right}" y2="{y(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    t = args.target
    out.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{right}" y2="{y(t):.1f}" stroke="#c00" stroke-dasharray="4 3"/>')
    out.append(f'<text x="{right - 4}" y="{y(t) - 5:.1f}" text-anchor="end" fill="#c00">target at 10,000 clients: {t}</text>')
    for c in clients:
        out.append(f'<line x1="{x(c):.1f}" y1="{top}" x2="{x(c):.1f}" y2="{bottom}" stroke="#eee"/>')
        out.append(f'<text x="{x(c):.1f}" y="{bottom + 18}" text-anchor="middle">{c:,}</text>')
    out.append(f'<text x="{(left + right) / 2}" y="{bottom + 42}" text-anchor="middle">clients (log scale; 100,000: the 96 GPUs ten times overloaded)</text>')
    out.append(f'<text x="16" y="{(top + bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 {(top + bottom) / 2})">M events/s, one core</text>')
    for i, (name, values) in enumerate(series):
        # With several series the first (the "before") is grey.
        palette = COLOURS if len(series) > 1 else COLOURS[1:]
        colour = palette[i % len(palette)]
        points = " L ".join(f"{x(c):.1f} {y(v):.1f}" for c, v in zip(clients, values))
        out.append(f'<path d="M {points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c, v in zip(clients, values):
            anchor = ' text-anchor="end"' if c == clients[-1] else ""
            dx = -6 if c == clients[-1] else 6
            out.append(f'<circle cx="{x(c):.1f}" cy="{y(v):.1f}" r="4" fill="{colour}"/>'
                       f'<text x="{x(c) + dx:.1f}" y="{y(v) - 6:.1f}"{anchor} fill="{colour}">{v:.2f}</text>')
        out.append(f'<text x="{left + 8}" y="{bottom - 12 - 16 * (len(series) - 1 - i)}" fill="{colour}">{name}</text>')
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
