#!/usr/bin/env bash
# Runs the chatd benchmarks beside redis-server and nats-server on loopback and writes
# docs/benchmarks.md (table, machine, exact commands).
#
#   bench/run.sh [SCENARIO...]      SCENARIO: fanout latency rooms idle kept-rooms capacity
#                                   capacity-one-room metrics-cost tls cluster all report
#                                   (default: all; "report" only rewrites docs/benchmarks.md)
#
# Each server runs pinned to one core (BENCH_SERVER_CPU, default 0), chatbench to the other
# (BENCH_GEN_CPU, default 1), each in a session of its own (setsid): with the kernel's autogroup
# scheduling a session shares CPU as one group, and the two must not split one group's share. Every server is started fresh by this script on a free loopback
# port and stopped by its PID when the run (or the script) ends.
#
# cluster: chatd's cluster mode against one standalone chatd, same shapes, same run. A 3-node
# nats-server cluster with JetStream (file store under the run's temp folder, routes on loopback)
# and 2 chatd nodes (cluster.replicas 3), fresh for each shape; chatbench spreads each room's
# subscribers and publishers over both nodes (--port P1,P2). Shapes: 1 room x 200 subscribers
# with 2 publishers, unlimited; 100 rooms x 10 subscribers with 1 publisher each, unlimited;
# 2 publishers x 200 msg/s into 1 room x 200 (latency). With 2 cores the chatd nodes share
# the server core (BENCH_SERVER_CPU), where the standalone chatd runs alone, and the NATS
# servers (GOMAXPROCS=1) share chatbench's core (BENCH_NATS_CPU moves them), which chatbench
# leaves half idle in these runs: each chatd node's CPU then compares with standalone's, and
# NATS stands apart as it would on its own machines. Reported per node: local deliveries/s,
# CPU and CPU per local delivery; NATS CPU; which side limited (a full core, or the window of
# publishes waiting for JetStream to store them).
#
# Environment:
#   BENCH_SECONDS   measured seconds per load run (default 10; e.g. 3 for a quick pass)
#   BENCH_WARMUP    seconds of load before measuring (default 2)
#   BENCH_REPEAT    load runs per target and scenario, the median is reported (default 1)
#   BENCH_IDLE      idle connections (default 10000), BENCH_IDLE_ROOMS (100)
#   BENCH_KEPT_ROOMS        kept-rooms: rooms created, then parted (default 10000, chatd's
#                   default limits.max_rooms); chatd only
#   BENCH_CAPACITY  connections held in the capacity runs (default 19000)
#   BENCH_TARGETS   servers for fanout, latency, rooms and idle (default "chatd redis nats")
#   BENCH_CAPACITY_TARGETS  servers for the capacity run (default "chatd"; capacity-one-room
#                   is chatd only)
#   BENCH_ROOM_SHAPES       rooms sweep points, ROOMS:SUBSCRIBERS:PUBLISHERS per room
#                   (default "1:2000:2 10:200:2 100:20:1 1000:2:1")
#   BENCH_METRICS_ROUNDS    metrics-cost: runs with metrics on, and as many off (default 3)
#   BENCH_TLS_ROUNDS        tls: fan-out runs over plain TCP, and as many over TLS (default 3)
#   BENCH_NATS_CPU  cluster: the core of the NATS servers (default BENCH_GEN_CPU)
#   BENCH_CLUSTER_SHAPES    cluster: the shapes to run, by label (default all of them)
#   BENCH_BUILD_DIR build directory (default build-bench), BENCH_NO_BUILD=1 to skip building,
#   BENCH_NO_INSTALL=1 to skip apt-get, BENCH_NO_DOC=1 to leave docs/benchmarks.md as it is
#   (a comparison of two builds: the figures are in $BUILD/bench-results)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BENCH_BUILD_DIR:-build-bench}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
RESULTS="$BUILD/bench-results"
DOC="$ROOT/docs/benchmarks.md"
SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-2}
REPEAT=${BENCH_REPEAT:-1}
IDLE_N=${BENCH_IDLE:-10000}
IDLE_ROOMS=${BENCH_IDLE_ROOMS:-100}
KEPT_ROOMS=${BENCH_KEPT_ROOMS:-10000}
CAP_N=${BENCH_CAPACITY:-19000}
CAP_TARGETS=${BENCH_CAPACITY_TARGETS:-chatd}
METRICS_ROUNDS=${BENCH_METRICS_ROUNDS:-3}
TLS_ROUNDS=${BENCH_TLS_ROUNDS:-3}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
GEN_CPU=${BENCH_GEN_CPU:-1}
TARGETS=${BENCH_TARGETS:-chatd redis nats}
ROOM_SHAPES=${BENCH_ROOM_SHAPES:-1:2000:2 10:200:2 100:20:1 1000:2:1}
NATS_CPU=${BENCH_NATS_CPU:-$GEN_CPU}
CLUSTER_ONLY=${BENCH_CLUSTER_SHAPES:-}

CHATD="$BUILD/chatd"
CHATBENCH="$BUILD/bench/chatbench"
WORK=$(mktemp -d /tmp/chatbench-run.XXXXXX)
SERVER_PID=""
SERVER_PORT=""
METRICS_PORT=""        # chatd's metrics port, "" when off
CHATD_EXTRA_LIMITS=""  # YAML lines ending chatd's limits: / rooms: sections (kept-rooms)
CHATD_EXTRA_ROOMS=""
CHATD_EXTRA_TOP=""     # YAML sections after rooms: (cluster)
CLUSTER_PIDS=()        # chatd nodes first, then the NATS servers: stopped in that order
TARGET_PORTS=""        # chatbench's --port and --server-pid when not SERVER_PORT / SERVER_PID
TARGET_PIDS=""

log() { printf '== %s\n' "$*" >&2; }

# --- cleanup: stop only what this script started ------------------------------------------
stop_pid() {  # PID: SIGTERM, up to 10 s, then SIGKILL; reaped
  if kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$1" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$1" 2>/dev/null; then kill -KILL "$1" 2>/dev/null || true; fi
  fi
  wait "$1" 2>/dev/null || true
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  stop_pid "$SERVER_PID"
  SERVER_PID=""
}
# The chatd nodes go before NATS, so that none of them spends its last seconds reconnecting.
stop_cluster() {
  local pid
  for pid in "${CLUSTER_PIDS[@]}"; do stop_pid "$pid"; done
  CLUSTER_PIDS=()
}
cleanup() {
  stop_server
  stop_cluster
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- setup ---------------------------------------------------------------------------------
install_missing() {
  [ "${BENCH_NO_INSTALL:-0}" = 1 ] && return 0
  local pkgs="g++ cmake make libasio-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
    nlohmann-json3-dev libsystemd-dev libjemalloc-dev libnats-dev libssl-dev pkgconf openssl redis-server nats-server jq util-linux iproute2"
  local missing="" p
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  log "installing:$missing"
  local as_root=""
  [ "$(id -u)" -eq 0 ] || as_root=sudo
  $as_root apt-get update
  # shellcheck disable=SC2086  # the package list is meant to split
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
  # The packages enable system services; this script runs its own instances only.
}

build() {
  [ "${BENCH_NO_BUILD:-0}" = 1 ] && return 0
  log "building chatd and chatbench in $BUILD"
  nice cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCHATD_BUILD_TESTS=OFF >/dev/null
  nice cmake --build "$BUILD" --target chatd chatbench -j"$(nproc)"
}

raise_fd_limit() {
  local hard
  hard=$(ulimit -Hn)
  ulimit -n "$hard" 2>/dev/null || true
}

# --- servers -------------------------------------------------------------------------------
port_in_use() { [ -n "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]; }

free_port() {  # [PORTS TO AVOID...]: picked together, none listens yet
  local p
  for _ in $(seq 1 200); do
    p=$((15000 + RANDOM % 17000))   # below the ephemeral range (32768..)
    case " $* " in *" $p "*) continue ;; esac
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  echo "no free port found" >&2
  return 1
}

free_ports() {  # N: N distinct free ports, one per line
  local picked=() i
  for i in $(seq 1 "$1"); do picked+=("$(free_port "${picked[@]}")"); done
  printf '%s\n' "${picked[@]}"
}

wait_listening() {  # port pid [log]
  local port=$1 pid=$2 logf=${3:-$WORK/server.log}
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { echo "server exited at start; its log:" >&2; cat "$logf" >&2; return 1; }
    [ -n "$(ss -Htln "( sport = :$port )" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  echo "server did not listen on $port within 10 s" >&2
  return 1
}

chatd_config() {  # file port metrics(on|off|PORT)
  local metrics='""'
  METRICS_PORT=""
  case "$3" in
    on) METRICS_PORT=$(free_port "$2") ;;
    off) ;;
    *) METRICS_PORT=$3 ;;
  esac
  [ -z "$METRICS_PORT" ] || metrics="127.0.0.1:$METRICS_PORT"
  cat >"$1" <<EOF
# chatd for benchmarks: flood control and connection limits out of the way, no default room.
listen:
  chat: 127.0.0.1:$2
  metrics: $metrics
${CHATD_EXTRA_LISTEN:-}
log:
  level: warn
limits:
  max_connections: 19900
  max_connections_per_ip: 19900
  rate: 1000000
  burst: 1000000
  idle_timeout: 0
  register_timeout: 10m
  max_rooms_per_client: 1000
${CHATD_EXTRA_LIMITS}
rooms:
  default: ""
  history_replay: 0
${CHATD_EXTRA_ROOMS}
${CHATD_EXTRA_TOP}
EOF
}

