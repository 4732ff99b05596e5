#!/usr/bin/python3
"""hostile.py [--quick] [--bin BIN] [--list] [-k WORD] [--keep]:
hostile inputs, as an outsider would write them, against the wafersim
binary (issue 17: "every one must get exit status 1, a located error, no
sanitizer report, and no output file").

Each case writes its input files into a folder of its own, runs one
command there (with -o, --trace or --out-dir pointing into it) and checks:

  - the exit status: 1 for bad input, 2 for a bad command-line value, 0
    for the few hostile-but-valid inputs (a BOM, CRLF line ends, -o to a
    FIFO or /dev/null), which must simply work;
  - the error is located: YAML 'file:line:col', ONNX the file and, for a
    node, "node 'NAME' (op type T", a command-line value the option's
    name, a JSON stats file 'file:line:col' or the key;
  - no sanitizer report (ASan, UBSan, LeakSanitizer) and no crash;
  - no output: the folder holds exactly the input files afterwards (no -o
    file, no temporary, no journal, no trace folder).

The machine YAML cases take every key of `wafersim machine schema` out of
its range and through wrong types; the others are written by hand below.
ONNX models are built with Debian's python3-onnx (tools/deps.sh), so run
this with /usr/bin/python3.  --quick runs a slice (every 12th case and
those of regressions.txt, the ones that failed once, as
`make test` does through tests/unit/test_harden.c); the whole campaign
runs in `make validate` (tests/validate/val_hostile.sh) on build-asan/
when it exists.  Prints one line per failure and a summary:

    hostile: N cases, F failed (BINARY, S s; slowest CASE S s)
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SAN_RE = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|"
                    r"UndefinedBehaviorSanitizer|Segmentation fault|"
                    r"core dumped|Assertion .* failed|terminate called")


class Case:
    """One command on one set of input files.

    files: {name: bytes|str} written into the case's folder;
    argv:  the command's arguments ('{D}' is the case's folder);
    want:  expected exit status;
    loc:   a regular expression the standard error must match ('{F}' is
           replaced by the first input file's name), or None;
    keep:  extra names the command may leave (valid cases' outputs)."""

    def __init__(self, group, name, files, argv, want=1, loc=None,
                 keep=(), setup=None, timeout=120, signal=None,
                 no_stdout=False, out=None, fsize=None, absent=()):
        self.group, self.name = group, name
        self.files, self.argv = files, argv
        self.want, self.loc, self.keep = want, loc, set(keep)
        self.setup, self.timeout = setup, timeout
        # signal: ("pipe",) the reader leaves after the first byte
        # (`| head -c 1`), ("term", S) SIGTERM after S seconds; the
        # command may finish first or die by the signal, and must leave
        # no temporary ('.tmp.') beside its outputs either way
        self.signal, self.no_stdout = signal, no_stdout
        # out: a regular expression standard output must match when the
        # command succeeds (what a valid hostile value must say)
        self.out = out
        # fsize: the largest file the command may write (RLIMIT_FSIZE,
        # SIGXFSZ ignored: a write past it fails with EFBIG, as on a full
        # disk); absent: paths outside the folder that must not exist
        # afterwards (a journal beside /dev/full)
        self.fsize, self.absent = fsize, tuple(absent)

    def title(self):
        return "%s/%s" % (self.group, self.name)


YAML_LOC = r"{F}:\d+:\d+"
OPT_LOC = "'?{O}'?"


def yloc(fname):
    return re.escape(fname) + r":\d+:\d+"


# ---------------------------------------------------------------- machine
def machine_base():
    return ("name: hostile\n"
            "grid:\n  width: 16\n  height: 16\n"
            "clock_ghz: 0.85\n"
            "pe:\n  sram_bytes: 49152\n  simd:\n    fma_fp16: 4\n"
            "fabric:\n  colors: 24\n  buffer_depth_wavelets: 4\n"
            "io:\n  edges: [west, east]\n  bandwidth_gbytes_s: 150\n")


def schema_rows(binary):
    """(key, type, lo, hi) of every numeric key of the machine schema."""
    out = subprocess.run([binary, "machine", "schema"], capture_output=True,
                         text=True, env=san_env()).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\| `([\w.]+)` \| (integer|number) \|[^|]*\| "
                     r"\[([-\d.e+]+), ([-\d.e+]+)\] \|", line)
        if m:
            rows.append((m.group(1), m.group(2), float(m.group(3)),
                         float(m.group(4))))
    return rows


def nest(key, value):
    """'a.b.c: v' as nested YAML."""
    parts = key.split(".")
    text = ""
    for i, p in enumerate(parts[:-1]):
        text += "  " * i + p + ":\n"
    return text + "  " * (len(parts) - 1) + parts[-1] + ": " + value + "\n"


def with_key(key, value):
    """The base machine (name and grid only) plus `key: value`."""
    base = "name: hostile\n"
    if key.startswith("grid."):
        other = "height" if key.endswith("width") else "width"
        return base + "grid:\n  %s: 16\n  %s: %s\n" % (other,
                                                       key.split(".")[1],
                                                       value)
    return base + "grid:\n  width: 16\n  height: 16\n" + nest(key, value)


def bad_values(kind, lo, hi):
    vals = [("below", repr_num(lo - (1 if kind == "integer" else
                                    max(abs(lo) * 0.5, 1e-3))))]
    if hi < 1e300:
        vals.append(("above", repr_num(hi * 2 + 1)))
    vals += [("nan", ".nan"), ("inf", ".inf"), ("-inf", "-.inf"),
             ("1e400", "1e400"), ("-1e400", "-1e400"),
             ("2^63", "9223372036854775808"),
             ("-2^63-1", "-9223372036854775809"),
             ("2^64", "18446744073709551616"),
             ("string", "'twelve'"), ("list", "[1, 2]"),
             ("map", "{a: 1}"), ("null", "~"), ("bool", "true"),
             ("empty", "''"), ("hexword", "0xZZ"), ("nul", '"1\\0"')]
    if kind == "integer":
        vals += [("fraction", "1.5"), ("exp", "1e3x")]
    return vals


def repr_num(v):
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def machine_cases(binary):
    cases = []
    for key, kind, lo, hi in schema_rows(binary):
        for label, value in bad_values(kind, lo, hi):
            cases.append(Case(
                "machine", "%s=%s" % (key, label),
                {"m.yaml": with_key(key, value)},
                ["machine", "show", "m.yaml", "-o", "out.yaml"],
                loc=yloc("m.yaml")))
    hand = {
        "tab-indent": "name: t\ngrid:\n\twidth: 16\n\theight: 16\n",
        "non-utf8-name": b"name: \xff\xfe\x80\ngrid: {width: 16, height: 16}\n",
        "nul-in-name": b'name: "a\\0b"\ngrid: {width: 16, height: 16}\n',
        "anchor-alias": "name: t\ngrid: &g {width: 16, height: 16}\n"
                        "other: *g\n",
        "merge-key": "name: t\nbase: &b {width: 16, height: 16}\n"
                     "grid:\n  <<: *b\n",
        "billion-laughs": "a: &a [x, x, x, x, x, x, x, x, x]\n"
                          "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                          "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                          "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                          "name: t\ngrid: {width: 16, height: 16}\n",
        "deep-nesting": "name: t\ngrid: {width: 16, height: 16}\nx: " +
                        "[" * 5000 + "]" * 5000 + "\n",
        "deep-maps": "name: t\ngrid: {width: 16, height: 16}\nx: " +
                     "{a: " * 3000 + "1" + "}" * 3000 + "\n",
        "duplicate-key": "name: t\ngrid: {width: 16, height: 16}\n"
                         "grid: {width: 8, height: 8}\n",
        "dup-nested": "name: t\ngrid: {width: 16, width: 17, height: 16}\n",
        "unknown-key": "name: t\ngrid: {width: 16, height: 16}\nwarp: 9\n",
        "unknown-nested": "name: t\ngrid: {width: 16, height: 16, depth: 3}\n",
        "top-list": "- name: t\n",
        "top-scalar": "hello\n",
        "empty-file": "",
        "only-comment": "# nothing\n",
        "only-bom": b"\xef\xbb\xbf",
        "two-documents": "name: t\ngrid: {width: 16, height: 16}\n---\n"
                         "name: u\n",
        "unclosed-flow": "name: t\ngrid: {width: 16, height: 16\n",
        "unclosed-quote": "name: 't\ngrid: {width: 16, height: 16}\n",
        "bad-escape": 'name: "\\q"\ngrid: {width: 16, height: 16}\n',
        "missing-grid": "name: t\n",
        "missing-name": "grid: {width: 16, height: 16}\n",
        "grid-scalar": "name: t\ngrid: 16\n",
        "grid-list": "name: t\ngrid: [16, 16]\n",
        "name-list": "name: [a]\ngrid: {width: 16, height: 16}\n",
        "name-huge": "name: " + "n" * 100000 +
                     "\ngrid: {width: 16, height: 16}\n",
        "edges-bogus": "name: t\ngrid: {width: 16, height: 16}\n"
                       "io: {edges: [up]}\n",
        "edges-empty": "name: t\ngrid: {width: 16, height: 16}\n"
                       "io: {edges: []}\n",
        "edges-dup": "name: t\ngrid: {width: 16, height: 16}\n"
                     "io: {edges: [west, west, west, west, west]}\n",
        "edges-map": "name: t\ngrid: {width: 16, height: 16}\n"
                     "io: {edges: {west: 1}}\n",
        "tag-binary": "name: !!binary aGVsbG8=\n"
                      "grid: {width: 16, height: 16}\n",
        "tag-custom": "name: t\ngrid: {width: !foo 16, height: 16}\n",
        "complex-key": "name: t\n? [a, b]\n: 1\ngrid: {width: 16, height: 16}\n",
        "null-key": "name: t\n~: 1\ngrid: {width: 16, height: 16}\n",
        "width-octal": "name: t\ngrid: {width: 0o20, height: 16}\n",
        "width-plus": "name: t\ngrid: {width: +16x, height: 16}\n",
        "width-space": "name: t\ngrid: {width: '16 ', height: 16}\n",
        "directive": "%YAML 9.9\n---\nname: t\ngrid: {width: 16, height: 16}\n",
        "bom-mid": b"name: t\n\xef\xbb\xbfgrid: {width: 16, height: 16}\n",
        "many-keys": "name: t\ngrid: {width: 16, height: 16}\nextra:\n" +
                     "".join("  k%d: 1\n" % i for i in range(70000)),
        "long-line": "name: t\ngrid: {width: 16, height: 16}\n# " +
                     "x" * 2000000 + "\nwarp: 1\n",
    }
    for name, text in hand.items():
        loc = yloc("m.yaml")
        if name in ("empty-file", "only-comment", "only-bom"):
            loc = re.escape("m.yaml")
        cases.append(Case("machine", name, {"m.yaml": text},
                          ["machine", "show", "m.yaml", "-o", "out.yaml"],
                          loc=loc))
    # hostile but valid: must be read as the plain file is
    good = "name: t\ngrid: {width: 16, height: 16}\n"
    for name, text in {"bom": b"\xef\xbb\xbf" + good.encode(),
                       "crlf": good.replace("\n", "\r\n"),
                       "cr-only": good.replace("\n", "\r")}.items():
        cases.append(Case("machine", name + "-valid", {"m.yaml": text},
                          ["machine", "show", "m.yaml", "-o", "out.yaml"],
                          want=0, keep={"out.yaml"}))
    # every value the commands take a machine through
    cases.append(Case("machine", "run-bad-machine",
                      {"m.yaml": with_key("grid.width", "0")},
                      ["run", "p1b2", "--machine", "m.yaml", "-o", "o.txt"],
                      loc=yloc("m.yaml")))
    cases.append(Case("machine", "fabric-bad-machine",
                      {"m.yaml": with_key("fabric.colors", "-3")},
                      ["fabric", "--machine", "m.yaml", "--json",
                       "--sweep", "--out-dir", "."], loc=yloc("m.yaml")))
    return cases


# ---------------------------------------------------------------- network
NET_HEAD = "name: h\nbatch: 4\ninputs:\n  x: %s\nlayers:\n"


def net(inputs, *layers):
    return NET_HEAD % inputs + "".join("  - " + l + "\n" for l in layers)


def network_cases():
    C = []
    img = "[3, 16, 16]"
    specs = {
        # conv_transpose with odd parameters
        "convT-stride0": net(img, "{name: t, op: conv_transpose, filters: 4,"
                             " kernel: 3, stride: 0}"),
        "convT-neg-pad": net(img, "{name: t, op: conv_transpose, filters: 4,"
                             " kernel: 3, padding: -2}"),
        "convT-huge-pad": net(img, "{name: t, op: conv_transpose, filters: 4,"
                              " kernel: 3, padding: 100}"),
        "convT-outpad-ge-stride": net(img, "{name: t, op: conv_transpose, "
                                      "filters: 4, kernel: 3, stride: 2, "
                                      "output_padding: 2}"),
        "convT-dilation-huge": net(img, "{name: t, op: conv_transpose, "
                                   "filters: 4, kernel: 3, "
                                   "dilation: 4611686018427387904}"),
        "convT-stride-huge": net(img, "{name: t, op: conv_transpose, "
                                 "filters: 4, kernel: 3, "
                                 "stride: 4611686018427387904}"),
        "convT-groups-not-dividing": net(img, "{name: t, op: conv_transpose,"
                                         " filters: 4, kernel: 3, groups: 2}"),
        "convT-groups0": net(img, "{name: t, op: conv_transpose, filters: 4,"
                             " kernel: 3, groups: 0}"),
        "convT-kernel-list-long": net(img, "{name: t, op: conv_transpose, "
                                      "filters: 4, kernel: [3, 3, 3, 3]}"),
        "convT-kernel0": net(img, "{name: t, op: conv_transpose, filters: 4,"
                             " kernel: 0}"),
        "convT-filters-neg": net(img, "{name: t, op: conv_transpose, "
                                 "filters: -4, kernel: 3}"),
        "convT-3d-on-2d": net(img, "{name: t, op: conv_transpose3d, "
                              "filters: 4, kernel: 3}"),
        "convT-1d-input": net("[5]", "{name: t, op: conv_transpose, "
                              "filters: 4, kernel: 3}"),
        # resize
        "resize-scale0": net(img, "{name: r, op: resize, scale: 0}"),
        "resize-scale-neg": net(img, "{name: r, op: resize, scale: -2}"),
        "resize-scale-nan": net(img, "{name: r, op: resize, scale: .nan}"),
        "resize-scale-inf": net(img, "{name: r, op: resize, scale: .inf}"),
        "resize-scale-1e300": net(img, "{name: r, op: resize, scale: 1e300}"),
        "resize-scale-tiny": net(img, "{name: r, op: resize, scale: 1e-300}"),
        "resize-size0": net(img, "{name: r, op: resize, size: [0, 8]}"),
        "resize-size-rank": net(img, "{name: r, op: resize, size: [8, 8, 8]}"),
        "resize-size-huge": net(img, "{name: r, op: resize, "
                                "size: [4611686018427387904, 8]}"),
        "resize-both": net(img, "{name: r, op: resize, scale: 2, "
                           "size: [8, 8]}"),
        "resize-mode": net(img, "{name: r, op: resize, scale: 2, "
                           "mode: sideways}"),
        "resize-1d-input": net("[7]", "{name: r, op: resize, scale: 2}"),
        # reduce
        "reduce-axis-oob": net(img, "{name: r, op: reduce_mean, axes: [7]}"),
        "reduce-axis-neg-oob": net(img, "{name: r, op: reduce_sum, "
                                   "axes: [-9]}"),
        "reduce-axis-dup": net(img, "{name: r, op: reduce_max, "
                               "axes: [1, 1]}"),
        "reduce-axes-string": net(img, "{name: r, op: reduce_mean, "
                                  "axes: all}"),
        "reduce-axis-2^63": net(img, "{name: r, op: reduce_mean, "
                                "axes: [9223372036854775807]}"),
        "reduce-keepdims-str": net(img, "{name: r, op: reduce_mean, "
                                   "keepdims: maybe}"),
        # pad
        "pad-odd-count": net(img, "{name: p, op: pad, pads: [1, 1, 1]}"),
        "pad-too-many": net(img, "{name: p, op: pad, "
                            "pads: [1, 1, 1, 1, 1, 1, 1, 1]}"),
        "pad-neg-beyond": net(img, "{name: p, op: pad, pads: [-20, 0]}"),
        "pad-huge": net(img, "{name: p, op: pad, "
                        "pads: [4611686018427387904, 4611686018427387904]}"),
        "pad-empty": net(img, "{name: p, op: pad, pads: []}"),
        "pad-float": net(img, "{name: p, op: pad, pads: [1.5, 1]}"),
        # zero, negative and huge dimensions
        "input-zero-dim": net("[0, 8]", "{name: d, op: dense, units: 4}"),
        "input-neg-dim": net("[-3, 8]", "{name: d, op: dense, units: 4}"),
        "input-1e400": net("[1e400]", "{name: d, op: dense, units: 4}"),
        "input-2^63": net("[9223372036854775808]",
                          "{name: d, op: dense, units: 4}"),
        "input-2^62-sq": net("[4611686018427387904, 4611686018427387904]",
                             "{name: d, op: dense, units: 4}"),
        "input-rank-20": net("[" + ", ".join(["2"] * 20) + "]",
                             "{name: r, op: relu}"),
        "input-empty-shape-dense": net("[]", "{name: d, op: dense, "
                                       "units: 4}"),
        "input-string-dim": net("[a, 4]", "{name: d, op: dense, units: 4}"),
        "dense-units0": net("[8]", "{name: d, op: dense, units: 0}"),
        "dense-units-huge": net("[8]", "{name: d, op: dense, "
                                "units: 4611686018427387904}"),
        "dense-units-nan": net("[8]", "{name: d, op: dense, units: .nan}"),
        "conv-group-not-dividing": net(img, "{name: c, op: conv, filters: 4,"
                                       " kernel: 3, groups: 2}"),
        "conv-kernel-bigger": net(img, "{name: c, op: conv, filters: 4, "
                                  "kernel: 40}"),
        "conv-dilation-huge": net(img, "{name: c, op: conv, filters: 4, "
                                  "kernel: 3, dilation: 4611686018427387904}"),
        "conv-stride0": net(img, "{name: c, op: conv, filters: 4, kernel: 3,"
                            " stride: 0}"),
        "pool-stride0": net(img, "{name: p, op: maxpool, kernel: 2, "
                            "stride: 0}"),
        "pool-kernel0": net(img, "{name: p, op: avgpool, kernel: 0}"),
        "embedding-vocab0": net("[8]", "{name: e, op: embedding, vocab: 0, "
                                "dim: 4}"),
        "attention-heads-not-dividing": net("[8, 30]",
                                            "{name: a, op: attention, "
                                            "heads: 7}"),
        "attention-heads0": net("[8, 30]", "{name: a, op: attention, "
                                "heads: 0}"),
        "softmax-axis-oob": net("[8]", "{name: s, op: softmax, axis: 3}"),
        "flatten-axis-oob": net(img, "{name: f, op: flatten, axis: 9}"),
        "reshape-two-minus1": net(img, "{name: r, op: reshape, "
                                  "shape: [-1, -1]}"),
        "reshape-impossible": net(img, "{name: r, op: reshape, "
                                  "shape: [7, 7]}"),
        "reshape-zero": net(img, "{name: r, op: reshape, shape: [0, 0, 0, 0,"
                            " 0]}"),
        "transpose-perm-dup": net(img, "{name: t, op: transpose, "
                                  "perm: [0, 0, 1]}"),
        "transpose-perm-short": net(img, "{name: t, op: transpose, "
                                    "perm: [0]}"),
        "split-sizes-sum": net("[8]", "{name: s, op: split, sizes: [3, 3]}"),
        "split-parts0": net("[8]", "{name: s, op: split, parts: 0}"),
        "split-parts-more": net("[8]", "{name: s, op: split, parts: 9}"),
        "slice-step0": net("[8]", "{name: s, op: slice, start: 0, end: 4, "
                           "step: 0}"),
        "slice-start-after-end": net("[8]", "{name: s, op: slice, start: 6,"
                                     " end: 2}"),
        "squeeze-not-one": net(img, "{name: s, op: squeeze, axes: [0]}"),
        "concat-rank-mismatch": NET_HEAD % "[4, 4]" + "  y: [4]\n" +
                                "  - {name: c, op: concat, in: [x, y]}\n",
        "concat-axis-oob": NET_HEAD % "[4, 4]" + "  y: [4, 4]\n" +
                           "  - {name: c, op: concat, in: [x, y], axis: 5}\n",
        "add-no-broadcast": NET_HEAD % "[4]" + "  y: [3]\n" +
                            "  - {name: a, op: add, in: [x, y]}\n",
        "add-one-input": net("[4]", "{name: a, op: add}"),
        "matmul-inner": NET_HEAD % "[4, 5]" + "  y: [6, 3]\n" +
                        "  - {name: m, op: matmul, in: [x, y]}\n",
        # graph shape
        "cycle": net("[4]", "{name: a, op: add, in: [x, c]}",
                     "{name: b, op: relu, in: a}",
                     "{name: c, op: relu, in: b}"),
        "self-loop": net("[4]", "{name: a, op: relu, in: a}"),
        "dangling-input": net("[4]", "{name: a, op: relu, in: nowhere}"),
        "duplicate-name": net("[4]", "{name: a, op: relu}",
                              "{name: a, op: relu}"),
        "name-with-slash": net("[4]", "{name: a/b, op: relu}"),
        "op-unknown": net("[4]", "{name: a, op: frobnicate}"),
        "op-and-block": net("[4]", "{name: a, op: relu, block: b}"),
        "layer-scalar": net("[4]", "relu"),
        "no-layers": NET_HEAD % "[4]",
        "no-inputs": "name: h\nlayers:\n  - {name: d, op: dense, units: 4}\n",
        "block-recursive": "name: h\ninputs:\n  x: [4]\nblocks:\n  b:\n"
                           "    layers:\n      - {name: i, block: b}\n"
                           "layers:\n  - {name: a, block: b}\n",
        "block-mutual": "name: h\ninputs:\n  x: [4]\nblocks:\n  b:\n"
                        "    layers:\n      - {name: i, block: c}\n"
                        "  c:\n    layers:\n      - {name: j, block: b}\n"
                        "layers:\n  - {name: a, block: b}\n",
        "block-param-missing": "name: h\ninputs:\n  x: [4]\nblocks:\n  b:\n"
                               "    params: {u: ~}\n    layers:\n"
                               "      - {name: d, op: dense, units: $u}\n"
                               "layers:\n  - {name: a, block: b}\n",
        "block-param-undefined": "name: h\ninputs:\n  x: [4]\nblocks:\n"
                                 "  b:\n    layers:\n"
                                 "      - {name: d, op: dense, units: $zz}\n"
                                 "layers:\n  - {name: a, block: b}\n",
        "block-unknown": net("[4]", "{name: a, block: nope}"),
        "repeat-huge": net("[4]", "{name: a, op: relu, repeat: 1000000000}"),
        "repeat-zero": net("[4]", "{name: a, op: relu, repeat: 0}"),
        "repeat-neg": net("[4]", "{name: a, op: relu, repeat: -1}"),
        "repeat-nested-huge": "name: h\ninputs:\n  x: [4]\nblocks:\n  b:\n"
                              "    layers:\n      - {name: r, op: relu, "
                              "repeat: 100000}\nlayers:\n"
                              "  - {name: a, block: b, repeat: 100000}\n",
        "share-unknown": net("[4]", "{name: a, op: dense, units: 4, "
                             "share: ghost}"),
        "share-shape-mismatch": net("[4]", "{name: a, op: dense, units: 4}",
                                    "{name: b, op: dense, units: 8, "
                                    "share: a}"),
        "batch-zero": "name: h\nbatch: 0\ninputs:\n  x: [4]\nlayers:\n"
                      "  - {name: r, op: relu}\n",
        "batch-neg": "name: h\nbatch: -4\ninputs:\n  x: [4]\nlayers:\n"
                     "  - {name: r, op: relu}\n",
        "batch-huge": "name: h\nbatch: 1e400\ninputs:\n  x: [4]\nlayers:\n"
                      "  - {name: r, op: relu}\n",
        "samples-neg": "name: h\nsamples: -1\ninputs:\n  x: [4]\nlayers:\n"
                       "  - {name: r, op: relu}\n",
        "dtype-bogus": "name: h\ndtype: fp7\ninputs:\n  x: [4]\nlayers:\n"
                       "  - {name: r, op: relu}\n",
        "input-dtype-bogus": "name: h\ninputs:\n  x: {shape: [4], dtype: "
                             "complex}\nlayers:\n  - {name: r, op: relu}\n",
        "unary-flops-neg": net("[4]", "{name: u, op: unary, fn: x, "
                               "flops: -5}"),
        "unary-flops-huge": net("[4]", "{name: u, op: unary, fn: x, "
                                "flops: 1e300}"),
        "dropout-rate-2": net("[4]", "{name: d, op: dropout, rate: 2}"),
        "anchors": "name: h\ninputs:\n  x: &s [4]\n  y: *s\nlayers:\n"
                   "  - {name: r, op: relu}\n",
        "tab-indent": "name: h\ninputs:\n\tx: [4]\nlayers:\n"
                      "  - {name: r, op: relu}\n",
        "non-utf8-name": b"name: h\ninputs:\n  x: [4]\nlayers:\n"
                         b"  - {name: \xc3\x28, op: relu}\n",
        "deep-nesting": "name: h\ninputs:\n  x: [4]\nlayers:\n"
                        "  - {name: r, op: relu, junk: " + "[" * 3000 +
                        "]" * 3000 + "}\n",
        "unknown-attr": net("[4]", "{name: d, op: dense, units: 4, "
                            "unitz: 5}"),
        "wide-dense-overflow": net("[1048576]",
                                   "{name: d, op: dense, units: 1048576}",
                                   "{name: e, op: dense, units: 1048576}",
                                   "{name: f, op: dense, "
                                   "units: 1099511627776}"),
    }
    for name, text in specs.items():
        C.append(Case("net", name, {"n.yaml": text},
                      ["place", "n.yaml", "--machine", "mini64",
                       "--strategy", "pack", "-o", "out.plan.yaml"],
                      loc=yloc("n.yaml")))
    return C


# ---------------------------------------------------------------- plan
def base_plan(binary, tmp):
    path = os.path.join(tmp, "base.plan.yaml")
    subprocess.run([binary, "place", "p1b2", "--machine", "mini128",
                    "--mode", "pipelined", "--strategy", "pack", "-o", path],
                   capture_output=True, env=san_env(), check=True)
    with open(path) as f:
        return f.read()


def plan_cases(binary, tmp):
    base = base_plan(binary, tmp)
    r1 = "rect: {x: 120, y: 0, w: 8, h: 39}"
    assert r1 in base, "base plan changed: tests/harden/hostile.py"
    edits = {
        "rect-overlap": (r1, "rect: {x: 100, y: 0, w: 8, h: 39}"),
        "rect-off-grid-x": (r1, "rect: {x: 125, y: 0, w: 8, h: 39}"),
        "rect-off-grid-y": (r1, "rect: {x: 120, y: 120, w: 8, h: 39}"),
        "rect-neg-x": (r1, "rect: {x: -8, y: 0, w: 8, h: 39}"),
        "rect-w0": (r1, "rect: {x: 120, y: 0, w: 0, h: 39}"),
        "rect-h-neg": (r1, "rect: {x: 120, y: 0, w: 8, h: -39}"),
        "rect-huge": (r1, "rect: {x: 120, y: 0, w: 9223372036854775807, "
                          "h: 39}"),
        "rect-wrap": (r1, "rect: {x: 4294967295, y: 0, w: 8, h: 39}"),
        "rect-nan": (r1, "rect: {x: .nan, y: 0, w: 8, h: 39}"),
        "rect-float": (r1, "rect: {x: 120.5, y: 0, w: 8, h: 39}"),
        "rect-string": (r1, "rect: {x: left, y: 0, w: 8, h: 39}"),
        "rect-list": (r1, "rect: [120, 0, 8, 39]"),
        "rect-missing-key": (r1, "rect: {x: 120, y: 0, w: 8}"),
        "rect-extra-key": (r1, "rect: {x: 120, y: 0, w: 8, h: 39, z: 1}"),
        "color-99": ("color: 4, multicast_group: -1, wavelets_per_sample: 14102",
                     "color: 99, multicast_group: -1, wavelets_per_sample: 14102"),
        "color-neg": ("color: 4, multicast_group: -1, wavelets_per_sample: 14102",
                      "color: -1, multicast_group: -1, wavelets_per_sample: 14102"),
        "color-2^31": ("color: 4, multicast_group: -1, wavelets_per_sample: 14102",
                       "color: 2147483648, multicast_group: -1, "
                       "wavelets_per_sample: 14102"),
        "color-string": ("color: 4, multicast_group: -1, wavelets_per_sample: 14102",
                         "color: red, multicast_group: -1, "
                         "wavelets_per_sample: 14102"),
        "route-off-grid": ("points: [[119, 60], [120, 60], [120, 28]]",
                           "points: [[119, 60], [500, 60], [120, 28]]"),
        "route-negative": ("points: [[119, 60], [120, 60], [120, 28]]",
                           "points: [[119, 60], [-1, 60], [120, 28]]"),
        "route-diagonal": ("points: [[119, 60], [120, 60], [120, 28]]",
                           "points: [[119, 60], [120, 28]]"),
        "route-empty": ("points: [[119, 60], [120, 60], [120, 28]]",
                        "points: []"),
        "route-point-3": ("points: [[119, 60], [120, 60], [120, 28]]",
                          "points: [[119, 60, 1], [120, 60], [120, 28]]"),
        "route-src-unknown": ('src: "fc1/dense", dst: "fc2/dense"',
                              'src: "ghost", dst: "fc2/dense"'),
        "route-pass-bogus": ('dst: "fc2/dense", pass: fwd',
                             'dst: "fc2/dense", pass: sideways'),
        "route-mcast-huge": ('dst: "fc2/dense", pass: fwd, color: 4, '
                             'multicast_group: -1',
                             'dst: "fc2/dense", pass: fwd, color: 4, '
                             'multicast_group: 99999999999'),
        "network-other": ('network: "p1b2"', 'network: "uno"'),
        "machine-other": ('machine: "mini128"', 'machine: "wse3"'),
        "grid-mismatch": ("grid: {width: 128, height: 128}",
                          "grid: {width: 64, height: 64}"),
        "batch-zero": ("batch: 60", "batch: 0"),
        "batch-neg": ("batch: 60", "batch: -60"),
        "batch-1e400": ("batch: 60", "batch: 1e400"),
        "batch-2^62": ("batch: 60", "batch: 4611686018427387904"),
        "mode-bogus": ("mode: pipelined", "mode: sideways"),
        "precision-bogus": ("precision: mixed", "precision: fp7"),
        "stage-kind-bogus": ("kind: dense", "kind: magic"),
        "stage-name-dup": ('- name: "fc2/dense"', '- name: "fc1/dense"'),
        "stage-layer-unknown": ('layers: ["fc2/dense"', 'layers: ["ghost"'),
        "stages-scalar": ("stages:\n", "stages: 3\nxstages:\n"),
        "kernel-bogus": ("kernel: stream", "kernel: warp"),
        "seed-neg": ("seed: 1", "seed: -1"),
        "micro-batch-zero": ("micro_batch: 60", "micro_batch: 0"),
        "samples-in-flight-huge": ("samples_in_flight: 60",
                                   "samples_in_flight: 9223372036854775807"),
    }
    # docs/placement.md: a plan is trusted for its rectangles and route
    # geometry only; the rest is recomputed (a stage's kind and layers),
    # and color -1 means "assign one": these read as the plain plan
    valid = {"color-neg", "stage-kind-bogus", "stage-layer-unknown"}
    C = []
    for name, (old, new) in edits.items():
        if old not in base:
            continue
        ok = name in valid
        C.append(Case("plan", name + ("-valid" if ok else ""),
                      {"p.yaml": base.replace(old, new, 1)},
                      ["run", "p1b2", "--machine", "mini128", "--plan",
                       "p.yaml", "--steps", "1", "--infer-samples", "1",
                       "-o", "out.txt"],
                      want=0 if ok else 1, loc=yloc("p.yaml"),
                      keep={"out.txt"} if ok else ()))
    extra = {
        "truncated": base[:len(base) // 2],
        "empty": "",
        "deep": base + "junk: " + "[" * 3000 + "]" * 3000 + "\n",
        "alias": base.replace('network: "p1b2"', 'network: &n "p1b2"') +
                 "again: *n\n",
        "non-utf8": base.encode().replace(b'"fc2/dense"', b'"fc2/\xff"', 1),
    }
    for name, text in extra.items():
        loc = yloc("p.yaml") if name != "empty" else re.escape("p.yaml")
        C.append(Case("plan", name, {"p.yaml": text},
                      ["run", "p1b2", "--machine", "mini128", "--plan",
                       "p.yaml", "--steps", "1", "-o", "out.txt"],
                      loc=loc))
    return C


# ---------------------------------------------------------------- onnx
def onnx_cases():
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError:
        print("hostile: python3-onnx missing, ONNX cases skipped "
              "(run with /usr/bin/python3)", file=sys.stderr)
        return []
    F, I64 = TensorProto.FLOAT, TensorProto.INT64

    def vi(name, shape, t=F):
        return helper.make_tensor_value_info(name, t, shape)

    def ext_w(name, dims, loc="w.bin"):
        t = TensorProto()
        t.name, t.data_type = name, F
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = "location", loc
        return t

    def i64(name, vals, dims=None):
        return helper.make_tensor(name, I64,
                                  [len(vals)] if dims is None else dims, vals)

    def model(nodes, inputs, outputs, inits=(), opset=13, vinfo=(),
              ir=8):
        g = helper.make_graph(nodes, "g", inputs, outputs,
                              initializer=list(inits), value_info=list(vinfo))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("",
                                                                    opset)])
        m.ir_version = ir
        return m.SerializeToString()

    N = helper.make_node
    x4 = [vi("x", [1, 4])]
    y = [vi("y", None)]
    img = [vi("x", [1, 4, 8, 8])]
    good = model([N("MatMul", ["x", "W"], ["y"], name="mm")], x4, y,
                 [ext_w("W", [4, 3])])
    cases = {}
    # truncations and garbage
    for cut in (1, 7, len(good) // 2, len(good) - 1):
        cases["truncated-%d" % cut] = ("file", good[:cut])
    cases["empty"] = ("file", b"")
    cases["garbage"] = ("file", bytes(range(256)) * 4)
    cases["yaml-as-onnx"] = ("file", b"name: x\nlayers: []\n")
    cases["varint-huge-len"] = ("file", b"\x3a\xff\xff\xff\xff\x0f" + good)
    # wrong field types
    cases["conv-strides-float"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", kernel_shape=[3, 3],
           strides=[1.5, 1.5])], img, y, [ext_w("W", [4, 4, 3, 3])]))
    cases["conv-kernel-string"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", kernel_shape="3")], img, y,
        [ext_w("W", [4, 4, 3, 3])]))
    cases["softmax-axis-tensor"] = ("node", model(
        [N("Softmax", ["x"], ["y"], name="s",
           axis=helper.make_tensor("a", I64, [1], [1]))], x4, y))
    # initializers whose dims do not match their data
    t = helper.make_tensor("W", F, [12], [0.0] * 12)
    del t.dims[:]
    t.dims.extend([4, 3])
    del t.float_data[5:]
    cases["init-float-data-short"] = ("value", model(
        [N("MatMul", ["x", "W"], ["y"], name="mm")], x4, y, [t]))
    t = helper.make_tensor("W", F, [4, 3], [0.0] * 12)
    del t.float_data[:]
    t.raw_data = b"\0" * 7
    cases["init-raw-data-short"] = ("value", model(
        [N("MatMul", ["x", "W"], ["y"], name="mm")], x4, y, [t]))
    cases["init-dim-neg"] = ("value", model(
        [N("MatMul", ["x", "W"], ["y"], name="mm")], x4, y,
        [ext_w("W", [4, -3])]))
    cases["init-dim-2^62"] = ("value", model(
        [N("MatMul", ["x", "W"], ["y"], name="mm")], x4, y,
        [ext_w("W", [4, 1 << 62])]))
    cases["init-matmul-mismatch"] = ("node", model(
        [N("MatMul", ["x", "W"], ["y"], name="mm")], x4, y,
        [ext_w("W", [5, 3])]))
    sh = i64("shape", [1, 5])

    def short_shape():
        t = TensorProto()
        t.name, t.data_type = "shape", I64
        t.dims.extend([3])
        t.int64_data.extend([1, 4])
        return t
    cases["reshape-shape-short-data"] = ("value", model(
        [N("Reshape", ["x", "shape"], ["y"], name="r")], x4, y,
        [short_shape()]))
    cases["reshape-impossible"] = ("node", model(
        [N("Reshape", ["x", "shape"], ["y"], name="r")], x4, y, [sh]))
    # external data paths
    for label, loc in (("dotdot", "../w.bin"), ("abs", "/etc/passwd"),
                       ("dotdot-mid", "a/../../w.bin"),
                       ("nul", "w\0.bin"), ("empty", ""),
                       ("dir", "."), ("long", "a" * 5000)):
        shp = TensorProto()
        shp.name, shp.data_type = "shape", I64
        shp.dims.extend([2])
        shp.data_location = TensorProto.EXTERNAL
        e = shp.external_data.add()
        e.key, e.value = "location", loc
        cases["external-" + label] = ("value", model(
            [N("Reshape", ["x", "shape"], ["y"], name="r")], x4, y, [shp]))
    shp = TensorProto()
    shp.name, shp.data_type = "shape", I64
    shp.dims.extend([2])
    shp.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "s.bin"), ("offset", "-8"),
                 ("length", "16")):
        e = shp.external_data.add()
        e.key, e.value = k, v
    cases["external-offset-neg"] = ("value", model(
        [N("Reshape", ["x", "shape"], ["y"], name="r")], x4, y, [shp]))
    shp.external_data[1].value = "99999999999999999999"
    cases["external-offset-huge"] = ("value", model(
        [N("Reshape", ["x", "shape"], ["y"], name="r")], x4, y, [shp]))
    # opset oddities
    mm = [N("MatMul", ["x", "W"], ["y"], name="mm")]
    cases["opset-0"] = ("file", model(mm, x4, y, [ext_w("W", [4, 3])],
                                      opset=0))
    cases["opset-9999"] = ("file", model(mm, x4, y, [ext_w("W", [4, 3])],
                                         opset=9999))
    g = helper.make_graph(mm, "g", x4, y, initializer=[ext_w("W", [4, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("com.evil",
                                                                1)])
    cases["opset-other-domain-only"] = ("file", m.SerializeToString())
    cases["node-domain-custom"] = ("node", model(
        [N("MatMul", ["x", "W"], ["y"], name="mm", domain="com.evil")], x4,
        y, [ext_w("W", [4, 3])]))
    # control flow with subgraphs
    body = helper.make_graph([N("Relu", ["bx"], ["by"], name="inner")],
                             "body", [vi("bx", [1, 4])], [vi("by", [1, 4])])
    cond = helper.make_tensor("c", TensorProto.BOOL, [], [True])
    cases["if-subgraph"] = ("node", model(
        [N("If", ["c"], ["y"], name="branch", then_branch=body,
           else_branch=body)], x4, y, [cond]))
    cases["loop-subgraph"] = ("node", model(
        [N("Loop", ["n", "c", "x"], ["y"], name="loop", body=body)],
        x4, y, [helper.make_tensor("n", I64, [], [3]), cond]))
    # zero-dim tensors
    cases["input-zero-dim"] = ("value", model(
        [N("Relu", ["x"], ["y"], name="r")], [vi("x", [1, 0])], y))
    cases["init-zero-dim-matmul"] = ("node", model(
        mm, x4, y, [ext_w("W", [4, 0])]))
    # Concat of mismatched ranks
    cases["concat-ranks"] = ("node", model(
        [N("Concat", ["x", "z"], ["y"], name="cat", axis=1)],
        [vi("x", [1, 4]), vi("z", [1, 4, 2])], y))
    cases["concat-axis-oob"] = ("node", model(
        [N("Concat", ["x", "z"], ["y"], name="cat", axis=7)],
        [vi("x", [1, 4]), vi("z", [1, 4])], y))
    # Gather with out-of-range indices (shape arithmetic and data)
    cases["gather-shape-oob"] = ("node", model(
        [N("Shape", ["x"], ["s"], name="shape"),
         N("Gather", ["s", "idx"], ["g"], name="gat", axis=0),
         N("Reshape", ["x", "g"], ["y"], name="r")],
        x4, y, [i64("idx", [9])]))
    cases["gather-shape-neg-oob"] = ("node", model(
        [N("Shape", ["x"], ["s"], name="shape"),
         N("Gather", ["s", "idx"], ["g"], name="gat", axis=0),
         N("Reshape", ["x", "g"], ["y"], name="r")],
        x4, y, [i64("idx", [-9])]))
    cases["gather-axis-oob"] = ("node", model(
        [N("Gather", ["E", "ids"], ["y"], name="emb", axis=5)],
        [vi("ids", [1, 6], I64)], y, [ext_w("E", [10, 4])]))
    cases["gather-const-ids-oob"] = ("node", model(
        [N("Gather", ["E", "ids"], ["y"], name="emb", axis=0)],
        x4, y, [ext_w("E", [10, 4]), i64("ids", [3, 99])]))
    # Conv group not dividing channels and other conv oddities
    conv = lambda **a: model([N("Conv", ["x", "W"], ["y"], name="c", **a)],
                             img, y, [ext_w("W", a.pop("_w", [6, 2, 3, 3]))])
    cases["conv-group-3"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", group=3)], img, y,
        [ext_w("W", [6, 2, 3, 3])]))
    cases["conv-group-0"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", group=0)], img, y,
        [ext_w("W", [6, 4, 3, 3])]))
    cases["conv-group-neg"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", group=-2)], img, y,
        [ext_w("W", [6, 4, 3, 3])]))
    cases["conv-stride-0"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", strides=[0, 0])], img, y,
        [ext_w("W", [6, 4, 3, 3])]))
    cases["conv-dilation-huge"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c",
           dilations=[1 << 62, 1 << 62])], img, y,
        [ext_w("W", [6, 4, 3, 3])]))
    cases["conv-pads-neg"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", pads=[-9, -9, -9, -9])],
        img, y, [ext_w("W", [6, 4, 3, 3])]))
    cases["conv-pads-short"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", pads=[1])], img, y,
        [ext_w("W", [6, 4, 3, 3])]))
    cases["conv-kernel-big"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c")], img, y,
        [ext_w("W", [6, 4, 30, 30])]))
    cases["conv-weight-rank"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c")], img, y,
        [ext_w("W", [6, 4])]))
    cases["conv-auto-pad-bogus"] = ("node", model(
        [N("Conv", ["x", "W"], ["y"], name="c", auto_pad="SIDEWAYS")], img,
        y, [ext_w("W", [6, 4, 3, 3])]))
    cases["convT-outpad"] = ("node", model(
        [N("ConvTranspose", ["x", "W"], ["y"], name="ct", strides=[2, 2],
           output_padding=[3, 3])], img, y, [ext_w("W", [4, 2, 3, 3])]))
    cases["convT-group"] = ("node", model(
        [N("ConvTranspose", ["x", "W"], ["y"], name="ct", group=3)], img, y,
        [ext_w("W", [4, 2, 3, 3])]))
    cases["convT-output-shape-neg"] = ("node", model(
        [N("ConvTranspose", ["x", "W"], ["y"], name="ct",
           output_shape=[-5, -5])], img, y, [ext_w("W", [4, 2, 3, 3])]))
    cases["resize-scales-zero"] = ("node", model(
        [N("Resize", ["x", "", "sc"], ["y"], name="rs")], img, y,
        [helper.make_tensor("sc", F, [4], [1, 1, 0, 0])]))
    cases["resize-scales-nan"] = ("node", model(
        [N("Resize", ["x", "", "sc"], ["y"], name="rs")], img, y,
        [helper.make_tensor("sc", F, [4], [1, 1, float("nan"), 2])]))
    cases["resize-scales-huge"] = ("node", model(
        [N("Resize", ["x", "", "sc"], ["y"], name="rs")], img, y,
        [helper.make_tensor("sc", F, [4], [1, 1, 1e30, 1e30])]))
    cases["resize-sizes-rank"] = ("node", model(
        [N("Resize", ["x", "", "", "sz"], ["y"], name="rs")], img, y,
        [i64("sz", [1, 4, 16])]))
    cases["resize-mode-bogus"] = ("node", model(
        [N("Resize", ["x", "", "sc"], ["y"], name="rs", mode="warp")], img,
        y, [helper.make_tensor("sc", F, [4], [1, 1, 2, 2])]))
    cases["pad-neg-beyond"] = ("node", model(
        [N("Pad", ["x", "p"], ["y"], name="pad")], img, y,
        [i64("p", [0, 0, -20, 0, 0, 0, 0, 0])]))
    cases["pad-odd"] = ("node", model(
        [N("Pad", ["x", "p"], ["y"], name="pad")], img, y,
        [i64("p", [0, 0, 1])]))
    cases["pad-huge"] = ("node", model(
        [N("Pad", ["x", "p"], ["y"], name="pad")], img, y,
        [i64("p", [0, 0, 1 << 62, 0, 0, 0, 1 << 62, 0])]))
    cases["reduce-axis-oob"] = ("node", model(
        [N("ReduceMean", ["x"], ["y"], name="rm", axes=[9])], img, y))
    cases["reduce-batch"] = ("node", model(
        [N("ReduceSum", ["x", "ax"], ["y"], name="rs")], img, y,
        [i64("ax", [0])]))
    cases["split-sizes"] = ("node", model(
        [N("Split", ["x", "sp"], ["y", "z"], name="sp", axis=1)], x4,
        [vi("y", None), vi("z", None)], [i64("sp", [3, 3])]))
    cases["split-axis-min"] = ("node", model(
        [N("Split", ["x"], ["y", "z"], name="sp", axis=-(1 << 63))], x4,
        [vi("y", None), vi("z", None)]))
    cases["slice-step0"] = ("node", model(
        [N("Slice", ["x", "st", "en", "ax", "stp"], ["y"], name="sl")], x4,
        y, [i64("st", [0]), i64("en", [2]), i64("ax", [1]),
            i64("stp", [0])]))
    cases["transpose-perm"] = ("node", model(
        [N("Transpose", ["x"], ["y"], name="t", perm=[0, 0])], x4, y))
    cases["flatten-axis"] = ("node", model(
        [N("Flatten", ["x"], ["y"], name="f", axis=99)], img, y))
    cases["softmax-axis"] = ("node", model(
        [N("Softmax", ["x"], ["y"], name="s", axis=-99)], x4, y))
    cases["add-one-input"] = ("node", model(
        [N("Add", ["x"], ["y"], name="add")], x4, y))
    cases["add-no-broadcast"] = ("node", model(
        [N("Add", ["x", "z"], ["y"], name="add")],
        [vi("x", [1, 4]), vi("z", [1, 3])], y))
    cases["gemm-transB-mismatch"] = ("node", model(
        [N("Gemm", ["x", "W"], ["y"], name="gemm", transB=1)], x4, y,
        [ext_w("W", [3, 5])]))
    # graph structure
    cases["cycle"] = ("node", model(
        [N("Add", ["x", "b"], ["a"], name="n1"),
         N("Relu", ["a"], ["b"], name="n2"),
         N("Relu", ["b"], ["y"], name="n3")], x4, y))
    cases["self-input"] = ("node", model(
        [N("Relu", ["y"], ["y"], name="r")], x4, y))
    cases["dangling-input"] = ("node", model(
        [N("Add", ["x", "ghost"], ["y"], name="add")], x4, y))
    cases["output-twice"] = ("node", model(
        [N("Relu", ["x"], ["y"], name="r1"),
         N("Relu", ["x"], ["y"], name="r2")], x4, y))
    cases["output-missing"] = ("value", model(
        [N("Relu", ["x"], ["a"], name="r")], x4, [vi("nothing", [1, 4])]))
    cases["no-nodes"] = ("file", model([], x4, y))
    cases["node-no-outputs"] = ("node", model(
        [N("Relu", ["x"], [], name="r"), N("Relu", ["x"], ["y"], name="q")],
        x4, y))
    cases["input-rank-20"] = ("value", model(
        [N("Relu", ["x"], ["y"], name="r")], [vi("x", [1] + [2] * 19)], y))
    cases["input-dim-neg"] = ("value", model(
        [N("Relu", ["x"], ["y"], name="r")], [vi("x", [1, -4])], y))
    cases["input-dim-2^62"] = ("value", model(
        [N("Relu", ["x"], ["y"], name="r")], [vi("x", [1, 1 << 62])], y))
    cases["input-batch-7"] = ("value", model(
        [N("Relu", ["x"], ["y"], name="r")], [vi("x", [7, 4])], y))
    cases["input-symbolic-inner"] = ("value", model(
        [N("Relu", ["x"], ["y"], name="r")], [vi("x", [1, "S"])], y))
    cases["declared-shape-wrong"] = ("value", model(
        [N("Relu", ["x"], ["a"], name="r"), N("Relu", ["a"], ["y"],
                                                   name="q")],
        x4, y, vinfo=[vi("a", [1, 9])]))
    cases["op-unknown"] = ("node", model(
        [N("FrobnicateND", ["x"], ["y"], name="frob")], x4, y))
    # protobuf writes only UTF-8: the name's bytes are patched after
    cases["name-non-utf8"] = ("file", model(
        [N("Relu", ["x"], ["y"], name="rQQ")], x4, y).replace(
            b"rQQ", b"r\xff\xfe"))
    C = []
    for name, (kind, data) in cases.items():
        if kind == "node":
            loc = r"(?s)(?=.*m\.onnx)(?=.*node '[^']*' \((op type )?\w+)"
        elif kind == "value":
            loc = r"m\.onnx.*'[^']*'|'[^']*'.*m\.onnx"
        else:
            loc = r"m\.onnx"
        files = {"m.onnx": data}
        if name == "external-offset-neg" or name == "external-offset-huge":
            files["s.bin"] = b"\x01" + b"\0" * 7 + b"\x04" + b"\0" * 7
        C.append(Case("onnx", name, files,
                      ["place", "m.onnx", "--machine", "mini64",
                       "--strategy", "pack", "-o", "out.plan.yaml"],
                      loc=loc))
    return C


