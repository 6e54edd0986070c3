# lib.sh - a tiny harness for the CLI tests (sourced by tests/cli/*.sh).
#
#   run CMD...            runs CMD, keeping $status, $out (stdout), $err (stderr)
#   ok NAME CONDITION...  one test: passes when CONDITION (a shell command) succeeds
#   finish                prints "<suite>: N passed, N failed"; exit status 1 on failure

passed=0
failed=0
suite=${suite:-cli}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {
    "$@" >"$tmp/out" 2>"$tmp/err"
    status=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

ok() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name" >&2
        echo "  condition: $*" >&2
        echo "  last status: ${status:-}" >&2
        echo "  stdout: $(printf '%s' "${out:-}" | head -c 600)" >&2
        echo "  stderr: $(printf '%s' "${err:-}" | head -c 600)" >&2
    fi
}

has() { printf '%s' "$1" | grep -qF -- "$2"; }
lacks() { ! printf '%s' "$1" | grep -qF -- "$2"; }

finish() {
    echo "$suite: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