# start_server TARGET [metrics on|off] -> SERVER_PID, SERVER_PORT, SERVER_CMD
start_server() {
  local target=$1 metrics=${2:-on}
  SERVER_PORT=$(free_port)
  case "$target" in
    chatd)
      chatd_config "$WORK/chatd.yaml" "$SERVER_PORT" "$metrics"
      SERVER_CMD="taskset -c $SERVER_CPU ${CHATD#"$ROOT"/} --config chatd.yaml"
      setsid taskset -c "$SERVER_CPU" "$CHATD" --config "$WORK/chatd.yaml" >"$WORK/server.log" 2>&1 &
      ;;
    redis)
      SERVER_CMD="taskset -c $SERVER_CPU redis-server --port $SERVER_PORT --save \"\" --appendonly no --bind 127.0.0.1 --protected-mode no --maxclients 19900"
      setsid taskset -c "$SERVER_CPU" redis-server --port "$SERVER_PORT" --save "" --appendonly no \
        --bind 127.0.0.1 --protected-mode no --maxclients 19900 --logfile "$WORK/server.log" &
      ;;
    nats)
      SERVER_CMD="GOMAXPROCS=1 taskset -c $SERVER_CPU nats-server -a 127.0.0.1 -p $SERVER_PORT"
      GOMAXPROCS=1 setsid taskset -c "$SERVER_CPU" nats-server -a 127.0.0.1 -p "$SERVER_PORT" \
        -l "$WORK/server.log" &
      ;;
  esac
  SERVER_PID=$!
  wait_listening "$SERVER_PORT" "$SERVER_PID"
}

# --- one chatbench run ---------------------------------------------------------------------
# bench SCENARIO TARGET LIMIT_SECONDS [chatbench args...]: appends the JSON line to
# $RESULTS/SCENARIO.jsonl, the summary goes to the terminal, the command to commands.
bench() {
  local scenario=$1 target=$2 limit=$3
  shift 3
  local args=(--target "$target" --port "${TARGET_PORTS:-$SERVER_PORT}"
    --server-pid "${TARGET_PIDS:-$SERVER_PID}" "$@")
  printf '%s &\ntaskset -c %s %s %s\n' "$SERVER_CMD" "$GEN_CPU" "${CHATBENCH#"$ROOT"/}" "${args[*]}" \
    >>"$RESULTS/$scenario.commands"
  local label="" a prev=""
  for a in "$@"; do
    [ "$prev" = --label ] && label=$a
    prev=$a
  done
  local rc=0
  timeout -k 5 "$limit" setsid taskset -c "$GEN_CPU" "$CHATBENCH" "${args[@]}" >"$WORK/out.json" || rc=$?
  if [ -s "$WORK/out.json" ]; then
    cat "$WORK/out.json" >>"$RESULTS/$scenario.jsonl"
  else
    jq -cn --arg t "$target" --arg s "$scenario" --arg l "$label" --argjson rc "$rc" \
      '{tool:"chatbench",target:$t,label:$l,ok:false,error:("chatbench exited \($rc) without a result"),scenario:$s}' \
      >>"$RESULTS/$scenario.jsonl"
  fi
  [ "$rc" -eq 0 ] || echo "   (chatbench exit status $rc)" >&2
}

load_limit() { echo $((SECS + WARMUP + 120)); }

fresh() {  # scenario: start its result files anew
  : >"$RESULTS/$1.jsonl"
  : >"$RESULTS/$1.commands"
}

scenario_fanout() {
  fresh fanout
  local i t
  for i in $(seq 1 "$REPEAT"); do
    for t in $TARGETS; do
      log "fan-out: $t (run $i of $REPEAT)"
      start_server "$t"
      bench fanout "$t" "$(load_limit)" --rooms 1 --subscribers 200 --publishers 2 --size 64 \
        --window 128 --warmup "$WARMUP" --duration "$SECS" --label "fanout"
      stop_server
    done
  done
}

scenario_latency() {
  fresh latency
  local i t
  for i in $(seq 1 "$REPEAT"); do
    for t in $TARGETS; do
      log "latency: $t at 200 msg/s per publisher (run $i of $REPEAT)"
      start_server "$t"
      bench latency "$t" "$(load_limit)" --rooms 1 --subscribers 200 --publishers 2 --size 64 \
        --rate 200 --window 128 --warmup "$WARMUP" --duration "$SECS" --label "latency"
      stop_server
    done
  done
}

# The rooms sweep: about 2 000 subscribers in total, spread over more and more rooms. The
# targets of one shape run back to back, so what they are compared with ran close in time.
scenario_rooms() {
  fresh rooms
  local i t shape r subs pubs
  for i in $(seq 1 "$REPEAT"); do
    for shape in $ROOM_SHAPES; do
      IFS=: read -r r subs pubs <<<"$shape"
      for t in $TARGETS; do
        log "rooms: $t, $r room(s) x ($subs subscribers + $pubs publisher(s)) (run $i of $REPEAT)"
        start_server "$t"
        bench rooms "$t" $((SECS + WARMUP + 420)) --rooms "$r" --subscribers "$subs" --publishers "$pubs" \
          --size 64 --window 128 --warmup "$WARMUP" --duration "$SECS" --timeout 300 \
          --label "rooms-$r"
        stop_server
      done
    done
  done
}

scenario_idle() {
  fresh idle
  local t
  for t in $TARGETS; do
    log "idle: $t, $IDLE_N connections in $IDLE_ROOMS rooms"
    start_server "$t"
    bench idle "$t" 600 --idle "$IDLE_N" --rooms "$IDLE_ROOMS" --settle 2 --hold 5 \
      --source-addrs 4 --timeout 300 --label "idle"
    stop_server
  done
}

# Memory per room that chatd keeps after its last member left (rooms.keep_empty): a few
# connections create KEPT_ROOMS rooms (/join, M texts of 64 bytes, /part), chatbench waits until
# chatd_rooms_kept_empty and the /rooms total show them all, settles and reads the RSS again.
# M = 0 (empty history) and M = 50 = rooms.history (a full ring); the "active" runs stay in
# every room (one member each) as a reference. A fresh server for each run.
scenario_kept_rooms() {
  fresh kept-rooms
  local conns=$(( (KEPT_ROOMS + 999) / 1000 ))   # max_rooms_per_client 1000 (active runs)
  [ "$conns" -ge 4 ] || conns=4
  CHATD_EXTRA_LIMITS="  max_rooms: $((KEPT_ROOMS > 10000 ? KEPT_ROOMS : 10000))"
  CHATD_EXTRA_ROOMS="  history: 50
  keep_empty: 10m"
  local v kind m extra
  for v in kept:0 kept:50 active:0 active:50; do
    IFS=: read -r kind m <<<"$v"
    extra=()
    [ "$kind" = active ] && extra=(--kept-active)
    log "kept-rooms: chatd, $KEPT_ROOMS rooms with $m message(s) of 64 bytes each, $kind"
    start_server chatd
    bench kept-rooms chatd 90 --kept-rooms "$KEPT_ROOMS" --kept-conns "$conns" --messages "$m" \
      --size 64 --window 128 --metrics-port "$METRICS_PORT" --settle 2 --timeout 60 \
      "${extra[@]}" --label "$kind-$m"
    stop_server
  done
  CHATD_EXTRA_LIMITS=""
  CHATD_EXTRA_ROOMS=""
}

scenario_capacity() {
  fresh capacity
  local t
  for t in $CAP_TARGETS; do
    log "capacity: $t, $CAP_N connections in $IDLE_ROOMS rooms, then one message per room"
    start_server "$t"
    bench capacity "$t" 900 --idle "$CAP_N" --rooms "$IDLE_ROOMS" --settle 2 --hold 5 \
      --verify-fanout --drain 30 --source-addrs 8 --timeout 600 --label "capacity"
    stop_server
  done
}

# Every connection in ONE room. chatd announces joins, parts and quits only in rooms of at most
# rooms.presence_max_members members (default 1000, left at its default here): above that a
# join costs O(1) instead of one event per member, which is what makes this setup linear.
scenario_capacity_one_room() {
  fresh capacity-one-room
  log "capacity-one-room: chatd, $CAP_N connections in one room, then one message to all"
  start_server chatd
  bench capacity-one-room chatd 900 --idle "$CAP_N" --rooms 1 --settle 2 --hold 5 \
    --verify-fanout --drain 30 --source-addrs 8 --timeout 600 --label "capacity-one-room"
  stop_server
}

