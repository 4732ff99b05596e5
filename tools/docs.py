#!/usr/bin/env python3
"""docs.py update|check [--all] [--block NAME]... [FILE.md...]: the figures
README.md and
docs/*.md quote, from the commands that print them (issue 15).
`--block NAME` limits update or check to the blocks of that name.

A quoted figure lives between two markers, filled by `update` (`make docs`)
and compared by `check` (`make test`, tests/unit/test_docs.c):

    <!-- docs:NAME [options] $ COMMAND -->
    ...what COMMAND prints (written by `make docs`, never by hand)...
    <!-- /docs -->

COMMAND runs with `sh -c` in the source tree, `wafersim` being the build's
binary; the source tree's path in its output is dropped (paths read
relative).  Options, before the `$`:

    lines=A-B     keep output lines A..B (1-based, inclusive; B may be empty)
    grep=REGEX    keep the output lines matching REGEX (Python syntax, no
                  spaces: use \\s)
    json=a.b.0.c  the value at that path of the JSON output (with fmt)
    fmt=%.1f      format for json= (default: as printed)
    inline        the value sits in a sentence: no code fence, no newline
    md            the output is Markdown (a table): quoted as is, no fence
    wall=REGEX    wall-clock figures: text matching REGEX is masked when
                  checking (and the block says they vary from run to run)
    slow          not re-run by `check` unless --all (commands over ~2 s)
    files         the command writes files (pictures): its output is not
                  quoted, `check` does not run it
    history=REV   figures of an earlier build (a "before" beside an
                  "after"): typed as COMMAND printed them at commit REV,
                  never re-run; `check` only requires REV to be a commit

Exit status of check: 0 when every checked block equals what its command
prints now, 1 otherwise (each differing block is named with a diff).
"""
import difflib
import json
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = re.compile(r"<!-- docs:([A-Za-z0-9_.-]+)( .*?) -->")
END = "<!-- /docs -->"
WALL_NOTE = "(wall-clock figures in this block vary from run to run)"


def parse_opts(text):
    opts = {}
    for tok in text.split():
        k, _, v = tok.partition("=")
        opts[k] = v if _ else True
    return opts


def run(cmd, strict=False):
    env = dict(os.environ)
    # the build whose wafersim the commands run: build/ unless the caller
    # names another (the unit tests under `make asan` run build-asan/'s)
    bindir = env.get("WAFERSIM_BUILD_DIR") or os.path.join(TOP, "build")
    env["PATH"] = bindir + os.pathsep + env["PATH"]
    env.pop("WAFERSIM_HOME", None)
    p = subprocess.run(["sh", "-c", cmd], cwd=TOP, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode not in ((0,) if strict else (0, 1)) or (
            p.returncode and not p.stdout.strip()):
        raise RuntimeError("'%s' exited %d: %s" % (cmd, p.returncode,
                                                   p.stderr.strip()[:300]))
    return p.stdout.replace(TOP + "/", "")


def select(out, o):
    if "json" in o:
        v = json.loads(out)
        for k in o["json"].split("."):
            v = v[int(k)] if isinstance(v, list) else v[k]
        return (o["fmt"] % v) if "fmt" in o else str(v)
    lines = out.splitlines()
    if "lines" in o:
        a, _, b = o["lines"].partition("-")
        lines = lines[int(a) - 1:int(b) if b else None]
    if "grep" in o:
        lines = [l for l in lines if re.search(o["grep"], l)]
    return "\n".join(l.rstrip() for l in lines).strip("\n")


def is_commit(rev):
    p = subprocess.run(["git", "-C", TOP, "cat-file", "-e", rev + "^{commit}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0 or not os.path.exists(os.path.join(TOP, ".git"))


def content(o, cmd):
    """The text between the markers, as `update` writes it."""
    if "history" in o:  # figures of commit REV: kept as typed
        return None
    if "files" in o:  # pictures: the command must succeed
        run(cmd, strict=True)
        return None
    v = select(run(cmd), o)
    if "inline" in o:
        return v
    if "md" in o:
        return "\n" + v + "\n"
    note = "\n" + WALL_NOTE + "\n" if "wall" in o else ""
    return "\n```\n" + v + "\n```\n" + note


def mask(text, o):
    return re.sub(o["wall"], "~", text, flags=re.M) if "wall" in o else text


def blocks(text):
    """(start, end, name, opts, cmd) of each block; start/end delimit the
    content."""
    pos = 0
    while True:
        m = BEGIN.search(text, pos)
        if not m:
            return
        e = text.find(END, m.end())
        if e < 0:
            raise RuntimeError("docs:%s has no %s" % (m.group(1), END))
        opts, sep, cmd = m.group(2).partition(" $ ")
        if not sep:
            raise RuntimeError("docs:%s: no ' $ COMMAND'" % m.group(1))
        yield m.end(), e, m.group(1), parse_opts(opts), cmd
        pos = e + len(END)


def files(args):
    if args:
        return args
    out = [os.path.join(TOP, "README.md")]
    d = os.path.join(TOP, "docs")
    out += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".md"))
    return out


def update(paths, only=()):
    for path in paths:
        text = open(path, encoding="utf-8").read()
        parts, last, n = [], 0, 0
        for s, e, name, o, cmd in blocks(text):
            c = content(o, cmd) if not only or name in only else None
            if c is not None and mask(c, o) == mask(text[s:e], o):
                c = None  # only wall-clock figures moved: keep the text
            parts += [text[last:s], text[s:e] if c is None else c]
            last, n = e, n + 1
        parts.append(text[last:])
        new = "".join(parts)
        if new != text:
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                f.write(new)
            os.replace(path + ".tmp", path)
        if n:
            print("docs: %s: %d block(s)%s" % (os.path.relpath(path, TOP), n,
                                              "" if new != text else
                                              ", unchanged"))


def check(paths, every, only=()):
    bad = checked = 0
    for path in paths:
        text = open(path, encoding="utf-8").read()
        for s, e, name, o, cmd in blocks(text):
            if only and name not in only:
                continue
            if "history" in o and not is_commit(o["history"]):
                bad += 1
                print("docs: %s: block '%s': history=%s is not a commit"
                      % (os.path.relpath(path, TOP), name, o["history"]))
            if ("files" in o or "history" in o or
                    ("slow" in o and not every)):
                continue
            checked += 1
            have, want = mask(text[s:e], o), mask(content(o, cmd), o)
            if have != want:
                bad += 1
                print("docs: %s: block '%s' differs from `%s` "
                      "(run `make docs`):" % (os.path.relpath(path, TOP),
                                              name, cmd))
                sys.stdout.writelines(difflib.unified_diff(
                    have.splitlines(True), want.splitlines(True),
                    "quoted", "printed now", n=1))
    print("docs: %d block(s) checked, %d differ" % (checked, bad))
    return 1 if bad else 0


def main(argv):
    if len(argv) < 2 or argv[1] not in ("update", "check"):
        print(__doc__)
        return 2
    every, only, rest = False, [], []
    args = iter(argv[2:])
    for a in args:
        if a == "--all":
            every = True
        elif a == "--block":
            only.append(next(args, ""))
        else:
            rest.append(a)
    paths = files(rest)
    if argv[1] == "update":
        update(paths, only)
        return 0
    return check(paths, every or bool(only), only)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
