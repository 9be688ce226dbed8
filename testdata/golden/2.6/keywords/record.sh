#!/usr/bin/env bash
# Record HAProxy's `-c` output for every probe of <name>.in into <name>.golden, for each
# <name> given (default: acl_probes acl_sweep). Run from anywhere; needs `haproxy` (2.6).
# The template below is also built by the test (src/acl/tests/probes.rs): keep them identical.
# acl_sweep.in lists every fetch and converter of dK_smp.txt/dK_cnv.txt twice: with filler
# arguments for their mandatory ones, and with empty parentheses.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf 'a\n#comment\n  b  \n\n' > "$work/pats.txt"
printf '1.2.3.4\nfoo\n' > "$work/badip.txt"
for name in "${@:-acl_probes acl_sweep}"; do
for name in $name; do
out="$here/$name.golden"
{
  echo "# HAProxy $(haproxy -v | head -1 | awk '{print $3}') -c output for $name.in (recorded by record.sh)."
  echo "# Paths: /tmp/aclp/ in probes is the fixture directory; the configuration is probe.cfg."
} > "$out"
grep -v '^#' "$here/$name.in" | while IFS= read -r probe; do
  [ -z "$probe" ] && continue
  lines="$probe"; bx=""
  case "$probe" in "@bx "*) bx="${probe#@bx }"; lines="" ;; esac
  {
    echo "global"
    echo "defaults"
    echo "  mode http"
    echo "  timeout client 1s"
    echo "  timeout server 1s"
    echo "  timeout connect 1s"
    echo "userlist ul"
    echo "  user u insecure-password p"
    echo "frontend fe"
    echo "  bind 127.0.0.1:8080"
    [ -n "$lines" ] && echo "$lines" | sed 's/ ;; /\n/g' | sed 's/^/  /'
    echo "backend be"
    echo "  server s1 127.0.0.1:81"
    echo "backend be2"
    echo "  server s2 127.0.0.1:82"
    echo "backend bx"
    echo "  server s1 127.0.0.1:83"
    [ -n "$bx" ] && echo "$bx" | sed 's/ ;; /\n/g' | sed 's/^/  /'
  } > "$work/probe.cfg"
  sed "s#/tmp/aclp/#$work/#g" -i "$work/probe.cfg"
  echo "=== $probe" >> "$out"
  (cd "$work" && { rc=0; haproxy -c -f probe.cfg 2>&1 || rc=$?; echo "rc=$rc"; }) \
    | grep -a -v '^\[NOTICE\]' \
    | sed -E "s/^\[(ALERT|WARNING)\] +\(([0-9]+)\) : /[\1] /; s#$work/#/tmp/aclp/#g" \
    | LC_ALL=C sed 's/[^[:print:]\t]/?/g' >> "$out"
done
done
done
