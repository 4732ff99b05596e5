#!/usr/bin/env python3
"""breakdown_bars.py DIR: for each part of a breakdown chart (compute,
comm, wait in, wait out), how many stages have it (breakdown.csv, cycles
> 0) and how many bars of its color breakdown.svg draws at least 2 points
high: "PART STAGES BARS" per line (test_trace: every part of every stage
is visible, BARS > STAGES with the legend's swatch)."""
import csv
import os
import re
import sys
import xml.etree.ElementTree as ET

COLORS = (("compute", (31, 119, 180)), ("comm", (255, 127, 14)),
          ("wait_in", (199, 199, 199)), ("wait_out", (214, 39, 40)))


def main(d):
    rows = list(csv.reader(open(os.path.join(d, "breakdown.csv"))))[1:]
    bars = {}
    for el in ET.parse(os.path.join(d, "breakdown.svg")).getroot().iter():
        m = re.match(r"rgb\(\s*(\d+),\s*(\d+),\s*(\d+)\)", el.get("fill", ""))
        if not el.tag.endswith("polygon") or not m:
            continue
        ys = [float(p.split(",")[1]) for p in el.get("points").split()]
        if max(ys) - min(ys) >= 2:
            c = tuple(map(int, m.groups()))
            bars[c] = bars.get(c, 0) + 1
    for i, (name, c) in enumerate(COLORS):
        print(name, sum(1 for r in rows if float(r[2 + i]) > 0),
              bars.get(c, 0))


if __name__ == "__main__":
    main(sys.argv[1])