# ---------------------------------------------------------------- stats
def stats_cases(binary, tmp):
    import json
    src = os.path.join(tmp, "trace")
    r = subprocess.run([binary, "run", "p1b2", "--machine", "mini16",
                        "--mode", "streaming", "--steps", "1",
                        "--infer-samples", "1", "--job", "train",
                        "--trace", src],
                       capture_output=True, env=san_env())
    if r.returncode:
        print("hostile: no trace to mutate: %s" % r.stderr.decode()[-300:],
              file=sys.stderr)
        return []
    base = {}
    for f in os.listdir(src):
        if f.endswith(".json") or f.endswith(".csv"):
            with open(os.path.join(src, f), "rb") as fh:
                base[f] = fh.read()
    st = json.loads(base["stats.json"])

    def mut(fn):
        d = json.loads(base["stats.json"])
        fn(d)
        return json.dumps(d)

    def setk(path, v):
        def f(d):
            o = d
            for p in path[:-1]:
                o = o[p]
            o[path[-1]] = v
        return f

    edits = {
        "width-0": setk(["width"], 0),
        "width-neg": setk(["width"], -16),
        "width-huge": setk(["width"], 100000),
        "width-2^63": setk(["width"], 1 << 63),
        "width-float": setk(["width"], 16.5),
        "width-string": setk(["width"], "16"),
        "height-1e400": setk(["height"], float("inf")),
        "stage-x-oob": setk(["stages", 0, "x"], 40),
        "stage-w-neg": setk(["stages", 0, "w"], -3),
        "stage-w-huge": setk(["stages", 0, "w"], 1 << 62),
        "stage-y-float": setk(["stages", 0, "y"], 0.5),
        "stage-name-null": setk(["stages", 0, "name"], None),
        "stages-not-list": setk(["stages"], {"a": 1}),
        "stages-empty": setk(["stages"], []),
        "route-points-oob": setk(["routes", 0, "points"], [[999, 8],
                                                             [15, 8]]),
        "route-points-neg": setk(["routes", 0, "points"], [[-1, 8],
                                                             [15, 8]]),
        "route-dst-oob": setk(["routes", 0, "dst"], 99),
        "route-src-neg": setk(["routes", 0, "src"], -99),
        "route-color-huge": setk(["routes", 0, "color"], 1 << 40),
        "edge-from-oob": setk(["edges", 0, "from"], 9999),
        "edge-to-neg": setk(["edges", 0, "to"], -5),
        "node-stage-oob": setk(["nodes", 0, "stage"], 77),
        "span-stage-oob": setk(["spans", "rows", 0], [99, 0, 0, 1.0, 2.0,
                                                       1.0]),
        "span-short-row": setk(["spans", "rows", 0], [0, 0]),
        "span-nan": setk(["spans", "rows", 0], [0, 0, 0, "nan", 2.0, 1.0]),
        "windows-n-huge": setk(["windows", "n"], 1 << 40),
        "windows-cycles-0": setk(["windows", "window_cycles"], 0),
        "windows-busy-short": setk(["windows", "stage_busy"], [1.0]),
        "grid-path-dotdot": setk(["grids", "pe_util"], "../../etc/passwd"),
        "grid-path-abs": setk(["grids", "pe_util"], "/etc/passwd"),
        "grid-path-missing": setk(["grids", "pe_util"], "nope.csv"),
        "link-dirs-huge": setk(["grids", "link_dirs"], 1 << 30),
        "format-other": setk(["format"], "not-wafersim"),
        "version-99": setk(["version"], 99),
        "clock-neg": setk(["clock_ghz"], -1.0),
        "total-cycles-neg": setk(["total_cycles"], -5.0),
    }
    C = []
    for name, fn in edits.items():
        try:
            text = mut(fn)
        except (KeyError, IndexError, TypeError):
            continue
        files = dict(base)
        files["stats.json"] = text
        C.append(Case("stats", name, files,
                      ["plot", ".", "--out-dir", "out", "--no-gnuplot",
                       "--no-graphviz"],
                      loc=r"stats\.json|\.csv"))
    raw = {
        "truncated": base["stats.json"][:len(base["stats.json"]) // 2],
        "empty": b"",
        "not-json": b"width: 16\n",
        "deep": b'{"a":' * 100000 + b"1" + b"}" * 100000,
        "non-utf8": base["stats.json"].replace(b'"p1b2"', b'"p1\xff"', 1),
        "nul": base["stats.json"].replace(b'"p1b2"', b'"p1\\u0000b"', 1),
        "dup-keys": base["stats.json"].replace(b'"width":16',
                                               b'"width":16,"width":9999', 1),
        "nan-literal": base["stats.json"].replace(b'"clock_ghz":',
                                                  b'"clock_ghz":NaN,"x":', 1),
    }
    for name, text in raw.items():
        files = dict(base)
        files["stats.json"] = text
        C.append(Case("stats", name, files,
                      ["plot", ".", "--out-dir", "out", "--no-gnuplot",
                       "--no-graphviz"],
                      loc=r"stats\.json"))
    grid = base.get("pe_util.csv", b"")
    for name, text in {"grid-short": grid[:len(grid) // 3],
                       "grid-nan": grid.replace(b"0", b"nan", 5),
                       "grid-garbage": b"\xff\xfe,,,\n" * 50,
                       "grid-empty": b""}.items():
        files = dict(base)
        files["pe_util.csv"] = text
        C.append(Case("stats", name, files,
                      ["plot", ".", "--out-dir", "out", "--no-gnuplot",
                       "--no-graphviz"],
                      loc=r"pe_util\.csv"))
    return C


# ---------------------------------------------------------------- options
def option_cases():
    S = ["sweep", "--net", "p1b2", "--machine", "mini64", "--strategy",
         "pack", "-o", "s.csv"]
    R = ["run", "p1b2", "--machine", "mini16", "--steps", "1"]
    cases = []

    # a value the parser checks is a usage error (2); one checked against
    # an input (a --set key of the schema, a --region on the machine's
    # grid, a fabric rate) may be a bad input (1): both name the option
    semantic = ("--set", "--region", "--strategy", "--rate", "--mesh",
                "--hotspot-fraction", "--pattern")

    def add(name, argv, want, opt, files=None, setup=None):
        if opt in semantic:
            want = (1, 2)
        cases.append(Case("options", name, files or {}, argv, want=want,
                          loc="'?-*%s'?" % re.escape(opt.lstrip("-")),
                          setup=setup))

    for v in ("0", "-1", "1e12", "1099511627776", "", "abc", "4.5",
              "9223372036854775808", "0x10", " 8"):
        add("run-batch=%r" % v, R + ["--batch", v, "-o", "o.txt"], 2,
            "--batch")
        add("sweep-batch=%r" % v, S + ["--batch", v], 2, "--batch")
    for v in ("1,,2", ",", "8,", "8,-8", "8,1e12", "8,abc"):
        add("sweep-batch-list=%r" % v, S + ["--batch", v], 2, "--batch")
    for v in ("garbage", "0", "-5", "1Q", "1e9", "99999999999999999999T",
              "8G8", "", "G", "16EB"):
        add("run-max-memory=%r" % v, R + ["--max-memory", v, "-o", "o.txt"],
            2, "--max-memory")
        add("fabric-max-memory=%r" % v, ["fabric", "--machine", "mini16",
                                         "--max-memory", v, "--json"], 2,
            "--max-memory")
        add("sweep-max-memory=%r" % v, S + ["--batch", "8", "--max-memory",
                                            v], 2, "--max-memory")
        add("validate-max-memory=%r" % v, ["validate", "wafer",
                                           "--max-memory", v], 2,
            "--max-memory")
    for opt, vals in (("--steps", ("0", "-3", "1e9", "1001")),
                      ("--infer-samples", ("0", "-1")),
                      ("--seed", ("-1", "2147483648")),
                      ("--gpus", ("0", "-2")),
                      ("--wafers", ("0", "1048577")),
                      ("--precision", ("fp7", "")),
                      ("--mode", ("sideways",)),
                      ("--time-budget", ("0", "-1", "nan", "inf", "1e400")),
                      ("--region", ("0x0", "-1x4", "99999x99999", "axb",
                                    "4x", "x4", "4x4x4")),
                      ("--kernel", ("warp",)),
                      ("--groups", ("0", "-4")),
                      ("--set", ("grid.width", "=5", "grid.width=0",
                                 "grid.width=abc", "nosuch.key=1",
                                 "grid.width=1e400",
                                 "clock_ghz=nan"))):
        for v in vals:
            want = 1 if opt == "--set" and "=" in v and \
                not v.startswith("=") else 2
            add("run%s=%r" % (opt, v), R + [opt, v, "-o", "o.txt"], want,
                opt)
    for opt, vals in (("--rate", ("-0.5", "nan", "inf", "2")),
                      ("--mesh", ("0x0", "-4x4", "5000x5000", "16", "full2",
                                  "99999999999x2")),
                      ("--cycles", ("0", "-1", "1e12")),
                      ("--packet-wavelets", ("0",)),
                      ("--hotspot-fraction", ("-1", "nan", "7")),
                      ("--pattern", ("spiral",))):
        for v in vals:
            # (no --out-dir: a point writes no file, and the folder is
            # refused without --sweep)
            add("fabric%s=%r" % (opt, v),
                ["fabric", "--machine", "mini16", opt, v, "--json"],
                2 if opt != "--vcd-pe" else 2, opt)
    for opt, vals in (("--jobs", ("0", "-1", "100000")),
                      ("--wafers", ("0", "1,0")),
                      ("--seed", ("-1", "1,-1")),
                      ("--kernel", ("warp", "stream,warp")),
                      ("--mode", ("auto,sideways",)),
                      ("--strategy", ("pack,nosuch",)),
                      ("--set", ("grid.width=0,16", "nosuch=1,2",
                                 "grid.width=", "grid.width=16,,32"))):
        for v in vals:
            argv = [a for a in S]
            if opt == "--strategy":
                argv = argv[:5] + argv[7:]
            add("sweep%s=%r" % (opt, v), argv + ["--batch", "8", opt, v],
                1 if opt in ("--set",) and v != "grid.width=" else 2, opt)
    # a bad network file named on the command line: the file's location
    cases.append(Case("options", "sweep-bad-net-file",
                      {"n.yaml": net("[4]", "{name: a, op: nope}")},
                      ["sweep", "--net", "n.yaml", "--machine", "mini64",
                       "--batch", "8", "-o", "s.csv"],
                      loc=yloc("n.yaml")))
    cases.append(Case("options", "sweep-bad-machine-file",
                      {"m.yaml": with_key("grid.width", "-4")},
                      ["sweep", "--net", "p1b2", "--machine", "m.yaml",
                       "--batch", "8", "-o", "s.csv"],
                      loc=yloc("m.yaml")))
    cases.append(Case("options", "sweep-bad-gpu-file",
                      {"g.yaml": "name: g\nsms: -1\n"},
                      ["sweep", "--net", "p1b2", "--machine", "mini64",
                       "--batch", "8", "--gpu", "g.yaml", "-o", "s.csv"],
                      loc=yloc("g.yaml")))
    cases.append(Case("options", "plot-missing-dir", {},
                      ["plot", "nodir", "--out-dir", "out"], loc=r"nodir"))
    cases.append(Case("options", "run-unknown-option", {},
                      ["run", "p1b2", "--frobnicate", "-o", "o.txt"],
                      want=2, loc=r"--frobnicate"))
    cases.append(Case("options", "run-missing-value", {},
                      ["run", "p1b2", "--batch"], want=2, loc=r"--batch"))
    cases.append(Case("options", "sweep-missing-net",
                      {}, ["sweep", "--net", "nosuch.yaml", "--machine",
                           "mini64", "--batch", "8", "-o", "s.csv"],
                      loc=r"nosuch\.yaml"))
    cases.append(Case("options", "sweep-resume-garbage-journal",
                      {"s.csv.journal.0": b"\xff" * 300 + b"\n" * 5},
                      ["sweep", "--net", "p1b2", "--machine", "mini64",
                       "--strategy", "nosuch", "--batch", "8", "--resume",
                       "-o", "s.csv"], want=(1, 2), loc=r"--strategy"))
    return cases


# ---------------------------------------------------------------- outputs
def output_cases():
    C = []
    ro = lambda d: os.chmod(os.path.join(d, "ro"), 0o555)
    mk = lambda d: os.mkdir(os.path.join(d, "ro"))

    def ro_setup(d):
        mk(d)
        ro(d)

    def fifo_setup(d):
        os.mkfifo(os.path.join(d, "fifo"))

    def dir_setup(d):
        os.mkdir(os.path.join(d, "adir"))

    for cmd in (["run", "p1b2", "--machine", "mini16", "--steps", "1"],
                ["place", "p1b2", "--machine", "mini64", "--strategy",
                 "pack"],
                ["machine", "show", "mini16"],
                ["gpu", "p1b2"],
                ["sweep", "--net", "p1b2", "--machine", "mini64",
                 "--strategy", "pack", "--batch", "8"]):
        w = cmd[0]
        C.append(Case("output", w + "-o-dir", {}, cmd + ["-o", "adir"],
                      loc=r"'-o'|adir", setup=dir_setup))
        C.append(Case("output", w + "-o-missing-dir", {},
                      cmd + ["-o", "nosuch/out.txt"], loc=r"nosuch"))
        if os.geteuid() != 0:
            C.append(Case("output", w + "-o-readonly-dir", {},
                          cmd + ["-o", "ro/out.txt"], loc=r"ro",
                          setup=ro_setup))
        # as root a read-only folder is writable: /proc is not
        C.append(Case("output", w + "-o-proc", {},
                      cmd + ["-o", "/proc/wafersim-out.txt"],
                      loc=r"/proc"))
        C.append(Case("output", w + "-o-dev-full", {},
                      cmd + ["-o", "/dev/full"], loc=r"/dev/full"))
        C.append(Case("output", w + "-o-dev-null", {},
                      cmd + ["-o", "/dev/null"], want=0))
        C.append(Case("output", w + "-o-fifo", {}, cmd + ["-o", "fifo"],
                      want=0, setup=fifo_setup, keep={"fifo"}))
    C.append(Case("output", "trace-into-file",
                  {"afile": "x"},
                  ["run", "p1b2", "--machine", "mini16", "--steps", "1",
                   "--trace", "afile", "-o", "o.txt"], loc=r"afile"))
    # a missing parent is made, as plot --out-dir makes it; a file on
    # the way is refused before the work
    C.append(Case("output", "trace-parent-is-file", {"afile": "x"},
                  ["run", "p1b2", "--machine", "mini16", "--steps", "1",
                   "--trace", "afile/such/t", "-o", "o.txt"], loc=r"afile"))
    C.append(Case("output", "vcd-into-dir", {},
                  ["run", "p1b2", "--machine", "mini16", "--steps", "1",
                   "--engine", "systemc", "--vcd", "adir", "-o", "o.txt"],
                  loc=r"adir", setup=dir_setup))
    C.append(Case("output", "dot-into-dir", {},
                  ["compile", "p1b2", "--dot", "adir"], loc=r"adir",
                  setup=dir_setup))
    C.append(Case("output", "fabric-out-dir-file", {"afile": "x"},
                  ["fabric", "--machine", "mini16", "--sweep", "--out-dir",
                   "afile"], loc=r"afile"))
    return C


# ---------------------------------------------------------------- others
def other_cases():
    """GPU descriptions and measurement files: readers too."""
    C = []
    gpu = ("name: g\nsms: %s\nthreads_per_sm: 2048\n"
           "peak_tflops: {fp32: 60, tf32: 400, bf16: 900, fp16: 900}\n"
           "memory: {gbytes: 80, bandwidth_gbytes_s: 3000}\n"
           "power: {idle_w: 70, max_w: 700}\n")
    for label, v in (("sms-0", "0"), ("sms-neg", "-4"), ("sms-nan", ".nan"),
                     ("sms-1e400", "1e400"), ("sms-string", "many"),
                     ("sms-list", "[1]"), ("sms-2^63", "9223372036854775808")):
        C.append(Case("gpu", label, {"g.yaml": gpu % v},
                      ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"],
                      loc=yloc("g.yaml")))
    C.append(Case("gpu", "unknown-key", {"g.yaml": gpu % "132" + "warp: 9\n"},
                  ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"],
                  loc=yloc("g.yaml")))
    C.append(Case("gpu", "alias", {"g.yaml": "name: &n g\nother: *n\n"},
                  ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"],
                  loc=yloc("g.yaml")))
    head = "network,machine,wafers,mode,dtype,batch,samples_per_s,source_id\n"
    rows = {"wafers-0": "p1b2,mini64,0,streaming,fp16,8,1000,a",
            "wafers-huge": "p1b2,mini64,99999999999,streaming,fp16,8,1000,a",
            "batch-neg": "p1b2,mini64,1,streaming,fp16,-8,1000,a",
            "batch-1e400": "p1b2,mini64,1,streaming,fp16,1e400,1000,a",
            "rate-nan": "p1b2,mini64,1,streaming,fp16,8,nan,a",
            "rate-neg": "p1b2,mini64,1,streaming,fp16,8,-5,a",
            "mode-bogus": "p1b2,mini64,1,sideways,fp16,8,1000,a",
            "dtype-bogus": "p1b2,mini64,1,streaming,fp7,8,1000,a",
            "fields-short": "p1b2,mini64,1",
            "fields-long": "p1b2,mini64,1,streaming,fp16,8,1000,a,b,c",
            "net-dotdot": "../../etc/passwd,mini64,1,streaming,fp16,8,1000,a",
            "machine-bad": "p1b2,nosuch,1,streaming,fp16,8,1000,a",
            "non-utf8": "p1b2,mini64,1,stream\xff,fp16,8,1000,a"}
    for label, row in rows.items():
        C.append(Case("measured", "wafer-" + label,
                      {"m.csv": (head + row + "\n").encode("latin-1")},
                      ["validate", "wafer", "m.csv", "--quiet"],
                      loc=r"m\.csv:\d+|line \d+"))
    C.append(Case("measured", "wafer-header-bogus", {"m.csv": "a,b,c\n1,2,3\n"},
                  ["validate", "wafer", "m.csv"], loc=r"m\.csv"))
    C.append(Case("measured", "wafer-empty", {"m.csv": ""},
                  ["validate", "wafer", "m.csv"], loc=r"m\.csv"))
    jl = {"truncated": '{"model": "uno", "batch": 32',
          "batch-neg": '{"model": "p1b2", "batch": -32, "precision": "fp32",'
                       ' "train": {"median_ms": 4.0}}',
          "batch-huge": '{"model": "p1b2", "batch": 1e300, "precision": '
                        '"fp32", "train": {"median_ms": 4.0}}',
          "ms-nan": '{"model": "p1b2", "batch": 32, "precision": "fp32", '
                    '"train": {"median_ms": "nan"}}',
          "precision-bogus": '{"model": "p1b2", "batch": 32, "precision": '
                             '"fp7", "train": {"median_ms": 4.0}}',
          "not-object": '[1, 2, 3]',
          "dup-key": '{"model": "p1b2", "model": "uno", "batch": 32, '
                     '"precision": "fp32", "train": {"median_ms": 4.0}}'}
    for label, line in jl.items():
        C.append(Case("measured", "gpu-" + label, {"t.jsonl": line + "\n"},
                      ["validate", "gpu", "t.jsonl", "--quiet"],
                      loc=r"t\.jsonl:1:\d+"))
    # per-kernel profiles (validate gpu --profile): the row's fields first
    head = '{"model": "uno", "batch": 32, "precision": "fp32", '
    prof = dict(jl)
    prof.update({"phase-bogus": head + '"phase": "both", "kernels": []}',
                 "phase-missing": head + '"kernels": []}',
                 "kernels-number": head + '"phase": "infer", "kernels": 3}',
                 "kernel-neg": head + '"phase": "infer", "kernels": [{"name": "k", '
                               '"calls": 1, "device_us": -5}]}',
                 "kernel-nan": head + '"phase": "infer", "kernels": [{"name": "k", '
                               '"calls": 1, "device_us": "nan"}]}',
                 "kernel-noname": head + '"phase": "train", "kernels": [{"calls": 1, '
                                  '"device_us": 5}]}'})
    for label, line in prof.items():
        C.append(Case("measured", "profile-" + label, {"p.jsonl": line + "\n"},
                      ["validate", "gpu", "--profile", "p.jsonl"],
                      loc=r"p\.jsonl:1:\d+"))
    return C


# ---------------------------------------------------------------- newest
OLD_OUT = "an output of an earlier run\n"


def newest_option_cases():
    """Options added by issues 12-14 (run --kernel/--groups/--wafers/--job/
    --gpu-batch; sweep --seed/--mode/--gpu-batch/--set): bad values,
    duplicates, empty lists.  An earlier -o file must be left as it was
    (run_case checks every input file is unchanged)."""
    R = ["run", "p1b2", "--machine", "mini16", "--steps", "1", "-o", "o.txt"]
    S = ["sweep", "--net", "p1b2", "--machine", "mini64", "--strategy",
         "pack", "--batch", "8", "-o", "s.csv"]
    C = []

    def add(cmd, name, argv, want, opt, out):
        C.append(Case("newest", "%s%s=%r" % (cmd, opt, name),
                      {out: OLD_OUT}, argv, want=want,
                      loc="'?-*%s'?" % re.escape(opt.lstrip("-"))))

    run_bad = (("--job", ("nope", "", "train,infer", "TRAIN", "infer ")),
               ("--gpu-batch", ("0", "-1", "abc", "1e12", "1073741825",
                                "8,16", "", "0x10")),
               ("--kernel", ("", "stream,cannon", "STREAM", "auto ")),
               ("--groups", ("abc", "1e9", "2147483648", "", "1.5")),
               ("--wafers", ("", "2.5", "0x2", "abc", "-1")))
    for opt, vals in run_bad:
        for v in vals:
            add("run", v, R + [opt, v], 2, opt, "o.txt")
    add("run", "gpu-batch-with-bad-gpu", R + ["--gpu-batch", "8", "--gpu",
                                              "nosuch"], 1, "nosuch",
        "o.txt")
    add("run", "groups-with-stream", R + ["--groups", "3", "--kernel",
                                          "stream"], 2, "--groups", "o.txt")
    add("run", "wafers-pipelined", R + ["--wafers", "2", "--mode",
                                        "pipelined"], 2, "--wafers", "o.txt")
    sweep_bad = (("--seed", ("abc", "1,1", "-1", "", ",", "2147483648",
                             "3,2,3")),
                 ("--mode", ("sideways", "auto,auto", "", "streaming,",
                             "STREAMING")),
                 ("--gpu-batch", ("0", "8,16", "abc", "-1", "")),
                 ("--kernel", ("stream,stream", "", "stream,,cannon")),
                 ("--wafers", ("1,1", "2,1,2", "")),
                 ("--batch", ("8,8",)))
    for opt, vals in sweep_bad:
        for v in vals:
            argv = S + [opt, v]
            if opt == "--gpu-batch":
                argv += ["--gpu", "h100"]
            if opt == "--batch":
                argv = S[:7] + S[9:] + [opt, v]
            add("sweep", v, argv, 2, opt, "s.csv")
    # --set: the list is the sweep's (2), a value the machine's (1)
    for v, want in (("grid.width=16,16", 2), ("clock_ghz=", 2),
                    ("=1,2", 2), ("grid.width", 2), ("name=,a", 2),
                    ("grid.height=abc,16", 1), ("pe.nosuch=1,2", 1),
                    ("grid.width=1e400,16", 1), ("clock_ghz=nan,1", 1),
                    ("grid=16,32", 1), ("grid.width=16,32,0", 1)):
        add("sweep", v, S + ["--set", v], want, "--set", "s.csv")
    add("sweep", "set-key-twice", S + ["--set", "grid.width=16", "--set",
                                       "grid.width=32"], 2, "--set",
        "s.csv")
    return C


def placed(binary, tmp, name, args, holds):
    """The plan `place p1b2 ARGS` writes (it must hold `holds`)."""
    path = os.path.join(tmp, name)
    subprocess.run([binary, "place", "p1b2"] + args + ["-o", path],
                   capture_output=True, env=san_env(), check=True)
    with open(path) as f:
        text = f.read()
    assert holds in text, "%s changed: tests/harden/hostile.py" % name
    return text


def newest_plan_cases(binary, tmp):
    """The plan files' 'wafers:' key: out of range, wrong types, twice,
    several wafers in a pipelined plan, and a streaming plan's wafers
    against --wafers."""
    C = []
    base = base_plan(binary, tmp)
    assert "wafers: 1\n" in base, "base plan changed: tests/harden/hostile.py"
    for label, v in (("2-pipelined", "2"), ("0", "0"), ("neg", "-1"),
                     ("2^20+1", "1048577"), ("2^63", "9223372036854775808"),
                     ("string", "two"), ("fraction", "1.5"),
                     ("list", "[1]"), ("map", "{n: 1}"), ("nan", ".nan"),
                     ("null", "~"), ("empty", "''")):
        C.append(Case("newest", "plan-wafers=" + label,
                      {"p.yaml": base.replace("wafers: 1\n",
                                              "wafers: %s\n" % v, 1),
                       "out.txt": OLD_OUT},
                      ["run", "p1b2", "--machine", "mini128", "--plan",
                       "p.yaml", "--steps", "1", "-o", "out.txt"],
                      loc=yloc("p.yaml")))
    C.append(Case("newest", "plan-wafers-twice",
                  {"p.yaml": base.replace("wafers: 1\n",
                                          "wafers: 1\nwafers: 1\n", 1)},
                  ["run", "p1b2", "--machine", "mini128", "--plan",
                   "p.yaml", "--steps", "1", "-o", "out.txt"],
                  loc=yloc("p.yaml")))
    s2 = placed(binary, tmp, "stream2.plan.yaml",
                ["--machine", "mini16", "--wafers", "2"], "wafers: 2\n")
    # an option that contradicts the file is refused at the file's key
    for label, argv in (("other-wafers", ["--wafers", "3"]),
                        ("pipelined-mode", ["--mode", "pipelined"]),
                        ("fp32", ["--precision", "fp32"]),
                        ("sgd", ["--optimizer", "sgd"])):
        C.append(Case("newest", "plan-stream2-" + label,
                      {"p.yaml": s2, "out.txt": OLD_OUT},
                      ["run", "p1b2", "--machine", "mini16", "--plan",
                       "p.yaml", "--steps", "1", "-o", "out.txt"] + argv,
                      loc=yloc("p.yaml")))
    # the 'job:' key (an inference plan: its kernels serve the forward)
    ip = placed(binary, tmp, "infer.plan.yaml",
                ["--machine", "mini64", "--job", "infer"], "job: infer\n")
    R = ["run", "p1b2", "--machine", "mini64", "--plan", "p.yaml",
         "--steps", "1", "-o", "out.txt"]
    for label, v in (("bogus", "bogus"), ("number", "5"), ("list", "[infer]"),
                     ("empty", "''"), ("null", "~"), ("upper", "INFER"),
                     ("both", "both"), ("map", "{a: 1}")):
        C.append(Case("newest", "plan-job=" + label,
                      {"p.yaml": ip.replace("job: infer\n", "job: %s\n" % v,
                                            1), "out.txt": OLD_OUT},
                      R, loc=yloc("p.yaml")))
    C.append(Case("newest", "plan-job-twice",
                  {"p.yaml": ip.replace("job: infer\n",
                                        "job: infer\njob: train\n", 1)},
                  R, loc=yloc("p.yaml")))
    for v in ("train", "both"):
        C.append(Case("newest", "plan-job-infer-run-" + v,
                      {"p.yaml": ip, "out.txt": OLD_OUT}, R + ["--job", v],
                      loc=yloc("p.yaml")))
    # an option that places, beside a placed plan, is refused (it was
    # silently ignored): a usage error naming it, no output written
    for argv in (["--strategy", "strips"], ["--sharing", "replicas"],
                 ["--kernel", "cannon"], ["--groups", "2"]):
        C.append(Case("newest", "plan-with" + argv[0],
                      {"p.yaml": ip, "out.txt": OLD_OUT}, R + argv,
                      want=2, loc="'%s' places the network" % argv[0]))
    return C


KHEAD = "kernel,P,M,K,N,group_num,Mt,Kt,Nt,mean_cycles\n"
NHEAD = "network,machine,wafers,mode,dtype,batch,samples_per_s,source_id\n"


def newest_measured_cases():
    """validate wafer's CSV and validate gpu's JSON lines: headers, field
    counts, numbers, tiles, and network files that are missing, broken
    or outside the measurement file's folder."""
    C = []
    csv = {
        "header-extra-col": KHEAD.rstrip() + ",extra\n" +
                            "MeshGEMM,4,,,,,1,1,1,100\n",
        "header-missing-col": "kernel,P,M,K,N,group_num,Mt,Kt,Nt\n"
                              "MeshGEMM,4,,,,,1,1,1\n",
        "header-reordered": "P,kernel,M,K,N,group_num,Mt,Kt,Nt,mean_cycles\n"
                            "4,MeshGEMM,,,,,1,1,1,100\n",
        "header-upper": KHEAD.upper() + "MeshGEMM,4,,,,,1,1,1,100\n",
        "header-only-comments": "# a\n# b\n",
        "header-semicolons": KHEAD.replace(",", ";") +
                             "MeshGEMM;4;;;;;1;1;1;100\n",
        "header-nul": KHEAD[:6] + "\0" + KHEAD[6:] +
                      "MeshGEMM,4,,,,,1,1,1,100\n",
        "kernel-short": KHEAD + "MeshGEMM,4,,,,,1,1\n",
        "kernel-long": KHEAD + "MeshGEMM,4,,,,,1,1,1,100,7\n",
        "kernel-empty-row": KHEAD + ",,,,,,,,,\n",
        "kernel-P-abc": KHEAD + "MeshGEMM,abc,,,,,1,1,1,100\n",
        "kernel-P-0": KHEAD + "MeshGEMM,0,,,,,1,1,1,100\n",
        "kernel-P-neg": KHEAD + "MeshGEMM,-4,,,,,1,1,1,100\n",
        "kernel-P-empty": KHEAD + "MeshGEMM,,8,8,8,,2,2,2,100\n",
        "kernel-P-float": KHEAD + "MeshGEMM,4.0,,,,,1,1,1,100\n",
        "kernel-P-huge": KHEAD + "MeshGEMM,9223372036854775808,,,,,1,1,1,100\n",
        "kernel-M-exp": KHEAD + "MeshGEMM,4,1e3,8,8,,,,,100\n",
        "kernel-M-neg": KHEAD + "MeshGEMM,4,-8,8,8,,,,,100\n",
        "kernel-Mt-word": KHEAD + "MeshGEMM,4,,,,,x,1,1,100\n",
        "kernel-group-word": KHEAD + "MeshGEMV,4,8,,8,two,,,,100\n",
        "kernel-tiles-disagree": KHEAD + "MeshGEMM,4,8,8,8,,3,2,2,100\n",
        "kernel-tile-not-whole": KHEAD + "MeshGEMM,4,10,8,8,,2,2,2,100\n",
        "kernel-gemv-K": KHEAD + "MeshGEMV,4,8,8,8,2,,,,100\n",
        "kernel-tile-wraps": KHEAD +
                             "MeshGEMM,4,,,,,4611686018427387904,2,2,100\n",
        "kernel-tile-times-P": KHEAD + "MeshGEMM,4,,,,,1073741824,1,1,100\n",
        "kernel-macs-2^53": KHEAD +
                            "MeshGEMM,1,2147483647,2147483647,2147483647,,,,,"
                            "100\n",
        "kernel-cycles-abc": KHEAD + "MeshGEMM,4,,,,,1,1,1,abc\n",
        "kernel-cycles-0": KHEAD + "MeshGEMM,4,,,,,1,1,1,0\n",
        "kernel-cycles-neg": KHEAD + "MeshGEMM,4,,,,,1,1,1,-5\n",
        "kernel-cycles-inf": KHEAD + "MeshGEMM,4,,,,,1,1,1,inf\n",
        "kernel-cycles-1e999": KHEAD + "MeshGEMM,4,,,,,1,1,1,1e999\n",
        "kernel-cycles-nan": KHEAD + "MeshGEMM,4,,,,,1,1,1,nan\n",
        "kernel-cycles-empty": KHEAD + "MeshGEMM,4,,,,,1,1,1,\n",
        "net-rate-inf": NHEAD + "p1b2,mini64,1,streaming,fp16,8,inf,a\n",
        "net-rate-1e999": NHEAD + "p1b2,mini64,1,streaming,fp16,8,1e999,a\n",
        "net-batch-word": NHEAD + "p1b2,mini64,1,streaming,fp16,eight,10,a\n",
        "net-wafers-empty": NHEAD + "p1b2,mini64,,streaming,fp16,8,10,a\n",
        "net-kernel-row": NHEAD + "MeshGEMM,4,,,,,1,1,1,100\n",
    }
    for label, text in csv.items():
        C.append(Case("newest", "wafer-" + label, {"m.csv": text},
                      ["validate", "wafer", "m.csv", "--quiet"],
                      loc=r"m\.csv:\d+:\d+"))
    # a network row naming what cannot be loaded: listed, at the field
    nets = {
        "net-missing-file": ("nosuch.onnx", {}),
        "net-missing-yaml": ("sub/nosuch.yaml", {}),
        "net-broken-onnx": ("bad.onnx", {"bad.onnx": b"\x08garbage"}),
        "net-broken-yaml": ("bad.yaml", {"bad.yaml": "name: [\n"}),
        "net-empty-onnx": ("empty.onnx", {"empty.onnx": b""}),
        "net-outside": ("../../../../../../etc/passwd", {}),
        "net-absolute": ("/etc/hostname", {}),
        "net-dev-zero": ("/dev/zero", {}),
        "net-folder": ("sub/", {}),
        "net-unknown-name": ("nosuchnet", {}),
    }
    for label, (name, files) in nets.items():
        f = {"m.csv": NHEAD + "%s,mini64,1,streaming,fp16,8,1000,a\n" %
             name}
        f.update(files)
        C.append(Case("newest", "wafer-" + label, f,
                      ["validate", "wafer", "m.csv", "--quiet"],
                      loc=r"m\.csv:2:1\)"))
    C.append(Case("newest", "wafer-machine-missing",
                  {"m.csv": NHEAD + "p1b2, nosuch,1,streaming,fp16,8,10,a\n"},
                  ["validate", "wafer", "m.csv", "--quiet"],
                  loc=r"m\.csv:2:7\)"))
    row = ('{"model": "mine", "network_file": %s, "batch": 8, '
           '"precision": "fp32", "train": {"median_ms": 4.0}}\n')
    gpu = {
        "missing": ('"nosuch.onnx"', {}),
        "missing-dir": ('"sub/nosuch.yaml"', {}),
        "broken-onnx": ('"bad.onnx"', {"bad.onnx": b"\x08garbage"}),
        "truncated-onnx": ('"t.onnx"', {"t.onnx": b"\x08\x07\x3a\xff\xff"}),
        "broken-yaml": ('"bad.yaml"', {"bad.yaml": "name: [\n"}),
        "outside": ('"../../../../../../etc/passwd"', {}),
        "absolute": ('"/etc/hostname"', {}),
        "dev-zero": ('"/dev/zero"', {}),
        "folder": ('"."', {}),
        "empty": ('""', {}),
        "number": ("5", {}),
        "list": ('["a.onnx"]', {}),
        "null": ("null", {}),
        "zoo-name": ('"p1b2"', {}),
    }
    for label, (val, files) in gpu.items():
        f = {"t.jsonl": row % val}
        f.update(files)
        C.append(Case("newest", "gpu-network_file-" + label, f,
                      ["validate", "gpu", "t.jsonl", "--quiet"],
                      loc=r"t\.jsonl:1:\d+\)"))
    return C


# ---------------------------------------------------------------- harden6
def folder_name_signal_cases():
    """A folder where a file is expected, names with control characters
    (a line break in a name broke plan files, CSV rows and gnuplot
    scripts), outputs in folders nothing can be made in (/proc, as root
    passes access()), options whose errors did not name them, and a
    process ended by a closed pipe or SIGTERM (it left '-o FILE.tmp.PID'
    and the trace's temporary folder behind)."""
    C = []

    def adir(d):
        os.mkdir(os.path.join(d, "adir"))
        os.mkdir(os.path.join(d, "adir.yaml"))

    folder = r"(?s)adir.*folder|folder.*adir"
    for name, argv in (
            ("run-net", ["run", "adir", "-o", "o.txt"]),
            ("compile-net-yaml", ["compile", "adir.yaml"]),
            ("run-machine", ["run", "p1b2", "--machine", "adir",
                             "-o", "o.txt"]),
            ("run-plan", ["run", "p1b2", "--machine", "mini16", "--plan",
                          "adir", "-o", "o.txt"]),
            ("place-check", ["place", "--check", "adir", "p1b2",
                             "--machine", "mini16"]),
            ("machine-check", ["machine", "check", "adir"]),
            ("gpu-gpu", ["gpu", "p1b2", "--gpu", "adir", "-o", "o.txt"]),
            ("validate-wafer", ["validate", "wafer", "adir"]),
            ("validate-gpu", ["validate", "gpu", "adir"]),
            ("sweep-net", ["sweep", "--net", "adir", "--machine", "mini64",
                           "--batch", "8", "-o", "s.csv"])):
        C.append(Case("folder", name, {}, argv, loc=folder, setup=adir))
    head = "name: h\nbatch: 4\ninputs:\n  %s: [4]\nlayers:\n  - %s\n"
    layer = "{name: %s, op: dense, units: 4}"
    names = {
        "net-name-newline": ('name: "a\\nb"\ninputs:\n  x: [4]\n'
                             'layers:\n  - {name: r, op: relu}\n'),
        "net-name-block-scalar": ("name: |\n  two\n  lines\ninputs:\n"
                                  "  x: [4]\nlayers:\n"
                                  "  - {name: r, op: relu}\n"),
        "layer-name-newline": head % ("x", layer % '"r,q\\n\\"x"'),
        "layer-name-tab": head % ("x", layer % '"r\\tq"'),
        "layer-name-escape": head % ("x", layer % '"r\\eq"'),
        "layer-name-del": head % ("x", layer % '"r\\x7fq"'),
        "input-name-newline": head % ('"x\\ny"', layer % "r"),
    }
    for name, text in names.items():
        C.append(Case("names", name, {"n.yaml": text},
                      ["place", "n.yaml", "--machine", "mini16", "-o",
                       "p.yaml"], loc=yloc("n.yaml")))
    for name, text in {
            "machine-name-newline": 'name: "a\\nb"\n'
                                    "grid: {width: 16, height: 16}\n",
            "machine-description-lines": "name: t\ndescription: |\n"
                                         "  one\n  two\n"
                                         "grid: {width: 16, height: 16}\n",
    }.items():
        C.append(Case("names", name, {"m.yaml": text},
                      ["run", "p1b2", "--machine", "m.yaml", "-o", "o.txt"],
                      loc=yloc("m.yaml")))
    C.append(Case("names", "gpu-name-newline",
                  {"g.yaml": 'name: "g\\nh"\nsms: 132\n'
                             "threads_per_sm: 2048\n"
                             "peak_tflops: {fp32: 60, tf32: 400, bf16: 900,"
                             " fp16: 900}\n"
                             "memory: {gbytes: 80, bandwidth_gbytes_s: "
                             "3000}\npower: {idle_w: 70, max_w: 700}\n"},
                  ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"],
                  loc=yloc("g.yaml")))
    C.append(Case("names", "set-name-newline", {},
                  ["run", "p1b2", "--machine", "mini16", "--set",
                   "name=a\nb", "-o", "o.txt"], loc=r"--set"))
    try:
        from onnx import TensorProto, helper
        g = helper.make_graph(
            [helper.make_node("Relu", ["x"], ["y"], name="r\nq")], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("",
                                                                    13)])
        C.append(Case("names", "onnx-node-name-newline",
                      {"m.onnx": m.SerializeToString()},
                      ["place", "m.onnx", "--machine", "mini16", "-o",
                       "p.yaml"], loc=r"(?s)(?=.*m\.onnx)(?=.*node 0's name)"))
        # two nodes of one layer name: the plan 'place -o' wrote did not
        # read back (two stages of one name)
        for label, (n0, n1) in (("same", ("same", "same")),
                                ("slash", ("a", "/a")),
                                ("unnamed", ("Relu_1", ""))):
            g = helper.make_graph(
                [helper.make_node("Relu", ["x"], ["a"], name=n0),
                 helper.make_node("Relu", ["a"], ["y"], name=n1)], "g",
                [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                               [1, 4])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                               None)])
            m = helper.make_model(g, opset_imports=[
                helper.make_opsetid("", 13)])
            C.append(Case("names", "onnx-node-names-alike-" + label,
                          {"m.onnx": m.SerializeToString()},
                          ["place", "m.onnx", "--machine", "mini16", "-o",
                           "p.yaml"],
                          loc=r"(?s)(?=.*m\.onnx)(?=.*node 1's name)"))
    except ImportError:
        pass
    # outputs where nothing can be made: refused before the work, so
    # nothing reaches standard output either
    C.append(Case("output", "trace-in-proc", {},
                  ["run", "p1b2", "--machine", "mini16", "--steps", "1",
                   "--trace", "/proc/wafersim-trace"], loc=r"/proc",
                  no_stdout=True))
    # measurement files with a byte order mark or CRLF line ends read as
    # the plain file (JSON lines with a BOM were a syntax error)
    meas = os.path.join(ROOT, "models", "measured")
    with open(os.path.join(meas, "h100", "train.jsonl"), "rb") as f:
        jl = f.read()
    with open(os.path.join(meas, "wse3", "kernels.csv"), "rb") as f:
        kc = f.read()
    for label, fname, data, cmd in (
            ("gpu-bom", "t.jsonl", b"\xef\xbb\xbf" + jl, "gpu"),
            ("gpu-crlf", "t.jsonl", jl.replace(b"\n", b"\r\n"), "gpu"),
            ("wafer-bom", "m.csv", b"\xef\xbb\xbf" + kc, "wafer"),
            ("wafer-crlf", "m.csv", kc.replace(b"\n", b"\r\n"), "wafer")):
        C.append(Case("measured", label + "-valid", {fname: data},
                      ["validate", cmd, fname, "--quiet"], want=0))
    # -o to a symbolic link to nothing: refused before the work
    def dangling(d):
        os.symlink("nowhere/x.txt", os.path.join(d, "link.txt"))
    for name, argv in (
            ("run", ["run", "p1b2", "--machine", "mini16", "-o",
                     "link.txt"]),
            ("sweep", ["sweep", "--net", "p1b2", "--machine", "mini16",
                       "--batch", "8", "-o", "link.txt"])):
        C.append(Case("output", name + "-o-dangling-symlink", {}, argv,
                      loc=r"link\.txt.*symbolic link", setup=dangling,
                      no_stdout=True))
    # an empty name for a file or folder: refused before the work (it ran
    # to the end and failed at the commit, --trace after the report)
    for name, argv in (
            ("run-o", ["run", "p1b2", "--machine", "mini16", "-o", ""]),
            ("run-trace", ["run", "p1b2", "--machine", "mini16", "--trace",
                           ""]),
            ("run-plan", ["run", "p1b2", "--machine", "mini16", "--plan",
                          ""]),
            ("run-vcd", ["run", "p1b2", "--machine", "mini16", "--engine",
                         "systemc", "--vcd", ""]),
            ("sweep-o", ["sweep", "--net", "p1b2", "--machine", "mini16",
                         "--batch", "8", "-o", ""]),
            ("compile-dot", ["compile", "p1b2", "--dot", ""]),
            ("fabric-out-dir", ["fabric", "--machine", "mini16", "--sweep",
                                "--cycles", "10", "--out-dir", ""]),
            ("validate-wafer", ["validate", "wafer", ""]),
            ("machine-show-o", ["machine", "show", "mini16", "-o", ""])):
        C.append(Case("empty-name", name, {}, argv, loc=r"got ''",
                      no_stdout=True))
    # option errors that name the option
    F = ["fabric", "--machine", "mini16", "--cycles", "10"]
    C.append(Case("options", "fabric-packet-wavelets-over-queue", {},
                  F + ["--packet-wavelets", "1000000"],
                  loc=r"packet-wavelets"))
    C.append(Case("options", "fabric-vcd-pe-off-mesh", {},
                  F + ["--engine", "systemc", "--vcd", "v.vcd", "--vcd-pe",
                       "256"], loc=r"vcd-pe"))
    C.append(Case("options", "fabric-rate-underflow-valid", {},
                  F + ["--rate", "1e-320"], want=0))
    # ended by a signal: no temporary left (the outputs may be there if
    # the command finished first)
    outs = {"r.txt", "t", "s.csv"}
    C.append(Case("signal", "run-pipe-closed", {},
                  ["run", "uno", "--machine", "mini16", "--batch", "4",
                   "--engine", "systemc", "--trace", "t", "-o", "r.txt"],
                  want=(0, -13), keep=outs, signal=("pipe",)))
    C.append(Case("signal", "run-sigterm", {},
                  ["run", "uno", "--machine", "mini64", "--engine",
                   "systemc", "--trace", "t", "-o", "r.txt"],
                  want=(0, -15), keep=outs, signal=("term", 2)))
    C.append(Case("signal", "compile-json-pipe-closed", {},
                  ["compile", "bert_base", "--json", "--dot", "g.dot"],
                  want=(0, -13), keep={"g.dot"}, signal=("pipe",)))
    return C


