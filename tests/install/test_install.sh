#!/usr/bin/env bash
# test_install.sh - `make install` into a scratch prefix, then build the
# README's example program outside the tree with pkg-config, as a user would,
# against the shared library and against the static one, and run it.
# Usage: tests/install/test_install.sh BUILD_DIR
set -u
BUILD=${1:?usage: test_install.sh BUILD}
CC=${CC:-cc}
suite=install
. "$(dirname "$0")/../cli/lib.sh"

prefix="$tmp/prefix"
run make --no-print-directory -s install BUILD="$BUILD" PREFIX="$prefix"
ok "make install" [ "$status" -eq 0 ]
ok "header installed" [ -f "$prefix/include/libsearch.h" ]
ok "pc installed" [ -f "$prefix/lib/pkgconfig/libsearch.pc" ]
ok "man page installed" [ -f "$prefix/share/man/man1/search.1" ]
ok "cli installed" [ -x "$prefix/bin/search" ]
ok "soname link" [ -L "$prefix/lib/libsearch.so.0" ]
run bash -c "objdump -p '$prefix/lib/libsearch.so' | grep SONAME"
ok "soname" has "$out" "libsearch.so.0"
run bash -c "nm -D --defined-only '$prefix/lib/libsearch.so' | awk '\$2 ~ /[TDB]/ {print \$3}' | grep -v '^srch_'"
ok "only srch_ symbols exported" [ -z "$out" ]

# The example program is the first C block of README.md.
awk '/^```c$/ {on=1; next} /^```$/ && on {exit} on' README.md > "$tmp/example.c"
ok "README has a C example" [ -s "$tmp/example.c" ]
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
( cd "$tmp" && $CC example.c $(pkg-config --cflags --libs libsearch) -o example ) >"$tmp/out" 2>"$tmp/err"
status=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
ok "example builds with pkg-config" [ "$status" -eq 0 ]
run env LD_LIBRARY_PATH="$prefix/lib" "$tmp/example" "$tmp/example-index"
ok "example runs" [ "$status" -eq 0 ]
ok "example output" has "$out" "1. forum #2"
ok "example snippet" has "$out" "<b>message</b> <b>vidéo</b>"
# the output the README shows is the output the program prints
want=$(awk '/It prints the IOM sentence/ {f=1} f && /^```text$/ {on=1; next} on && /^```$/ {exit} on' README.md)
ok "README shows the real output" [ "$out" = "$want" ]
( cd "$tmp" && $CC example.c $(pkg-config --cflags libsearch) "$prefix/lib/libsearch.a" \
    $(pkg-config --libs --static libsearch | sed 's/-lsearch//') -o example-static 2>&1 ) >"$tmp/out" 2>&1
status=$?; out=$(cat "$tmp/out")
ok "example links statically" [ "$status" -eq 0 ]
run "$tmp/example-static" "$tmp/example-index-2"
ok "static example runs" [ "$status" -eq 0 ]
ok "static example output" has "$out" "1. forum #2"

finish
