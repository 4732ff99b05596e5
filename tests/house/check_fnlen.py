#!/usr/bin/env python3
"""check_fnlen.py [MAX]: no function longer than MAX lines (default 100).

A function is a body that opens with '{' in column 0 and closes with '}'
in column 0 (the house's clang-format style), counted from the brace line
to the closing one.  Checks every .c and .cpp of the source folders and of
tests/ except generated code (build/) and tables.  Run from the source
tree's top; prints each offender and exits 1 if there is one.

tests/house/fnlen_allow.txt lists functions still waiting to be split
("path name" per line): they are reported but do not fail, and an entry
that is no longer over the limit fails (remove it), so the list only
shrinks.  It is empty when the house is done."""
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


def allowed():
    path = os.path.join(os.path.dirname(__file__), "fnlen_allow.txt")
    out = set()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                line = line.split("#")[0].strip()
                if line:
                    out.add(tuple(line.split(None, 1)))
    return out


def fname(head):
    m = re.search(r"([A-Za-z_][A-Za-z_0-9:~]*)\s*\(", head)
    return m.group(1) if m else head


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    allow = allowed()
    seen = set()
    bad = n = waiting = 0
    for folder in FOLDERS:
        for root, _, files in os.walk(folder):
            for f in sorted(files):
                if not f.endswith((".c", ".cpp")):
                    continue
                path = os.path.join(root, f)
                for name, line, length in functions(path):
                    n += 1
                    if length <= limit:
                        continue
                    key = (path, fname(name))
                    if key in allow:
                        seen.add(key)
                        waiting += 1
                        continue
                    print("%s:%d: %s is %d lines (at most %d)" %
                          (path, line, fname(name), length, limit))
                    bad += 1
    for path, name in sorted(allow - seen):
        print("%s: %s is no longer over %d lines: remove it from "
              "tests/house/fnlen_allow.txt" % (path, name, limit))
        bad += 1
    print("check_fnlen: %d functions, %d over %d lines, %d waiting in "
          "fnlen_allow.txt" % (n, bad, limit, waiting))
    return 1 if bad else 0


sys.exit(main())