# ---------------------------------------------------------------- GPUs
def gpu_share_cases():
    """More GPUs than the global batch has samples, shares that do not
    divide, counts at the option's limits: the GPUs a step runs on and its
    batches said honestly (each GPU silently took one sample of 60 on 100
    GPUs, a global batch of 100 beside the wafer's 60)."""
    R = ["run", "p1b2", "--machine", "mini16", "--steps", "1", "--job",
         "train", "--json"]
    C = []
    for name, extra, say in (
            ("gpus-beyond-batch", ["--gpus", "100"],
             r'(?s)"gpus": 60,.*"asked_gpus": 100,.*"batch": 60,.*'
             r'"batch_per_gpu": 1,.*"padded_samples": 0,.*"gpus_why"'),
            ("gpus-limit", ["--gpus", "1000000"],
             r'(?s)"gpus": 60,.*"asked_gpus": 1000000,'),
            ("gpus-not-dividing", ["--gpus", "8"],
             r'(?s)"gpus": 8,.*"batch": 60,.*"batch_per_gpu": 8,.*'
             r'"padded_samples": 4,'),
            ("gpus-batch-1", ["--gpus", "7", "--batch", "1"],
             r'(?s)"gpus": 1,.*"asked_gpus": 7,.*"batch": 1,'),
            ("gpus-own-batch", ["--gpus", "100", "--gpu-batch", "1"],
             r'(?s)"gpus": 100,.*"batch": 100,.*"padded_samples": 0,'),
            ("gpus-own-batch-limits", ["--gpus", "1000000", "--gpu-batch",
                                       "1073741824"],
             r'"batch": 1073741824000000,')):
        C.append(Case("gpus", name, {}, R + extra, want=0, out=say))
    C.append(Case("gpus", "text-beyond-batch", {},
                  R[:-1] + ["--gpus", "100"], want=0,
                  out=r"60 of the 100 asked: a global batch of 60"))
    C.append(Case("gpus", "text-not-dividing", {},
                  R[:-1] + ["--gpus", "8"], want=0,
                  out=r"(?s)batch 60 \(8 per GPU, 4 repeated samples;.*"
                      r"each takes 8, 4 of them repeated"))
    C.append(Case("gpus", "sweep-beyond-batch", {},
                  ["sweep", "--net", "p1b2", "--machine", "mini16",
                   "--batch", "60", "--gpus", "100"], want=0,
                  out=r",h100,100,1,[^,]+,[^,]+,,60,DDP\n"))
    return C


