#!/usr/bin/env bash
# test_cli.sh - the `search` command line: global options and `analyze`.
# Usage: tests/cli/test_cli.sh PATH/TO/search
set -u
SEARCH=${1:?usage: test_cli.sh SEARCH}
suite=cli
. "$(dirname "$0")/lib.sh"

# --- global --------------------------------------------------------------
run "$SEARCH" --version
ok "version" [ "$status" -eq 0 ]
ok "version text" has "$out" "search (libsearch) 0."
run "$SEARCH" --help
ok "help exit 0" [ "$status" -eq 0 ]
ok "help lists analyze" has "$out" "analyze"
run "$SEARCH"
ok "no command is a usage error" [ "$status" -eq 2 ]
run "$SEARCH" frobnicate
ok "unknown command exit 2" [ "$status" -eq 2 ]
ok "unknown command message" has "$err" "search: unknown command 'frobnicate'"

# --- analyze ---------------------------------------------------------------
run "$SEARCH" analyze "L’Organisation internationale"
ok "analyze exit 0" [ "$status" -eq 0 ]
ok "analyze columns" [ "$(printf '%s\n' "$out" | head -1)" = "$(printf '0\torganis\t4-16\tOrganisation')" ]
ok "analyze second token" has "$out" "$(printf '1\tinternational\t17-31\tinternationale')"

run "$SEARCH" analyze "Sous-forum, l'Équateur, 2024-09-12"
ok "hyphen parts consecutive" has "$out" "$(printf '0\tsous\t0-4\tSous\n1\tforum\t5-10\tforum')"
ok "accents folded" has "$out" "$(printf '2\tequateur\t14-23\tÉquateur')"
ok "date parts" has "$out" "$(printf '3\t2024\t25-29\t2024')"

run bash -c "printf 'oeuvre \\xff \\xc5\\x93uvre' | '$SEARCH' analyze -"
ok "stdin and invalid utf-8" [ "$status" -eq 0 ]
ok "invalid byte dropped" [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
ok "ligature folded" has "$out" "$(printf '1\toeuvr\t9-15')"

run bash -c "echo 'les migrations' | '$SEARCH' analyze"
ok "stdin without -" has "$out" "$(printf '1\tmigrat')"

run "$SEARCH" analyze --lang none "Migrations"
ok "lang none" has "$out" "$(printf '0\tmigrations\t0-10\tMigrations')"
run "$SEARCH" analyze --lang=english "running"
ok "lang english" has "$out" "$(printf '0\trun\t')"
run "$SEARCH" analyze --lang list
ok "lang list" has "$out" "french"
ok "lang list has none" has "$out" "none"
run "$SEARCH" analyze --lang klingon "x"
ok "unknown language exit 2" [ "$status" -eq 2 ]
ok "unknown language message" has "$err" "klingon"
run "$SEARCH" analyze --bogus
ok "unknown option exit 2" [ "$status" -eq 2 ]
run "$SEARCH" analyze --help
ok "analyze help" has "$out" "usage: search analyze"
run "$SEARCH" analyze ""
ok "empty text" [ "$status" -eq 0 ] && [ -z "$out" ]

finish
