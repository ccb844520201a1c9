#!/usr/bin/env python3
"""Decode speed against context depth, ours and the peer's, as an SVG line plot (no
third-party packages). Inputs are the JSON that `sluice bench --json -d ...` and
`llama-bench -o json -d ...` print.

  python3 scripts/plot_bench.py --out docs/decode_vs_context.svg \
      --series "Sluice=results/sluice_depth.json" \
      --series "llama.cpp Vulkan, -fa 1=results/llama_depth_fa1.json" \
      --series "llama.cpp Vulkan, -fa 0=results/llama_depth_fa0.json"
"""
import argparse
import json
import re


def points(path):
    """(depth, tok/s, sd) for every decode test in either tool's JSON."""
    data = json.load(open(path))
    out = []
    if isinstance(data, dict) and "tests" in data:  # sluice bench --json
        for t in data["tests"]:
            m = re.match(r"tg\d+(?: @ d(\d+))?$", t["test"])
            if m:
                out.append((int(m.group(1) or 0), t["tokens_per_second"], t.get("sd", 0)))
    else:  # llama-bench -o json: a list of runs
        for r in data:
            if r.get("n_gen", 0) > 0 and r.get("n_prompt", 0) == 0:
                out.append((int(r.get("n_depth", 0)), r["avg_ts"], r.get("stddev_ts", 0)))
    return sorted(out)


def svg(series, title):
    w, h, left, right, top, bottom = 760, 440, 70, 220, 40, 50
    xs = sorted({d for _, pts in series for d, _, _ in pts})
    ymax = max(v + s for _, pts in series for _, v, s in pts) * 1.1
    xmax = max(xs) or 1

    def px(d):
        return left + (w - left - right) * d / xmax

    def py(v):
        return h - bottom - (h - top - bottom) * v / ymax

    colors = ["#1f77b4", "#d62728", "#ff7f0e", "#2ca02c", "#9467bd"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>',
             f'<text x="{left}" y="22" font-size="14">{title}</text>',
             f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
             f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">context depth (tokens already in the KV cache)</text>',
             f'<text x="16" y="{(top + h - bottom) / 2}" transform="rotate(-90 16 {(top + h - bottom) / 2})" text-anchor="middle">decode tokens/s</text>']
    for d in xs:
        parts.append(f'<text x="{px(d)}" y="{h - bottom + 16}" text-anchor="middle">{d}</text>')
    for i in range(6):
        v = ymax * i / 5
        parts.append(f'<line x1="{left - 4}" y1="{py(v)}" x2="{w - right}" y2="{py(v)}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 8}" y="{py(v) + 4}" text-anchor="end">{v:.0f}</text>')
    for k, (name, pts) in enumerate(series):
        c = colors[k % len(colors)]
        path = " ".join(f"{'M' if j == 0 else 'L'}{px(d):.1f},{py(v):.1f}" for j, (d, v, _) in enumerate(pts))
        parts.append(f'<path d="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for d, v, s in pts:
            parts.append(f'<circle cx="{px(d):.1f}" cy="{py(v):.1f}" r="3" fill="{c}"/>')
        ly = top + 10 + 20 * k
        parts.append(f'<line x1="{w - right + 12}" y1="{ly}" x2="{w - right + 32}" y2="{ly}" stroke="{c}" stroke-width="2"/>')
        parts.append(f'<text x="{w - right + 38}" y="{ly + 4}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", action="append", required=True, help="LABEL=FILE.json")
    ap.add_argument("--title", default="Decode (tg128) against context, SmolLM2-135M Q4_1")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    series = []
    for s in a.series:
        label, path = s.split("=", 1)
        series.append((label, points(path)))
    open(a.out, "w").write(svg(series, a.title))
    for label, pts in series:
        print(label, [(d, round(v, 1)) for d, v, _ in pts])


if __name__ == "__main__":
    main()
