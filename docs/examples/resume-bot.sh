#!/usr/bin/env bash
# Follows room dev and misses nothing across disconnects: dev.state keeps "SEQ EPOCH" of the
# last message seen, and each connection resumes with /join dev since SEQ EPOCH.
[ -s dev.state ] || echo 0 > dev.state
while :; do
  while IFS= read -r line; do
    case $line in
      *'"cmd":"join","room":"dev"'*) epoch=$(jq -r .epoch <<<"$line") ;;
      *'"type":"msg","room":"dev"'*) jq -r '"#\(.seq) \(.from): \(.text)"' <<<"$line"
                                      echo "$(jq -r .seq <<<"$line") $epoch" > dev.state ;;
    esac
  done < <(printf '/format json\nresumer\n/join dev since %s\n' "$(cat dev.state)" |
           nc "${HOST:-localhost}" "${PORT:-7000}")
  sleep 1  # the connection ended: come back and carry on where it stopped
done
