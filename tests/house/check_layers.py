#!/usr/bin/env python3
"""check_layers.py: every #include of a project header points down (or
across) the layers of docs/ARCHITECTURE.md, never up.

    5  cli/                         the program: main, commands, sweeps
    4  sim/  gpu/  traces/          engine, reports; GPU baseline; pictures
    3  compiler/                    networks to plans
    2  machine/                     the machine description
    1  cores/  fabric/              the PE and the mesh
    0  ground/                      helpers that include nothing of ours

A file may include headers of its own layer or below.  Tests and tools
are not checked.  Run from the source tree's top; exit 1 on a violation."""
import os
import re
import sys

LAYER = {"ground": 0, "cores": 1, "fabric": 1, "machine": 2, "compiler": 3,
         "sim": 4, "gpu": 4, "traces": 4, "cli": 5}
GENERATED = {"onnx.pb-c.h", "strategies.h", "suites.h"}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    bad = n = 0
    for folder in sorted(LAYER):
        if not os.path.isdir(folder):
            print("check_layers: folder %s/ is missing" % folder)
            bad += 1
            continue
        for f in sorted(os.listdir(folder)):
            if not f.endswith((".c", ".h", ".cpp")):
                continue
            path = os.path.join(folder, f)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for m in INC.finditer(text):
                inc = m.group(1)
                n += 1
                if inc in GENERATED:
                    continue
                top = inc.split("/")[0]
                line = text.count("\n", 0, m.start()) + 1
                if "/" not in inc or top not in LAYER:
                    print('%s:%d: include "%s" must name its folder '
                          '(one of %s)' % (path, line, inc,
                                           ", ".join(sorted(LAYER))))
                    bad += 1
                elif LAYER[top] > LAYER[folder]:
                    print('%s:%d: include "%s" points up: %s/ (layer %d) '
                          'may use only layers <= %d' %
                          (path, line, inc, folder, LAYER[folder],
                           LAYER[folder]))
                    bad += 1
    print("check_layers: %d includes, %d pointing up or unplaced" % (n, bad))
    return 1 if bad else 0


sys.exit(main())