# ---------------------------------------------------------------- full
def full_output_cases(binary):
    """Every output option where its write fails: a full disk (files
    capped by RLIMIT_FSIZE: EFBIG where a full disk says ENOSPC),
    /dev/full (no probe can tell it is full), a parent that is a file, a
    folder or file in the way.  Each must fail with the output named,
    print nothing on standard output and leave nothing behind.  Before:
    --vcd to a full disk left a truncated waveform and exit 0 (SystemC
    checks none of its writes); --trace and --vcd failed after the report
    was printed (--trace with no message at all); fabric --sweep printed
    its table and left a half-written folder; sweep -o /dev/full left its
    journal in /dev."""
    R = ["run", "p1b2", "--machine", "mini16", "--steps", "1"]
    RS = ["run", "uno", "--machine", "mini16", "--steps", "1", "--engine",
          "systemc"]
    F = ["fabric", "--machine", "mini16", "--cycles", "100", "--warmup",
         "10"]
    S = ["sweep", "--net", "p1b2", "--machine", "mini16", "--batch", "8"]
    P = ["place", "p1b2", "--machine", "mini64", "--strategy", "pack"]
    C = []

    def stats(d):  # plot's input, made without the limit
        subprocess.run([binary] + R + ["--trace", "st"], cwd=d,
                       capture_output=True, env=san_env(), check=True)

    def afile(d):
        with open(os.path.join(d, "afile"), "w") as f:
            f.write("x")

    def adir(d):
        os.mkdir(os.path.join(d, "adir"))

    def both(*fns):
        def run(d):
            for fn in fns:
                fn(d)
        return run

    too_big = r"(File too large|No space left)"
    for name, argv, size, named, keep, setup in (
            ("run-o", R + ["-o", "o.txt"], 1000, "o.txt", (), None),
            ("run-json-o", R + ["--json", "-o", "o.txt"], 1000, "o.txt",
             (), None),
            ("run-trace", R + ["--trace", "t"], 2048, "'t'", (), None),
            ("run-vcd", RS + ["--vcd", "v.vcd"], 4096, "v.vcd", (), None),
            ("fabric-vcd", F + ["--engine", "systemc", "--vcd", "f.vcd"],
             4096, "f.vcd", (), None),
            ("fabric-sweep", F + ["--sweep", "--out-dir", "fo"], 300,
             "'fo'", (), None),
            ("plot-out-dir", ["plot", "st", "--out-dir", "p"], 2048, "'p'",
             (), stats),
            ("place-o", P + ["-o", "p.yaml"], 200, "p.yaml", (), None),
            ("gpu-o", ["gpu", "p1b2", "-o", "g.txt"], 200, "g.txt", (),
             None),
            ("machine-show-o", ["machine", "show", "mini16", "-o",
                                "m.yaml"], 200, "m.yaml", (), None),
            ("compile-dot", ["compile", "p1b2", "--dot", "g.dot"], 200,
             "g.dot", (), None),
            # the journal stays, and the message says so
            ("sweep-o", S + ["-o", "s.csv"], 100, "s.csv.journal",
             {"s.csv.journal.0"}, None)):
        C.append(Case("full", name, {}, argv, fsize=size, setup=setup,
                      loc=r"(?s)%s.*%s|%s.*%s" % (re.escape(named), too_big,
                                                  too_big, re.escape(named))
                      if name != "sweep-o" else r"s\.csv\.journal",
                      keep=keep, no_stdout=True))
    for name, argv in (
            ("run-vcd", RS + ["--vcd", "/dev/full"]),
            ("fabric-vcd", F + ["--engine", "systemc", "--vcd",
                                "/dev/full"]),
            ("fabric-json-vcd", F + ["--json", "--engine", "systemc",
                                     "--vcd", "/dev/full"]),
            ("run-trace", R + ["--trace", "/dev/full"]),
            ("fabric-sweep-out-dir", F + ["--sweep", "--out-dir",
                                          "/dev/full"]),
            ("plot-out-dir", ["plot", "st", "--out-dir", "/dev/full"]),
            ("sweep-json-o", S + ["--json", "-o", "/dev/full"])):
        C.append(Case("dev-full", name, {}, argv, loc=r"/dev/full",
                      no_stdout=True, absent=("/dev/full.journal.0",),
                      setup=stats if argv[0] == "plot" else None))
    for name, argv in (
            ("run-vcd", RS + ["--vcd", "afile/v.vcd"]),
            ("run-trace", R + ["--trace", "afile/t"]),
            ("run-o", R + ["-o", "afile/o.txt"]),
            ("fabric-vcd", F + ["--engine", "systemc", "--vcd",
                                "afile/v.vcd"]),
            ("fabric-sweep-out-dir", F + ["--sweep", "--out-dir",
                                          "afile/f"]),
            ("plot-out-dir", ["plot", "st", "--out-dir", "afile/p"]),
            ("sweep-o", S + ["-o", "afile/s.csv"]),
            ("place-o", P + ["-o", "afile/p.yaml"]),
            ("compile-dot", ["compile", "p1b2", "--dot", "afile/g.dot"])):
        C.append(Case("parent-file", name, {}, argv, loc=r"afile",
                      no_stdout=True,
                      setup=both(afile, stats) if argv[0] == "plot"
                      else afile))
    for name, argv in (
            ("fabric-vcd", F + ["--engine", "systemc", "--vcd", "adir"]),
            ("sweep-json-o", S + ["--json", "-o", "adir"]),
            ("gpu-o", ["gpu", "p1b2", "-o", "adir"])):
        C.append(Case("in-the-way", name, {}, argv, loc=r"adir",
                      no_stdout=True, setup=adir))
    C.append(Case("in-the-way", "plot-out-dir-file", {"afile": "x"},
                  ["plot", "st", "--out-dir", "afile"], loc=r"afile",
                  no_stdout=True, setup=stats))
    # a folder nothing writes into was ignored, its errors too
    C.append(Case("options", "fabric-out-dir-without-sweep", {},
                  F + ["--out-dir", "afile/x"], want=2, loc=r"--out-dir",
                  setup=afile, no_stdout=True))
    return C


