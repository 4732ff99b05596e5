#!/bin/sh
# The engine and the C fabric simulator against the SystemC reference model:
# stage tasks (broadcast, reduction, dense, convolution) and synthetic
# traffic, one table (tests/validate/ref_cases.c; docs/reference.md).
set -u
bin=${1:-build/wafersim}
drv=$(dirname "$bin")/ref_cases
[ -x "$drv" ] || { echo "ref_cases: build $drv first (make validate-ref)" >&2; exit 1; }
echo "== engine vs SystemC reference (ref_cases)"
"$drv" "${REF_MACHINE:-mini64}"
