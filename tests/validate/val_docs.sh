#!/bin/sh
# val_docs.sh: every figure README.md and docs/*.md quote, the slow blocks
# included, is what its command prints now (`tools/docs.py check --all`).
# `make test` (suite docs) checks the blocks not marked slow; this checks
# all of them (minutes: whole-network simulations and validation tables).
# Fails on a stale block; `make docs` rewrites them.
# Usage: sh tests/validate/val_docs.sh [path/to/wafersim]  (the build's
# binary is the one the blocks run: build/wafersim)
set -u
cd "$(dirname "$0")/../.." || exit 1
python3 tools/docs.py check --all
