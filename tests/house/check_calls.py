#!/usr/bin/env python3
"""check_calls.py BUILD_DIR (run from the source tree's top): no two source files call each other, directly
or through a ring.

Reads the symbol tables of the objects under BUILD_DIR (nm): a file that
uses a symbol another file defines calls that file.  Every strongly
connected group of two or more files is a circle and is reported; exit 1
if there is one.  Tests, generated code and the MPI driver's objects are
left out (tests call everything; generated code calls nothing back)."""
import os
import subprocess
import sys


def objects(build):
    out = []
    for root, _, files in os.walk(build):
        rel = os.path.relpath(root, build)
        top = rel.split(os.sep)[0]
        if top in ("tests", "gen", "."):
            continue
        for f in files:
            src = os.path.join(rel, f[:-2])
            # only objects of sources that exist (not stale ones of moved
            # files)
            if f.endswith(".o") and (os.path.exists(src + ".c") or
                                     os.path.exists(src + ".cpp")):
                out.append(os.path.join(root, f))
    return sorted(out)


def symbols(obj):
    text = subprocess.run(["nm", "-P", obj], capture_output=True, text=True,
                          check=True).stdout
    defined, used = set(), set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind in "TDBRVWGS":
            defined.add(name)
    return defined, used


def sccs(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    objs = objects(build)
    if not objs:
        print("check_calls: no objects under %s (build first)" % build)
        return 2
    owner, uses = {}, {}
    for o in objs:
        src = os.path.relpath(o, build)[:-2]
        d, u = symbols(o)
        for s in d:
            owner.setdefault(s, src)
        uses[src] = u
    graph = {f: set() for f in uses}
    for f, u in uses.items():
        for s in u:
            g = owner.get(s)
            if g and g != f:
                graph[f].add(g)
    rings = [c for c in sccs(graph) if len(c) > 1]
    for c in rings:
        edges = ["%s -> %s" % (a, b) for a in c for b in sorted(graph[a])
                 if b in c]
        print("check_calls: files that call each other: %s\n    %s" %
              (", ".join(c), "\n    ".join(edges)))
    print("check_calls: %d files, %d circles" % (len(graph), len(rings)))
    return 1 if rings else 0


sys.exit(main())
