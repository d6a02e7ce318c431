#!/bin/sh
# Set-up in one command on Debian 12: installs the packages that are missing, builds, then
#   deploy/quickstart.sh run [chatd flags...]   runs chatd (built-in defaults unless flags say)
#   deploy/quickstart.sh test                   runs the whole test suite
# Run it as root or as a user with sudo (only apt-get needs the privilege).
set -eu

usage() { echo "usage: $0 run [chatd flags...] | test" >&2; exit 2; }
[ $# -ge 1 ] || usage
mode=$1; shift
case "$mode" in run|test) ;; *) usage ;; esac

cd "$(dirname "$0")/.."

# What building needs, and what the tests drive chatd with (real nc, telnet, promtool,
# systemd-analyze, a nats-server cluster, openssl s_client, the offline checks of deploy/cluster/...).
build_pkgs="g++ cmake make libasio-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
  nlohmann-json3-dev libsystemd-dev libjemalloc-dev libnats-dev libssl-dev pkgconf"
test_pkgs="libgtest-dev netcat-openbsd jq telnet prometheus systemd nats-server docker-compose
  haproxy openssl"
pkgs=$build_pkgs
[ "$mode" = test ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root=sudo
  $as_root apt-get update
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
fi

build_dir=${CHATD_BUILD_DIR:-build}
tests=ON
[ "$mode" = run ] && tests=OFF
# Running needs only the server; the test build also compiles the benchmark tool (bench/).
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCHATD_BUILD_TESTS=$tests \
  -DCHATD_BUILD_BENCH=$tests
cmake --build "$build_dir" -j"$(nproc)"

if [ "$mode" = run ]; then
  exec "$build_dir/chatd" "$@"
fi
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 300
