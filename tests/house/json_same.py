#!/usr/bin/env python3
"""json_same.py BEFORE AFTER: the outputs of tests/house/outputs.sh from two
builds hold the same values, where only the JSON number format or layout may
differ.

Every file present in either folder is compared.  A file whose bytes differ
must be JSON in both (a command's captured stdout "$ wafersim ...\\n<JSON>\\n
exit N", or a .json file; a JSON-lines body is read line by line): both are
parsed (Python's float() reads a decimal string to the nearest double, as
strtod does), and the two values must be equal: the same keys in the same
order, the same strings, and every number the same double (an integer and a
real of the same value are equal, 3 == 3.0).  Masked wall-clock fields
(MASKED) read as null on both sides.  Any other difference fails.

Prints how many files were identical, how many were JSON with equal values,
and how many numbers were compared; exit 0 when nothing else differs.
"""
import json
import os
import re
import sys

numbers = 0


def pairs(o):
    return o  # keep key order: a list of (key, value)


def parse(text):
    """The JSON values of a text, or None if it is not JSON."""
    text = re.sub(r'\bMASKED\b', 'null', text)
    lines = text.split('\n')
    head = []
    if lines and lines[0].startswith('$ wafersim'):
        head = [lines[0]]
        lines = lines[1:]
    tail = []
    while lines and (lines[-1] == '' or re.match(r'^exit \d+$', lines[-1])):
        tail.insert(0, lines.pop())
    body = '\n'.join(lines)
    dec = json.JSONDecoder(object_pairs_hook=pairs)
    try:
        return (head, tail, [dec.decode(body)])
    except ValueError:
        pass
    try:  # JSON lines
        vals = [dec.decode(l) for l in lines if l.strip()]
        return (head, tail, vals) if vals else None
    except ValueError:
        return None


def same(a, b, where):
    global numbers
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        numbers += 1
        if float(a) != float(b):
            return '%s: %r != %r' % (where, a, b)
        return None
    if type(a) != type(b):
        return '%s: %s != %s' % (where, type(a).__name__, type(b).__name__)
    if isinstance(a, list):
        if a and isinstance(a[0], tuple) or b and isinstance(b[0], tuple):
            ka = [k for k, _ in a]
            kb = [k for k, _ in b]
            if ka != kb:
                return '%s: keys %s != %s' % (where, ka, kb)
            for (k, x), (_, y) in zip(a, b):
                e = same(x, y, where + '.' + k)
                if e:
                    return e
            return None
        if len(a) != len(b):
            return '%s: %d != %d items' % (where, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            e = same(x, y, '%s[%d]' % (where, i))
            if e:
                return e
        return None
    if isinstance(a, tuple):
        return same(list(a), list(b), where)
    return None if a == b else '%s: %r != %r' % (where, a, b)


def files(top):
    out = set()
    for d, _, fs in os.walk(top):
        for f in fs:
            out.add(os.path.relpath(os.path.join(d, f), top))
    return out


def main():
    before, after = sys.argv[1], sys.argv[2]
    fa, fb = files(before), files(after)
    bad = 0
    for f in sorted(fa ^ fb):
        print('json_same: only in %s: %s' % (before if f in fa else after, f))
        bad += 1
    identical = values = 0
    for f in sorted(fa & fb):
        x = open(os.path.join(before, f), 'rb').read()
        y = open(os.path.join(after, f), 'rb').read()
        if x == y:
            identical += 1
            continue
        try:
            px = parse(x.decode())
            py = parse(y.decode())
        except UnicodeDecodeError:
            px = py = None
        if px is None or py is None:
            print('json_same: %s differs and is not JSON' % f)
            bad += 1
            continue
        if px[0] != py[0] or px[1] != py[1]:
            print('json_same: %s: command or exit status differs' % f)
            bad += 1
            continue
        e = same(px[2], py[2], f)
        if e:
            print('json_same: ' + e)
            bad += 1
            continue
        values += 1
    print('json_same: %d files identical, %d JSON files with the same values '
          '(%d numbers, each the same double), %d differences'
          % (identical, values, numbers, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