scenario_metrics_cost() {
  fresh metrics-cost
  local i m
  for i in $(seq 1 "$METRICS_ROUNDS"); do
    for m in on off; do
      log "metrics-cost: chatd fan-out with metrics $m (round $i of $METRICS_ROUNDS)"
      start_server chatd "$m"
      bench metrics-cost chatd "$(load_limit)" --rooms 1 --subscribers 200 --publishers 2 \
        --size 64 --window 128 --warmup "$WARMUP" --duration "$SECS" --label "metrics-$m"
      stop_server
    done
  done
  jq -rs '
    def med: sort | if length == 0 then null else .[(length / 2 | floor)] end;
    (map(select(.label == "metrics-on" and .ok) | .deliveries_per_s)) as $on |
    (map(select(.label == "metrics-off" and .ok) | .deliveries_per_s)) as $off |
    "metrics on:  \($on | map(tostring) | join(" ")) deliveries/s (median \($on | med))",
    "metrics off: \($off | map(tostring) | join(" ")) deliveries/s (median \($off | med))"
  ' "$RESULTS/metrics-cost.jsonl" >&2
}

# tls: the fan-out shape against one chatd with listen.chat_tls, alternating plain and TLS
# clients (a self-signed P-256 certificate; chatbench --tls does not verify it), so the cost of
# TLS per delivery stands beside the plain figure of the same build on the same machine.
scenario_tls() {
  fresh tls
  local i m tls_port
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=chatbench -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
  for i in $(seq 1 "$TLS_ROUNDS"); do
    for m in plain tls; do
      log "tls: chatd fan-out over $m (round $i of $TLS_ROUNDS)"
      tls_port=$(free_port)
      CHATD_EXTRA_LISTEN="  chat_tls: 127.0.0.1:$tls_port" \
        CHATD_EXTRA_TOP=$(printf 'tls:\n  cert: %s\n  key: %s' "$WORK/tls.crt" "$WORK/tls.key") \
        start_server chatd
      wait_listening "$tls_port" "$SERVER_PID"
      if [ "$m" = tls ]; then
        TARGET_PORTS=$tls_port bench tls chatd "$(load_limit)" --tls --rooms 1 --subscribers 200 \
          --publishers 2 --size 64 --window 128 --warmup "$WARMUP" --duration "$SECS" --label "tls"
      else
        bench tls chatd "$(load_limit)" --rooms 1 --subscribers 200 --publishers 2 \
          --size 64 --window 128 --warmup "$WARMUP" --duration "$SECS" --label "plain"
      fi
      stop_server
    done
  done
  jq -rs '
    def med: sort | if length == 0 then null else .[(length / 2 | floor)] end;
    (map(select(.label == "plain" and .ok) | .deliveries_per_s)) as $plain |
    (map(select(.label == "tls" and .ok) | .deliveries_per_s)) as $tls |
    "plain: \($plain | map(tostring) | join(" ")) deliveries/s (median \($plain | med))",
    "tls:   \($tls | map(tostring) | join(" ")) deliveries/s (median \($tls | med))"
  ' "$RESULTS/tls.jsonl" >&2
}

# --- cluster: 3 nats-server (JetStream) + 2 chatd nodes, beside one standalone chatd -------
http_status() {  # port path: the HTTP status from 127.0.0.1, 000 when nothing answers
  curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1$2" || true
}

# wait_until SECONDS WHAT CMD...: polls CMD every 0.2 s; fails saying WHAT after SECONDS.
wait_until() {
  local secs=$1 what=$2 i
  shift 2
  for i in $(seq 1 $((secs * 5))); do
    "$@" && return 0
    sleep 0.2
  done
  echo "not ready after $secs s: $what" >&2
  return 1
}

NATS_MONITOR=()  # the NATS servers' monitoring ports
nats_ready() {
  local m leader="" l
  for m in "${NATS_MONITOR[@]}"; do
    [ "$(http_status "$m" /healthz)" = 200 ] || return 1
    l=$(curl -s --max-time 1 "http://127.0.0.1:$m/jsz" | jq -r '.meta_cluster.leader // empty' 2>/dev/null)
    [ -n "$l" ] || return 1
    [ -z "$leader" ] || [ "$leader" = "$l" ] || return 1   # all name the same leader
    leader=$l
  done
}

NODE_METRICS=()
nodes_healthy() {
  local m
  for m in "${NODE_METRICS[@]}"; do [ "$(http_status "$m" /healthz)" = 200 ] || return 1; done
}

# start_cluster -> TARGET_PORTS, TARGET_PIDS (chatd nodes, comma-separated), NATS_PIDS,
# SERVER_CMD; every PID in CLUSTER_PIDS. GOMAXPROCS=1 as in the nats runs: the servers share
# one core, more Go threads would only contend for it.
start_cluster() {
  local ports i j routes pid nats_urls="" nats_pids=() node_pids=() node_ports=()
  mapfile -t ports < <(free_ports 13)
  NATS_MONITOR=("${ports[2]}" "${ports[5]}" "${ports[8]}")
  for i in 0 1 2; do
    routes=""
    for j in 0 1 2; do
      [ "$j" = "$i" ] || routes="$routes${routes:+, }nats-route://127.0.0.1:${ports[3 * j + 1]}"
    done
    mkdir -p "$WORK/nats-n$((i + 1))"
    cat >"$WORK/nats-n$((i + 1)).conf" <<EOF
server_name: n$((i + 1))
listen: 127.0.0.1:${ports[3 * i]}
http: 127.0.0.1:${ports[3 * i + 2]}
jetstream { store_dir: "$WORK/nats-n$((i + 1))", max_memory_store: 256MB, max_file_store: 2GB }
cluster { name: chatbench, listen: 127.0.0.1:${ports[3 * i + 1]}, routes: [$routes] }
EOF
    GOMAXPROCS=1 setsid taskset -c "$NATS_CPU" nats-server --config "$WORK/nats-n$((i + 1)).conf" \
      -l "$WORK/nats-n$((i + 1)).log" &
    pid=$!
    nats_pids+=("$pid")
    CLUSTER_PIDS+=("$pid")
    wait_listening "${ports[3 * i]}" "$pid" "$WORK/nats-n$((i + 1)).log"
    nats_urls="$nats_urls${nats_urls:+, }\"nats://127.0.0.1:${ports[3 * i]}\""
  done
  wait_until 30 "NATS /healthz 200 and one meta leader in /jsz" nats_ready ||
    { tail -n 20 "$WORK"/nats-n*.log >&2; return 1; }
  NODE_METRICS=()
  for i in 1 2; do
    node_ports+=("${ports[7 + 2 * i]}")
    NODE_METRICS+=("${ports[8 + 2 * i]}")
    CHATD_EXTRA_TOP="cluster: {nats: [$nats_urls], node: n$i, replicas: 3, prefix: bench}"
    chatd_config "$WORK/chatd-n$i.yaml" "${ports[7 + 2 * i]}" "${ports[8 + 2 * i]}"
    setsid taskset -c "$SERVER_CPU" "$CHATD" --config "$WORK/chatd-n$i.yaml" >"$WORK/chatd-n$i.log" 2>&1 &
    pid=$!
    node_pids+=("$pid")
    CLUSTER_PIDS=("$pid" "${CLUSTER_PIDS[@]}")
    wait_listening "${ports[7 + 2 * i]}" "$pid" "$WORK/chatd-n$i.log"
  done
  CHATD_EXTRA_TOP=""
  wait_until 60 "chatd nodes' /healthz 200" nodes_healthy ||
    { tail -n 20 "$WORK"/chatd-n*.log >&2; return 1; }
  TARGET_PORTS=$(IFS=,; echo "${node_ports[*]}")
  TARGET_PIDS=$(IFS=,; echo "${node_pids[*]}")
  NATS_PIDS=$(IFS=,; echo "${nats_pids[*]}")
  # For the commands file; bench() adds the last " &". chatbench starts once all are healthy.
  SERVER_CMD=""
  for i in 1 2 3; do
    SERVER_CMD+="GOMAXPROCS=1 taskset -c $NATS_CPU nats-server --config nats-n$i.conf &  # JetStream, routes to the other two"$'\n'
  done
  SERVER_CMD+="taskset -c $SERVER_CPU ${CHATD#"$ROOT"/} --config chatd-n1.yaml &  # cluster: {nats: [...], node: n1, replicas: 3, prefix: bench}"$'\n'
  SERVER_CMD+="taskset -c $SERVER_CPU ${CHATD#"$ROOT"/} --config chatd-n2.yaml"
}

# The three shapes, on a standalone chatd and then on the cluster: LABEL ARGS...
# The unlimited shapes find each side's ceiling; the fixed-rate ones put both sides under the
# same load, where CPU per delivery compares (a server below its ceiling writes fewer
# messages per write, so unlimited figures at different rates do not).
CLUSTER_SHAPES=(
  "fanout --rooms 1 --subscribers 200 --publishers 2"
  "rooms-100 --rooms 100 --subscribers 10 --publishers 1"
  "fanout-5000 --rooms 1 --subscribers 200 --publishers 2 --rate 2500"
  "rooms-100-at-200 --rooms 100 --subscribers 10 --publishers 1 --rate 200"
  "latency --rooms 1 --subscribers 200 --publishers 2 --rate 200"
)

