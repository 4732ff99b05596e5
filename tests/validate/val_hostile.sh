#!/bin/sh
# The whole hostile-input campaign (tests/harden/hostile.py, issue 17):
# every case must get its exit status, a located error, no sanitizer
# report and no output file.  On the sanitized build-asan/wafersim when it
# exists (make asan builds it), else on the binary given.
set -u
bin=${1:-build/wafersim}
top=$(cd "$(dirname "$0")/../.." && pwd)
[ -x "$top/build-asan/wafersim" ] && bin="$top/build-asan/wafersim"
exec /usr/bin/python3 "$top/tests/harden/hostile.py" --bin "$bin"