# ---------------------------------------------------------------- harden8
NUM_BAD_INT = (("leading-0", "017"), ("hex", "0x10"), ("octal", "0o17"),
               ("underscore", "1_000"), ("dot", "5."), ("frac", "5.5"),
               ("exp", "1e3"), ("quoted", "'5'"), ("tag-str", "!!str 5"),
               ("2^64", "18446744073709551616"), ("nan", ".nan"),
               ("-inf", "-.inf"), ("neg", "-5"), ("zero", "0"))
NUM_BAD_REAL = (("leading-0", "017"), ("hex", "0x10"), ("hexfloat", "0x1p-1"),
                ("nan-word", "nan"), ("nan", ".nan"), ("inf-word", "inf"),
                ("-inf", "-.inf"), ("1e400", "1e400"), ("1e-400", "1e-400"),
                ("underscore", "0_5"), ("quoted", "'0.5'"),
                ("tag-str", "!!str 0.5"))


def number_cases():
    """Numbers as YAML writes them and as it does not (issue: hostile
    classes, Dec 4): every YAML reader takes decimal integers and reals
    of YAML 1.2's core schema only; a leading zero (octal in YAML 1.1),
    hex, '1_000', NaN, infinities, a quoted or !!str number are refused
    at file:line:col.  'nan' in a network's 'rate' or 'scale' was taken
    as NaN (a resize by NaN kept its input's shape), '017' read as 17,
    '!!str 5' and '5' quoted as 5."""
    C = []
    netf = ("name: h\nbatch: {b}\ninputs:\n  x: [{d}, 16, 16]\nlayers:\n"
            "  - {{name: d, op: dropout, rate: {r}}}\n"
            "  - {{name: s, op: resize, scale: {s}}}\n"
            "  - {{name: f, op: dense, units: {u}}}\n")
    ok = dict(b="4", d="3", r="0.5", s="2", u="8")
    place = ["place", "n.yaml", "--machine", "mini64", "--strategy", "pack",
             "-o", "out.plan.yaml"]
    line = dict(b=2, d=4, r=6, s=7, u=8)
    for key in ("b", "d", "u"):
        for label, v in NUM_BAD_INT:
            if key == "d" and label in ("neg", "zero"):
                continue
            t = netf.format(**dict(ok, **{key: v}))
            C.append(Case("numbers", "net-%s=%s" % (key, label),
                          {"n.yaml": t}, place,
                          loc=r"n\.yaml:%d:\d+" % line[key]))
    for key in ("r", "s"):
        for label, v in NUM_BAD_REAL:
            t = netf.format(**dict(ok, **{key: v}))
            C.append(Case("numbers", "net-%s=%s" % (key, label),
                          {"n.yaml": t}, place,
                          loc=r"n\.yaml:%d:\d+" % line[key]))
    # YAML 1.2 forms that mean what they say: read as the plain number
    for label, vals in (("plus", dict(b="+4", u="+8")),
                        ("real-dot", dict(r="0.5", s="2.")),
                        ("real-exp", dict(r="5e-1", s="2E0")),
                        ("tag-int", dict(b="!!int 4", s="!!float 2")),
                        ("tag-int-quoted", dict(b="!!int '4'"))):
        C.append(Case("numbers", "net-%s-valid" % label,
                      {"n.yaml": netf.format(**dict(ok, **vals))},
                      ["compile", "n.yaml"], want=0,
                      out=r"s\s+resize\s+\[3,32,32\]"))
    mach = "name: t\ngrid: {width: %s, height: 16}\nclock_ghz: %s\n"
    show = ["machine", "show", "m.yaml", "-o", "out.yaml"]
    for label, v in NUM_BAD_INT:
        C.append(Case("numbers", "machine-width=" + label,
                      {"m.yaml": mach % (v, "1")}, show,
                      loc=r"m\.yaml:2:\d+"))
    for label, v in NUM_BAD_REAL:
        C.append(Case("numbers", "machine-clock=" + label,
                      {"m.yaml": mach % ("16", v)}, show,
                      loc=r"m\.yaml:3:\d+"))
    gpu = ("name: g\nsms: %s\nthreads_per_sm: 2048\n"
           "peak_tflops: {fp32: %s, tf32: 400, bf16: 900, fp16: 900}\n"
           "memory: {gbytes: 80, bandwidth_gbytes_s: 3000}\n"
           "power: {idle_w: 70, max_w: 700}\n")
    for label, v in NUM_BAD_INT:
        C.append(Case("numbers", "gpu-sms=" + label,
                      {"g.yaml": gpu % (v, "60")},
                      ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"],
                      loc=r"g\.yaml:2:\d+"))
    for label, v in NUM_BAD_REAL:
        C.append(Case("numbers", "gpu-fp32=" + label,
                      {"g.yaml": gpu % ("132", v)},
                      ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"],
                      loc=r"g\.yaml:4:\d+"))
    # a machine's grid as large as allowed, and one past it
    for label, (w, h) in (("grid-4097", (4097, 16)),
                          ("grid-2^31", (2147483648, 2147483648))):
        C.append(Case("numbers", "machine-" + label,
                      {"m.yaml": (mach % (w, "1")).replace(
                          "height: 16", "height: %d" % h)}, show,
                      loc=r"m\.yaml:2:\d+"))
    # dims whose product overflows int64
    C.append(Case("numbers", "net-dims-product-2^124",
                  {"n.yaml": "name: h\nbatch: 4\ninputs:\n"
                             "  x: [2147483647, 2147483647, 2147483647, "
                             "2147483647]\nlayers:\n"
                             "  - {name: r, op: relu}\n"}, place,
                  loc=r"n\.yaml:\d+:\d+"))
    return C


