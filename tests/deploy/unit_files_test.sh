#!/usr/bin/env bash
# Checks the systemd units in deploy/ offline, without a running systemd:
#   1. `systemd-analyze verify` of chatd.service, chatd.socket and chatd-metrics.socket in a
#      throw-away root that holds the stock unit tree and the built chatd at the ExecStart path.
#      verify exits 0 on unknown keys, misspelt sections and unparsable values, so any line it
#      prints is a failure.
#   2. `systemd-analyze security --offline=true chatd.service`: exposure at most MAX_EXPOSURE.
#   3. The settings chatd relies on: Type=notify, the socket names it looks for, a LimitNOFILE
#      above the default max_connections, and the shipped configs pass --check-config.
# Usage: unit_files_test.sh SOURCE_DIR CHATD_BINARY
set -u
[ $# -eq 2 ] || { echo "usage: $0 SOURCE_DIR CHATD_BINARY" >&2; exit 2; }
src=$1; chatd=$2
max_exposure=${MAX_EXPOSURE:-2.0}
deploy=$src/deploy
units="chatd.service chatd.socket chatd-metrics.socket"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "FAIL: systemd-analyze not found (apt-get install systemd)"; exit 1
fi
[ -x "$chatd" ] || { echo "FAIL: no chatd binary at $chatd"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chatd-unit-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd" "$root/usr/bin" "$root/usr/sbin" \
  "$root/etc/chatd"
ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"
# The stock units (multi-user.target, sockets.target, network.target...) the ours refer to.
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
for u in $units; do
  [ -f "$deploy/$u" ] || { fail "missing deploy/$u"; continue; }
  cp "$deploy/$u" "$root/etc/systemd/system/$u"
done
cp "$deploy/chatd.yaml" "$root/etc/chatd/chatd.yaml"

# Every program an Exec*= line names must exist in the root: chatd is the built one, the
# rest (kill for ExecReload) come from this machine or, if it lacks them, a stub.
while IFS= read -r prog; do
  case "$prog" in /*) ;; *) fail "Exec program '$prog' is not an absolute path"; continue ;; esac
  [ -e "$root$prog" ] && continue
  mkdir -p "$root$(dirname "$prog")"
  if [ "$(basename "$prog")" = chatd ]; then
    cp "$chatd" "$root$prog"
  elif [ -x "$prog" ]; then
    cp -L "$prog" "$root$prog"
  else
    printf '#!/bin/sh\nexit 0\n' >"$root$prog"
  fi
  chmod 755 "$root$prog"
done < <(grep -hE '^[[:space:]]*Exec[A-Za-z]*=' "$root"/etc/systemd/system/*.service |
         sed -E 's/^[^=]*=[[:space:]]*[-@:+!]*//; s/[[:space:]].*//' | sort -u)

echo "== systemd-analyze verify $units"
# shellcheck disable=SC2086  # the unit list is split on purpose
out=$(cd "$tmp" && timeout 60 systemd-analyze --no-pager --man=no --root="$root" verify $units 2>&1)
rc=$?
out=$(printf '%s\n' "$out" | sed "s#$root##g" | sed '/^$/d')
if [ $rc -ne 0 ] || [ -n "$out" ]; then
  printf '%s\n' "$out"
  fail "systemd-analyze verify (rc=$rc; any diagnostic counts)"
else
  ok "verify printed nothing"
fi

echo "== systemd-analyze security --offline=true chatd.service"
sec=$(cd "$tmp" && timeout 60 systemd-analyze --no-pager security --offline=true --root="$root" \
  chatd.service 2>&1)
rc=$?
printf '%s\n' "$sec" | grep -v '^✓' | sed "s#$root##g; /^$/d"
score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for chatd.service: \([0-9.]*\).*/\1/p')
if [ $rc -ne 0 ] || [ -z "$score" ]; then
  fail "security analysis gave no score (rc=$rc)"
elif awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s + 0 <= m + 0) }'; then
  ok "exposure $score <= $max_exposure"
else
  fail "exposure $score > $max_exposure"
fi

echo "== settings chatd relies on"
# `systemd-analyze cat-config`-free reading: the last assignment of a key in a unit file wins.
value() { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$deploy/$1" | tail -1; }
expect() {
  local got; got=$(value "$1" "$2")
  if [ "$got" = "$3" ]; then ok "$1: $2=$3"; else fail "$1: $2 is '$got', want '$3'"; fi
}
expect chatd.service Type notify
expect chatd.service DynamicUser yes
expect chatd.service ExecReload '/bin/kill -HUP $MAINPID'
expect chatd.socket FileDescriptorName chat
expect chatd-metrics.socket FileDescriptorName metrics
expect chatd-metrics.socket Service chatd.service
watchdog=$(value chatd.service WatchdogSec)
[ -n "$watchdog" ] && ok "chatd.service: WatchdogSec=$watchdog" || fail "chatd.service: no WatchdogSec"
nofile=$(value chatd.service LimitNOFILE); nofile=${nofile##*:}
max_conn=$(sed -n 's/^[[:space:]]*max_connections:[[:space:]]*\([0-9]*\).*/\1/p' "$deploy/chatd.yaml")
if [ -n "$nofile" ] && [ -n "$max_conn" ] && [ "$nofile" -gt $((max_conn + 1000)) ]; then
  ok "LimitNOFILE=$nofile leaves room above max_connections=$max_conn"
else
  fail "LimitNOFILE='$nofile' is not comfortably above max_connections='$max_conn'"
fi
# TimeoutStopSec must cover shutdown_grace + about 2 s (operations.md, graceful shutdown).
stop=$(value chatd.service TimeoutStopSec); stop=${stop%s}
grace=$(sed -n 's/^[[:space:]]*shutdown_grace:[[:space:]]*\([0-9]*\)s.*/\1/p' "$deploy/chatd.yaml")
if [ -n "$stop" ] && [ -n "$grace" ] && [ "$stop" -ge $((grace + 2)) ]; then
  ok "TimeoutStopSec=${stop}s covers shutdown_grace=${grace}s"
else
  fail "TimeoutStopSec='$stop' does not cover shutdown_grace='$grace' + 2s"
fi

echo "== shipped configs pass --check-config"
for cfg in "$deploy/chatd.yaml" "$deploy/docker/chatd.yaml"; do
  if msg=$("$chatd" --config "$cfg" --check-config 2>&1); then
    ok "${cfg#"$src"/}: $msg"
  else
    fail "${cfg#"$src"/}: $msg"
  fi
done

if [ $failures -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all unit file checks passed"