scenario_cluster() {
  fresh cluster
  local shape label args i
  for i in $(seq 1 "$REPEAT"); do
    for shape in "${CLUSTER_SHAPES[@]}"; do
      read -r label args <<<"$shape"
      case " ${CLUSTER_ONLY:-$label} " in *" $label "*) ;; *) continue ;; esac
      log "cluster: standalone chatd, $label (run $i of $REPEAT)"
      start_server chatd
      # shellcheck disable=SC2086  # the shape's arguments are meant to split
      bench cluster chatd "$(load_limit)" $args --size 64 --window 128 --warmup "$WARMUP" \
        --duration "$SECS" --timeout 120 --label "standalone-$label"
      stop_server
      log "cluster: 2 chatd nodes over 3 NATS servers (replicas 3), $label (run $i of $REPEAT)"
      start_cluster
      # shellcheck disable=SC2086
      bench cluster chatd "$(load_limit)" $args --size 64 --window 128 --warmup "$WARMUP" \
        --duration "$SECS" --timeout 120 --peer-pid "$NATS_PIDS" --label "cluster-$label"
      stop_cluster
      TARGET_PORTS=""
      TARGET_PIDS=""
    done
  done
  log "cluster results (chatd nodes on core $SERVER_CPU, NATS on core $NATS_CPU, chatbench on core $GEN_CPU):"
  cluster_table >&2
  cluster_floors >&2
}

# --- docs/benchmarks.md --------------------------------------------------------------------
# jq definitions shared by the tables and the goals. "limited by" is the verdict on one
# unlimited run: the server used >= 95 % of its core ("server"), else the generator used
# >= 90 % of its own ("generator"), else neither, with what they were waiting for.
# shellcheck disable=SC2016  # jq code: its $names are jq's
JQ_DEFS='
def ms: if . == null then "—" elif . >= 1000 then "\((. / 10 | round) / 100) ms" else "\(. | round) µs" end;
def pct: if . == null then "—" else "\((. * 100) | round) %" end;
def grp: tostring | if length <= 3 then . else (.[0:length - 3] | grp) + " " + .[length - 3:] end;
def num: if . == null then "—" else round | grp end;
def usd: if . == null or . == 0 then "—"
  else (1e9 / . | round) as $n | "\($n / 1000 | floor).\($n % 1000 + 1000 | tostring | .[1:]) µs" end;