def plan_number_cases(binary, tmp):
    """The plan reader's numbers, as number_cases()."""
    base = base_plan(binary, tmp)
    C = []
    argv = ["run", "p1b2", "--machine", "mini128", "--plan", "p.yaml",
            "--steps", "1", "--infer-samples", "1", "-o", "out.txt"]
    r1 = "rect: {x: 120, y: 0, w: 8, h: 39}"
    pt = "points: [[119, 60], [120, 60], [120, 28]]"
    for label, v in NUM_BAD_INT:
        if label in ("neg", "zero"):
            continue
        for what, old, new in (
                ("batch", "batch: 60", "batch: %s" % v),
                ("rect-x", r1, r1.replace("x: 120", "x: %s" % v)),
                ("route-point", pt, pt.replace("[120, 28]",
                                               "[120, %s]" % v))):
            if old not in base:
                continue
            C.append(Case("numbers", "plan-%s=%s" % (what, label),
                          {"p.yaml": base.replace(old, new, 1)}, argv,
                          loc=yloc("p.yaml")))
    return C


def yaml_feature_cases():
    """YAML's features against every YAML reader, not the machine's only
    (its were machine_cases()): aliases, merge keys, an alias bomb, tags,
    two documents, deep nesting, huge scalars and keys, empty documents,
    a scalar or a list for the whole file, duplicate keys."""
    C = []
    good = {
        "n.yaml": "name: h\nbatch: 4\ninputs:\n  x: [8]\nlayers:\n"
                  "  - {name: f, op: dense, units: 4}\n",
        "g.yaml": "name: g\nsms: 132\nthreads_per_sm: 2048\n"
                  "peak_tflops: {fp32: 60, tf32: 400, bf16: 900, fp16: 900}\n"
                  "memory: {gbytes: 80, bandwidth_gbytes_s: 3000}\n"
                  "power: {idle_w: 70, max_w: 700}\n",
    }
    argv = {"n.yaml": ["place", "n.yaml", "--machine", "mini64", "--strategy",
                       "pack", "-o", "out.plan.yaml"],
            "g.yaml": ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"],
            "p.yaml": ["run", "p1b2", "--machine", "mini16", "--plan",
                       "p.yaml", "--steps", "1", "-o", "o.txt"]}
    bomb = ("a: &a [x, x, x, x, x, x, x, x, x]\n"
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n")
    for f, text in good.items():
        first = text.split("\n", 1)[0] + "\n"
        rest = text.split("\n", 1)[1]
        edits = {
            "anchor-alias": first.replace("name: ", "name: &n ") + rest +
                            "again: *n\n",
            "merge-key": "base: &b {name: h}\n<<: *b\n" + rest,
            "billion-laughs": bomb + text,
            "tag-binary": first.replace("name: ", "name: !!binary ") + rest,
            "tag-local": first.replace("name: ", "name: !foo ") + rest,
            "tag-set": text + "extra: !!set {a, b}\n",
            "two-documents": text + "---\n" + text,
            "end-then-document": text + "...\n---\n" + text,
            "deep-lists": text + "junk: " + "[" * 5000 + "]" * 5000 + "\n",
            "deep-maps": text + "junk: " + "{a: " * 3000 + "1" +
                         "}" * 3000 + "\n",
            "key-1MB": text + "k" * 1000000 + ": 1\n",
            "scalar-8MB": first.replace("name: h", "name: " + "h" * 8000000)
                          .replace("name: g", "name: " + "g" * 8000000) +
                          rest,
            "empty-document": "---\n...\n",
            "only-scalar": "hello\n",
            "only-list": "- 1\n- 2\n",
            "only-null": "~\n",
            "duplicate-key": text + first,
            "complex-key": "? [a, b]\n: 1\n" + text,
        }
        for name, t in edits.items():
            loc = yloc(f) if name not in ("empty-document",) else \
                re.escape(f) + r"(:\d+:\d+)?"
            if f == "n.yaml" and name == "scalar-8MB":
                # a network's name has no length limit (a machine's or a
                # GPU's has: 127): read, and written back into the plan
                C.append(Case("yaml", "n-scalar-8MB-valid", {f: t}, argv[f],
                              want=0, keep={"out.plan.yaml"}))
                continue
            C.append(Case("yaml", "%s-%s" % (f[0], name), {f: t}, argv[f],
                          loc=loc))
    return C


def plan_yaml_feature_cases(binary, tmp):
    """yaml_feature_cases() on a real plan (p1b2 on mini16)."""
    path = os.path.join(tmp, "mini16.plan.yaml")
    subprocess.run([binary, "place", "p1b2", "--machine", "mini16", "-o",
                    path], capture_output=True, env=san_env(), check=True)
    with open(path) as f:
        base = f.read()
    argv = ["run", "p1b2", "--machine", "mini16", "--plan", "p.yaml",
            "--steps", "1", "-o", "o.txt"]
    net = 'network: "p1b2"'
    assert net in base, "plan changed: tests/harden/hostile.py"
    edits = {
        "merge-key": base.replace(net, net + "\nbase: &b {seed: 1}\n<<: *b"),
        "tag-binary": base.replace(net, "network: !!binary cDFiMg=="),
        "tag-local": base.replace(net, 'network: !plan "p1b2"'),
        "two-documents": base + "---\n" + base,
        "duplicate-key": base + net + "\n",
        "only-list": "- " + base.replace("\n", "\n  "),
        "billion-laughs": "a: &a [x, x, x, x, x, x, x, x, x]\n"
                          "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
                          base,
        "deep-maps": base + "junk: " + "{a: " * 3000 + "1" + "}" * 3000 +
                     "\n",
    }
    return [Case("yaml", "p-" + name, {"p.yaml": t}, argv,
                 loc=yloc("p.yaml")) for name, t in edits.items()]


def encoding_cases():
    """Encodings and odd files against the readers: a UTF-8 BOM (read),
    UTF-16 and UTF-32 (libyaml reads UTF-16 with its BOM; the JSON and CSV
    readers refuse it, located), invalid UTF-8 and raw NUL bytes, CRLF
    line ends (line and column still those of the LF file), no final
    newline, /dev/null, a FIFO with a writer."""
    C = []
    net_ok = ("name: h\nbatch: 4\ninputs:\n  x: [8]\nlayers:\n"
              "  - {name: f, op: dense, units: 4}\n")
    net_bad = net_ok.replace("units: 4", "units: -4")  # n.yaml:6:33
    mach_bad = "name: t\ngrid: {width: 16, height: 16}\nclock_ghz: -1\n"
    gpu_bad = ("name: g\nsms: 0\nthreads_per_sm: 2048\n"
               "peak_tflops: {fp32: 60, tf32: 400, bf16: 900, fp16: 900}\n")
    place = ["place", "n.yaml", "--machine", "mini64", "--strategy", "pack",
             "-o", "out.plan.yaml"]
    show = ["machine", "show", "m.yaml", "-o", "out.yaml"]
    gpu = ["gpu", "p1b2", "--gpu", "g.yaml", "-o", "o.txt"]
    # the same error at the same place, whatever the line ends
    for label, conv in (("crlf", lambda t: t.replace("\n", "\r\n")),
                        ("cr", lambda t: t.replace("\n", "\r")),
                        ("no-final-newline", lambda t: t.rstrip("\n")),
                        ("bom", lambda t: "\ufeff" + t)):
        C.append(Case("encoding", "net-%s-located" % label,
                      {"n.yaml": conv(net_bad)}, place,
                      loc=r"n\.yaml:6:33\b"))
        C.append(Case("encoding", "machine-%s-located" % label,
                      {"m.yaml": conv(mach_bad)}, show,
                      loc=r"m\.yaml:3:12\b"))
        C.append(Case("encoding", "gpu-%s-located" % label,
                      {"g.yaml": conv(gpu_bad)}, gpu,
                      loc=r"g\.yaml:2:6\b"))
        C.append(Case("encoding", "net-%s-valid" % label,
                      {"n.yaml": conv(net_ok)}, ["compile", "n.yaml"],
                      want=0, out=r"f\s+dense\s+\[4\]"))
    for label, enc in (("utf16le", "utf-16-le"), ("utf16be", "utf-16-be")):
        bom = "\ufeff".encode(enc)
        C.append(Case("encoding", "net-%s-bom-valid" % label,
                      {"n.yaml": bom + net_ok.encode(enc)},
                      ["compile", "n.yaml"], want=0,
                      out=r"f\s+dense\s+\[4\]"))
        C.append(Case("encoding", "net-%s-bom-located" % label,
                      {"n.yaml": bom + net_bad.encode(enc)}, place,
                      loc=r"n\.yaml:6:33\b"))
        # without a BOM: NUL bytes every other byte, refused
        C.append(Case("encoding", "net-%s-no-bom" % label,
                      {"n.yaml": net_ok.encode(enc)}, place,
                      loc=yloc("n.yaml")))
        C.append(Case("encoding", "gpu-jsonl-%s" % label,
                      {"t.jsonl": bom + ('{"model": "p1b2", "batch": 32, '
                                         '"precision": "fp32", "train": '
                                         '{"median_ms": 4.0}}\n').encode(enc)},
                      ["validate", "gpu", "t.jsonl", "--quiet"],
                      loc=r"t\.jsonl:1:\d+"))
        C.append(Case("encoding", "wafer-csv-%s" % label,
                      {"m.csv": bom + ("network,machine,wafers,mode,dtype,"
                                       "batch,samples_per_s,source_id\n"
                                       "p1b2,mini64,1,streaming,fp16,8,1000,"
                                       "a\n").encode(enc)},
                      ["validate", "wafer", "m.csv", "--quiet"],
                      loc=r"m\.csv"))
    C.append(Case("encoding", "net-utf32-bom",
                  {"n.yaml": "\ufeff".encode("utf-32-le") +
                   net_ok.encode("utf-32-le")}, place, loc=yloc("n.yaml")))
    raw_nul = net_ok.replace("name: f", "name: f\0g").encode()
    C.append(Case("encoding", "net-raw-nul", {"n.yaml": raw_nul}, place,
                  loc=yloc("n.yaml")))
    C.append(Case("encoding", "machine-raw-nul",
                  {"m.yaml": b"name: t\0\ngrid: {width: 16, height: 16}\n"},
                  show, loc=yloc("m.yaml")))
    C.append(Case("encoding", "net-invalid-utf8-key",
                  {"n.yaml": net_ok.replace("units", "un\udcffits").encode(
                      "utf-8", "surrogateescape")}, place,
                  loc=yloc("n.yaml")))
    C.append(Case("encoding", "net-overlong-utf8",
                  {"n.yaml": net_ok.encode().replace(b"name: f",
                                                     b"name: \xc0\xaf")},
                  place, loc=yloc("n.yaml")))
    C.append(Case("encoding", "gpu-name-invalid-utf8",
                  {"g.yaml": gpu_bad.replace("sms: 0", "sms: 132").encode()
                   .replace(b"name: g", b"name: \xed\xa0\x80")}, gpu,
                  loc=yloc("g.yaml")))
    for label, bad in (("invalid-utf8", b'"model": "p1\xff"'),
                       ("raw-nul", b'"model": "p1b2",\0')):
        C.append(Case("encoding", "jsonl-" + label,
                      {"t.jsonl": b'{' + bad + b' "batch": 32, "precision":'
                                  b' "fp32", "train": {"median_ms": 4.0}}\n'},
                      ["validate", "gpu", "t.jsonl", "--quiet"],
                      loc=r"t\.jsonl:1:\d+"))
    for name, argv in (("compile", ["compile", "/dev/null"]),
                       ("machine", ["machine", "check", "/dev/null"]),
                       ("gpu", ["gpu", "p1b2", "--gpu", "/dev/null"]),
                       ("plan", ["run", "p1b2", "--machine", "mini16",
                                 "--plan", "/dev/null", "-o", "o.txt"]),
                       ("validate-gpu", ["validate", "gpu", "/dev/null"]),
                       ("validate-wafer", ["validate", "wafer",
                                           "/dev/null"])):
        C.append(Case("encoding", "dev-null-" + name, {}, argv,
                      loc=r"/dev/null"))
    return C


def grid_cases():
    """Machines at the grid's extremes (1x1, 1xN, Nx1) and with a
    resource at zero: a network that does not fit is named with its stage
    and bytes; extmem.bandwidth_gbytes_s 0 hung a streaming run on an
    infinite weight stream (stats_win_cover over 2^63 cycles)."""
    C = []
    mach = "name: t\ngrid: {width: %d, height: %d}\n%s"
    run = ["run", "p1b2", "--machine", "m.yaml", "--steps", "1", "-o",
           "o.txt"]
    nofit = r"does not fit 'p1b2' on 't': stage 'fc1/dense' needs \d+ B"
    for w, h in ((1, 1), (1, 64), (2, 2), (1, 4096)):
        C.append(Case("grid", "run-%dx%d-no-fit" % (w, h),
                      {"m.yaml": mach % (w, h, "")}, run, loc=nofit))
    for w, h in ((64, 1), (4096, 1)):
        C.append(Case("grid", "run-%dx%d-valid" % (w, h),
                      {"m.yaml": mach % (w, h, "")}, run, want=0,
                      keep={"o.txt"}))
    for w, h in ((1, 1), (1, 16), (16, 1)):
        C.append(Case("grid", "fabric-%dx%d-valid" % (w, h),
                      {"m.yaml": mach % (w, h, "")},
                      ["fabric", "--machine", "m.yaml", "--cycles", "100",
                       "--warmup", "10"], want=0,
                      out=r"mesh %dx%d" % (w, h)))
    C.append(Case("grid", "run-sc-4096x1",
                  {"m.yaml": mach % (4096, 1, "")},
                  run[:-2] + ["--engine", "systemc", "-o", "o.txt"],
                  loc=r"at most 64x64 PEs.*got 4096x1"))
    for label, extra, at in (
            ("extmem-bandwidth-0", "extmem: {bandwidth_gbytes_s: 0}\n", 3),
            ("io-bandwidth-0", "io: {bandwidth_gbytes_s: 0}\n", 3),
            ("interconnect-bandwidth-0",
             "interconnect: {bandwidth_gbytes_s: 0}\n", 3)):
        for net in ("p1b2", "uno"):
            C.append(Case("grid", "%s-%s" % (label, net),
                          {"m.yaml": mach % (64, 64, extra)},
                          ["run", net, "--machine", "m.yaml", "--steps", "1",
                           "--mode", "streaming", "-o", "o.txt"],
                          loc=r"m\.yaml:%d:\d+" % at, timeout=60))
    # live packets beyond the memory budget (a 4096x4096 mesh at --rate
    # 0.1 passed 13 GB of RSS, over the default limit, and kept growing)
    C.append(Case("grid", "fabric-packets-over-budget", {},
                  ["fabric", "--machine", "wse2", "--mesh", "512x512",
                   "--rate", "0.5", "--cycles", "2000",
                   "--max-memory", "300M"],
                  loc=r"512x512 mesh holding \d+ packets at cycle \d+: "
                      r"needs about .* more than the limit of .*"
                      r"--max-memory", no_stdout=True))
    # WxH: digits only, as every integer option (' 4x4' and '+4x+4' were
    # read as 4x4 by strtol; ' 8' for --batch was refused)
    for opt, argv in (("--region", ["run", "p1b2", "--machine", "mini64",
                                    "--steps", "1", "-o", "o.txt"]),
                      ("--mesh", ["fabric", "--machine", "mini16",
                                  "--cycles", "100"])):
        for label, v in (("blank", " 4x4"), ("blank-mid", "4x 4"),
                         ("plus", "+4x+4"), ("minus", "-4x4"),
                         ("2^64", "18446744073709551620x4"),
                         ("trailing", "4x4 ")):
            C.append(Case("numbers", "cli%s=%s" % (opt, label), {},
                          argv + [opt, v], want=2, loc=opt))
    C.append(Case("grid", "sram-below-code",
                  {"m.yaml": mach % (64, 64, "pe: {sram_bytes: 1024}\n")},
                  run, loc=r"m\.yaml:\d+:\d+"))
    return C


# ---------------------------------------------------------------- running
def san_env():
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:" \
                          "allocator_may_return_null=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1"
    env["LSAN_OPTIONS"] = "suppressions=" + os.path.join(ROOT, "tests",
                                                         "lsan.supp")
    env.pop("WAFERSIM_DATA", None)
    return env


def tree(d):
    out = set()
    for base, dirs, files in os.walk(d):
        for n in dirs + files:
            out.add(os.path.relpath(os.path.join(base, n), d))
    return out


def fifo_reader(path, sink):
    """Read a FIFO to its end (a -o FIFO must get the output)."""
    import threading

    def run():
        try:
            with open(path, "rb") as f:
                sink.append(f.read())
        except OSError:
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def run_signalled(binary, c, d):
    """Run c with its signal: the pipe closed after the first byte of
    standard output, or SIGTERM after some seconds."""
    import signal
    p = subprocess.Popen([binary] + c.argv, cwd=d, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=san_env())
    if c.signal[0] == "pipe":
        first = p.stdout.read(1)
        p.stdout.close()
        err = p.stderr.read()
        code = p.wait(timeout=c.timeout)
        return code, err.decode("utf-8", "replace"), first.decode(
            "utf-8", "replace")
    try:
        out, err = p.communicate(timeout=c.signal[1])
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=c.timeout)
    return p.returncode, err.decode("utf-8", "replace"), out.decode(
        "utf-8", "replace")


