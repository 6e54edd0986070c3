#!/usr/bin/env bash
# run.sh - `make test`: the CUnit suites, the CLI tests and the install test;
# prints one last line "N passed, N failed" and fails if anything failed.
set -u
BUILD=${BUILD:-build}
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

part() {
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
    if [ -z "$line" ]; then
        echo "*** $1 ended without a summary line (exit $rc): counted as 1 failure"
        total_fail=$((total_fail + 1))
        return
    fi
    local p f
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "*** $1 exited with $rc: counted as 1 failure"
        f=1
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}

part "$BUILD/tests/unit"
part bash tests/cli/test_cli.sh "$BUILD/search"
# An instrumented library cannot be linked by a plain program: the install
# test runs in the normal build only.
[ -n "${SANITIZE:-}" ] || part bash tests/install/test_install.sh "$BUILD"

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