def waits:
  (.window // "?") as $w |
  [ (.generator.server_cpu_wait_share // 0 | select(. >= 0.05) | "server \(pct)"),
    (.generator.cpu_wait_share // 0 | select(. >= 0.05) | "generator \(pct)") ]
  | if length == 0 then "on round trips of the \($w)-publish window"
    else "for a core, " + join(", ") end;
def limited:
  if (.ok | not) then "—"
  elif (.rate_per_publisher // 0) > 0 then "— (fixed rate)"
  elif .generator.server_cpu_share == null then "? (no server CPU figure)"
  elif .generator.server_cpu_share >= 0.95 then "server"
  elif .generator.cpu_share >= 0.90 then "generator"
  else "neither (waiting: \(waits))" end;
def runs($t; $l): map(select(.target == $t and .ok and ($l == "" or .label == $l)));
def median: sort | if length == 0 then null else .[(length / 2 | floor)] end;
def medrun: sort_by(.deliveries_per_s) | if length == 0 then null else .[(length / 2 | floor)] end;
'

# med SCENARIO TARGET JQ-PATH [LABEL]: the median of a field over that target's good runs.
med() {
  local f="$RESULTS/$1.jsonl"
  [ -s "$f" ] || { echo null; return; }
  jq -s --arg t "$2" --arg l "${4:-}" "$JQ_DEFS runs(\$t; \$l) | map($3) | median" "$f"
}

# verdict SCENARIO TARGET [LABEL]: "limited by" of the median run (by deliveries/s); null if none.
verdict() {
  local f="$RESULTS/$1.jsonl"
  [ -s "$f" ] || { echo null; return; }
  jq -rs --arg t "$2" --arg l "${3:-}" "$JQ_DEFS runs(\$t; \$l) | medrun | if . == null then \"null\" else limited end" "$f"
}

fmt_int() {  # 1234567 -> 1 234 567
  if [ "$1" = null ]; then echo "—"; return; fi
  printf '%.0f' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\| \)/\1 \2\3/; ta'
}
fmt_us() {
  if [ "$1" = null ]; then echo "—"; return; fi
  awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f ms", v / 1000; else printf "%.0f µs", v }'
}
fmt_kib() {
  if [ "$1" = null ]; then echo "—"; return; fi
  awk -v v="$1" 'BEGIN { printf "%.2f KiB", v / 1024 }'
}
fmt_s() {
  if [ "$1" = null ]; then echo "—"; return; fi
  awk -v v="$1" 'BEGIN { printf "%.2f s", v }'
}
# Server CPU µs per delivery from deliveries per server CPU-second.
fmt_usd() {
  if [ "$1" = null ] || [ "$1" = 0 ]; then echo "—"; return; fi
  awk -v v="$1" 'BEGIN { printf "%.3f µs", 1e6 / v }'
}
fmt_ratio() { if [ "$1" = null ]; then echo "—"; else echo "${1}x"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b == 0) print "null"; else printf "%.2f", a / b }'; }
# at_most VALUE LIMIT / at_least VALUE LIMIT: "met" or "not met" (or "not run" without a value).
at_most() { awk -v v="$1" -v l="$2" 'BEGIN { if (v == "null") print "not run"; else if (v + 0 <= l + 0) print "met"; else print "not met" }'; }
at_least() { awk -v v="$1" -v l="$2" 'BEGIN { if (v == "null") print "not run"; else if (v + 0 >= l + 0) print "met"; else print "not met" }'; }

# Per-run table of a load scenario (optionally one label of it).
run_detail_table() {  # scenario [label]
  local f="$RESULTS/$1.jsonl"
  [ -s "$f" ] || return 0
  echo "| target | deliveries/s | server CPU / delivery | bytes / delivery | p50 | p99 | p99.9 | gaps / reorders / lost | generator CPU | server CPU | server queued for CPU | limited by | note |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  jq -r --arg l "${2:-}" "$JQ_DEFS"'
    select($l == "" or .label == $l) |
    if .ok then
      "| \(.target) | \(.deliveries_per_s | num) | \(.deliveries_per_server_cpu_s | usd) | \(.bytes_per_delivery // null | if . == null then "—" else round end) | \(.latency.p50_us | ms) | \(.latency.p99_us | ms) | \(.latency.p999_us | ms) | \(.gaps) / \(.reorders) / \(.lost) | \(.generator.cpu_share | pct) | \(.generator.server_cpu_share | pct) | \(.generator.server_cpu_wait_share | pct) | \(limited) | \(.warning // "") |"
    else
      "| \(.target) | failed | | | | | | | | | | | \(.error) |"
    end' "$f"
}

# The cluster scenario's runs, standalone and cluster side by side per shape. Processes that
# share a core saturate it together (their CPU added): the one that used more of a full core is
# named as the limit. With no core full and every publisher's window full, the runs waited on
# JetStream's store round trip, which an ok in cluster mode includes.
# shellcheck disable=SC2016  # jq code
CLUSTER_JQ='
def chatd_share: [.nodes[]? | .cpu_share // 0] | add // 0;
def nats_share: [.peers[]? | .cpu_share // 0] | add // 0;
def shape: .label | sub("^(standalone|cluster)-"; "");
def is_cluster: (.label // "") | startswith("cluster-");
def cl_limited:
  if (.ok | not) then "—"
  elif (.rate_per_publisher // 0) > 0 then "— (fixed rate)"
  elif (is_cluster | not) then limited
  else chatd_share as $c | nats_share as $n | .generator.cpu_share as $g |
    (if $nats_core == "server" then $n else 0 end) as $ns |
    (if $nats_core == "generator" then $n else 0 end) as $ng |
    if $c + $ns >= 0.95 then
      (if $ns > $c then "NATS" else "chatd" end) + " (server core full: chatd \($c | pct)" +
        (if $ns > 0 then ", NATS \($ns | pct)" else "" end) + ")"
    elif $g >= 0.90 or $g + $ng >= 0.95 then
      (if $ng > $g then "NATS" else "generator" end) + " (generator core full: chatbench \($g | pct)" +
        (if $ng > 0 then ", NATS \($ng | pct)" else "" end) + ")"
    elif $nats_core == "own" and $n >= 0.95 then "NATS (its core full: \($n | pct))"
    elif (.pipeline.mean_in_flight // 0) >= 0.9 * .window then
      "NATS round trips: every publisher window full (\(.pipeline.mean_in_flight) of \(.window) in flight on average), an ok waits for JetStream to store at R3; no core full (server core \($c + $ns | pct), generator core \($g + $ng | pct))"
    else "neither (waiting: \(waits))" end
  end;
def node_us: if . == null then "—" else "\(.) µs" end;
'
nats_core() {  # which core the NATS servers share: server, generator, or their own
  if [ "$NATS_CPU" = "$SERVER_CPU" ]; then echo server
  elif [ "$NATS_CPU" = "$GEN_CPU" ]; then echo generator
  else echo own; fi
}

cluster_table() {
  local f="$RESULTS/cluster.jsonl"
  [ -s "$f" ] || return 0
  # Deliveries per subscriber read: how many messages a node's write to a member carried, which
  # sets much of its CPU per delivery.
  echo "| shape | chatd | deliveries/s | messages/s per room | p50 | p99 | gaps / reorders / lost | chatd CPU per node | CPU / local delivery per node | deliveries / subscriber read | NATS CPU (3 servers) | generator CPU | limited by |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  jq -r --arg nats_core "$(nats_core)" "$JQ_DEFS $CLUSTER_JQ"'
    if .ok then
      "| \(shape) | \(if is_cluster then "2 nodes, 3 NATS, R3" else "standalone" end) | \(.deliveries_per_s | num) | \(.published_per_s / .rooms | num) | \(.latency.p50_us | ms) | \(.latency.p99_us | ms) | \(.gaps) / \(.reorders) / \(.lost) | \([.nodes[] | .cpu_share | pct] | join(" / ")) | \([.nodes[] | .cpu_us_per_delivery | node_us] | join(" / ")) | \(.deliveries_per_read) | \(if .peers then [.peers[] | .cpu_share | pct] | join(" / ") else "—" end) | \(.generator.cpu_share | pct) | \(cl_limited) |"
    else
      "| \(shape) | \(if is_cluster then "2 nodes, 3 NATS, R3" else "standalone" end) | failed: \(.error) | | | | | | | | | | |"
    end' "$f"
}

# The issue's floors, on the median run of each shape: a room at replicas 3 carries >= 5 000
# messages/s (unlimited shapes), and a node's CPU per local delivery is within 1.2x standalone.
cluster_floors() {
  local f="$RESULTS/cluster.jsonl"
  [ -s "$f" ] || return 0
  echo
  echo "| shape | floor | cluster | standalone | result |"
  echo "|---|---|---|---|---|"
  jq -rs --arg nats_core "$(nats_core)" "$JQ_DEFS $CLUSTER_JQ"'
    def verdict($ok): if $ok then "met" else "not met" end;
    map(select(.ok)) | group_by(shape)[] |
    (map(select(is_cluster)) | medrun) as $c | (map(select(is_cluster | not)) | medrun) as $s |
    select($c != null) |
    (if ($c.rate_per_publisher // 0) == 0 then
      ($c.published_per_s / $c.rooms) as $pr |
      "| \($c | shape) | ≥ 5 000 messages/s per room at replicas 3 | \($pr | num) (limited by: \($c | cl_limited)) | \(if $s then ($s.published_per_s / $s.rooms | num) else "—" end) | \(verdict($pr >= 5000)) |"
     else empty end),
    ([$c.nodes[] | .cpu_us_per_delivery // empty] | max) as $cu |
    ($s.nodes[0].cpu_us_per_delivery // null) as $su |
    # Equal load: both fixed-rate runs carried what was offered (within 5 %).
    (($c.rate_per_publisher // 0) > 0 and $s != null and
     ($c.published_per_s >= 0.95 * $c.rate_per_publisher * $c.publishers_per_room * $c.rooms) and
     ($s.published_per_s >= 0.95 * $s.rate_per_publisher * $s.publishers_per_room * $s.rooms)) as $equal |
    "| \($c | shape) | CPU per local delivery on a node ≤ 1.2x standalone | \($cu | node_us) (worst node) | \($su | node_us) | \(if $cu == null or $su == null then "not run" elif $equal | not then "— (\(($cu / $su * 100 | round) / 100)x at unequal load: the floor is judged at a fixed rate both sides carry)" else "\(verdict($cu <= 1.2 * $su)) (\(($cu / $su * 100 | round) / 100)x)" end) |"
  ' "$f"
}

# The throughput goal holds only where chatd is the saturated side.
throughput_goal() {  # ratio chatd-verdict
  local r=$1 v=$2
  if [ "$r" = null ] || [ "$v" = null ]; then echo "not run"; return; fi
  case "$v" in
    server) echo "$(at_least "$r" 1.5) (${r}x)" ;;
    generator) echo "not a goal here: the generator limited chatd (${r}x)" ;;
    *) echo "not a goal here: chatd was not saturated (${r}x)" ;;
  esac
}

# Two goal rows (server CPU per delivery, deliveries/s) for one load point against redis-server.
goal_rows() {  # scenario label description
  local sc=$1 lb=$2 desc=$3
  local ec er en dc dr dn vc cpu_r thr_r
  ec=$(med "$sc" chatd .deliveries_per_server_cpu_s "$lb")
  er=$(med "$sc" redis .deliveries_per_server_cpu_s "$lb")
  en=$(med "$sc" nats .deliveries_per_server_cpu_s "$lb")
  dc=$(med "$sc" chatd .deliveries_per_s "$lb")
  dr=$(med "$sc" redis .deliveries_per_s "$lb")
  dn=$(med "$sc" nats .deliveries_per_s "$lb")
  vc=$(verdict "$sc" chatd "$lb")
  cpu_r=$(ratio "$er" "$ec")   # (1 / ec) / (1 / er): chatd's CPU per delivery over redis-server's
  thr_r=$(ratio "$dc" "$dr")
  local g_cpu="not run"
  [ "$cpu_r" = null ] || g_cpu="$(at_most "$cpu_r" 0.6) (${cpu_r}x)"
  echo "| $desc | server CPU per delivery | $(fmt_usd "$ec") | $(fmt_usd "$er") | $(fmt_usd "$en") | ≤ 0.6x redis-server's | $g_cpu |"
  echo "| same runs (chatd limited by: ${vc/null/—}) | deliveries/s | $(fmt_int "$dc") | $(fmt_int "$dr") | $(fmt_int "$dn") | ≥ 1.5x redis-server's where chatd is saturated | $(throughput_goal "$thr_r" "$vc") |"
}

# The rooms sweep's points present in the results, in order of rooms: "label rooms subs pubs".
room_points() {
  local f="$RESULTS/rooms.jsonl"
  [ -s "$f" ] || return 0
  jq -rs 'map(select(.label != null and .label != "")) | group_by(.label)
    | map((map(select(.rooms != null)) | first) // first)
    | sort_by(.label | ltrimstr("rooms-") | tonumber? // 0)[]
    | "\(.label) \(.rooms // "?") \(.subscribers_per_room // "?") \(.publishers_per_room // "?")"' "$f"
}

point_text() {  # rooms subs pubs
  local rooms_word=rooms pub_word=publishers
  [ "$1" = 1 ] && rooms_word=room
  [ "$3" = 1 ] && pub_word=publisher
  echo "$(fmt_int "$1") $rooms_word x ($(fmt_int "$2") subscribers + $3 $pub_word)"
}

rooms_summary_table() {
  local lb r subs pubs ec er dc dr vc vr cpu_r thr_r g_cpu
  echo "| point | server CPU / delivery: chatd | redis-server | chatd / redis (goal ≤ 0.6) | deliveries/s: chatd | redis-server | chatd / redis (goal ≥ 1.5 where chatd is saturated) | chatd limited by | redis-server limited by |"
  echo "|---|---|---|---|---|---|---|---|---|"
  while read -r lb r subs pubs; do
    ec=$(med rooms chatd .deliveries_per_server_cpu_s "$lb")
    er=$(med rooms redis .deliveries_per_server_cpu_s "$lb")
    dc=$(med rooms chatd .deliveries_per_s "$lb")
    dr=$(med rooms redis .deliveries_per_s "$lb")
    vc=$(verdict rooms chatd "$lb"); vr=$(verdict rooms redis "$lb")
    cpu_r=$(ratio "$er" "$ec"); thr_r=$(ratio "$dc" "$dr")
    g_cpu="—"
    [ "$cpu_r" = null ] || g_cpu="$(at_most "$cpu_r" 0.6) (${cpu_r}x)"
    echo "| $(point_text "$r" "$subs" "$pubs") | $(fmt_usd "$ec") | $(fmt_usd "$er") | $g_cpu | $(fmt_int "$dc") | $(fmt_int "$dr") | $(throughput_goal "$thr_r" "$vc") | ${vc/null/—} | ${vr/null/—} |"
  done < <(room_points)
}

write_doc() {
  local cpu kernel nproc mem redis_v nats_v chatd_v
  cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
  kernel=$(uname -sr)
  nproc=$(nproc)
  mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  redis_v=$(redis-server --version 2>/dev/null | sed 's/^Redis server v=\([^ ]*\).*/\1/' || echo "?")
  nats_v=$(nats-server --version 2>/dev/null | sed 's/^nats-server: v//' || echo "?")
  chatd_v=$("$CHATD" --version 2>/dev/null | sed 's/^chatd //' || echo "?")
  local commit s
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")

  # Headline figures: medians over the runs of each scenario; every "met" below is computed.
  local l50_c l50_r l50_n l99_c l99_r l99_n
  l50_c=$(med latency chatd .latency.p50_us); l50_r=$(med latency redis .latency.p50_us)
  l50_n=$(med latency nats .latency.p50_us)
  l99_c=$(med latency chatd .latency.p99_us); l99_r=$(med latency redis .latency.p99_us)
  l99_n=$(med latency nats .latency.p99_us)
  local g_l50="not run" g_l99="not run"
  [ "$l50_c" = null ] || [ "$l50_r" = null ] || g_l50="$(at_most "$l50_c" "$l50_r") ($(ratio "$l50_c" "$l50_r")x)"
  [ "$l99_c" = null ] || [ "$l99_r" = null ] || g_l99="$(at_most "$l99_c" "$l99_r") ($(ratio "$l99_c" "$l99_r")x)"

  # Admission and memory.
  local i_conns i_rooms is_c is_r is_n im_c im_r im_n
  i_conns=$(med idle chatd .connections); i_rooms=$(med idle chatd .rooms)
  is_c=$(med idle chatd .setup_s); is_r=$(med idle redis .setup_s); is_n=$(med idle nats .setup_s)
  im_c=$(med idle chatd .bytes_per_connection_end); im_r=$(med idle redis .bytes_per_connection_end)
  im_n=$(med idle nats .bytes_per_connection_end)
  local g_adm_idle="not run" g_mem="not run"
  if [ "$is_c" != null ]; then
    if [ "$i_conns" = 10000 ] && [ "$i_rooms" = 100 ]; then
      g_adm_idle="$(at_most "$is_c" 2) ($(fmt_s "$is_c"))"
    else
      g_adm_idle="not comparable: this run had $(fmt_int "$i_conns") connections in $i_rooms rooms"
    fi
  fi
  if [ "$im_c" != null ]; then
    g_mem=$(at_most "$im_c" 2048)
    g_mem="$g_mem ($(awk -v v="$im_c" 'BEGIN { d = 2048 - v; printf "%.2f KiB %s the limit, %.0f %% of it", (d < 0 ? -d : d) / 1024, (d < 0 ? "above" : "below"), v * 100 / 2048 }'))"
  fi
  local c_held c_all c_n c_rooms c_setup c_bpc g_cap="not run" cap_c="—"
  c_held=$(med capacity chatd .ready); c_all=$(med capacity chatd '.fanout.all')
  c_rooms=$(med capacity chatd .rooms)
  c_n=$(med capacity chatd .connections); c_setup=$(med capacity chatd .setup_s)
  c_bpc=$(med capacity chatd .bytes_per_connection)
  if [ "$c_held" != null ]; then
    cap_c="$(fmt_s "$c_setup"); $(fmt_int "$c_held") of $(fmt_int "$c_n") held, fan-out to all: $c_all, $(fmt_kib "$c_bpc")/conn"
    if [ "$c_n" != 19000 ] || [ "$c_rooms" != 100 ]; then
      g_cap="not comparable: this run had $(fmt_int "$c_n") connections in $c_rooms rooms"
    elif [ "$c_held" = 19000 ] && [ "$c_all" = true ]; then
      g_cap="$(at_most "$c_setup" 5) ($(fmt_s "$c_setup"))"
    else
      g_cap="not met (not all held or reached)"
    fi
  fi
  local k_n k_e k_f k_payload kept_c="—"
  k_n=$(med kept-rooms chatd .rooms kept-0)
  k_e=$(med kept-rooms chatd .bytes_per_room kept-0)
  k_f=$(med kept-rooms chatd .bytes_per_room kept-50)
  k_payload=$(med kept-rooms chatd .payload_bytes_per_room kept-50)
  if [ "$k_e" != null ] || [ "$k_f" != null ]; then
    kept_c="empty history $(fmt_int "$k_e") bytes; 50 x 64-byte history $(fmt_int "$k_f") bytes (payload $(fmt_int "$k_payload"))"
  elif [ -s "$RESULTS/kept-rooms.jsonl" ]; then
    kept_c="failed: $(jq -rs 'map(select(.ok | not) | .error) | first // "?"' "$RESULTS/kept-rooms.jsonl")"
  fi
  local o_held o_all o_n o_setup one_c="—"
  o_held=$(med capacity-one-room chatd .ready); o_all=$(med capacity-one-room chatd '.fanout.all')
  o_n=$(med capacity-one-room chatd .connections); o_setup=$(med capacity-one-room chatd .setup_s)
  if [ "$o_held" != null ]; then
    one_c="$(fmt_s "$o_setup"); $(fmt_int "$o_held") of $(fmt_int "$o_n") held, fan-out to all: $o_all"
  elif [ -s "$RESULTS/capacity-one-room.jsonl" ]; then
    one_c="failed: $(jq -rs 'map(select(.ok | not) | .error) | first // "?"' "$RESULTS/capacity-one-room.jsonl")"
  fi

  local measured warm runs
  measured=$(med fanout chatd .measured_s); warm=$(med fanout chatd .warmup_s)
  runs=$( [ -s "$RESULTS/fanout.jsonl" ] && jq -s 'map(select(.target == "chatd")) | length' "$RESULTS/fanout.jsonl" || echo 0)

  {
    cat <<'TEMPLATE'
# Benchmarks

chatd's design point is one thread serving thousands of clients. These benchmarks measure it
beside what a user would otherwise pick for chat-style fan-out, Redis pub/sub (`redis-server`)
and NATS (`nats-server`), with the same load generator, on the same machine, in the same run.

This file is written by `bench/run.sh` (rerun it to reproduce); only the "Notes" section at
the end is kept by hand.

## How it is measured

`bench/chatbench` (built with the project, `cmake --build build --target chatbench`) is a
single-threaded Asio load generator. It speaks chatd's JSON mode, Redis RESP pub/sub and the
NATS text protocol through the same code path (one adapter per protocol, see `bench/protocol_*.cpp`):

| | chatd | redis-server | nats-server |
|---|---|---|---|
| subscriber | `/format json`, `/nick`, `/join ROOM`; ready on the join ok | `SUBSCRIBE channel`; ready on its confirmation | `CONNECT`, `SUB subject sid`, `PING`; ready on the PONG |
| publisher | joins the room too (a chatd client must be a member to speak), then sends plain lines | `PUBLISH channel payload` | `PUB subject n` |
| publish acknowledged by | the `ok` `say` reply (carries the room seq) | PUBLISH's integer reply | a `PING` after each batch of publishes; its PONG acknowledges the batch |
| order checked with | the room `seq` of every `msg` | a per-publisher sequence number in the payload | the same |

- **Shape:** R rooms x S subscribers + P publishers per room (`--rooms --subscribers --publishers`).
  On chatd the publishers are room members, so each also receives the other publishers' messages;
  those deliveries are counted apart (`publisher_deliveries`) and are **not** in deliveries/s, which
  counts only subscriber deliveries on every target (so chatd does a little more work per message).
- **Payload:** `--size` bytes of text (64 here) carrying the steady-clock send time in ns, the
  publisher id and its sequence number in fixed-width hex, padded with `x`.
- **Load:** unlimited (each publisher keeps `--window` = 128 publishes unacknowledged and refills
  the window after every read that acknowledged some) or a fixed `--rate` per publisher (schedules
  spread evenly over the publishers). No adapter waits for a reply before the next publish: a
  refill goes out in one socket write, as a pipelining client (`redis-benchmark -P`, the NATS
  clients' buffered writer) would send it. The JSON's `pipeline` object shows it per run:
  publishes per write, acknowledgements per read and the publishes in flight on average.
- **Latency:** receive time minus the send time in the payload, same clock, one clock read per read
  call; recorded at every subscriber during the measured window only, in an HDR-style histogram
  (< 0.4 % bucket error).
- **Window:** `--warmup` seconds of load, then `--duration` measured seconds, then publishing stops
  and up to `--drain` seconds are allowed for everything published to arrive. `lost` counts
  messages published but not received by the end; `gaps`/`reorders` come from the sequence numbers.
- **CPU:** chatbench reads its own CPU time (getrusage) and the server's (`/proc/PID/stat`,
  `--server-pid`) at the start and end of the measured window; "generator CPU" and "server CPU"
  are those times as a share of one core. "Server queued for CPU" is the share of the window the
  server was runnable but not running (`/proc/PID/task/*/schedstat`): other work had its core.
- **Server CPU / delivery:** server CPU time over the window divided by the deliveries in it
  (1e6 / `deliveries_per_server_cpu_s`, in µs). It does not depend on who limited the throughput,
  so it is the headline comparison wherever the generator (or a busy machine) held a run back.
- **Bytes / delivery:** the bytes the subscribers read during the window divided by the deliveries
  in it (`bytes_per_delivery`): each protocol's framing of the same 64-byte text.
- **Limited by:** for every unlimited run, computed from its figures: "server" if the server used
  ≥ 95 % of its core; else "generator" if chatbench used ≥ 90 % of its own (it then also warns
  "generator may be the bottleneck"); else "neither", with what they waited for: a core (the
  share of the window each queued for one, when ≥ 5 %), or, when neither queued, the round
  trips of the publish window. A server whose CPU and queued shares add up to about 100 % wanted
  its core all the time: CPU-bound, on a core that other work shared. Deliveries/s of two
  servers compare only where both were the limiting side; server CPU per delivery compares
  either way.
- **Rooms sweep:** about 2 000 subscribers in total over 1, 10, 100 and 1 000 rooms: 1 x 2 000 with
  2 publishers, 10 x 200 with 2, 100 x 20 with 1 and 1 000 x 2 with 1 publisher per room; window
  128, 64-byte texts, the fan-out scenario's warmup and duration; the targets of one point run
  back to back.
- **Idle / capacity:** `--idle N --rooms R` opens N registered connections spread round-robin over R
  rooms (sources spread over 127.0.0.1..127.0.0.k so no address runs out of ephemeral ports), at
  most 256 being set up at once, waits until every one is joined/subscribed (the setup time),
  waits `--settle` seconds, reads the server's VmRSS, holds them for `--hold` seconds and reads it
  again. RSS growth per connection is (RSS - RSS before the first connect) / N on a freshly
  started server; the table's headline uses the reading after the hold (Redis trims idle
  clients' buffers in its periodic cron, so its figure falls during the first seconds).
  `--verify-fanout` then connects one more client that publishes one message in every room (on
  chatd: joins every room and says it in each) and checks that every one of the N connections
  receives it.
- **Kept empty rooms:** chatd only. `--kept-rooms R` (R = 10 000, chatd's default
  `limits.max_rooms`): a few registered connections (`--kept-conns`, R / 1000 and at least 4)
  are connected and idle when the server's VmRSS is read, then create the rooms between them:
  `/join ROOM`, `--messages` M plain lines of 64 bytes in it, `/part ROOM`, all pipelined with
  at most `--window` 128 lines unanswered per connection and every answer awaited (chatd answers
  in order, a `/part` after the `ok` of each text). chatbench then polls `/rooms * 1` (its
  `total` counts kept rooms) and the metrics endpoint until the total is R and
  `chatd_rooms_kept_empty` is R, waits `--settle` 2 s and reads VmRSS again: bytes per kept room
  = (RSS after - RSS before) / R. M = 0 keeps an empty history, M = 50 = `rooms.history` a full
  ring (raw payload 50 x 64 = 3 200 bytes per room). The "active" runs (`--kept-active`) do the
  same without the `/part`s: every room keeps one member, for comparison. A fresh server per
  run, with `limits.max_rooms: 10000`, `rooms.history: 50` and `rooms.keep_empty: 10m` added
  to the configuration below. RSS growth includes what the allocator keeps after the creation
  burst, so it is an upper bound on what the rooms hold.
- **Capacity in one room:** the same with all N connections in ONE room (`--rooms 1`), chatd only.
  It relies on `rooms.presence_max_members` (default 1000, which the benchmark configuration
  leaves as it is): in a room above that size chatd stops sending join, part and quit events, so
  a join no longer costs one event per member and setting up N members is no longer O(N²).
- **Output:** one JSON line on stdout per run (kept in `build-bench/bench-results/*.jsonl`) and a
  human summary on stderr. Exit status 2 means the run failed (for instance an error line from
  chatd, or a refused connection), 3 that a capacity fan-out did not reach everyone.

**Servers.** Each run starts a fresh server on a free loopback port, pinned with `taskset` to one
core; chatbench runs pinned to the other. redis-server runs with persistence off, nats-server with
`GOMAXPROCS=1` (Go would otherwise spread over both cores). chatd runs with the configuration below,
which moves flood control and the per-address limit out of the way (the benchmark clients send far
more than 10 messages/s each, all from loopback), turns off the default room (so the benchmark
rooms are the only load) and logs at `warn`; its other limits, the 1 MiB outbound queue per client
included, are the defaults, and so is `rooms.presence_max_members`. The metrics endpoint is on,
as by default, except in the metrics-cost runs with metrics off.

```yaml
listen: {chat: 127.0.0.1:PORT, metrics: 127.0.0.1:PORT2}   # metrics: "" in the metrics-off runs
log: {level: warn}
limits: {max_connections: 19900, max_connections_per_ip: 19900, rate: 1000000, burst: 1000000,
         idle_timeout: 0, register_timeout: 10m, max_rooms_per_client: 1000}
rooms: {default: "", history_replay: 0}
```

**Reading the numbers.** The machine is small and may be shared: a busy second core slows the
generator and the servers alike. Compare the targets within one run (that is what the goals
are about), not against figures from another day, and read the "limited by" column before
comparing deliveries/s: only a run limited by its server measured what the server can do.

TEMPLATE
    echo "## Results"
    echo
    echo "Last written $(date -u '+%Y-%m-%d %H:%M UTC') from commit $commit. Figures are medians over the runs"
    echo "of each target ($runs fan-out run(s) per target, ${measured/null/—} s measured after ${warm/null/—} s of warmup each)."
    echo "Every result is computed from the figures. Server CPU per delivery is the headline wherever"
    echo "the generator limited throughput; the deliveries/s goal counts only where chatd was the"
    echo "saturated side (\"limited by: server\")."
    echo
    echo "| scenario | measure | chatd | redis-server | nats-server | goal for chatd | result |"
    echo "|---|---|---|---|---|---|---|"
    goal_rows fanout "" "fan-out: 1 room x 200 subscribers, 2 publishers, 64-byte text, unlimited"
    local lb r subs pubs
    while read -r lb r subs pubs; do
      goal_rows rooms "$lb" "rooms sweep: $(point_text "$r" "$subs" "$pubs")"
    done < <(room_points)
    echo "| latency: 2 publishers x 200 msg/s into 200 subscribers | p50 | $(fmt_us "$l50_c") | $(fmt_us "$l50_r") | $(fmt_us "$l50_n") | ≤ redis-server's | $g_l50 |"
    echo "| latency, same runs | p99 | $(fmt_us "$l99_c") | $(fmt_us "$l99_r") | $(fmt_us "$l99_n") | ≤ redis-server's | $g_l99 |"
    echo "| admission: $(fmt_int "$i_conns") connections into ${i_rooms/null/—} rooms (idle runs) | setup time | $(fmt_s "$is_c") | $(fmt_s "$is_r") | $(fmt_s "$is_n") | 10 000 into 100 rooms in ≤ 2 s | $g_adm_idle |"
    echo "| admission: $(fmt_int "$c_n") connections into ${c_rooms/null/—} rooms (capacity run) | setup time; held, fan-out | $cap_c | | | 19 000 into 100 rooms in ≤ 5 s, all held, fan-out reaches all | $g_cap |"
    echo "| capacity in one room: $(fmt_int "$o_n") connections, \`--rooms 1\` | setup time; held, fan-out | $one_c | | | (reported; relies on \`rooms.presence_max_members\`) | — |"
    echo "| memory: idle registered connections (idle runs) | server RSS growth / connection (after the hold) | $(fmt_kib "$im_c") | $(fmt_kib "$im_r") | $(fmt_kib "$im_n") | ≤ 2 KiB | $g_mem |"
    echo "| memory: $(fmt_int "$k_n") rooms kept empty (\`rooms.keep_empty\`, kept-rooms runs) | server RSS growth / kept room | $kept_c | | | (reported: its history ring and little else) | — |"
    echo
    if [ -s "$RESULTS/fanout.jsonl" ]; then
      echo "### Fan-out runs (1 room x 200 subscribers, 2 publishers, unlimited)"
      echo
      run_detail_table fanout
      echo
    fi
    if [ -s "$RESULTS/rooms.jsonl" ]; then
      echo "### Rooms sweep"
      echo
      echo "About 2 000 subscribers in total, unlimited, window 128, 64-byte texts. chatd against"
      echo "redis-server, per point (medians):"
      echo
      rooms_summary_table
      echo
      while read -r lb r subs pubs; do
        echo "#### $(point_text "$r" "$subs" "$pubs")"
        echo
        run_detail_table rooms "$lb"
        echo
      done < <(room_points)
    fi
    if [ -s "$RESULTS/latency.jsonl" ]; then
      echo "### Latency runs (200 msg/s per publisher, 80 000 deliveries/s offered)"
      echo
      run_detail_table latency
      echo
    fi
    if [ -s "$RESULTS/idle.jsonl" ]; then
      local settle_s hold_s
      settle_s=2; hold_s=$(med idle chatd .held_s)
      echo "### Idle runs"
      echo
      echo "| target | connections ready | setup | RSS before | RSS all ready (+${settle_s} s) | growth / connection | RSS after the hold (+${hold_s} s) | growth / connection |"
      echo "|---|---|---|---|---|---|---|---|"
      jq -r 'if .ok then "| \(.target) | \(.ready) of \(.connections) | \(.setup_s) s | \(.server_rss_before_kib) KiB | \(.server_rss_ready_kib) KiB | \(.bytes_per_connection | round) bytes | \(.server_rss_end_kib) KiB | \(.bytes_per_connection_end | round) bytes |" else "| \(.target) | failed: \(.error) | | | | | | |" end' "$RESULTS/idle.jsonl"
      echo
    fi
    if [ -s "$RESULTS/kept-rooms.jsonl" ]; then
      echo "### Memory per kept empty room"
      echo
      echo "Server RSS growth per room from a fresh chatd with the creating connections registered and"
      echo "idle, read 2 s after chatd showed every room (\`/rooms\` total and \`chatd_rooms_kept_empty\`)."
      echo "\"Parted\" rooms are kept empty (\`rooms.keep_empty\`); \"one member\" rooms were not parted"
      echo "(reference). Payload is the raw text bytes in the room's history ring."
      echo
      echo "| rooms | state | history per room | payload / room | RSS before | RSS after | growth / room | growth / room above payload | chatd showed (rooms / kept empty) | created in |"
      echo "|---|---|---|---|---|---|---|---|---|---|"
      jq -r "$JQ_DEFS"' if .ok then "| \(.rooms | num) | \(if .parted then "parted (kept empty)" else "one member" end) | \(if .messages_per_room == 0 then "empty" else "\(.messages_per_room) x \(.text_bytes) bytes" end) | \(.payload_bytes_per_room | num) bytes | \(.server_rss_before_kib | num) KiB | \(.server_rss_after_kib | num) KiB | \(.bytes_per_room | num) bytes | \(if .bytes_per_room == null then "—" else (.bytes_per_room - .payload_bytes_per_room | num) + " bytes" end) | \(.rooms_total | num) / \(.rooms_kept_empty | num) | \(.create_s) s |" else "| \(.rooms // "—") | \(.label // "") failed: \(.error) | | | | | | | | |" end' "$RESULTS/kept-rooms.jsonl"
      echo
    fi
    if [ -s "$RESULTS/capacity.jsonl" ] || [ -s "$RESULTS/capacity-one-room.jsonl" ]; then
      echo "### Capacity runs"
      echo
      echo "| run | target | rooms | connections ready | setup | RSS all ready | growth / connection | fan-out received | last receipt after |"
      echo "|---|---|---|---|---|---|---|---|---|"
      for s in capacity capacity-one-room; do
        [ -s "$RESULTS/$s.jsonl" ] || continue
        jq -r --arg s "$s" 'if .ok then "| \($s) | \(.target) | \(.rooms) | \(.ready) of \(.connections) | \(.setup_s) s | \(.server_rss_ready_kib) KiB | \(.bytes_per_connection | round) bytes | \(.fanout.delivered) of \(.fanout.expected) | \((.fanout.latency.max_us / 1000 * 10 | round) / 10) ms |" else "| \($s) | \(.target) | \(.rooms // "—") | failed: \(.error) | | | | | |" end' "$RESULTS/$s.jsonl"
      done
      echo
    fi
    if [ -s "$RESULTS/metrics-cost.jsonl" ]; then
      echo "### chatd fan-out with the metrics endpoint on and off"
      echo
      echo "Alternating runs, same shape as the fan-out scenario."
      echo
      echo "| run | metrics | deliveries/s | server CPU / delivery | p99 | server CPU | limited by |"
      echo "|---|---|---|---|---|---|---|"
      jq -rs "$JQ_DEFS"' to_entries[] | .key as $k | .value | if .ok then "| \($k + 1) | \(.label | sub("metrics-"; "")) | \(.deliveries_per_s | num) | \(.deliveries_per_server_cpu_s | usd) | \(.latency.p99_us | ms) | \(.generator.server_cpu_share | pct) | \(limited) |" else "| \($k + 1) | \(.label) | failed: \(.error) | | | | |" end' "$RESULTS/metrics-cost.jsonl"
      local on off on_e off_e
      on=$(jq -s "$JQ_DEFS"' map(select(.label == "metrics-on" and .ok) | .deliveries_per_s) | median' "$RESULTS/metrics-cost.jsonl")
      off=$(jq -s "$JQ_DEFS"' map(select(.label == "metrics-off" and .ok) | .deliveries_per_s) | median' "$RESULTS/metrics-cost.jsonl")
      on_e=$(jq -s "$JQ_DEFS"' map(select(.label == "metrics-on" and .ok) | .deliveries_per_server_cpu_s) | median' "$RESULTS/metrics-cost.jsonl")
      off_e=$(jq -s "$JQ_DEFS"' map(select(.label == "metrics-off" and .ok) | .deliveries_per_server_cpu_s) | median' "$RESULTS/metrics-cost.jsonl")
      echo
      echo "Medians: deliveries/s with metrics on $(fmt_int "$on"), off $(fmt_int "$off") (on/off = $(ratio "$on" "$off"));"
      echo "server CPU per delivery on $(fmt_usd "$on_e"), off $(fmt_usd "$off_e") (on/off = $(ratio "$off_e" "$on_e"))."
      echo
    fi
    if [ -s "$RESULTS/tls.jsonl" ]; then
      echo "### chatd fan-out over TLS"
      echo
      echo "Alternating runs of the fan-out shape against a chatd with \`listen.chat_tls\`: plain"
      echo "clients on \`listen.chat\`, then TLS clients (chatbench \`--tls\`, TLS 1.3, P-256"
      echo "certificate) on \`listen.chat_tls\`."
      echo
      echo "| run | transport | deliveries/s | server CPU / delivery | p99 | server CPU | limited by |"
      echo "|---|---|---|---|---|---|---|"
      jq -rs "$JQ_DEFS"' to_entries[] | .key as $k | .value | if .ok then "| \($k + 1) | \(.label) | \(.deliveries_per_s | num) | \(.deliveries_per_server_cpu_s | usd) | \(.latency.p99_us | ms) | \(.generator.server_cpu_share | pct) | \(limited) |" else "| \($k + 1) | \(.label) | failed: \(.error) | | | | |" end' "$RESULTS/tls.jsonl"
      local plain tls plain_e tls_e
      plain=$(jq -s "$JQ_DEFS"' map(select(.label == "plain" and .ok) | .deliveries_per_s) | median' "$RESULTS/tls.jsonl")
      tls=$(jq -s "$JQ_DEFS"' map(select(.label == "tls" and .ok) | .deliveries_per_s) | median' "$RESULTS/tls.jsonl")
      plain_e=$(jq -s "$JQ_DEFS"' map(select(.label == "plain" and .ok) | .deliveries_per_server_cpu_s) | median' "$RESULTS/tls.jsonl")
      tls_e=$(jq -s "$JQ_DEFS"' map(select(.label == "tls" and .ok) | .deliveries_per_server_cpu_s) | median' "$RESULTS/tls.jsonl")
      echo
      echo "Medians: deliveries/s plain $(fmt_int "$plain"), TLS $(fmt_int "$tls") (TLS/plain = $(ratio "$tls" "$plain"));"
      echo "server CPU per delivery plain $(fmt_usd "$plain_e"), TLS $(fmt_usd "$tls_e") (TLS/plain = $(ratio "$plain_e" "$tls_e"))."
      echo
    fi
    if [ -s "$RESULTS/cluster.jsonl" ]; then
      echo "### Cluster"
      echo
      echo "chatd's cluster mode (docs/cluster.md): 2 chatd nodes over a 3-node nats-server cluster"
      echo "with JetStream (file store, \`cluster.replicas: 3\`), fresh for each shape, beside one"
      echo "standalone chatd in the same run. chatbench spreads each room's subscribers and publishers"
      echo "round-robin over the nodes (\`--port P1,P2\`), so most deliveries cross nodes; an ok comes"
      echo "once JetStream stored the message. The chatd nodes run on core $SERVER_CPU, the NATS servers"
      echo "(GOMAXPROCS=1) on core $NATS_CPU, chatbench on core $GEN_CPU. CPU per local delivery is a"
      echo "node's utime + stime over the measured window divided by the deliveries to its own"
      echo "subscribers; NATS CPU is each server's share of one core."
      echo
      cluster_table
      cluster_floors
      echo
    fi
    echo "## Machine"
    echo
    echo "- CPU: $cpu, $nproc cores (server on core $SERVER_CPU, chatbench on core $GEN_CPU); memory $mem"
    echo "- Kernel: $kernel; fd limit (hard) $(ulimit -Hn); ephemeral ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range)"
    echo "- Load average when the report was written: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- chatd $chatd_v (Release build), redis-server $redis_v, nats-server $nats_v"
    echo
    echo "## Commands"
    echo
    echo "Reproduce everything with \`bench/run.sh all\` (or one scenario: \`bench/run.sh fanout\`;"
    echo "\`BENCH_SECONDS=3 bench/run.sh all\` for a quick pass). The runs behind the figures above:"
    echo
    echo '```sh'
    for s in fanout latency rooms idle kept-rooms capacity capacity-one-room metrics-cost tls cluster; do
      [ -s "$RESULTS/$s.commands" ] || continue
      echo "# $s"
      cat "$RESULTS/$s.commands"
    done
    echo '```'
    # A hand-written "## Notes" section at the end of the old file is kept.
    if [ -f "$DOC" ] && grep -q '^## Notes' "$DOC"; then
      echo
      awk '/^## Notes/ { keep = 1 } keep' "$DOC"
    fi
  } >"$DOC.tmp"
  mv "$DOC.tmp" "$DOC"
  log "wrote $DOC"
}

# --- main ----------------------------------------------------------------------------------
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(all)
for s in "${scenarios[@]}"; do
  case "$s" in
    fanout|latency|rooms|idle|kept-rooms|capacity|capacity-one-room|metrics-cost|tls|cluster|all|report) ;;
    *) echo "usage: $0 [fanout|latency|rooms|idle|kept-rooms|capacity|capacity-one-room|metrics-cost|tls|cluster|all|report]..." >&2
       exit 2 ;;
  esac
done

if [ "${scenarios[*]}" != report ]; then
  install_missing
  build
  raise_fd_limit
fi
mkdir -p "$RESULTS"
log "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${scenarios[@]}"; do
  case "$s" in
    fanout) scenario_fanout ;;
    latency) scenario_latency ;;
    rooms) scenario_rooms ;;
    idle) scenario_idle ;;
    kept-rooms) scenario_kept_rooms ;;
    capacity) scenario_capacity ;;
    capacity-one-room) scenario_capacity_one_room ;;
    metrics-cost) scenario_metrics_cost ;;
    tls) scenario_tls ;;
    cluster) scenario_cluster ;;
    all)
      scenario_fanout; scenario_latency; scenario_rooms; scenario_idle; scenario_kept_rooms
      scenario_capacity
      scenario_capacity_one_room; scenario_metrics_cost; scenario_tls; scenario_cluster ;;
    report) ;;
  esac
done
[ "${BENCH_NO_DOC:-0}" = 1 ] || write_doc