def fsize_limit(limit):
    """A preexec_fn: files of at most `limit` bytes (None: no limit)."""
    if limit is None:
        return None

    def pre():
        import resource
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


def run_case(binary, c, root, idx):
    d = os.path.join(root, "%04d" % idx)
    os.mkdir(d)
    first = None
    for name, data in c.files.items():
        first = first or name
        with open(os.path.join(d, name), "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
    if c.setup:
        c.setup(d)
    before = tree(d)
    fifo = os.path.join(d, "fifo")
    sink, reader = [], None
    if os.path.exists(fifo) and stat.S_ISFIFO(os.stat(fifo).st_mode):
        reader = fifo_reader(fifo, sink)
    t0 = time.time()
    try:
        if c.signal:
            code, err, out = run_signalled(binary, c, d)
        else:
            r = subprocess.run([binary] + c.argv, cwd=d,
                               capture_output=True, env=san_env(),
                               timeout=c.timeout,
                               preexec_fn=fsize_limit(c.fsize))
            code, err = r.returncode, r.stderr.decode("utf-8", "replace")
            out = r.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        code, err, out = "timeout", "", ""
    secs = time.time() - t0
    if reader:
        if code == "timeout" or not sink:
            try:  # unblock a reader nobody wrote to
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        reader.join(5)
    why = []
    wants = c.want if isinstance(c.want, tuple) else (c.want,)
    if code not in wants:
        why.append("exit %s, expected %s" % (code, "|".join(map(str, wants))))
    m = SAN_RE.search(err + out)
    if m:
        why.append("sanitizer/crash: %s" %
                   err[max(0, m.start() - 80):m.start() + 200])
    if 0 not in wants and c.loc:
        pat = c.loc.replace("{F}", re.escape(first or ""))
        # validate lists the rows it cannot predict on standard output
        if not re.search(pat, err + "\n" + out):
            why.append("not located (%s)" % pat)
    if 0 not in wants:
        changed = [n for n, data in c.files.items()
                   if not os.path.isfile(os.path.join(d, n)) or
                   open(os.path.join(d, n), "rb").read() !=
                   (data.encode() if isinstance(data, str) else data)]
        if changed:
            why.append("input changed: %s" % ", ".join(changed[:5]))
        left = tree(d) - before - c.keep
        if left:
            why.append("left behind: %s" % ", ".join(sorted(left)[:5]))
    for a in c.absent:
        if os.path.lexists(a):
            why.append("left behind: %s" % a)
            try:
                os.remove(a)
            except OSError:
                pass
    if 0 in wants and reader and not (sink and sink[0]):
        why.append("nothing written into the FIFO")
    tmps = sorted(n for n in tree(d) if ".tmp." in n)
    if tmps:
        why.append("temporary left behind: %s" % ", ".join(tmps[:5]))
    if c.out and code == 0 and not re.search(c.out, out):
        why.append("output does not say %s" % c.out)
    if c.no_stdout and code != 0 and out:
        why.append("failed after writing to stdout: %s" % out[:80])
    if why:
        first_err = err.strip().splitlines()
        shown = first_err[0][:300] if first_err else "(no message)"
        return "%s: %s\n    %s\n    stderr: %s" % (
            c.title(), "; ".join(why), " ".join(c.argv), shown), secs
    # leave the folder writable for the clean-up
    for p in ("ro",):
        if os.path.isdir(os.path.join(d, p)):
            os.chmod(os.path.join(d, p), 0o755)
    return None, secs


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    keep = "--keep" in args
    binary = None
    only = None
    if "--bin" in args:
        binary = args[args.index("--bin") + 1]
    if "-k" in args:
        only = args[args.index("-k") + 1]
    if not binary:
        for b in ("build-asan/wafersim", "build/wafersim"):
            if os.path.exists(os.path.join(ROOT, b)):
                binary = os.path.join(ROOT, b)
                break
    binary = os.path.abspath(binary)
    tmp = tempfile.mkdtemp(prefix="hostile.")
    cases = (machine_cases(binary) + network_cases() +
             plan_cases(binary, tmp) + onnx_cases() +
             stats_cases(binary, tmp) + option_cases() + output_cases() +
             other_cases() + newest_option_cases() +
             newest_plan_cases(binary, tmp) + newest_measured_cases() +
             folder_name_signal_cases() + gpu_share_cases() +
             full_output_cases(binary) + number_cases() +
             plan_number_cases(binary, tmp) + yaml_feature_cases() +
             plan_yaml_feature_cases(binary, tmp) + encoding_cases() +
             grid_cases())
    if only:
        cases = [c for c in cases if only in c.title()]
    if quick:
        with open(os.path.join(HERE, "regressions.txt")) as f:
            regs = {l.strip() for l in f if l.strip() and l[0] != "#"}
        cases = [c for i, c in enumerate(cases)
                 if i % 12 == 0 or c.title() in regs]
    if "--list" in args:
        for c in cases:
            print(c.title(), " ".join(c.argv))
        return 0
    t0 = time.time()
    failed = 0
    slow = []
    for i, c in enumerate(cases):
        msg, secs = run_case(binary, c, tmp, i)
        slow.append((secs, c.title()))
        if msg:
            failed += 1
            print("FAIL " + msg, flush=True)
    slow.sort(reverse=True)
    print("hostile: %d cases, %d failed (%s, %.0f s; slowest %s %.1f s)" %
          (len(cases), failed, os.path.relpath(binary, ROOT),
           time.time() - t0, slow[0][1] if slow else "-",
           slow[0][0] if slow else 0))
    if keep:
        print("cases kept in " + tmp)
    else:
        for base, dirs, files in os.walk(tmp):
            for n in dirs:
                try:
                    os.chmod(os.path.join(base, n), 0o755)
                except OSError:
                    pass
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
