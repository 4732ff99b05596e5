#!/usr/bin/env python3
"""check_fnlen.py [MAX]: no function longer than MAX lines (default 100).

A function is a body that opens with '{' in column 0 and closes with '}'
in column 0 (the house's clang-format style), counted from the brace line
to the closing one.  Checks every .c and .cpp of the source folders and of
tests/ except generated code (build/) and tables.  Run from the source
tree's top; prints each offender and exits 1 if there is one."""
import os
import re
import sys

FOLDERS = ["ground", "cores", "fabric", "machine", "compiler", "sim", "gpu",
           "traces", "cli", "tests"]
HEAD = re.compile(r"^[A-Za-z_].*\(")


def functions(path):
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    start, name, prev = None, None, None
    for i, line in enumerate(lines, 1):
        if line.startswith("{"):
            start, name = i, prev
        elif line.startswith("}") and start is not None:
            # a '}' closing a table initialiser ends with ';'
            if name is not None:
                yield name, start, i - start + 1
            start = None
        elif start is None and HEAD.match(line) and not line.rstrip().endswith(";"):
            prev = line.strip()


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    bad = n = 0
    for folder in FOLDERS:
        for root, _, files in os.walk(folder):
            for f in sorted(files):
                if not f.endswith((".c", ".cpp")):
                    continue
                path = os.path.join(root, f)
                for name, line, length in functions(path):
                    n += 1
                    if length > limit:
                        print("%s:%d: %s is %d lines (at most %d)" %
                              (path, line, name, length, limit))
                        bad += 1
    print("check_fnlen: %d functions, %d over %d lines" % (n, bad, limit))
    return 1 if bad else 0


sys.exit(main())
