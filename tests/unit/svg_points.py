#!/usr/bin/env python3
"""svg_points.py FILE.svg: the data points of a gnuplot SVG chart against
its plot frame (test_fabric, test_trace).  Prints "POINTS CLIPPED": how
many point markers the chart draws and how many of them reach the frame
(their centre closer to the border than the marker's radius: half of the
marker drawn outside the plot, or on the axis), the XML parsed, so a file
that is not well-formed fails.
"""
import re
import sys
import xml.etree.ElementTree as ET

NUM = r"(-?[0-9.]+)"


def frames(root):
    """Closed rectangles (x0, y0, x1, y1) drawn as one path: the border."""
    for el in root.iter():
        if not el.tag.endswith("path"):
            continue
        d = el.get("d", "")
        pts = [(float(a), float(b)) for a, b in
               re.findall(NUM + "," + NUM, d)]
        if len(pts) == 5 and "Z" in d and pts[0] == pts[4]:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            if len(set(xs)) == 2 and len(set(ys)) == 2:
                yield min(xs), min(ys), max(xs), max(ys)


def main(path):
    root = ET.parse(path).getroot()
    fr = max(frames(root), key=lambda f: (f[2] - f[0]) * (f[3] - f[1]))
    n = bad = 0
    for el in root.iter():
        href = el.get("{http://www.w3.org/1999/xlink}href", "")
        m = re.match(r"translate\(%s,%s\) scale\(%s\)" % (NUM, NUM, NUM),
                     el.get("transform", ""))
        if not el.tag.endswith("use") or not href.startswith("#gpPt") or not m:
            continue
        x, y, r = map(float, m.groups())
        n += 1
        bad += not (fr[0] + r < x < fr[2] - r and fr[1] + r < y < fr[3] - r)
    print(n, bad)


if __name__ == "__main__":
    main(sys.argv[1])
